import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { MAX_ACTIVE_MCP_SERVER_KEYS } from '@aim/contracts';
import { mcpServerKeyProof } from '@aim/sdk';
import { challenge, newAgentKey, proofFor, registration, type TestAgentKey } from '../../../testing/agent-fixtures.js';
import { insertMcpServer } from '../../../testing/mcp-rows.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';

/** Keys of MCP servers: proof of possession (docs/mcp.md, "Identity"), listing, revocation, roles, tenancy. */
forEachTarget('mcp server keys', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let origin: string;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    origin = t.platform.publicOrigin.baseUrl;
  });
  after(() => t?.close());

  let serial = 0;
  const server = (org: SeededOrganization, ownerRole: 'member' | 'manager' = 'member', extra: { command?: string; status?: string } = {}) =>
    insertMcpServer(t, org.organizationId, { name: `keys-${++serial}`, ownerId: org.as[ownerRole].userId, ...extra });
  /** The proof exactly as docs/mcp.md writes it, signed with node:crypto (not the SDK). */
  const proof = (key: TestAgentKey, purpose: string, c: string, at = origin) =>
    sign(null, Buffer.from(`aim-proof-of-possession-v1\n${purpose}\n${at}\n${c}\n${key.keyId}`), key.privateKey).toString('base64url');
  const post = (url: string, headers: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
  const body = async (mcpServerId: string, key = newAgentKey(), purpose = `mcp-server-key:${mcpServerId}`) => {
    const c = await challenge(t);
    return { key, payload: { publicKeyJwk: key.jwk, challenge: c, proof: proof(key, purpose, c) } };
  };
  const addKey = async (mcpServerId: string, headers = a.as.member.apiKey, key = newAgentKey()) => {
    const { payload } = await body(mcpServerId, key);
    const res = await post(`/api/v1/mcp-servers/${mcpServerId}/keys`, headers, payload);
    assert.equal(res.statusCode, 201, res.body);
    return { key, json: res.json().key };
  };
  const auditOf = async (organizationId: string, targetId: string) => {
    await t.platform.auditSequencer.drain(organizationId);
    const { rows } = await (await t.owner()).query(
      `select action, actor_type, details from audit_events where organization_id = $1 and target_type = 'mcp_server' and target_id = $2 order by occurred_at, id`,
      [organizationId, targetId],
    );
    return rows as { action: string; actor_type: string; details: Record<string, unknown> }[];
  };
  const errorOf = (res: { statusCode: number; json(): { error: { code: string } } }) => [res.statusCode, res.json().error.code];

  it('registers a key proven for this server, answers and lists it, audits it, and spends the challenge', async () => {
    const id = await server(a);
    const { key, payload } = await body(id);
    const res = await post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.session, payload);
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json().key;
    assert.deepEqual(
      { ...created, createdAt: undefined },
      { id: key.keyId, mcpServerId: id, publicKeyJwk: key.jwk, status: 'active', createdBy: { type: 'user', id: a.as.member.userId }, createdAt: undefined, revokedAt: null, revokedReason: null },
    );
    const listed = await get(`/api/v1/mcp-servers/${id}/keys`, a.as.viewer.apiKey);
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(listed.json(), { keys: [created], nextCursor: null });
    assert.deepEqual((await auditOf(a.organizationId, id)).map((e) => [e.action, e.actor_type, e.details.keyId]), [['mcp_server.register_key', 'user', key.keyId]]);

    const replayed = await post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.session, { ...payload, publicKeyJwk: newAgentKey().jwk });
    assert.deepEqual(errorOf(replayed), [400, 'invalid_proof'], 'another key cannot ride on the proof');
    const again = await post(`/api/v1/mcp-servers/${await server(a)}/keys`, a.as.member.session, payload);
    assert.deepEqual(errorOf(again), [400, 'invalid_proof'], 'the proof names the server it was made for');
    const sameServer = await post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.session, payload);
    assert.deepEqual(errorOf(sameServer), [400, 'invalid_challenge'], 'a spent challenge is refused');
  });

  it('refuses proofs made for another purpose, origin, challenge or key, and a refused request leaves the challenge usable', async () => {
    const id = await server(a);
    const key = newAgentKey();
    const c = await challenge(t);
    const attempt = (p: string, extra: Record<string, unknown> = {}) => post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.apiKey, { publicKeyJwk: key.jwk, challenge: c, proof: p, ...extra });
    for (const [label, p] of [
      ['an agent registration proof', proofFor(key, 'register', c, origin)],
      ['an agent rotation proof', proofFor(key, 'rotate', c, origin)],
      ['a bare purpose without the server', proof(key, 'mcp-server-key', c)],
      ['another origin', proof(key, `mcp-server-key:${id}`, c, 'https://evil.example')],
      ['another challenge', proof(key, `mcp-server-key:${id}`, await challenge(t))],
      ['another key', proof(newAgentKey(), `mcp-server-key:${id}`, c)],
    ] as const) {
      assert.deepEqual(errorOf(await attempt(p)), [400, 'invalid_proof'], label);
    }
    assert.deepEqual(errorOf(await attempt(proof(key, `mcp-server-key:${id}`, c), { challenge: `${c.slice(0, -2)}AA` })), [400, 'invalid_challenge']);
    const ok = await attempt(mcpServerKeyProof({ privateKey: key.privateKey }, id, origin, c));
    assert.equal(ok.statusCode, 201, `the SDK's proof, on the challenge the refusals left unspent: ${ok.body}`);

    // The other way round: a server key proof does not register an agent.
    const agentKey = newAgentKey();
    const agentBody = await registration(t, agentKey);
    const asAgent = await post('/api/v1/agents', a.as.admin.apiKey, { ...agentBody, proof: proof(agentKey, `mcp-server-key:${id}`, agentBody.challenge) });
    assert.deepEqual(errorOf(asAgent), [400, 'invalid_proof']);
  });

  it('refuses a key registered anywhere already: another server, an agent, another organization', async () => {
    const first = await server(a);
    const { key } = await addKey(first);
    const other = await server(a);
    const fresh = await body(other, key);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${other}/keys`, a.as.member.apiKey, fresh.payload)), [409, 'key_already_registered']);
    const inB = await server(b);
    const inBBody = await body(inB, key);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${inB}/keys`, b.as.member.apiKey, inBBody.payload)), [409, 'key_already_registered']);

    const agentKey = newAgentKey();
    const registered = await post('/api/v1/agents', a.as.admin.apiKey, await registration(t, agentKey));
    assert.equal(registered.statusCode, 201, registered.body);
    const withAgentKey = await body(other, agentKey);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${other}/keys`, a.as.member.apiKey, withAgentKey.payload)), [409, 'key_already_registered']);
    const withPrivate = await body(other);
    const leaked = await post(`/api/v1/mcp-servers/${other}/keys`, a.as.member.apiKey, { ...withPrivate.payload, publicKeyJwk: { ...withPrivate.key.jwk, d: 'x'.repeat(43) } });
    assert.deepEqual(errorOf(leaked), [400, 'private_key_submitted']);
    const listed = await get(`/api/v1/mcp-servers/${other}/keys`, a.as.member.apiKey);
    assert.deepEqual(listed.json().keys, [], 'nothing was stored by the refusals');
  });

  it(`holds at most ${MAX_ACTIVE_MCP_SERVER_KEYS} active keys; revoking one makes room; lists page newest first`, async () => {
    const id = await server(a);
    const added = [];
    for (let i = 0; i < MAX_ACTIVE_MCP_SERVER_KEYS; i++) added.push((await addKey(id)).json);
    const extra = await body(id);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.apiKey, extra.payload)), [409, 'conflict']);
    const revoked = await post(`/api/v1/mcp-servers/${id}/keys/${added[0].id}/revoke`, a.as.member.apiKey, { reason: 'retired' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    const retry = await post(`/api/v1/mcp-servers/${id}/keys`, a.as.member.apiKey, extra.payload);
    assert.equal(retry.statusCode, 201, `the refused request left its challenge usable: ${retry.body}`);

    const first = (await get(`/api/v1/mcp-servers/${id}/keys?limit=4`, a.as.viewer.apiKey)).json();
    const second = (await get(`/api/v1/mcp-servers/${id}/keys?limit=4&cursor=${first.nextCursor}`, a.as.viewer.apiKey)).json();
    assert.equal(second.nextCursor, null);
    const all = [...first.keys, ...second.keys].map((k: { id: string }) => k.id);
    assert.deepEqual(all, [extra.key.keyId, ...added.map((k) => k.id).reverse()], 'newest first, every key once');
    const onlyRevoked = (await get(`/api/v1/mcp-servers/${id}/keys?status=revoked`, a.as.viewer.apiKey)).json();
    assert.deepEqual(onlyRevoked.keys.map((k: { id: string; status: string; revokedReason: string }) => [k.id, k.status, k.revokedReason]), [[added[0].id, 'revoked', 'retired']]);
  });

  it('revokes a key once, with its audit event; an unknown key is 404', async () => {
    const id = await server(a);
    const { json } = await addKey(id);
    const res = await post(`/api/v1/mcp-servers/${id}/keys/${json.id}/revoke`, a.as.manager.apiKey, {});
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().key.status, 'revoked');
    assert.ok(res.json().key.revokedAt);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys/${json.id}/revoke`, a.as.manager.apiKey, {})), [409, 'conflict']);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys/${newAgentKey().keyId}/revoke`, a.as.manager.apiKey, {})), [404, 'not_found']);
    const events = await auditOf(a.organizationId, id);
    assert.deepEqual(events.map((e) => [e.action, e.actor_type, e.details.keyId]), [
      ['mcp_server.register_key', 'api_key', json.id],
      ['mcp_server.revoke_key', 'api_key', json.id],
    ]);
  });

  it('lets owners, managers and admins change keys; viewers and other members are refused; another organization is 404', async () => {
    const id = await server(a, 'member');
    const viewer = await body(id);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys`, a.as.viewer.apiKey, viewer.payload)), [403, 'forbidden']);
    const managers = await server(a, 'manager');
    const member = await body(managers);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${managers}/keys`, a.as.member.apiKey, member.payload)), [403, 'forbidden'], "a member on another's server");
    await addKey(id, a.as.manager.apiKey);
    const { json } = await addKey(id, a.as.admin.session);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys/${json.id}/revoke`, a.as.viewer.apiKey, {})), [403, 'forbidden']);
    const onManagers = await addKey(managers, a.as.manager.apiKey);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${managers}/keys/${onManagers.json.id}/revoke`, a.as.member.apiKey, {})), [403, 'forbidden']);

    const fromB = await body(id);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys`, b.as.admin.apiKey, fromB.payload)), [404, 'not_found']);
    assert.deepEqual(errorOf(await get(`/api/v1/mcp-servers/${id}/keys`, b.as.admin.apiKey)), [404, 'not_found']);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${id}/keys/${json.id}/revoke`, b.as.admin.apiKey, {})), [404, 'not_found']);
    const stillActive = (await get(`/api/v1/mcp-servers/${id}/keys`, a.as.viewer.apiKey)).json().keys;
    assert.ok(stillActive.every((k: { status: string }) => k.status === 'active'), 'no refused call changed a key');
  });

  it('refuses keys for stdio servers and revoked servers', async () => {
    const stdio = await server(a, 'member', { command: 'npx -y some-mcp-server' });
    const one = await body(stdio);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${stdio}/keys`, a.as.member.apiKey, one.payload)), [409, 'conflict']);
    const revoked = await server(a, 'member', { status: 'revoked' });
    const two = await body(revoked);
    assert.deepEqual(errorOf(await post(`/api/v1/mcp-servers/${revoked}/keys`, a.as.member.apiKey, two.payload)), [409, 'conflict']);
  });
});
