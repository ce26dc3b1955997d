import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUpOrganization, startAim, type AimProcess } from './testing/aim-process.js';
import { startLocalTsa, type LocalTsa } from './testing/local-tsa.js';
import { eventually as waitFor } from './testing/eventually.js';

/**
 * Anchored checkpoints as `npm start` runs them (embedded PostgreSQL, so the witness is the default
 * file in the data folder; AUDIT_TSA_URL at the test's own RFC 3161 authority): changes are followed by a
 * checkpoint within seconds, time-stamped and published, and the offline verifier checks a real export
 * against the witness, the pinned key and the authority's certificate.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-audit-anchoring-test-0123';
const VERIFIER = fileURLToPath(new URL('../../../packages/audit-verify/dist/cli.js', import.meta.url));
const WAIT_MS = 60_000;

const verifier = (args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [VERIFIER, ...args], (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
  });

const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => waitFor(what, probe, { timeoutMs: WAIT_MS });

describe('anchored audit checkpoints on the running server', () => {
  let aim: AimProcess | undefined;
  let tsa: LocalTsa | undefined;
  let dataDir: string | undefined;
  after(async () => {
    if (aim && aim.child.exitCode === null) await aim.stop();
    await tsa?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('follows changes with time-stamped, witnessed checkpoints that the offline verifier checks on a real export', async () => {
    tsa = await startLocalTsa();
    dataDir = await mkdtemp(join(tmpdir(), 'aim-anchoring-'));
    aim = await startAim(
      { AIM_DATA_DIR: dataDir, PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP, AUDIT_TSA_URL: tsa.url, AUDIT_CHECKPOINT_DELAY_MS: '500' },
      { readyTimeoutMs: 120_000 },
    );
    const { call, apiKey } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'Ledger', adminEmail: 'audit@ledger.example', adminName: 'Auditor' });
    for (const name of ['Ledger One', 'Ledger Two', 'Ledger Three']) await call('PATCH', '/api/v1/organization', { name });

    // Nobody asked for a checkpoint: one follows within seconds, stamped and witnessed.
    type Listed = { seq: number; tsaStatus: string; tsaToken: string | null; witnessedAt: string | null };
    const anchored = await eventually('an anchored checkpoint', async () => {
      const { checkpoints } = (await call('GET', '/api/v1/audit-logs/checkpoints')) as { checkpoints: Listed[] };
      const last = checkpoints.at(-1);
      return last && last.tsaStatus === 'stamped' && last.witnessedAt ? checkpoints : undefined;
    });
    assert.ok(anchored.every((c) => c.tsaToken !== null || c.tsaStatus !== 'stamped'));
    assert.ok(tsa.stamped >= 1);

    // The auditor downloads the files; the witness is the default one, in the data folder.
    const dir = join(dataDir, 'auditor');
    const witness = join(dataDir, 'audit-witness.ndjson');
    assert.match(await readFile(witness, 'utf8'), /"type":"aim\.audit_key"[\s\S]*"type":"aim\.audit_checkpoint"/);
    await mkdir(dir);
    const files = { export: join(dir, 'export.ndjson'), checkpoints: join(dir, 'checkpoints.json'), keys: join(dir, 'keys.json') };
    await writeFile(files.checkpoints, JSON.stringify(await call('GET', '/api/v1/audit-logs/checkpoints')));
    await writeFile(files.keys, await (await fetch(`${aim.base}/.well-known/aim-audit-keys.json`)).text());
    const exported = await fetch(`${aim.base}/api/v1/audit-logs/export`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(exported.status, 200);
    await writeFile(files.export, await exported.text());

    const printed = await verifier(['--fingerprints', files.keys]);
    assert.equal(printed.code, 0, printed.output);
    const fingerprint = printed.output.split(/\s+/)[0]!;
    assert.match(fingerprint, /^[A-Za-z0-9_-]{43}$/);

    const result = await verifier([files.export, '--checkpoints', files.checkpoints, '--keys', files.keys, '--witness', witness, `--pin=${fingerprint}`, '--tsa-ca', tsa.caFile]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^intact: \d+ events of org_\S+, seq 1–\d+, last hash [0-9a-f]{64}, \d+ signed checkpoints \(pinned keys\)/);
    assert.match(result.output, /\nwitness: [1-9]\d* checkpoint\(s\) of this organization agree with the export, 1 key\(s\) published/);
    assert.match(result.output, /\ntime-stamps: [1-9]\d* verified \(checkpoint \d+ stamped at \d{4}-/);
    // Without a pin the verifier does not guess which keys to trust.
    const unpinned = await verifier([files.export, '--checkpoints', files.checkpoints, '--keys', files.keys]);
    assert.equal(unpinned.code, 2, unpinned.output);
    assert.match(unpinned.output, /checkpoint keys must be pinned/);
    assert.equal(await aim.stop(), 0);
  });
});
