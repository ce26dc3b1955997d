import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { forEachTarget } from '../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { agentToken, challenge, newAgentKey, proofFor, registerAgent, signedHeaders, signedInject, type TestAgentKey } from '../../testing/agent-fixtures.js';

/** Agent tokens, JWKS, introspection, lifecycle and key rotation (docs/agent-identity.md §5–7). */
forEachTarget('agent tokens and lifecycle', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let other: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t, 'A');
    other = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const jwks = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(res.statusCode, 200);
    return res.json() as { keys: { kid: string; kty: string; crv: string; d?: string }[] };
  };
  const introspect = (token: string, headers = org.as.viewer.apiKey) =>
    t.app.inject({ method: 'POST', url: '/api/v1/oauth/introspect', headers: { ...headers, 'content-type': 'application/json' }, payload: { token } });
  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers });
  const lifecycle = (agentId: string, step: string, headers = org.as.manager.apiKey) =>
    t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/${step}`, headers: { ...headers, 'content-type': 'application/json' }, payload: { reason: `test ${step}` } });

  it('issues a short-lived EdDSA token that verifies offline against the JWKS', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const token = await agentToken(t, key);
    const set = await jwks();
    assert.ok(set.keys.length >= 1 && set.keys.every((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && k.d === undefined));
    const issuer = t.platform.agentTokens.issuer;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(set as never), { issuer, audience: issuer, algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.sub, agent.id);
    assert.equal(payload.org, org.organizationId);
    assert.equal(payload.status, 'active');
    assert.equal(payload.trust_tier, 'medium', 'the tier of the first score, computed at registration');
    assert.deepEqual(payload.cnf, { jkt: key.keyId });
    assert.equal(payload.exp! - payload.iat!, 600);
    assert.equal(typeof payload.jti, 'string');
    const used = await me({ authorization: `Bearer ${token}` });
    assert.equal(used.statusCode, 200, used.body);
    assert.equal(used.json().agent.id, agent.id);
    const identity = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/agents/me/identity', headers });
    assert.deepEqual((await identity({ authorization: `Bearer ${token}` })).json(), {
      agentId: agent.id,
      organizationId: org.organizationId,
      keyId: key.keyId,
      status: 'active',
      trustTier: 'medium',
      authenticatedBy: 'token',
    });
    // The verified token is remembered, but never beyond what it allows: state is checked on every use.
    assert.equal((await identity({ authorization: `Bearer ${token}` })).statusCode, 200);
    const signedIdentity = await signedInject(t, key, { url: '/api/v1/agents/me/identity' });
    assert.equal(signedIdentity.json().authenticatedBy, 'signature');
    const live = (await introspect(token)).json();
    assert.equal(live.active, true);
    assert.equal(live.sub, agent.id);
    assert.equal(live.status, 'active');
  });

  it('issues tokens for an audience the organization allows, which AIM itself does not accept', async () => {
    const { key } = await registerAgent(t, org.as.member.apiKey);
    const body = JSON.stringify({ grant_type: 'client_credentials', audience: 'https://billing.example.com' });
    const refused = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error.code, 'audience_not_allowed');
    const patch = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/v1/organization',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: { agentTokenAudiences: ['https://billing.example.com'] },
      });
    assert.equal((await patch(org.as.manager.apiKey)).statusCode, 403, 'admins decide');
    const allowed = await patch(org.as.admin.apiKey);
    assert.deepEqual(allowed.json().agentTokenAudiences, ['https://billing.example.com']);
    // Another organization's allowance does not count.
    const stranger = await registerAgent(t, other.as.member.apiKey);
    const elsewhere = await signedInject(t, stranger.key, { method: 'POST', url: '/api/v1/oauth/token', body });
    assert.equal(elsewhere.json().error.code, 'audience_not_allowed');
    const token = await agentToken(t, key, 'https://billing.example.com');
    assert.equal((await me({ authorization: `Bearer ${token}` })).statusCode, 401);
    const live = (await introspect(token)).json();
    assert.equal(live.active, true);
    assert.equal(live.aud, 'https://billing.example.com');
  });

  it('audits every token it issues (jti, audience, expiry, keys; never the token), and no refused request', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const issued = async () => {
      await t.platform.auditSequencer.drain(org.organizationId);
      return (
        await (await t.owner()).query<{ actor_type: string; actor_id: string; target_id: string; request_id: string; details: Record<string, unknown> }>(
          `select actor_type, actor_id, target_id, request_id, details from audit_events where organization_id = $1 and action = 'agent.token_issued' and target_id = $2 order by seq`,
          [org.organizationId, agent.id],
        )
      ).rows;
    };
    const refused = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body: JSON.stringify({ grant_type: 'client_credentials', audience: 'https://not-listed.example.com' }) });
    assert.equal(refused.json().error.code, 'audience_not_allowed');
    assert.deepEqual(await issued(), [], 'a refused token request records nothing');

    const res = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body: JSON.stringify({ grant_type: 'client_credentials' }) });
    assert.equal(res.statusCode, 200, res.body);
    const token = res.json().access_token as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number; aud: string };
    const issuer = t.platform.agentTokens.issuer;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId })
      .setIssuer(agent.id)
      .setSubject(agent.id)
      .setAudience(`${issuer}/api/v1/oauth/token`)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(key.privateKey);
    const byAssertion = await t.app.inject({
      method: 'POST',
      url: '/api/v1/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion },
    });
    assert.equal(byAssertion.statusCode, 200, byAssertion.body);

    const events = await issued();
    assert.equal(events.length, 2);
    const [first, second] = events;
    assert.equal(first!.actor_type, 'agent');
    assert.equal(first!.actor_id, agent.id);
    assert.equal(first!.request_id, res.headers['x-request-id']);
    assert.deepEqual(first!.details, {
      jti: claims.jti,
      audience: issuer,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      keyId: key.keyId,
      signingKeyId: decodeProtectedHeader(token).kid,
      authenticatedBy: 'signature',
    });
    assert.equal(second!.details.authenticatedBy, 'client_assertion');
    assert.notEqual(second!.details.jti, claims.jti);
    const stored = JSON.stringify(events);
    assert.ok(!stored.includes(token) && !stored.includes(token.split('.')[2]!), 'the token itself is never recorded');
  });

  it('exchanges an RFC 7523 client assertion (form body) once', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const issuer = t.platform.agentTokens.issuer;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId })
      .setIssuer(agent.id)
      .setSubject(agent.id)
      .setAudience(`${issuer}/api/v1/oauth/token`)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(key.privateKey);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    const send = () => t.app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
    const res = await send();
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().token_type, 'Bearer');
    const replay = await send();
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'invalid_client_assertion');
    const longLived = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId })
      .setIssuer(agent.id)
      .setSubject(agent.id)
      .setAudience(issuer)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key.privateKey);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: longLived },
    });
    assert.equal(refused.json().error.code, 'invalid_client_assertion');
    const unsigned = await t.app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials' } });
    assert.equal(unsigned.statusCode, 401);
  });

  it('suspends, reactivates and revokes at once, for signed requests, tokens and introspection', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const token = await agentToken(t, key);
    assert.equal((await signedInject(t, key, { url: '/api/v1/agents/me' })).statusCode, 200, 'cached as active');
    assert.equal((await me({ authorization: `Bearer ${token}` })).statusCode, 200);

    assert.equal((await lifecycle(agent.id, 'suspend')).json().agent.status, 'suspended');
    const signed = await signedInject(t, key, { url: '/api/v1/agents/me' });
    assert.equal(signed.statusCode, 403);
    assert.equal(signed.json().error.code, 'agent_suspended');
    assert.equal((await me({ authorization: `Bearer ${token}` })).json().error.code, 'agent_suspended');
    assert.deepEqual((await introspect(token)).json(), { active: false });
    const tokenRequest = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body: '{"grant_type":"client_credentials"}' });
    assert.equal(tokenRequest.statusCode, 403, 'no new tokens while suspended');

    assert.equal((await lifecycle(agent.id, 'reactivate')).json().agent.status, 'active');
    assert.equal((await me({ authorization: `Bearer ${token}` })).statusCode, 200);
    assert.equal((await introspect(token)).json().active, true);

    assert.equal((await lifecycle(agent.id, 'revoke')).json().agent.status, 'revoked');
    assert.equal((await me({ authorization: `Bearer ${token}` })).json().error.code, 'agent_revoked');
    assert.deepEqual((await introspect(token)).json(), { active: false });
    const again = await lifecycle(agent.id, 'reactivate');
    assert.equal(again.statusCode, 409);
    assert.match(again.json().error.message, /final/);

    await t.platform.auditSequencer.drain(org.organizationId);
    const owner = await t.owner();
    const actions = (await owner.query(`select action from audit_events where organization_id = $1 and target_id = $2 order by seq`, [org.organizationId, agent.id])).rows.map((r) => r.action);
    // Each status change rescores the agent in its own transaction (a suspended or revoked agent's verification factor is 0).
    assert.deepEqual(actions, [
      'agent.register',
      'agent.trust_change',
      'agent.token_issued',
      'agent.suspend',
      'agent.trust_change',
      'agent.reactivate',
      'agent.trust_change',
      'agent.revoke',
      'agent.trust_change',
    ]);
  });

  it("answers inactive for another organization's token, and 404 for its agents", async () => {
    const { key, agent } = await registerAgent(t, other.as.member.apiKey);
    const token = await agentToken(t, key);
    assert.deepEqual((await introspect(token)).json(), { active: false });
    assert.equal((await introspect(token, other.as.viewer.apiKey)).json().active, true);
    assert.equal((await lifecycle(agent.id, 'suspend')).statusCode, 404);
    assert.deepEqual((await introspect('not-a-token')).json(), { active: false });
  });

  it('rotates keys with both signatures, honours the overlap, then closes it', async () => {
    const { key: oldKey, agent } = await registerAgent(t, org.as.member.apiKey);
    const oldToken = await agentToken(t, oldKey);
    const newKey = newAgentKey();
    const rotate = async (signer: TestAgentKey, next: TestAgentKey, overlapSeconds: number, proofKey = next) => {
      const c = await challenge(t);
      const body = JSON.stringify({ publicKey: next.jwk, challenge: c, proof: proofFor(proofKey, 'rotate', c), overlapSeconds });
      return signedInject(t, signer, { method: 'POST', url: '/api/v1/agents/me/keys', body });
    };
    // The new key must prove possession too.
    const unproven = await rotate(oldKey, newKey, 1, newAgentKey());
    assert.equal(unproven.json().error.code, 'invalid_proof');
    // An overlap long enough that a loaded machine still asks for the bounded token below inside it
    // (a token is refused when it could not outlive the key by a whole second).
    const res = await rotate(oldKey, newKey, 3);
    assert.equal(res.statusCode, 201, res.body);
    const keys = res.json().agent.keys as { id: string; status: string; expiresAt: string | null }[];
    assert.deepEqual(keys.map((k) => [k.id, k.status]).sort(), [[newKey.keyId, 'active'], [oldKey.keyId, 'rotating_out']].sort());
    // Inside the overlap both keys work.
    assert.equal((await signedInject(t, oldKey, { url: '/api/v1/agents/me' })).statusCode, 200);
    assert.equal((await signedInject(t, newKey, { url: '/api/v1/agents/me' })).statusCode, 200);
    // A token from the old key never outlives the overlap.
    const bounded = await agentToken(t, oldKey);
    const { payload } = await jwtVerify(bounded, createLocalJWKSet((await jwks()) as never), { issuer: t.platform.agentTokens.issuer });
    assert.ok(payload.exp! <= Math.ceil(Date.parse(keys.find((k) => k.id === oldKey.keyId)!.expiresAt!) / 1000));
    const overlapEnd = Date.parse(keys.find((k) => k.id === oldKey.keyId)!.expiresAt!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, overlapEnd - Date.now()) + 100));
    const closed = await signedInject(t, oldKey, { url: '/api/v1/agents/me' });
    assert.equal(closed.statusCode, 401);
    assert.equal(closed.json().error.code, 'key_expired');
    assert.equal((await me({ authorization: `Bearer ${oldToken}` })).json().error.code, 'key_expired');
    assert.deepEqual((await introspect(oldToken)).json(), { active: false });
    assert.equal((await signedInject(t, newKey, { url: '/api/v1/agents/me' })).statusCode, 200);
    // A key retired by a rotation cannot rotate again.
    assert.equal((await rotate(oldKey, newAgentKey(), 0)).json().error.code, 'key_expired');
    // Overlap 0 cuts the previous key at once.
    const third = newAgentKey();
    assert.equal((await rotate(newKey, third, 0)).statusCode, 201);
    assert.equal((await signedInject(t, newKey, { url: '/api/v1/agents/me' })).json().error.code, 'key_expired');
    assert.equal((await signedInject(t, third, { url: '/api/v1/agents/me' })).statusCode, 200);
    await t.platform.auditSequencer.drain(org.organizationId);
    const rotations = (await (await t.owner()).query(`select details from audit_events where organization_id = $1 and target_id = $2 and action = 'agent.rotate_key' order by seq`, [org.organizationId, agent.id])).rows;
    assert.equal(rotations.length, 2);
    assert.deepEqual(rotations[0].details.previousKeyIds, [oldKey.keyId]);
  });

  it('refuses a token that could not outlive its key by a whole second, instead of issuing one that is already expired', async () => {
    const endOfThisSecond = Math.floor(Date.now() / 1000) * 1000 + 999;
    await assert.rejects(
      t.platform.agentTokens.issue({ agentId: 'agt_x', organizationId: org.organizationId, keyId: 'k', status: 'active', trustTier: 'unscored', notAfterMs: endOfThisSecond }),
      (error: { code?: string }) => error.code === 'key_expired',
    );
  });

  it('revokes a single key at once', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const token = await agentToken(t, key);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/keys/${key.keyId}/revoke`, headers: org.as.member.apiKey });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().agent.keys[0].status, 'revoked');
    assert.equal((await signedInject(t, key, { url: '/api/v1/agents/me' })).json().error.code, 'key_revoked');
    assert.equal((await me({ authorization: `Bearer ${token}` })).json().error.code, 'key_revoked');
    await lifecycle(agent.id, 'revoke');
    const newKey = (await registerAgent(t, org.as.member.apiKey)).key;
    const onRevoked = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/keys/${newKey.keyId}/revoke`, headers: org.as.member.apiKey });
    assert.equal(onRevoked.statusCode, 409, 'a revoked agent is final');
  });

  it('lets only the current key rotate: not a token, not a key already replaced', async () => {
    const { key: first } = await registerAgent(t, org.as.member.apiKey);
    const token = await agentToken(t, first);
    const attacker = newAgentKey();
    const c = await challenge(t);
    const body = JSON.stringify({ publicKey: attacker.jwk, challenge: c, proof: proofFor(attacker, 'rotate', c), overlapSeconds: 0 });
    const byToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/me/keys',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: body,
    });
    assert.equal(byToken.statusCode, 403, byToken.body);
    assert.equal(byToken.json().error.code, 'forbidden');
    // The owner rotates first → second (a long overlap, say after first leaked)...
    const second = newAgentKey();
    const c2 = await challenge(t);
    const rotated = await signedInject(t, first, {
      method: 'POST',
      url: '/api/v1/agents/me/keys',
      body: JSON.stringify({ publicKey: second.jwk, challenge: c2, proof: proofFor(second, 'rotate', c2), overlapSeconds: 3600 }),
    });
    assert.equal(rotated.statusCode, 201, rotated.body);
    // ...and first, still inside its overlap, cannot cut second off.
    const c3 = await challenge(t);
    const hijack = await signedInject(t, first, {
      method: 'POST',
      url: '/api/v1/agents/me/keys',
      body: JSON.stringify({ publicKey: attacker.jwk, challenge: c3, proof: proofFor(attacker, 'rotate', c3), overlapSeconds: 0 }),
    });
    assert.equal(hijack.statusCode, 403, hijack.body);
    assert.equal((await signedInject(t, second, { url: '/api/v1/agents/me' })).statusCode, 200);
    assert.equal((await signedInject(t, attacker, { url: '/api/v1/agents/me' })).json().error.code, 'unknown_key');
  });

  it('spends a rotation challenge only when the rotation commits: a refused rotation leaves it usable (§2, §6)', async () => {
    const { key: first, agent } = await registerAgent(t, org.as.member.apiKey);
    const second = newAgentKey();
    const c1 = await challenge(t);
    const rotateTo = (signer: TestAgentKey, body: Record<string, unknown>) =>
      signedInject(t, signer, { method: 'POST', url: '/api/v1/agents/me/keys', body: JSON.stringify(body) });
    // A body that breaks the contract is refused before anything looks at the challenge...
    const badBody = await rotateTo(first, { publicKey: second.jwk, challenge: c1, proof: proofFor(second, 'rotate', c1), overlapSeconds: -1 });
    assert.equal(badBody.json().error.code, 'validation_failed', badBody.body);
    // ...and so is a proof by another key...
    const badProof = await rotateTo(first, { publicKey: second.jwk, challenge: c1, proof: proofFor(newAgentKey(), 'rotate', c1) });
    assert.equal(badProof.json().error.code, 'invalid_proof', badProof.body);
    // ...and a new key that already belongs to an agent (this one's other agent).
    const { key: taken } = await registerAgent(t, org.as.member.apiKey);
    const takenKey = await rotateTo(first, { publicKey: taken.jwk, challenge: c1, proof: proofFor(taken, 'rotate', c1) });
    assert.equal(takenKey.json().error.code, 'key_already_registered', takenKey.body);
    // The same challenge still rotates.
    const rotated = await rotateTo(first, { publicKey: second.jwk, challenge: c1, proof: proofFor(second, 'rotate', c1), overlapSeconds: 3600 });
    assert.equal(rotated.statusCode, 201, rotated.body);
    // A used challenge is refused, whoever asks.
    const third = newAgentKey();
    const reused = await rotateTo(second, { publicKey: third.jwk, challenge: c1, proof: proofFor(third, 'rotate', c1) });
    assert.equal(reused.json().error.code, 'invalid_challenge', reused.body);
    // The replaced key, inside its overlap, is refused — and that refusal does not spend the challenge
    // the current key then uses.
    const c2 = await challenge(t);
    const byReplaced = await rotateTo(first, { publicKey: third.jwk, challenge: c2, proof: proofFor(third, 'rotate', c2) });
    assert.equal(byReplaced.statusCode, 403, byReplaced.body);
    assert.equal(byReplaced.json().error.code, 'forbidden');
    const byCurrent = await rotateTo(second, { publicKey: third.jwk, challenge: c2, proof: proofFor(third, 'rotate', c2) });
    assert.equal(byCurrent.statusCode, 201, byCurrent.body);
    assert.equal((await signedInject(t, third, { url: '/api/v1/agents/me' })).json().agent.id, agent.id);
    await t.platform.auditSequencer.drain(org.organizationId);
    const rotations = (await (await t.owner()).query(`select count(*) from audit_events where organization_id = $1 and target_id = $2 and action = 'agent.rotate_key'`, [org.organizationId, agent.id])).rows;
    assert.equal(Number(rotations[0].count), 2, 'only the two rotations that committed are recorded');
  });

  it('lets exactly one of two concurrent rotations with one challenge win', async () => {
    // Two agents, so that no row lock orders them: only the challenge is shared.
    const [one, two] = await Promise.all([registerAgent(t, org.as.member.apiKey), registerAgent(t, org.as.member.apiKey)]);
    const c = await challenge(t);
    const [next1, next2] = [newAgentKey(), newAgentKey()];
    const results = await Promise.all([
      signedInject(t, one.key, { method: 'POST', url: '/api/v1/agents/me/keys', body: JSON.stringify({ publicKey: next1.jwk, challenge: c, proof: proofFor(next1, 'rotate', c) }) }),
      signedInject(t, two.key, { method: 'POST', url: '/api/v1/agents/me/keys', body: JSON.stringify({ publicKey: next2.jwk, challenge: c, proof: proofFor(next2, 'rotate', c) }) }),
    ]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 400], results.map((r) => r.body).join(' '));
    const loser = results.find((r) => r.statusCode === 400)!;
    assert.equal(loser.json().error.code, 'invalid_challenge');
    const registered = (await (await t.owner()).query('select count(*) from agent_keys where id = any($1)', [[next1.keyId, next2.keyId]])).rows;
    assert.equal(Number(registered[0].count), 1, 'the loser rolled back: its key was not registered');
  });

  it('keeps a retired signing key in the JWKS until its tokens expire, and signs with the new one', async () => {
    const { key } = await registerAgent(t, org.as.member.apiKey);
    const before = await agentToken(t, key);
    const oldKid = decodeProtectedHeader(before).kid;
    await t.platform.agentTokenKeys.rotate();
    const after = await agentToken(t, key);
    assert.notEqual(decodeProtectedHeader(after).kid, oldKid);
    const kids = (await jwks()).keys.map((k) => k.kid);
    assert.ok(kids.includes(oldKid!) && kids.includes(decodeProtectedHeader(after).kid!));
    assert.equal((await me({ authorization: `Bearer ${before}` })).statusCode, 200, 'tokens of the retired key still verify');
    const owner = await t.owner();
    const retained = (await owner.query(`select extract(epoch from expires_at - retired_at) as s from signing_keys where kid = $1`, [oldKid])).rows[0].s;
    assert.equal(Number(retained), 600 + 300);
  });
});

acrossInstances('agent state across instances', (instances, skip) => {
  it('refuses a suspended agent on the next request to another instance, tokens included', { skip }, async () => {
    const { a, b } = instances;
    const org = await seedOrganization(a);
    const { key, agent } = await registerAgent(a, org.as.member.apiKey);
    const token = await agentToken(b, key);
    assert.equal((await b.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    assert.equal((await signedInject(b, key, { url: '/api/v1/agents/me' })).statusCode, 200, 'instance B cached the agent as active');
    const suspend = await a.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/suspend`, headers: org.as.admin.apiKey });
    assert.equal(suspend.statusCode, 200);
    assert.equal((await b.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: { authorization: `Bearer ${token}` } })).json().error.code, 'agent_suspended');
    assert.equal((await signedInject(b, key, { url: '/api/v1/agents/me' })).json().error.code, 'agent_suspended');
    // A nonce spent on one instance is spent on all.
    const headers = signedHeaders(key, { url: '/api/v1/agents/me' });
    await a.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/reactivate`, headers: org.as.admin.apiKey });
    assert.equal((await a.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers })).statusCode, 200);
    assert.equal((await b.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers })).json().error.code, 'replayed_request');
  });
});
