import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization } from '../../testing/people-fixtures.js';

/** A witness endpoint as docs/audit.md §8 describes one: keeps each POSTed record, or answers 503 while "down". */
function startWitness(): Promise<{ server: Server; url: string; state: { down: boolean; records: Record<string, unknown>[]; refused: number } }> {
  const state = { down: false, records: [] as Record<string, unknown>[], refused: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down || req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        state.refused += 1;
        res.writeHead(503).end();
        return;
      }
      state.records.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(201).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/witness`, state })));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

forEachTarget('audit witness over HTTP', (target) => {
  let witness: Awaited<ReturnType<typeof startWitness>>;
  let t: TestApp;
  let guarded: TestApp;
  let owner: pg.Client;

  before(async () => {
    witness = await startWitness();
    const env = { AUDIT_WITNESS: witness.url, AUDIT_ANCHOR_RETRY_MS: '100' };
    t = await createTestApp(target, { env: { ...env, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } });
    // The same deployment without private networks allowed: the outbound guard refuses a loopback witness.
    guarded = await createTestApp(target, { env });
    await t.app.ready();
    owner = await t.owner();
  });
  after(async () => {
    await guarded?.close();
    await t?.close();
    witness?.server.close();
  });

  it('POSTs the key and then each checkpoint; a witness that is down is retried until it takes them', async () => {
    const org = await seedOrganization(t, 'Witnessed');
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey });
    assert.equal(first.statusCode, 201, first.body);
    assert.ok(first.json().witnessedAt, 'published before the answer');
    assert.equal(first.json().tsaStatus, 'none', 'no time-stamping authority configured');
    const kinds = witness.state.records.map((r) => r.type);
    assert.ok(kinds.indexOf('aim.audit_key') >= 0 && kinds.indexOf('aim.audit_key') < kinds.indexOf('aim.audit_checkpoint'));
    assert.ok(witness.state.records.some((r) => r.type === 'aim.audit_checkpoint' && r.seq === first.json().seq && r.signature === first.json().signature));

    let second: { seq: number; witnessedAt: string | null };
    witness.state.down = true;
    try {
      await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: { name: 'Witnessed later' } });
      second = (await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json();
      assert.equal(second.witnessedAt, null, 'made anyway');
      // The request that made it tried first (the sweep leaves a new checkpoint to it), so the failure is on record when it answers.
      const { rows } = await owner.query('select witness_attempts, witness_error from audit_checkpoints where organization_id = $1 and seq = $2', [org.organizationId, second.seq]);
      assert.equal(rows[0].witness_attempts, 1);
      assert.match(rows[0].witness_error, /HTTP 503/);
    } finally {
      witness.state.down = false;
    }
    const published = await until('the retried publication', async () => {
      const list = (await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json().checkpoints;
      const found = list.find((c: { seq: number; witnessedAt: string | null }) => c.seq === second.seq);
      return found?.witnessedAt ? found : undefined;
    });
    assert.ok(published.witnessedAt);
    assert.ok(witness.state.records.some((r) => r.type === 'aim.audit_checkpoint' && r.seq === second.seq));
  });

  it("publishes each of the server's own keys, even one that signed nothing yet, and never a key someone put into the table", async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const foreign = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    await owner.query(
      `insert into signing_keys (kid, purpose, algorithm, public_jwk, private_key_encrypted, activated_at, retired_at, expires_at)
       values ('audit-checkpoint-foreign0000000', 'audit_checkpoint', 'EdDSA', $1, 'not-ours', now() - interval '1 day', now(), now() + interval '1 year')`,
      [{ ...foreign, kid: 'audit-checkpoint-foreign0000000', alg: 'EdDSA', use: 'sig' }],
    );
    const rotated = await t.platform.checkpointKeys.rotate();
    const published = await until('the new key in the witness', async () =>
      witness.state.records.find((r) => r.type === 'aim.audit_key' && r.kid === rotated.kid),
    );
    assert.equal((published.jwk as { x: string }).x, (await t.platform.checkpointKeys.ownPublicJwk(rotated.kid))!.x);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!witness.state.records.some((r) => r.kid === 'audit-checkpoint-foreign0000000'), 'a key the keyring cannot open is never published');
    assert.equal(await t.platform.checkpointKeys.ownPublicJwk('audit-checkpoint-foreign0000000'), undefined);
  });

  it('goes through the outbound guard: a loopback witness is refused unless private networks are allowed', async () => {
    const org = await seedOrganization(guarded, 'Guarded');
    const before = witness.state.records.length;
    const made = (await guarded.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json();
    assert.equal(made.witnessedAt, null);
    const guardedOwner = await guarded.owner();
    const { rows } = await guardedOwner.query('select witness_error from audit_checkpoints where organization_id = $1 and seq = $2', [org.organizationId, made.seq]);
    assert.match(rows[0].witness_error, /not a public address|Only https/);
    assert.equal(witness.state.records.filter((r) => r.organizationId === org.organizationId).length, 0);
    assert.equal(witness.state.records.length, before, 'nothing reached the witness');
  });
});
