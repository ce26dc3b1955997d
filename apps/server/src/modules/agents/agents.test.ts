import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { challenge, newAgentKey, proofFor, registerAgent, registration, signedInject } from '../../testing/agent-fixtures.js';

forEachTarget('agent registration', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const post = (headers: Record<string, string>, payload: object, url = '/api/v1/agents') =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload });
  const agentCount = async () => Number((await (await t.owner()).query('select count(*) from agents')).rows[0].count);

  it('registers an agent whose key proves possession, storing only the public key', async () => {
    const key = newAgentKey();
    const body = await registration(t, key, { name: 'invoice-bot', purpose: 'Reconcile invoices', tags: ['finance'], metadata: { team: 'ap' } });
    const res = await post(a.as.member.apiKey, body);
    assert.equal(res.statusCode, 201, res.body);
    const { agent } = res.json();
    assert.match(agent.id, /^agt_[0-9a-z]{26}$/);
    assert.equal(agent.organizationId, a.organizationId);
    assert.equal(agent.ownerId, a.as.member.userId, 'an API key registers for the person who created it');
    assert.equal(agent.status, 'active');
    // Registration answers the first score, computed from what a new agent has: a proven key, an owner,
    // its profile (purpose set, no data classification) and the registration itself (docs/trust-scoring.md).
    // Verification, security audit, compliance and last-verified are known (0.30 + 0.20 + 0.05 + 0.02).
    assert.equal(agent.trustConfidence, 0.57);
    const expected = ((0.3 * 1 + 0.2 * 1 + 0.05 * (2 / 3) + 0.02 * 1) / 0.57) * 100;
    assert.ok(Math.abs(agent.trustScore - expected) < 0.05, `score ${agent.trustScore}, expected about ${expected}`);
    assert.equal(agent.trustTier, 'medium', 'a high score on 57% of the weight is capped below high (which needs 60%)');
    assert.equal(agent.dataClassification, null);
    assert.deepEqual(agent.tags, ['finance']);
    assert.equal(agent.keys.length, 1);
    assert.equal(agent.keys[0].id, key.keyId);
    assert.deepEqual(agent.keys[0].publicKey, key.jwk);
    assert.equal(agent.keys[0].status, 'active');
    const owner = await t.owner();
    const stored = (await owner.query('select public_key from agent_keys where agent_id = $1', [agent.id])).rows;
    assert.equal(stored.length, 1);
    assert.equal(stored[0].public_key.length, 32);
    const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('hex');
    const dump = JSON.stringify((await owner.query('select * from agents, agent_keys where agents.id = agent_keys.agent_id')).rows);
    assert.ok(!dump.includes(pkcs8) && !dump.includes(key.privateKey.export({ format: 'jwk' }).d!), 'no private key material stored');
    await t.platform.auditSequencer.drain(a.organizationId);
    const events = (await owner.query(`select actor_type, details from audit_events where organization_id = $1 and action = 'agent.register'`, [a.organizationId])).rows;
    assert.equal(events.length, 1);
    assert.equal(events[0].actor_type, 'api_key');
    assert.equal(events[0].details.keyId, key.keyId);
  });

  it('refuses bad keys and bad proofs with their own codes, and creates nothing', async () => {
    const before = await agentCount();
    const key = newAgentKey();
    const cases: [string, (body: Record<string, unknown>) => Record<string, unknown>, number, string][] = [
      ['short raw key', (b) => ({ ...b, publicKey: 'AAAA' }), 400, 'validation_failed'],
      ['non-canonical raw key (y ≥ p)', (b) => ({ ...b, publicKey: Buffer.alloc(32, 0xff).toString('base64url').slice(0, 43) }), 400, 'invalid_public_key'],
      ['raw key not on the curve (y = 2)', (b) => ({ ...b, publicKey: Buffer.from([2, ...Array(31).fill(0)]).toString('base64url') }), 400, 'invalid_public_key'],
      ['identity point (small order)', (b) => ({ ...b, publicKey: Buffer.from([1, ...Array(31).fill(0)]).toString('base64url') }), 400, 'invalid_public_key'],
      ['point of order 2', (b) => ({ ...b, publicKey: Buffer.from([0xec, ...Array(30).fill(0xff), 0x7f]).toString('base64url') }), 400, 'invalid_public_key'],
      ['RSA key', (b) => ({ ...b, publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) }), 400, 'unsupported_key_type'],
      ['X25519 key', (b) => ({ ...b, publicKey: { kty: 'OKP', crv: 'X25519', x: key.x } }), 400, 'unsupported_key_type'],
      ['private JWK', (b) => ({ ...b, publicKey: key.privateKey.export({ format: 'jwk' }) }), 400, 'private_key_submitted'],
      ['proof by another key', (b) => ({ ...b, proof: proofFor(newAgentKey(), 'register', b.challenge as string) }), 400, 'invalid_proof'],
      ['proof for rotation', (b) => ({ ...b, proof: proofFor(key, 'rotate', b.challenge as string) }), 400, 'invalid_proof'],
      ['proof made for another server', (b) => ({ ...b, proof: proofFor(key, 'register', b.challenge as string, 'https://evil.example') }), 400, 'invalid_proof'],
      ['altered challenge', (b) => ({ ...b, challenge: `${(b.challenge as string).slice(0, -2)}AA` }), 400, 'invalid_challenge'],
    ];
    for (const [name, mutate, status, code] of cases) {
      const res = await post(a.as.member.apiKey, mutate(await registration(t, key)));
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.equal(res.json().error.code, code, name);
    }
    // A challenge is single use.
    const body = await registration(t, key);
    assert.equal((await post(a.as.member.apiKey, body)).statusCode, 201);
    const other = newAgentKey();
    const again = await post(a.as.member.apiKey, { ...body, name: 'second', publicKey: other.jwk, proof: proofFor(other, 'register', body.challenge) });
    assert.equal(again.json().error.code, 'invalid_challenge');
    assert.equal(await agentCount(), before + 1);
  });

  it('spends a registration challenge only when the registration commits', async () => {
    const existing = (await registerAgent(t, a.as.member.apiKey)).agent;
    const key = newAgentKey();
    const body = await registration(t, key);
    // Refused after the proof verified: a name in use, an owner the caller may not name.
    const taken = await post(a.as.member.apiKey, { ...body, name: existing.name });
    assert.equal(taken.json().error.code, 'conflict', taken.body);
    const notAllowed = await post(a.as.member.apiKey, { ...body, ownerId: a.as.admin.userId });
    assert.equal(notAllowed.json().error.code, 'forbidden', notAllowed.body);
    const ok = await post(a.as.member.apiKey, body);
    assert.equal(ok.statusCode, 201, ok.body);
    // Spent now: the same challenge with another key is refused.
    const other = newAgentKey();
    const again = await post(a.as.member.apiKey, { ...body, name: 'second-try', publicKey: other.jwk, proof: proofFor(other, 'register', body.challenge) });
    assert.equal(again.json().error.code, 'invalid_challenge', again.body);
  });

  it('lets exactly one of two concurrent registrations with one challenge win', async () => {
    const c = await challenge(t);
    const [k1, k2] = [newAgentKey(), newAgentKey()];
    const results = await Promise.all([
      post(a.as.member.apiKey, { name: 'same-challenge-1', publicKey: k1.jwk, challenge: c, proof: proofFor(k1, 'register', c) }),
      post(b.as.member.apiKey, { name: 'same-challenge-2', publicKey: k2.jwk, challenge: c, proof: proofFor(k2, 'register', c) }),
    ]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 400], results.map((r) => r.body).join(' '));
    assert.equal(results.find((r) => r.statusCode === 400)!.json().error.code, 'invalid_challenge');
    const rows = (await (await t.owner()).query('select count(*) from agent_keys where id = any($1)', [[k1.keyId, k2.keyId]])).rows;
    assert.equal(Number(rows[0].count), 1);
  });

  it('lets exactly one of two concurrent registrations of one key win', async () => {
    const key = newAgentKey();
    const [one, two] = await Promise.all([
      post(a.as.member.apiKey, await registration(t, key, { name: 'race-1' })),
      post(b.as.member.apiKey, await registration(t, key, { name: 'race-2' })),
    ]);
    const codes = [one.statusCode, two.statusCode].sort();
    assert.deepEqual(codes, [201, 409], `${one.body} ${two.body}`);
    const loser = one.statusCode === 409 ? one : two;
    assert.equal(loser.json().error.code, 'key_already_registered');
    const rows = (await (await t.owner()).query('select count(*) from agent_keys where id = $1', [key.keyId])).rows;
    assert.equal(Number(rows[0].count), 1);
  });

  it('needs member or above; a viewer cannot register', async () => {
    const res = await post(a.as.viewer.apiKey, await registration(t, newAgentKey()));
    assert.equal(res.statusCode, 403);
  });

  it('lets only managers and admins make someone else the owner', async () => {
    const byMember = await post(a.as.member.session, await registration(t, newAgentKey(), { ownerId: a.as.viewer.userId }));
    assert.equal(byMember.statusCode, 403);
    const byManager = await post(a.as.manager.session, await registration(t, newAgentKey(), { ownerId: a.as.viewer.userId }));
    assert.equal(byManager.statusCode, 201, byManager.body);
    assert.equal(byManager.json().agent.ownerId, a.as.viewer.userId);
    const outsider = await post(a.as.manager.session, await registration(t, newAgentKey(), { ownerId: b.as.member.userId }));
    assert.equal(outsider.statusCode, 400);
  });

  it('keeps names unique among live agents', async () => {
    const first = await post(a.as.member.apiKey, await registration(t, newAgentKey(), { name: 'Unique-Name' }));
    assert.equal(first.statusCode, 201);
    const second = await post(a.as.member.apiKey, await registration(t, newAgentKey(), { name: 'unique-name' }));
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().error.code, 'conflict');
  });

  describe('enrollment tokens', () => {
    const create = (headers: Record<string, string>, payload: object = {}) => post(headers, payload, '/api/v1/enrollment-tokens');
    const enroll = async (token: string, extra: Record<string, unknown> = {}) => {
      const key = newAgentKey();
      const c = await challenge(t);
      const res = await post({}, { enrollmentToken: token, publicKey: key.x, challenge: c, proof: proofFor(key, 'register', c), ...extra }, '/api/v1/agents/enroll');
      return { res, key };
    };

    it('lets an agent register itself once with a token, owned by the token owner', async () => {
      const created = await create(a.as.member.session, { name: 'self-enrolled', capabilities: ['db:read', 'email:send'], expiresInSeconds: 600 });
      assert.equal(created.statusCode, 201, created.body);
      const { token, enrollmentToken } = created.json();
      assert.match(token, /^aim_enr_[A-Za-z0-9_-]{43}$/);
      assert.ok(!JSON.stringify((await t.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: a.as.member.session })).json()).includes(token));
      const { res, key } = await enroll(token);
      assert.equal(res.statusCode, 201, res.body);
      const { agent } = res.json();
      assert.equal(agent.name, 'self-enrolled');
      assert.equal(agent.ownerId, a.as.member.userId);
      assert.deepEqual(agent.requestedCapabilities, ['db:read', 'email:send']);
      assert.equal(agent.enrolledWith, enrollmentToken.id);
      assert.equal(agent.keys[0].id, key.keyId);
      const me = await signedInject(t, key, { url: '/api/v1/agents/me' });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().agent.id, agent.id);
      const reuse = await enroll(token, { name: 'second' });
      assert.equal(reuse.res.statusCode, 400);
      assert.equal(reuse.res.json().error.code, 'invalid_enrollment_token');
      assert.match(reuse.res.json().error.message, /already used/);
      await t.platform.auditSequencer.drain(a.organizationId);
      const owner = await t.owner();
      const events = (await owner.query(`select actor_type, actor_id from audit_events where organization_id = $1 and action = 'agent.register' and target_id = $2`, [a.organizationId, agent.id])).rows;
      assert.deepEqual(events, [{ actor_type: 'agent', actor_id: agent.id }]);
    });

    it('refuses unknown, revoked and expired tokens, and concurrent reuse', async () => {
      assert.equal((await enroll(`aim_enr_${'A'.repeat(43)}`, { name: 'x' })).res.json().error.code, 'invalid_enrollment_token');
      assert.equal((await enroll('not-a-token', { name: 'x' })).res.json().error.code, 'invalid_enrollment_token');
      const revoked = (await create(a.as.member.session, { name: 'r' })).json();
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${revoked.enrollmentToken.id}`, headers: a.as.member.session });
      assert.equal(del.statusCode, 200);
      assert.match((await enroll(revoked.token)).res.json().error.message, /revoked/);
      const expired = (await create(a.as.member.session, { name: 'e' })).json();
      await (await t.owner()).query(`update enrollment_tokens set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where id = $1`, [expired.enrollmentToken.id]);
      assert.match((await enroll(expired.token)).res.json().error.message, /expired/);
      const raced = (await create(a.as.member.session, { name: 'raced' })).json();
      const results = await Promise.all([enroll(raced.token), enroll(raced.token, { name: 'raced-2' })]);
      assert.deepEqual(results.map((r) => r.res.statusCode).sort(), [201, 400]);
    });

    it('leaves the challenge unspent when the enrollment is refused', async () => {
      const revoked = (await create(a.as.member.session, { name: 'revoked-first' })).json();
      await t.app.inject({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${revoked.enrollmentToken.id}`, headers: a.as.member.session });
      const nameless = (await create(a.as.member.session, {})).json();
      const good = (await create(a.as.member.session, { name: 'enrolled-after-refusals' })).json();
      const key = newAgentKey();
      const c = await challenge(t);
      const body = { publicKey: key.x, challenge: c, proof: proofFor(key, 'register', c) };
      const byRevoked = await post({}, { ...body, enrollmentToken: revoked.token }, '/api/v1/agents/enroll');
      assert.match(byRevoked.json().error.message, /revoked/);
      const noName = await post({}, { ...body, enrollmentToken: nameless.token }, '/api/v1/agents/enroll');
      assert.equal(noName.json().error.code, 'validation_failed', noName.body);
      const enrolled = await post({}, { ...body, enrollmentToken: good.token }, '/api/v1/agents/enroll');
      assert.equal(enrolled.statusCode, 201, enrolled.body);
      // The nameless token was not spent by its refused use either.
      const unused = (await (await t.owner()).query('select used_at from enrollment_tokens where id = $1', [nameless.enrollmentToken.id])).rows;
      assert.equal(unused[0].used_at, null);
    });

    it('stops working when its owner leaves the organization, or the API key that created it is revoked', async () => {
      const people = await seedOrganization(t, 'Leavers');
      const byViewerOwner = (await create(people.as.manager.apiKey, { name: 'left', ownerId: people.as.viewer.userId })).json();
      const byKey = (await create(people.as.member.apiKey, { name: 'key-made' })).json();
      const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${people.as.viewer.userId}`, headers: people.as.admin.apiKey });
      assert.equal(removed.statusCode, 200, removed.body);
      const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${people.as.member.apiKeyId}`, headers: people.as.admin.apiKey });
      assert.equal(revoked.statusCode, 200, revoked.body);
      for (const token of [byViewerOwner.token, byKey.token]) {
        const { res } = await enroll(token);
        assert.equal(res.statusCode, 400, res.body);
        assert.match(res.json().error.message, /no longer be used/);
      }
      const unused = (await (await t.owner()).query('select count(*) from enrollment_tokens where id = any($1) and used_at is null', [[byViewerOwner.enrollmentToken.id, byKey.enrollmentToken.id]])).rows[0].count;
      assert.equal(Number(unused), 2, 'a refused enrollment spends nothing');
    });

    it("hides another member's tokens, and another organization's", async () => {
      const mine = (await create(a.as.member.session, { name: 'm' })).json();
      const otherOrg = await t.app.inject({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${mine.enrollmentToken.id}`, headers: b.as.admin.session });
      assert.equal(otherOrg.statusCode, 404);
      const viewerList = await t.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: a.as.viewer.session });
      assert.equal(viewerList.statusCode, 403);
      const managerList = await t.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: a.as.manager.session });
      assert.ok(managerList.json().enrollmentTokens.some((e: { id: string }) => e.id === mine.enrollmentToken.id));
    });
  });

  describe('reading and managing', () => {
    it('lists with filters, search and keyset pagination; another organization sees none of it', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await registerAgent(t, a.as.manager.apiKey, { name: `page-${i}`, tags: i % 2 ? ['odd'] : ['even'], ownerId: a.as.viewer.userId })).agent.id);
      const get = (headers: Record<string, string>, query: string) => t.app.inject({ method: 'GET', url: `/api/v1/agents?${query}`, headers });
      const first = await get(a.as.viewer.session, `ownerId=${a.as.viewer.userId}&q=page-&limit=2`);
      assert.equal(first.statusCode, 200, first.body);
      const p1 = first.json();
      assert.deepEqual(p1.agents.map((x: { id: string }) => x.id), [ids[4], ids[3]]);
      const p2 = (await get(a.as.viewer.session, `ownerId=${a.as.viewer.userId}&q=page-&limit=2&cursor=${p1.nextCursor}`)).json();
      const p3 = (await get(a.as.viewer.session, `ownerId=${a.as.viewer.userId}&q=page-&limit=2&cursor=${p2.nextCursor}`)).json();
      assert.deepEqual([...p2.agents, ...p3.agents].map((x: { id: string }) => x.id), [ids[2], ids[1], ids[0]]);
      assert.equal(p3.nextCursor, null);
      const odd = (await get(a.as.viewer.session, `tag=odd&ownerId=${a.as.viewer.userId}`)).json();
      assert.deepEqual(odd.agents.map((x: { id: string }) => x.id), [ids[3], ids[1]]);
      const searched = (await get(a.as.viewer.session, 'q=PAGE-3')).json();
      assert.deepEqual(searched.agents.map((x: { id: string }) => x.id), [ids[3]]);
      assert.equal((await get(a.as.viewer.session, 'q=%25')).json().agents.length, 0, 'a % in q is literal');
      assert.equal((await get(a.as.viewer.session, 'trustTier=medium&limit=200')).json().agents.length >= 5, true);
      assert.equal((await get(b.as.admin.session, 'q=page')).json().agents.length, 0);
      assert.equal((await get(a.as.viewer.session, 'status=bogus')).statusCode, 400);
      const chosen = (await get(a.as.viewer.session, `ids=${ids[0]},${ids[3]}`)).json();
      assert.deepEqual(chosen.agents.map((x: { id: string }) => x.id), [ids[3], ids[0]], 'only the agents asked for');
      assert.equal((await get(b.as.admin.session, `ids=${ids[0]}`)).json().agents.length, 0, "another organization's id names nothing");
      const badIds = await get(a.as.viewer.session, 'ids=agt_x,drop');
      assert.equal(badIds.statusCode, 400);
      assert.equal(badIds.json().error.code, 'validation_failed');
      const detail = await t.app.inject({ method: 'GET', url: `/api/v1/agents/${ids[0]}`, headers: b.as.admin.apiKey });
      assert.equal(detail.statusCode, 404);
    });

    it('shows an agent with keys, status history and recent activity', async () => {
      const { agent } = await registerAgent(t, a.as.member.apiKey);
      await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/suspend`, headers: { ...a.as.member.apiKey, 'content-type': 'application/json' }, payload: { reason: 'check' } });
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: a.as.viewer.apiKey });
      assert.equal(res.statusCode, 200, res.body);
      const detail = res.json();
      assert.equal(detail.agent.status, 'suspended');
      assert.deepEqual(detail.statusHistory.map((h: { from: string | null; to: string }) => [h.from, h.to]), [['active', 'suspended'], [null, 'active']]);
      assert.equal(detail.statusHistory[0].reason, 'check');
      assert.deepEqual(detail.recentActivity.map((e: { action: string }) => e.action), ['agent.trust_change', 'agent.suspend', 'agent.trust_change', 'agent.register']);
    });

    it('lets owners, managers and admins change an agent, and no one else', async () => {
      const { agent } = await registerAgent(t, a.as.member.session);
      const patch = (headers: Record<string, string>, payload: object) =>
        t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${agent.id}`, headers: { ...headers, 'content-type': 'application/json' }, payload });
      assert.equal((await patch(a.as.member.session, { purpose: 'Nightly reconciliation' })).json().agent.purpose, 'Nightly reconciliation');
      const stranger = await seedOrganization(t, 'C');
      assert.equal((await patch(stranger.as.admin.session, { purpose: 'x' })).statusCode, 404);
      const otherMember = (await registerAgent(t, a.as.manager.session, { ownerId: a.as.manager.userId })).agent;
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${otherMember.id}/suspend`, headers: a.as.member.session });
      assert.equal(res.statusCode, 403);
      assert.equal((await patch(a.as.member.session, { ownerId: a.as.viewer.userId })).statusCode, 403);
      assert.equal((await patch(a.as.manager.session, { ownerId: a.as.viewer.userId })).json().agent.ownerId, a.as.viewer.userId);
      assert.equal((await patch(a.as.viewer.session, { purpose: 'x' })).statusCode, 403);
      assert.equal((await patch(a.as.manager.session, {})).statusCode, 400);
    });
  });
});
