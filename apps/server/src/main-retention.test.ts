import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { setUpOrganization, startAim, type AimProcess } from './testing/aim-process.js';
import { insertDecision, monthPartition, rowExists } from './testing/retention-fixtures.js';

/**
 * Decision retention and the legal hold as `npm start` runs them: the real process (embedded
 * PostgreSQL, the restricted app role), `aim.decision-retention` scheduled every minute and run by the
 * queue by itself. A hold placed through the API keeps a decision years past its retention through
 * runs of the job; released, the next run removes it and records the removal in the audit log.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-retention-test-0123456789';
const WAIT_MS = 150_000;

interface JobHealth {
  name: string;
  lastSuccessAt: string | null;
}

describe('retention and the legal hold on the running server', () => {
  let aim: AimProcess | undefined;
  let owner: pg.Client | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await owner?.end();
    if (aim && aim.child.exitCode === null) await aim.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a held organization’s expired decision through runs of the job, and removes it after the release', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aim-retention-'));
    aim = await startAim(
      {
        AIM_DATA_DIR: dataDir,
        PORT: '0',
        SERVE_DASHBOARD: 'false',
        AIM_BOOTSTRAP_TOKEN: BOOTSTRAP,
        JOB_SCHEDULES: 'aim.decision-retention=* * * * *',
        JOB_CRON_CHECK_SECONDS: '2',
      },
      { readyTimeoutMs: 120_000 },
    );
    assert.ok(aim.pgPort, aim.output());
    const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
    owner = new pg.Client({ host: '127.0.0.1', port: aim.pgPort, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
    owner.on('error', () => undefined);
    await owner.connect();
    const { call } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'On hold', adminEmail: 'counsel@hold.example', adminName: 'Counsel' });
    const organizationId = ((await call('GET', '/api/v1/organization')) as { id: string }).id;

    const held = await call('PUT', '/api/v1/compliance/legal-hold', { enabled: true, reason: 'Litigation 2026-114' });
    assert.equal(held.enabled, true);
    // A decision from five years ago, far past the 400 days the deployment keeps decisions.
    const at = new Date(Date.UTC(new Date().getUTCFullYear() - 5, 2, 3));
    const decision = await insertDecision(owner, organizationId, 'agt_00000000000000000000000000', at);
    const partition = await monthPartition(owner, 'verification_events', at);

    /** Resolves once the job completes a run that started after `since`. */
    const nextRun = async (since: number) => {
      const deadline = Date.now() + WAIT_MS;
      while (Date.now() < deadline) {
        const { jobs } = (await call('GET', '/api/v1/system/jobs')) as { jobs: JobHealth[] };
        const last = jobs.find((j) => j.name === 'aim.decision-retention')?.lastSuccessAt;
        if (last && Date.parse(last) > since) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.fail(`aim.decision-retention did not complete a run within ${WAIT_MS / 1000} s:\n${aim!.output().slice(-4000)}`);
    };

    const placedAt = Date.now();
    await nextRun(placedAt);
    await nextRun(Date.now());
    assert.equal(await rowExists(owner, 'verification_events', decision), true, 'kept through two runs while held');
    assert.notEqual((await owner.query('select to_regclass($1) as r', [partition])).rows[0].r, null);

    await call('PUT', '/api/v1/compliance/legal-hold', { enabled: false, reason: 'Settled' });
    await nextRun(Date.now());
    assert.equal(await rowExists(owner, 'verification_events', decision), false, 'removed by the first run after the release');
    assert.equal((await owner.query('select to_regclass($1) as r', [partition])).rows[0].r, null);

    const log = (await call('GET', '/api/v1/audit-logs?limit=50')) as { events: { action: string; details: Record<string, unknown> }[] };
    const actions = log.events.map((e) => e.action);
    assert.ok(actions.includes('legal_hold.placed') && actions.includes('legal_hold.released'), actions.join(', '));
    const applied = log.events.filter((e) => e.action === 'retention.applied');
    assert.equal(applied.length, 1);
    assert.deepEqual({ ...applied[0]!.details, removedBefore: undefined }, { data: 'decisions', method: 'partition', decisions: 1, violations: 0, removedBefore: undefined });
    // The embedded PostgreSQL stops with the server: the owner's connection ends first.
    await owner.end();
    owner = undefined;
    assert.equal(await aim.stop(), 0, aim.output());
  });
});
