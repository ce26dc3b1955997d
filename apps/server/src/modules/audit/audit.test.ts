import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkSignatures } from '@aim/audit-verify';
import { rehashChain } from '../../testing/audit-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

const VERIFIER = fileURLToPath(new URL('../../../../../packages/audit-verify/dist/cli.js', import.meta.url));

function runVerifier(file: string, extra: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VERIFIER, file, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

forEachTarget('audit log: hash chain, reading and verification', (target) => {
  let t: TestApp;
  let second: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let owner: pg.Client;

  before(async () => {
    t = await createTestApp(target);
    second = await createTestApp(target, { sameDeploymentAs: t });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    owner = await t.owner();
  });
  after(async () => {
    await second?.close();
    await t?.close();
  });

  const rename = (app: TestApp, org: SeededOrganization, name: string) =>
    app.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: { name } });
  const verify = (org: SeededOrganization, query = '') =>
    t.app.inject({ method: 'GET', url: `/api/v1/audit-logs/verify${query}`, headers: org.as.manager.apiKey });
  const list = (org: SeededOrganization, query = '') => t.app.inject({ method: 'GET', url: `/api/v1/audit-logs${query}`, headers: org.as.admin.apiKey });

  it('keeps one unbroken chain under concurrent writers on two instances', async () => {
    const writes = Array.from({ length: 24 }, (_, i) => rename(i % 2 ? second : t, a, `Concurrent ${i}`));
    const results = await Promise.all(writes);
    assert.ok(results.every((r) => r.statusCode === 200), results.map((r) => r.statusCode).join(','));
    const res = await verify(a);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'intact');
    assert.equal(res.json().checked, res.json().headSeq);
    assert.ok(res.json().headSeq >= 24);
  });

  it('lists newest first with keyset pagination and filters, and only the organization’s own events', async () => {
    await t.platform.auditSequencer.drain(a.organizationId);
    const first = await list(a, '?limit=5');
    assert.equal(first.statusCode, 200, first.body);
    const page1 = first.json();
    assert.equal(page1.events.length, 5);
    const seqs = page1.events.map((e: { seq: number }) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((x: number, y: number) => y - x));
    const next = (await list(a, `?limit=5&cursor=${page1.nextCursor}`)).json();
    assert.ok(next.events[0].seq < seqs[4]);
    assert.ok(!next.events.some((e: { id: string }) => page1.events.some((f: { id: string }) => f.id === e.id)));
    const renames = (await list(a, '?action=organization.update&limit=500')).json().events;
    assert.ok(renames.length >= 24 && renames.every((e: { action: string }) => e.action === 'organization.update'));
    const prefixed = (await list(a, '?action=organization.*&limit=500')).json().events;
    assert.ok(prefixed.length > renames.length - 1);
    // Concurrent renames apply one after the other: each records the name the previous one set.
    const inOrder = [...renames].sort((x: { seq: number }, y: { seq: number }) => x.seq - y.seq);
    for (let i = 1; i < inOrder.length; i++) assert.equal(inOrder[i].details.name.from, inOrder[i - 1].details.name.to, `rename at seq ${inOrder[i].seq}`);
    // The rename to 17 matches, and so may the next one (renamed from 17): concurrent order varies.
    const text = (await list(a, '?q=Concurrent%2017')).json().events;
    assert.ok(text.length >= 1 && text.length <= 2, `matches ${text.length}`);
    assert.ok(text.some((e: { details: { name: { to: string } } }) => e.details.name.to === 'Concurrent 17'));
    assert.ok(text.every((e: { details: unknown }) => JSON.stringify(e.details).includes('Concurrent 17')));
    const byActor = (await list(a, `?actorType=api_key&actorId=${a.as.admin.apiKeyId}&limit=500`)).json().events;
    assert.ok(byActor.length >= 24);
    const otherOrg = (await list(b, '?limit=500')).json().events;
    assert.ok(otherOrg.every((e: { action: string; details: { name?: { to?: string } } }) => !String(e.details?.name?.to ?? '').startsWith('Concurrent')));
    assert.ok(!JSON.stringify(otherOrg).includes(a.organizationId));
  });

  it('answers bad filters with 400 and a field name', async () => {
    for (const query of ['?from=yesterday', '?action=DROP%20TABLE', '?limit=0', '?cursor=abc', '?unknown=1', '?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
      const res = await list(a, query);
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json().error.code, 'validation_failed', query);
    }
  });

  it('is for admins and managers', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs', headers: a.as.member.apiKey })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/verify', headers: a.as.viewer.session })).statusCode, 403);
  });

  it('exports NDJSON that the offline verifier accepts untouched and faults at the first altered record', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export', headers: a.as.admin.apiKey });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="aim-audit-.*\.ndjson"/);
    const lines = res.body.trim().split('\n');
    const header = JSON.parse(lines[0]!);
    assert.equal(header.organizationId, a.organizationId);
    assert.equal(lines.length - 1, header.toSeq - header.fromSeq + 1);
    assert.ok(!res.body.includes(b.organizationId), "never another organization's events");

    const dir = await mkdtemp(join(tmpdir(), 'aim-export-'));
    try {
      const file = join(dir, 'export.ndjson');
      await writeFile(file, res.body);
      const good = await runVerifier(file);
      assert.equal(good.code, 0, good.output);
      assert.match(good.output, new RegExp(`^intact: ${lines.length - 1} events`));

      const altered = [...lines];
      const victim = JSON.parse(altered[7]!);
      victim.details = { ...victim.details, injected: true };
      altered[7] = JSON.stringify(victim);
      await writeFile(file, `${altered.join('\n')}\n`);
      const bad = await runVerifier(file);
      assert.equal(bad.code, 1, bad.output);
      assert.match(bad.output, new RegExp(`^BROKEN at seq ${victim.seq}: `));

      await writeFile(file, `${lines.slice(0, -2).join('\n')}\n`);
      const cut = await runVerifier(file);
      assert.equal(cut.code, 1);
      assert.match(cut.output, /missing from the end/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exports CSV with a header row and one row per event, formulas defused', async () => {
    await rename(t, a, '=HYPERLINK("http://evil")');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export?format=csv', headers: a.as.admin.apiKey });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    const rows = res.body.trim().split('\r\n');
    assert.equal(rows[0], 'seq,id,hash,occurred_at,actor_type,actor_id,action,target_type,target_id,outcome,request_id,client_ip,user_agent,details');
    assert.ok(rows.length > 20);
    assert.ok(!res.body.includes(',=HYPERLINK'), 'a cell never starts with =');
    const recorded = (await list(a, '?action=audit.export')).json().events;
    assert.ok(recorded.length >= 2, 'exports are recorded');
  });

  it('signs checkpoints with a published key, which catch a chain rewritten end to end and a cut tail', async () => {
    const org = await seedOrganization(t, 'Checkpoint');
    for (let i = 0; i < 5; i++) await rename(t, org, `K${i}`);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.manager.apiKey });
    assert.equal(created.statusCode, 201, created.body);
    const checkpoint = created.json();
    const keys = (await t.app.inject({ method: 'GET', url: '/.well-known/aim-audit-keys.json' })).json();
    assert.ok(keys.keys.some((k: { kid: string; d?: string }) => k.kid === checkpoint.kid && k.d === undefined), 'public part only');
    assert.deepEqual(checkSignatures([checkpoint], keys), []);
    assert.equal(checkSignatures([{ ...checkpoint, seq: checkpoint.seq + 1 }], keys).length, 1, 'the signature covers the position');
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/checkpoints', headers: org.as.admin.apiKey })).json();
    assert.deepEqual(listed.checkpoints, [checkpoint]);
    const intact = (await verify(org)).json();
    assert.equal(intact.status, 'intact');
    assert.equal(intact.checkpoints, 1);

    // An intruder edits event 6 and re-hashes everything after it, head included: the chain alone still verifies.
    await rehashChain(owner, org.organizationId, (seq, details) => (seq === 6 ? { ...details, name: { from: 'x', to: 'forged' } } : details));
    const rewritten = (await verify(org)).json();
    assert.equal(rewritten.status, 'broken');
    assert.equal(rewritten.brokenAt, checkpoint.seq);
    assert.match(rewritten.reason, /rewritten/);

    // The offline verifier sees the same with the checkpoints and keys, and the plain chain check alone does not.
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export', headers: org.as.admin.apiKey });
    const dir = await mkdtemp(join(tmpdir(), 'aim-checkpoint-'));
    try {
      await writeFile(join(dir, 'export.ndjson'), exported.body);
      await writeFile(join(dir, 'checkpoints.json'), JSON.stringify(listed));
      await writeFile(join(dir, 'keys.json'), JSON.stringify(keys));
      const alone = await runVerifier(join(dir, 'export.ndjson'));
      assert.equal(alone.code, 0, alone.output);
      const withCheckpoints = await runVerifier(join(dir, 'export.ndjson'), ['--checkpoints', join(dir, 'checkpoints.json'), '--keys', join(dir, 'keys.json'), '--unpinned']);
      assert.equal(withCheckpoints.code, 1, withCheckpoints.output);
      assert.match(withCheckpoints.output, new RegExp(`BROKEN at seq ${checkpoint.seq}: checkpoint .*rewritten`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Cutting the tail and rewinding the head leaves the checkpoint beyond the end.
    const cut = await seedOrganization(t, 'Cut tail');
    for (let i = 0; i < 3; i++) await rename(t, cut, `T${i}`);
    const signed = (await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: cut.as.admin.apiKey })).json();
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query('select seq from audit_chain_heads where organization_id = $1 for update', [cut.organizationId]);
    await owner.query('delete from audit_events where organization_id = $1 and (seq >= $2 or seq is null)', [cut.organizationId, signed.seq - 1]);
    const newHead = (
      await owner.query('select seq, hash from audit_events where organization_id = $1 and seq is not null order by seq desc limit 1', [cut.organizationId])
    ).rows[0];
    await owner.query('update audit_chain_heads set seq = $2, hash = $3 where organization_id = $1', [cut.organizationId, newHead.seq, newHead.hash]);
    await owner.query('commit');
    const truncated = (await verify(cut)).json();
    assert.equal(truncated.status, 'broken');
    assert.match(truncated.reason, /missing from the end/);
  });

  /** As a superuser with triggers off (session_replication_role), the way an intruder with database access would. */
  async function tamper(sql: string, params: unknown[]) {
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query(sql, params);
    await owner.query('commit');
  }
  const chained = (org: SeededOrganization) => t.platform.auditSequencer.drain(org.organizationId);
  const seqOf = async (org: string, n: number) =>
    (await owner.query('select id, seq from audit_events where organization_id = $1 and seq = $2', [org, n])).rows[0];

  it('reports an edited event, with the first broken position', async () => {
    const org = await seedOrganization(t, 'Edit');
    for (let i = 0; i < 5; i++) await rename(t, org, `E${i}`);
    assert.equal((await verify(org)).json().status, 'intact');
    const victim = await seqOf(org.organizationId, 6);
    await tamper(`update audit_events set details = '{"name":{"to":"forged"}}' where id = $1`, [victim.id]);
    const res = (await verify(org)).json();
    assert.equal(res.status, 'broken');
    assert.equal(res.brokenAt, 6);
    assert.match(res.reason, /does not match its hash/);
    assert.equal((await verify(org, '?fromSeq=1&toSeq=5')).json().status, 'intact', 'the part before it still verifies');
  });

  it('reports a deleted event, reordered events and a truncated tail', async () => {
    const del = await seedOrganization(t, 'Delete');
    for (let i = 0; i < 4; i++) await rename(t, del, `D${i}`);
    await chained(del);
    await tamper('delete from audit_events where organization_id = $1 and seq = 3', [del.organizationId]);
    const deleted = (await verify(del)).json();
    assert.equal(deleted.status, 'broken');
    assert.equal(deleted.brokenAt, 3);
    assert.match(deleted.reason, /missing/);

    const swap = await seedOrganization(t, 'Swap');
    for (let i = 0; i < 4; i++) await rename(t, swap, `S${i}`);
    await chained(swap);
    const x = await seqOf(swap.organizationId, 4);
    const y = await seqOf(swap.organizationId, 5);
    await tamper('update audit_events set seq = case id when $1 then 5 else 4 end where id in ($1, $2)', [x.id, y.id]);
    const swapped = (await verify(swap)).json();
    assert.equal(swapped.status, 'broken');
    assert.equal(swapped.brokenAt, 4);

    const cut = await seedOrganization(t, 'Cut');
    for (let i = 0; i < 4; i++) await rename(t, cut, `C${i}`);
    await chained(cut);
    await tamper('delete from audit_events where organization_id = $1 and seq > 5', [cut.organizationId]);
    const truncated = (await verify(cut)).json();
    assert.equal(truncated.status, 'broken');
    assert.equal(truncated.brokenAt, 6);
    assert.match(truncated.reason, /missing from the end/);
  });
});
