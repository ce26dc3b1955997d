import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { verifyExportLines } from '@aim/audit-verify';
import { setUpOrganization, startAim, type AimProcess } from '../../testing/aim-process.js';
import { findInDatabase } from '../../testing/database-dump.js';
import { SoftwareAuthenticator } from '../../testing/software-authenticator.js';

/**
 * Erasure as `npm start` runs it (embedded PostgreSQL), the way the check walks it: a person
 * joins through an invitation with a passkey from a recognisable browser, the admin exports their
 * data and erases them; then their email (any case), name and user agent are in no table of the
 * database, read as its owner, and the organization's audit export still verifies.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-privacy-test-0123456789';
const EMAIL = 'Ada.Lovelace-Privacy@Analytical.example';
const NAME = 'Ada Lovelace Erasable';
const USER_AGENT = 'EngineBrowser/1843.7 (privacy-process-probe)';

describe('erasure on the running server', () => {
  let aim: AimProcess | undefined;
  let dataDir: string | undefined;
  let owner: pg.Client | undefined;
  after(async () => {
    await owner?.end();
    if (aim && aim.child.exitCode === null) await aim.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('erases a person who joined with a passkey: nothing of theirs is left readable and the chain verifies', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aim-privacy-'));
    aim = await startAim({ AIM_DATA_DIR: dataDir, PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP }, { readyTimeoutMs: 120_000 });
    const base = aim.base;
    const { call, apiKey } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'Analytical', adminEmail: 'admin@analytical.example', adminName: 'Admin' });

    // The person joins: invitation, passkey options, passkey, from their browser.
    const { link } = await call('POST', '/api/v1/invitations', { email: EMAIL, role: 'member' }, 201);
    const token = new URL(link as string).searchParams.get('token')!;
    const browser = { origin: base, 'user-agent': USER_AGENT, 'content-type': 'application/json' };
    const options = await fetch(`${base}/api/v1/invitations/passkey/options`, { method: 'POST', headers: browser, body: JSON.stringify({ token, name: NAME }) });
    assert.equal(options.status, 200, await options.clone().text());
    const credential = new SoftwareAuthenticator().create((await options.json()) as never, base);
    const joined = await fetch(`${base}/api/v1/invitations/passkey`, { method: 'POST', headers: browser, body: JSON.stringify({ token, credential }) });
    assert.equal(joined.status, 201, await joined.clone().text());
    const { members } = await call('GET', '/api/v1/members');
    const person = members.find((m: { user: { email: string } }) => m.user.email === EMAIL.toLowerCase());
    assert.ok(person, 'the person is a member');
    const userId = person.user.id as string;

    // Before: the export has their data decrypted.
    const exported = await call('GET', `/api/v1/privacy/people/${userId}/export`);
    assert.equal(exported.person.name, NAME);
    assert.equal(exported.sessions[0].userAgent, USER_AGENT);
    assert.ok(exported.auditEvents.some((e: { userAgent: string | null }) => e.userAgent === USER_AGENT));

    const erased = await call('POST', `/api/v1/privacy/people/${userId}/erasure`, { confirm: EMAIL.toUpperCase() });
    assert.equal(erased.erased.sessions, 1);
    assert.equal(erased.erased.passkeys, 1);

    // After: nowhere in the database, read as its owner.
    const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
    owner = new pg.Client({ host: '127.0.0.1', port: aim.pgPort!, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
    await owner.connect();
    for (const needle of [EMAIL, NAME, USER_AGENT]) assert.deepEqual(await findInDatabase(owner, needle), [], needle);

    // The chain: the NDJSON export verifies with the auditor's code, and records the erasure.
    const res = await fetch(`${base}/api/v1/audit-logs/export`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = await res.text();
    assert.ok(body.includes('"person.erased"'));
    const verdict = await verifyExportLines((async function* () {
      yield* body.split('\n');
    })());
    assert.equal(verdict.verdict.status, 'intact', JSON.stringify(verdict.verdict));
  });
});

