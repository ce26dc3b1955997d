import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type pg from 'pg';
import { checkpointMessage, keyFingerprint, type Checkpoint } from '@aim/audit-verify';
import { rehashChain } from '../../testing/audit-fixtures.js';
import { startLocalTsa, type LocalTsa } from '../../testing/local-tsa.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

const VERIFIER = fileURLToPath(new URL('../../../../../packages/audit-verify/dist/cli.js', import.meta.url));

function verifier(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VERIFIER, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Listed = Checkpoint & { tsaToken: string | null; tsaStatus: string; witnessedAt: string | null };

forEachTarget('audit checkpoints anchored outside AIM: following the chain, time-stamps, the witness', (target) => {
  let t: TestApp;
  let second: TestApp;
  let tsa: LocalTsa;
  let owner: pg.Client;
  let dir: string;
  let witnessFile: string;

  before(async () => {
    tsa = await startLocalTsa();
    dir = await mkdtemp(join(tmpdir(), 'aim-anchoring-'));
    witnessFile = join(dir, 'witness', 'audit-witness.ndjson');
    const env = {
      AUDIT_CHECKPOINT_DELAY_MS: '300',
      AUDIT_TSA_URL: tsa.url,
      AUDIT_WITNESS: pathToFileURL(witnessFile).href,
      AUDIT_ANCHOR_RETRY_MS: '200',
    };
    t = await createTestApp(target, { env });
    second = await createTestApp(target, { env, sameDeploymentAs: t });
    await t.app.ready();
    await second.app.ready();
    owner = await t.owner();
  });
  after(async () => {
    await second?.close();
    await t?.close();
    await tsa?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rename = (app: TestApp, org: SeededOrganization, name: string) =>
    app.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: { name } });
  const checkpoints = async (org: SeededOrganization): Promise<Listed[]> =>
    (await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json().checkpoints;
  const head = async (org: SeededOrganization) => {
    await t.platform.auditSequencer.drain(org.organizationId);
    return Number((await owner.query('select seq from audit_chain_heads where organization_id = $1', [org.organizationId])).rows[0].seq);
  };
  /** The last event that is not a checkpoint record: what a checkpoint must cover. */
  const lastChange = async (org: SeededOrganization) => {
    await head(org);
    const { rows } = await owner.query(
      "select max(seq) as seq from audit_events where organization_id = $1 and action not in ('audit.checkpoint', 'audit.export')",
      [org.organizationId],
    );
    return Number(rows[0].seq);
  };
  const covered = (org: SeededOrganization) =>
    until('a checkpoint covering the last change', async () => {
      const last = await lastChange(org);
      const list = await checkpoints(org);
      return list.find((c) => c.seq >= last && c.witnessedAt !== null) ? list : undefined;
    });
  /** The files an auditor downloads, written to the test folder. */
  async function download(org: SeededOrganization, name: string) {
    // Checkpoints first: the export then holds every event they can speak of (the export itself adds events).
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey });
    const keys = await t.app.inject({ method: 'GET', url: '/.well-known/aim-audit-keys.json' });
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export', headers: org.as.admin.apiKey });
    assert.equal(exported.statusCode, 200);
    const files = { export: join(dir, `${name}.ndjson`), checkpoints: join(dir, `${name}-checkpoints.json`), keys: join(dir, `${name}-keys.json`) };
    await writeFile(files.export, exported.body);
    await writeFile(files.checkpoints, listed.body);
    await writeFile(files.keys, keys.body);
    return { ...files, withFiles: ['--checkpoints', files.checkpoints, '--keys', files.keys] };
  }
  /** The fingerprint an auditor pinned: of the key that signs now, taken before anything happened. */
  let pinned = '';
  const pinnedKey = async () => {
    if (!pinned) {
      const key = await t.platform.checkpointKeys.current();
      const jwk = (await t.platform.checkpointKeys.publicJwks()).find((k) => k.kid === key.kid)!;
      pinned = keyFingerprint(jwk as Record<string, unknown>);
    }
    return pinned;
  };

  it('signs a grown chain within the delay, once, however many instances heard it; stamps and publishes each checkpoint', async () => {
    const org = await seedOrganization(t, 'Follow');
    await Promise.all(Array.from({ length: 6 }, (_, i) => rename(i % 2 ? second : t, org, `F${i}`)));
    const list = await covered(org);
    // No checkpoint of checkpoint records only, and no second one for the same growth: quiet stays quiet.
    const settled = list.length;
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await checkpoints(org);
    assert.equal(later.length, settled, 'a quiet chain is not signed again');
    const seqs = later.map((c) => c.seq);
    assert.equal(new Set(seqs).size, seqs.length);
    const last = later[later.length - 1]!;
    await until('the time-stamp', async () => (await checkpoints(org)).every((c) => c.tsaStatus === 'stamped'));
    const stamped = (await checkpoints(org)).at(-1)!;
    assert.equal(stamped.seq, last.seq);
    assert.ok(stamped.tsaToken && Buffer.from(stamped.tsaToken, 'base64').length > 500, 'the DER token is listed, base64');
    // The witness file holds the key, then each checkpoint, as NDJSON records.
    const records = (await readFile(witnessFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const keyAt = records.findIndex((r) => r.type === 'aim.audit_key' && r.kid === last.kid);
    const checkpointAt = records.findIndex((r) => r.type === 'aim.audit_checkpoint' && r.organizationId === org.organizationId && r.seq === last.seq);
    assert.ok(keyAt >= 0 && checkpointAt > keyAt, 'the key is published before what it signed');
    assert.equal(records[keyAt]!.fingerprint, await pinnedKey());
    assert.equal(records[checkpointAt]!.signature, last.signature);

    // One asked for, too: stamped and published before the answer.
    const asked = await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey });
    assert.equal(asked.statusCode, 201, asked.body);
    assert.equal(asked.json().tsaStatus, 'stamped');
    assert.ok(asked.json().witnessedAt);
    const files = await download(org, 'follow');
    const ok = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, `--pin=${await pinnedKey()}`, '--tsa-ca', tsa.caFile]);
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /^intact: /);
    assert.match(ok.output, /witness: \d+ checkpoint\(s\) of this organization agree with the export, \d+ key\(s\) published\n/);
    assert.match(ok.output, new RegExp(`time-stamps: ${later.length + 1} verified`));
    // A token moved from another checkpoint stamps other bytes.
    const listedNow = JSON.parse(await readFile(files.checkpoints, 'utf8')) as { checkpoints: Listed[] };
    assert.ok(listedNow.checkpoints.length >= 2);
    const [x, y] = listedNow.checkpoints.slice(-2);
    const swapped = join(dir, 'swapped-checkpoints.json');
    await writeFile(swapped, JSON.stringify({ checkpoints: [...listedNow.checkpoints.slice(0, -2), { ...x, tsaToken: y!.tsaToken }, y] }));
    const moved = await verifier([files.export, '--checkpoints', swapped, '--keys', files.keys, `--pin=${await pinnedKey()}`, '--tsa-ca', tsa.caFile]);
    assert.equal(moved.code, 1, moved.output);
    assert.match(moved.output, new RegExp(`BROKEN at seq ${x!.seq}: checkpoint ${x!.seq}: its time-stamp: the token's message imprint is not SHA-256 of the checkpoint's signature`));
    // Another authority's certificate does not vouch for these tokens.
    const stranger = await startLocalTsa();
    try {
      const refused = await verifier([files.export, ...files.withFiles, `--pin=${await pinnedKey()}`, '--tsa-ca', stranger.caFile]);
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.output, /its time-stamp: the token does not verify against the given authority certificate/);
    } finally {
      await stranger.close();
    }
  });

  it('still makes checkpoints while the time-stamping authority is down, retries, and stamps them once it is back', async () => {
    const org = await seedOrganization(t, 'Down');
    await covered(org);
    tsa.down();
    await rename(t, org, 'While down');
    const list = await covered(org);
    const gap = list.at(-1)!;
    const failed = await until('a failed attempt', async () => {
      const found = (await checkpoints(org)).find((c) => c.seq === gap.seq);
      return found?.tsaStatus === 'failed' ? found : undefined;
    });
    assert.equal(failed.tsaToken, null);
    assert.ok(failed.witnessedAt, 'the witness does not wait for the authority');
    const { rows } = await owner.query('select tsa_attempts, tsa_error from audit_checkpoints where organization_id = $1 and seq = $2', [org.organizationId, gap.seq]);
    assert.ok(rows[0].tsa_attempts >= 1);
    assert.match(rows[0].tsa_error, /HTTP 503/);

    // Meanwhile the verifier reports the gap (the chain itself is intact).
    const during = await download(org, 'down');
    const reported = await verifier([during.export, ...during.withFiles, `--pin=${await pinnedKey()}`, '--tsa-ca', tsa.caFile, '--json']);
    assert.equal(reported.code, 0, reported.output);
    const json = JSON.parse(reported.output);
    assert.equal(json.status, 'intact');
    assert.ok(json.timestamps.gaps.some((g: { seq: number; status: string }) => g.seq === gap.seq && g.status === 'failed'), reported.output);
    const text = await verifier([during.export, ...during.withFiles, `--pin=${await pinnedKey()}`, '--tsa-ca', tsa.caFile]);
    assert.match(text.output, new RegExp(`GAP: no time-stamp for checkpoint\\(s\\) .*${gap.seq} \\(failed\\)`));

    tsa.up();
    const stamped = await until('the retried time-stamp', async () => {
      const found = (await checkpoints(org)).find((c) => c.seq === gap.seq);
      return found?.tsaStatus === 'stamped' ? found : undefined;
    });
    assert.ok(stamped.tsaToken);
    const after = await download(org, 'up');
    const closed = await verifier([after.export, ...after.withFiles, `--pin=${await pinnedKey()}`, '--tsa-ca', tsa.caFile, '--json']);
    assert.equal(closed.code, 0, closed.output);
    assert.ok(!JSON.parse(closed.output).timestamps.gaps.some((g: { seq: number }) => g.seq === gap.seq), closed.output);
  });

  it('keeps a checkpoint append-only for the app: only its anchoring may be filled in, once', async () => {
    const org = await seedOrganization(t, 'Append only');
    const made = (await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json();
    assert.equal(made.tsaStatus, 'stamped');
    const attempt = (sql: string) =>
      t.platform.db.transaction({ organizationId: org.organizationId }, (tx) => tx.query(sql, [org.organizationId, made.seq]));
    await assert.rejects(attempt('update audit_checkpoints set hash = hash where organization_id = $1 and seq = $2'), /permission denied/);
    await assert.rejects(attempt("update audit_checkpoints set tsa_token = '\\x00' where organization_id = $1 and seq = $2"), /only their time-stamp and witness state may be filled in/);
    await assert.rejects(attempt('update audit_checkpoints set witnessed_at = now() where organization_id = $1 and seq = $2'), /only their time-stamp and witness state/);
    await assert.rejects(attempt('delete from audit_checkpoints where organization_id = $1 and seq = $2'), /permission denied|append-only/);
  });

  /** As the database owner with triggers off, the way an intruder with database access would. */
  async function asIntruder(work: () => Promise<unknown>) {
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await work();
    await owner.query('commit');
  }
  const intruderKey = generateKeyPairSync('ed25519');
  const intruderKid = 'audit-checkpoint-0badc0de0badc0de';
  /** A checkpoint of the intruder's, marked due for time-stamping and publication as AIM's own are. */
  async function forgeCheckpoint(org: SeededOrganization, seq: number, hash: Buffer, signedAt: string) {
    const payload = { organizationId: org.organizationId, seq, hash: hash.toString('hex'), signedAt };
    const signature = sign(null, checkpointMessage(payload), intruderKey.privateKey);
    await owner.query(
      `insert into audit_checkpoints (organization_id, seq, hash, signed_at, kid, signature, tsa_status, tsa_next_attempt_at, witness_next_attempt_at)
       values ($1, $2, $3, $4, $5, $6, 'pending', now(), now())`,
      [org.organizationId, seq, hash, signedAt, intruderKid, signature],
    );
    return signature.toString('base64url');
  }

  const plantIntruderKey = () =>
    owner.query(
      `insert into signing_keys (kid, purpose, algorithm, public_jwk, private_key_encrypted, activated_at, retired_at, expires_at)
       values ($1, 'audit_checkpoint', 'EdDSA', $2, 'not-needed', now() - interval '1 day', now(), now() + interval '10 years')
       on conflict (kid) do nothing`,
      [intruderKid, { ...intruderKey.publicKey.export({ format: 'jwk' }), kid: intruderKid, alg: 'EdDSA', use: 'sig' }],
    );
  const removeIntruderKey = () => asIntruder(() => owner.query('delete from signing_keys where kid = $1', [intruderKid]));

  it('attack (a): a rewritten chain, its checkpoints deleted and re-signed with a key of the intruder: NOT intact with the witness and pins', async () => {
    const org = await seedOrganization(t, 'Rewrite');
    for (let i = 0; i < 4; i++) await rename(t, org, `R${i}`);
    await covered(org);
    await pinnedKey();
    await rehashChain(owner, org.organizationId, (seq, details) => (seq === 3 ? { ...details, forged: true } : details));
    const top = (await owner.query('select seq, hash from audit_chain_heads where organization_id = $1', [org.organizationId])).rows[0];
    await asIntruder(async () => {
      await owner.query('delete from audit_checkpoints where organization_id = $1', [org.organizationId]);
      await plantIntruderKey();
      await forgeCheckpoint(org, Number(top.seq), top.hash, '2026-01-01T00:00:00.000000Z');
    });
    const files = await download(org, 'rewrite');
    // What the database serves agrees with itself: without the witness and pins the attack passes.
    const fooled = await verifier([files.export, ...files.withFiles, '--unpinned']);
    assert.equal(fooled.code, 0, fooled.output);
    const caught = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, `--pin=${await pinnedKey()}`]);
    assert.equal(caught.code, 1, caught.output);
    assert.match(caught.output, /^BROKEN at seq \d+: the witness's checkpoint \d+: the chain has another hash here than the signed checkpoint: it was rewritten/);
    // Each piece is caught on its own: the witness alone (unpinned), and the pins alone.
    const witnessOnly = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, '--unpinned', '--json']);
    assert.equal(witnessOnly.code, 1);
    assert.match(JSON.parse(witnessOnly.output).reason, /rewritten|never published/);
    const pinsOnly = await verifier([files.export, ...files.withFiles, `--pin=${await pinnedKey()}`]);
    assert.equal(pinsOnly.code, 1);
    assert.match(pinsOnly.output, new RegExp(`signed by key ${intruderKid} .*not pinned`));
    // The key the intruder added is named by the witness even where it signed nothing of this export.
    const other = await seedOrganization(t, 'Bystander');
    await rename(t, other, 'Bystander 1');
    await covered(other);
    const bystander = await download(other, 'bystander');
    const named = await verifier([bystander.export, ...bystander.withFiles, '--witness', witnessFile, '--unpinned']);
    assert.equal(named.code, 1, named.output);
    assert.match(named.output, new RegExp(`BROKEN at seq 0: the key file lists key ${intruderKid} \\(fingerprint [^)]+\\), which the witness never published`));
    await removeIntruderKey();
  });

  it('attack (b): one checkpoint replaced: detected by the witness', async () => {
    const org = await seedOrganization(t, 'Replace');
    for (let i = 0; i < 3; i++) await rename(t, org, `P${i}`);
    const [victim] = await covered(org);
    assert.ok(victim);
    let forged = '';
    await asIntruder(async () => {
      await owner.query('delete from audit_checkpoints where organization_id = $1 and seq = $2', [org.organizationId, victim.seq]);
      await plantIntruderKey();
      forged = await forgeCheckpoint(org, victim.seq, Buffer.from(victim.hash, 'hex'), victim.signedAt);
    });
    try {
      // AIM never anchors what it did not sign: the forged row is neither published nor stamped.
      const refused = await until('the forged checkpoint refused', async () => {
        const { rows } = await owner.query('select witness_error, tsa_status, witnessed_at from audit_checkpoints where organization_id = $1 and seq = $2', [
          org.organizationId, victim.seq,
        ]);
        return rows[0]?.witness_error ? rows[0] : undefined;
      });
      assert.match(refused.witness_error, new RegExp(`not signed by a key of this server \\(${intruderKid}\\)`));
      assert.equal(refused.witnessed_at, null);
      assert.equal(refused.tsa_status, 'failed');
      assert.ok(!(await readFile(witnessFile, 'utf8')).includes(forged), 'the forged signature never reached the witness');
      const files = await download(org, 'replace');
      const fooled = await verifier([files.export, ...files.withFiles, '--unpinned']);
      assert.equal(fooled.code, 0, `unpinned and without the witness, it passes: ${fooled.output}`);
      const caught = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, '--unpinned', '--json']);
      assert.equal(caught.code, 1, caught.output);
      const report = JSON.parse(caught.output);
      assert.equal(report.brokenAt, victim.seq);
      assert.match(report.reason, new RegExp(`key ${intruderKid}.*which the witness never published`));
      const pinnedToo = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, `--pin=${await pinnedKey()}`]);
      assert.equal(pinnedToo.code, 1, pinnedToo.output);
      assert.match(pinnedToo.output, new RegExp(`BROKEN at seq ${victim.seq}: `));
    } finally {
      await removeIntruderKey();
    }
  });

  it('attack (c): the events after a checkpoint deleted, with the checkpoints that covered them: the witness still has them', async () => {
    const org = await seedOrganization(t, 'Truncate');
    for (let i = 0; i < 3; i++) await rename(t, org, `B${i}`);
    const kept = (await covered(org)).at(-1)!;
    for (let i = 0; i < 3; i++) await rename(t, org, `A${i}`);
    const lost = (await covered(org)).at(-1)!;
    assert.ok(lost.seq > kept.seq);
    await asIntruder(async () => {
      await owner.query('select seq from audit_chain_heads where organization_id = $1 for update', [org.organizationId]);
      await owner.query('delete from audit_events where organization_id = $1 and (seq > $2 or seq is null)', [org.organizationId, kept.seq]);
      await owner.query('delete from audit_checkpoints where organization_id = $1 and seq > $2', [org.organizationId, kept.seq]);
      await owner.query('update audit_chain_heads set seq = $2, hash = $3 where organization_id = $1', [org.organizationId, kept.seq, Buffer.from(kept.hash, 'hex')]);
    });
    const files = await download(org, 'truncate');
    const fooled = await verifier([files.export, ...files.withFiles, `--pin=${await pinnedKey()}`]);
    assert.equal(fooled.code, 0, `what the database serves agrees with itself: ${fooled.output}`);
    const caught = await verifier([files.export, ...files.withFiles, '--witness', witnessFile, `--pin=${await pinnedKey()}`]);
    assert.equal(caught.code, 1, caught.output);
    assert.match(caught.output, new RegExp(`BROKEN at seq \\d+: the witness's checkpoint \\d+: the chain ends at ${kept.seq}, before this checkpoint: events are missing from the end`));
    // The witness alone, without the database's checkpoints file, is enough.
    const alone = await verifier([files.export, '--witness', witnessFile, `--pin=${await pinnedKey()}`]);
    assert.equal(alone.code, 1, alone.output);
    assert.match(alone.output, /events are missing from the end/);
  });
});
