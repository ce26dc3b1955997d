import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { newId } from '../../platform/ids.js';
import { startLocalIdp, type LocalIdp } from '../../testing/local-idp.js';
import { createUser, ORIGIN, seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { SoftwareAuthenticator } from '../../testing/software-authenticator.js';
import { challenge, newAgentKey, proofFor, registration, signedInject } from '../../testing/agent-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { insertAlert } from '../../testing/alert-fixtures.js';
import { insertMcpFinding } from '../../testing/mcp-finding-rows.js';
import { insertMcpServer, insertScan, tool } from '../../testing/mcp-rows.js';
import { mcpServerKeyProof } from '@aim/sdk';
import { attestationPayload, signAttestation } from '../../testing/mcp-attestation-fixtures.js';

/**
 * Complete coverage: every route of the route table that can change state has a scenario here that
 * makes it succeed, and each success must leave an audit event carrying its request id. A new
 * state-changing route without a scenario fails this test.
 */
const NOT_A_CHANGE: Record<string, string> = {
  'POST /api/v1/me/passkeys/options': 'hands out a single-use challenge; the registration it prepares is recorded',
  'POST /api/v1/auth/passkey/options': 'hands out a single-use challenge; the sign-in it prepares is recorded',
  'POST /api/v1/invitations/preview': 'reads what an invitation link offers',
  'POST /api/v1/invitations/passkey/options': 'hands out a single-use challenge bound to the invitation; the join it prepares is recorded',
  'POST /api/v1/agent-challenges': 'hands out a single-use challenge; the registration or rotation it proves is recorded',
  'POST /api/v1/oauth/introspect': 'reads the state of a token',
  'POST /api/v1/agents/me/heartbeat': 'telemetry: marks the minute the agent was up (uptime evidence); counted, like key usage, not audited',
};

interface Response {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): Record<string, unknown>;
}

forEachTarget('every state change writes an audit event', (target) => {
  let idp: LocalIdp;
  let t: TestApp;
  let org: SeededOrganization;
  let owner: pg.Client;
  const txt = new Map<string, string[][]>();

  before(async () => {
    idp = await startLocalIdp('http://aim.test/api/v1/auth/oidc/callback');
    t = await createTestApp(target, {
      env: { AIM_BOOTSTRAP_TOKEN: 'bootstrap-token-for-coverage-0123456789', OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', RATE_LIMIT_SIGN_IN_MAX: '1000' },
      dnsTxt: async (name) => txt.get(name) ?? [],
    });
    owner = await t.owner();
  });
  after(async () => {
    await t?.close();
    await idp?.stop();
  });

  const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });
  const inject = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method: method as 'POST', url, headers: payload ? json(headers) : headers, ...(payload ? { payload } : {}) }) as Promise<Response>;

  it('covers every state-changing route with a scenario, and each success is recorded', async () => {
    const scenarios: Record<string, () => Promise<Response>> = {
      'POST /api/v1/setup': () =>
        inject('POST', '/api/v1/setup', {}, {
          token: 'bootstrap-token-for-coverage-0123456789',
          organization: { name: 'Coverage' },
          admin: { email: 'first@coverage.example', name: 'First' },
        }),
      'POST /api/v1/organizations': async () => inject('POST', '/api/v1/organizations', org.as.viewer.session, { name: 'Second org' }),
      'PATCH /api/v1/organization': () => inject('PATCH', '/api/v1/organization', org.as.admin.apiKey, { name: 'Renamed' }),
      'POST /api/v1/invitations': () => inject('POST', '/api/v1/invitations', org.as.admin.apiKey, { email: 'new@coverage.example', role: 'viewer' }),
      'DELETE /api/v1/invitations/:invitationId': async () => {
        const inv = await inject('POST', '/api/v1/invitations', org.as.admin.apiKey, { email: 'gone@coverage.example', role: 'viewer' });
        return inject('DELETE', `/api/v1/invitations/${inv.json().id}`, org.as.admin.apiKey);
      },
      'POST /api/v1/invitations/accept': async () => {
        await inject('POST', '/api/v1/invitations', org.as.admin.apiKey, { email: 'joiner@coverage.example', role: 'viewer' });
        const invited = [...t.outbox.messages].reverse().find((m) => m.to === 'joiner@coverage.example')!;
        const token = decodeURIComponent(/token=(\S+)/.exec(invited.text)![1]!);
        const joiner = await createUser(t, 'joiner@coverage.example', 'Joiner');
        const session = await startSession(t, joiner, org.organizationId);
        return inject('POST', '/api/v1/invitations/accept', session.headers, { token });
      },
      'POST /api/v1/invitations/passkey': async () => {
        const inv = await inject('POST', '/api/v1/invitations', org.as.admin.apiKey, { email: 'passkey.joiner@coverage.example', role: 'viewer' });
        const token = new URL(inv.json().link as string).searchParams.get('token')!;
        const options = (await inject('POST', '/api/v1/invitations/passkey/options', { origin: ORIGIN }, { token, name: 'Passkey Joiner' })).json();
        return inject('POST', '/api/v1/invitations/passkey', { origin: ORIGIN }, { token, credential: new SoftwareAuthenticator().create(options as never, ORIGIN) });
      },
      'POST /api/v1/privacy/people/:userId/erasure': async () => {
        const erased = await createUser(t, 'erased@coverage.example', 'Erased Person');
        await owner.query(`insert into memberships (organization_id, user_id, role) values ($1, $2, 'member')`, [org.organizationId, erased]);
        return inject('POST', `/api/v1/privacy/people/${erased}/erasure`, org.as.admin.apiKey, { confirm: 'ERASED@coverage.example' });
      },
      'PATCH /api/v1/members/:userId': () => inject('PATCH', `/api/v1/members/${org.as.member.userId}`, org.as.admin.apiKey, { role: 'manager' }),
      'DELETE /api/v1/members/:userId': () => inject('DELETE', `/api/v1/members/${org.as.viewer.userId}`, org.as.admin.apiKey),
      'POST /api/v1/members/:userId/sessions/revoke': async () => {
        await startSession(t, org.as.manager.userId, org.organizationId);
        return inject('POST', `/api/v1/members/${org.as.manager.userId}/sessions/revoke`, org.as.admin.apiKey);
      },
      'POST /api/v1/api-keys': () => inject('POST', '/api/v1/api-keys', org.as.admin.session, { name: 'coverage' }),
      'DELETE /api/v1/api-keys/:apiKeyId': () => inject('DELETE', `/api/v1/api-keys/${org.as.member.apiKeyId}`, org.as.admin.apiKey),
      'POST /api/v1/access-reviews': () => inject('POST', '/api/v1/access-reviews', org.as.admin.apiKey, { name: 'coverage', scope: { kind: 'api_keys' }, deadline: new Date(Date.now() + 86_400_000).toISOString() }),
      'POST /api/v1/access-reviews/:reviewId/items/:itemId/decision': async () => {
        const review = (await inject('POST', '/api/v1/access-reviews', org.as.admin.apiKey, { name: 'decide', scope: { kind: 'api_keys' }, deadline: new Date(Date.now() + 86_400_000).toISOString() })).json().accessReview as { id: string };
        const items = (await inject('GET', `/api/v1/access-reviews/${review.id}/items`, org.as.admin.apiKey)).json().items as { id: string; snapshot: { ownerUserId: string } }[];
        const item = items.find((i) => i.snapshot.ownerUserId !== org.as.admin.userId)!;
        return inject('POST', `/api/v1/access-reviews/${review.id}/items/${item.id}/decision`, org.as.admin.apiKey, { decision: 'certify', note: 'in use' });
      },
      'POST /api/v1/access-reviews/:reviewId/complete': async () => {
        const review = (await inject('POST', '/api/v1/access-reviews', org.as.admin.apiKey, { name: 'complete', scope: { kind: 'api_keys' }, deadline: new Date(Date.now() + 86_400_000).toISOString() })).json().accessReview as { id: string };
        return inject('POST', `/api/v1/access-reviews/${review.id}/complete`, org.as.admin.apiKey, {});
      },
      'POST /api/v1/access-reviews/:reviewId/cancel': async () => {
        const review = (await inject('POST', '/api/v1/access-reviews', org.as.admin.apiKey, { name: 'cancel', scope: { kind: 'api_keys' }, deadline: new Date(Date.now() + 86_400_000).toISOString() })).json().accessReview as { id: string };
        return inject('POST', `/api/v1/access-reviews/${review.id}/cancel`, org.as.admin.apiKey, {});
      },
      'POST /api/v1/me/organization': () => inject('POST', '/api/v1/me/organization', org.as.admin.session, { organizationId: org.organizationId }),
      'PUT /api/v1/me/notification-preferences': () =>
        inject('PUT', '/api/v1/me/notification-preferences', org.as.admin.session, { preferences: [{ kind: 'approval_requested', delivery: 'digest' }] }),
      'DELETE /api/v1/me/sessions/:sessionId': async () => {
        const other = await startSession(t, org.as.admin.userId, org.organizationId);
        return inject('DELETE', `/api/v1/me/sessions/${other.sessionId}`, org.as.admin.session);
      },
      'POST /api/v1/auth/sign-out': async () => inject('POST', '/api/v1/auth/sign-out', (await startSession(t, org.as.admin.userId, org.organizationId)).headers),
      'POST /api/v1/auth/refresh': async () => {
        const s = await startSession(t, org.as.admin.userId, org.organizationId);
        return inject('POST', '/api/v1/auth/refresh', { cookie: `aim_refresh=${s.refreshToken}`, origin: ORIGIN });
      },
      'POST /api/v1/me/passkeys': async () => registerPasskey('Coverage key'),
      'PATCH /api/v1/me/passkeys/:passkeyId': async () => {
        const created = await registerPasskey('Rename me');
        return inject('PATCH', `/api/v1/me/passkeys/${created.json().id}`, org.as.admin.session, { name: 'Renamed key' });
      },
      'DELETE /api/v1/me/passkeys/:passkeyId': async () => {
        const created = await registerPasskey('Delete me');
        return inject('DELETE', `/api/v1/me/passkeys/${created.json().id}`, org.as.admin.session);
      },
      'POST /api/v1/auth/passkey': async () => {
        const key = new SoftwareAuthenticator();
        await registerPasskey('Sign-in key', key);
        const options = (await inject('POST', '/api/v1/auth/passkey/options', { origin: ORIGIN })).json();
        return inject('POST', '/api/v1/auth/passkey', { origin: ORIGIN }, { credential: key.get(options as never, ORIGIN) });
      },
      'POST /api/v1/identity-providers': () => createProvider(),
      'PATCH /api/v1/identity-providers/:identityProviderId': async () =>
        inject('PATCH', `/api/v1/identity-providers/${(await createProvider()).json().id}`, org.as.admin.apiKey, { enabled: false }),
      'DELETE /api/v1/identity-providers/:identityProviderId': async () =>
        inject('DELETE', `/api/v1/identity-providers/${(await createProvider()).json().id}`, org.as.admin.apiKey),
      'POST /api/v1/domains': () => inject('POST', '/api/v1/domains', org.as.admin.apiKey, { domain: `d${newId('org').slice(-6)}.example` }),
      'POST /api/v1/domains/:domain/verify': async () => {
        const claimed = (await inject('POST', '/api/v1/domains', org.as.admin.apiKey, { domain: 'verify.example' })).json() as {
          domain: string;
          verification: { recordName: string; recordValue: string };
        };
        txt.set(claimed.verification.recordName, [[claimed.verification.recordValue]]);
        return inject('POST', `/api/v1/domains/${claimed.domain}/verify`, org.as.admin.apiKey);
      },
      'DELETE /api/v1/domains/:domain': async () => {
        await inject('POST', '/api/v1/domains', org.as.admin.apiKey, { domain: 'release.example' });
        return inject('DELETE', '/api/v1/domains/release.example', org.as.admin.apiKey);
      },
      'POST /api/v1/audit-logs/checkpoints': () => inject('POST', '/api/v1/audit-logs/checkpoints', org.as.admin.apiKey),
      'POST /api/v1/agents': async () => inject('POST', '/api/v1/agents', org.as.admin.apiKey, await registration(t, newAgentKey())),
      'POST /api/v1/enrollment-tokens': () => inject('POST', '/api/v1/enrollment-tokens', org.as.admin.apiKey, { name: 'coverage-enrolled' }),
      'DELETE /api/v1/enrollment-tokens/:enrollmentTokenId': async () => {
        const created = (await inject('POST', '/api/v1/enrollment-tokens', org.as.admin.apiKey, {})).json() as { enrollmentToken: { id: string } };
        return inject('DELETE', `/api/v1/enrollment-tokens/${created.enrollmentToken.id}`, org.as.admin.apiKey);
      },
      'POST /api/v1/agents/enroll': async () => {
        const { token } = (await inject('POST', '/api/v1/enrollment-tokens', org.as.admin.apiKey, { name: 'self-enrolled' })).json() as { token: string };
        const key = newAgentKey();
        const c = await challenge(t);
        return inject('POST', '/api/v1/agents/enroll', {}, { enrollmentToken: token, publicKey: key.x, challenge: c, proof: proofFor(key, 'register', c) });
      },
      'POST /api/v1/agents/me/keys': async () => {
        const { key } = await agent();
        const next = newAgentKey();
        const c = await challenge(t);
        const body = JSON.stringify({ publicKey: next.jwk, challenge: c, proof: proofFor(next, 'rotate', c) });
        return signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/keys', body }) as Promise<Response>;
      },
      'POST /api/v1/oauth/token': async () => {
        const { key } = await agent();
        return signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body: JSON.stringify({ grant_type: 'client_credentials' }) }) as Promise<Response>;
      },
      'PATCH /api/v1/agents/:agentId': async () => inject('PATCH', `/api/v1/agents/${(await agent()).id}`, org.as.admin.apiKey, { purpose: 'coverage' }),
      'POST /api/v1/agents/:agentId/suspend': async () => inject('POST', `/api/v1/agents/${(await agent()).id}/suspend`, org.as.admin.apiKey, {}),
      'POST /api/v1/agents/:agentId/reactivate': async () => {
        const { id } = await agent();
        await inject('POST', `/api/v1/agents/${id}/suspend`, org.as.admin.apiKey, {});
        return inject('POST', `/api/v1/agents/${id}/reactivate`, org.as.admin.apiKey, {});
      },
      'POST /api/v1/agents/:agentId/revoke': async () => inject('POST', `/api/v1/agents/${(await agent()).id}/revoke`, org.as.admin.apiKey, { reason: 'coverage' }),
      'POST /api/v1/agents/:agentId/keys/:keyId/revoke': async () => {
        const { id, key } = await agent();
        return inject('POST', `/api/v1/agents/${id}/keys/${key.keyId}/revoke`, org.as.admin.apiKey, {});
      },
      'POST /api/v1/mcp-servers': () => mcpServer(),
      'PATCH /api/v1/mcp-servers/:mcpServerId': async () => inject('PATCH', `/api/v1/mcp-servers/${await mcpServerId()}`, org.as.admin.apiKey, { description: 'coverage' }),
      'POST /api/v1/mcp-servers/:mcpServerId/suspend': async () => inject('POST', `/api/v1/mcp-servers/${await mcpServerId()}/suspend`, org.as.admin.apiKey, {}),
      'POST /api/v1/mcp-servers/:mcpServerId/reactivate': async () => {
        const id = await mcpServerId();
        await inject('POST', `/api/v1/mcp-servers/${id}/suspend`, org.as.admin.apiKey, {});
        return inject('POST', `/api/v1/mcp-servers/${id}/reactivate`, org.as.admin.apiKey, {});
      },
      'POST /api/v1/mcp-servers/:mcpServerId/revoke': async () => inject('POST', `/api/v1/mcp-servers/${await mcpServerId()}/revoke`, org.as.admin.apiKey, { reason: 'coverage' }),
      'POST /api/v1/capabilities': () => inject('POST', '/api/v1/capabilities', org.as.admin.apiKey, { name: `cov:c${++seq}`, riskLevel: 'low' }),
      'PATCH /api/v1/capabilities/:capabilityId': async () => inject('PATCH', `/api/v1/capabilities/${(await capability()).id}`, org.as.admin.apiKey, { riskLevel: 'high' }),
      'DELETE /api/v1/capabilities/:capabilityId': async () => inject('DELETE', `/api/v1/capabilities/${(await capability()).id}`, org.as.admin.apiKey),
      'POST /api/v1/agents/:agentId/grants': async () =>
        inject('POST', `/api/v1/agents/${(await agent()).id}/grants`, org.as.admin.apiKey, { capability: (await capability()).name, resourcePattern: 'a/*' }),
      'DELETE /api/v1/agents/:agentId/grants/:grantId': async () => {
        const { id } = await agent();
        const granted = (await inject('POST', `/api/v1/agents/${id}/grants`, org.as.admin.apiKey, { capability: (await capability()).name })).json() as { grant: { id: string } };
        return inject('DELETE', `/api/v1/agents/${id}/grants/${granted.grant.id}`, org.as.admin.apiKey);
      },
      'POST /api/v1/agents/:agentId/capability-requests': async () => capabilityRequest(),
      'POST /api/v1/agents/me/capability-requests': async () => {
        const { key } = await agent();
        const body = JSON.stringify({ capability: (await capability()).name, reason: 'coverage' });
        return signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/capability-requests', body }) as Promise<Response>;
      },
      'POST /api/v1/capability-requests/:requestId/approve': async () =>
        inject('POST', `/api/v1/capability-requests/${await capabilityRequestId()}/approve`, org.as.admin.apiKey, { expiresInSeconds: 600 }),
      'POST /api/v1/capability-requests/:requestId/reject': async () =>
        inject('POST', `/api/v1/capability-requests/${await capabilityRequestId()}/reject`, org.as.admin.apiKey, { note: 'no' }),
      'POST /api/v1/capability-requests/:requestId/cancel': async () =>
        inject('POST', `/api/v1/capability-requests/${await capabilityRequestId()}/cancel`, org.as.admin.apiKey, {}),
      'POST /api/v1/policies': () => inject('POST', '/api/v1/policies', org.as.admin.apiKey, { name: `p${++seq}`, type: 'resource_deny', config: { resources: ['secrets/**'] } }),
      'PATCH /api/v1/policies/:policyId': async () => inject('PATCH', `/api/v1/policies/${await policyId()}`, org.as.admin.apiKey, { mode: 'monitor' }),
      'DELETE /api/v1/policies/:policyId': async () => inject('DELETE', `/api/v1/policies/${await policyId()}`, org.as.admin.apiKey),
      'POST /api/v1/agents/:agentId/verify-action': async () => (await decide(false)).res,
      'POST /api/v1/decisions/:decisionId/approve': async () => inject('POST', `/api/v1/decisions/${(await decide(true)).decisionId}/approve`, org.as.admin.apiKey, {}),
      'POST /api/v1/decisions/:decisionId/reject': async () => inject('POST', `/api/v1/decisions/${(await decide(true)).decisionId}/reject`, org.as.admin.apiKey, { note: 'no' }),
      'POST /api/v1/decisions/:decisionId/withdraw': async () => {
        const { key, decisionId } = await decide(true);
        return signedInject(t, key, { method: 'POST', url: `/api/v1/decisions/${decisionId}/withdraw` }) as Promise<Response>;
      },
      'POST /api/v1/decisions/:decisionId/result': async () => {
        const { key, decisionId } = await decide(false);
        return signedInject(t, key, { method: 'POST', url: `/api/v1/decisions/${decisionId}/result`, body: JSON.stringify({ status: 'success', durationMs: 12 }) }) as Promise<Response>;
      },
      'POST /api/v1/agents/:agentId/recalculate-trust': async () => inject('POST', `/api/v1/agents/${(await agent()).id}/recalculate-trust`, org.as.admin.apiKey, {}),
      'POST /api/v1/agents/:agentId/ratings': async () => inject('POST', `/api/v1/agents/${(await agent()).id}/ratings`, org.as.manager.apiKey, { rating: 4 }),
      'PATCH /api/v1/agents/:agentId/ratings/:ratingId': async () => {
        const { agentId, ratingId } = await rating();
        return inject('PATCH', `/api/v1/agents/${agentId}/ratings/${ratingId}`, org.as.manager.apiKey, { rating: 2, comment: 'changed' });
      },
      'DELETE /api/v1/agents/:agentId/ratings/:ratingId': async () => {
        const { agentId, ratingId } = await rating();
        return inject('DELETE', `/api/v1/agents/${agentId}/ratings/${ratingId}`, org.as.manager.apiKey);
      },
      'POST /api/v1/agents/:agentId/security-reviews': async () =>
        inject('POST', `/api/v1/agents/${(await agent()).id}/security-reviews`, org.as.manager.apiKey, { findings: [{ severity: 'low', title: 'verbose logs' }] }),
      'POST /api/v1/agents/:agentId/incidents': async () =>
        inject('POST', `/api/v1/agents/${(await agent()).id}/incidents`, org.as.admin.apiKey, { severity: 'medium', title: 'coverage' }),
      'POST /api/v1/agents/:agentId/incidents/:incidentId/resolve': async () => {
        const { id } = await agent();
        const created = (await inject('POST', `/api/v1/agents/${id}/incidents`, org.as.admin.apiKey, { severity: 'low', title: 'resolve me' })).json() as { incident: { id: string } };
        return inject('POST', `/api/v1/agents/${id}/incidents/${created.incident.id}/resolve`, org.as.admin.apiKey, {});
      },
      'PUT /api/v1/agents/me/attestations/:agentId': async () => {
        const [attester, subject] = [await agent(), await agent()];
        const body = JSON.stringify({ verdict: 'trusted' });
        return signedInject(t, attester.key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${subject.id}`, body }) as Promise<Response>;
      },
      'POST /api/v1/webhook-endpoints': () => webhookEndpoint(),
      'PATCH /api/v1/webhook-endpoints/:endpointId': async () =>
        inject('PATCH', `/api/v1/webhook-endpoints/${await webhookEndpointId()}`, org.as.admin.apiKey, { description: 'coverage' }),
      'DELETE /api/v1/webhook-endpoints/:endpointId': async () => inject('DELETE', `/api/v1/webhook-endpoints/${await webhookEndpointId()}`, org.as.admin.apiKey),
      'POST /api/v1/webhook-endpoints/:endpointId/rotate-secret': async () =>
        inject('POST', `/api/v1/webhook-endpoints/${await webhookEndpointId()}/rotate-secret`, org.as.admin.apiKey, { overlapSeconds: 60 }),
      'POST /api/v1/webhook-endpoints/:endpointId/test': async () => inject('POST', `/api/v1/webhook-endpoints/${await webhookEndpointId()}/test`, org.as.admin.apiKey),
      'POST /api/v1/webhook-endpoints/:endpointId/deliveries/:deliveryId/redeliver': async () => {
        const id = await webhookEndpointId();
        const test = (await inject('POST', `/api/v1/webhook-endpoints/${id}/test`, org.as.admin.apiKey)).json().delivery as { id: string };
        return inject('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${test.id}/redeliver`, org.as.admin.apiKey);
      },
      'POST /api/v1/webhook-endpoints/:endpointId/redeliver-failed': async () =>
        inject('POST', `/api/v1/webhook-endpoints/${await webhookEndpointId()}/redeliver-failed`, org.as.admin.apiKey, { since: '2026-01-01T00:00:00Z' }),
      'POST /api/v1/webhook-endpoints/:endpointId/replay': async () =>
        inject('POST', `/api/v1/webhook-endpoints/${await webhookEndpointId()}/replay`, org.as.admin.apiKey, { since: new Date(Date.now() - 3600_000).toISOString() }),
      'POST /api/v1/alerts/:alertId/acknowledge': async () => inject('POST', `/api/v1/alerts/${await alert()}/acknowledge`, org.as.manager.apiKey, {}),
      'POST /api/v1/alerts/:alertId/assign': async () => inject('POST', `/api/v1/alerts/${await alert()}/assign`, org.as.manager.apiKey, { assigneeId: org.as.member.userId }),
      'POST /api/v1/alerts/:alertId/snooze': async () =>
        inject('POST', `/api/v1/alerts/${await alert()}/snooze`, org.as.manager.apiKey, { until: new Date(Date.now() + 3_600_000).toISOString() }),
      'POST /api/v1/alerts/:alertId/resolve': async () => inject('POST', `/api/v1/alerts/${await alert()}/resolve`, org.as.admin.apiKey, { resolution: 'false_positive' }),
      'POST /api/v1/alerts/:alertId/reopen': async () => inject('POST', `/api/v1/alerts/${await alert('resolved')}/reopen`, org.as.manager.apiKey, {}),
      'POST /api/v1/alerts/:alertId/notes': async () => inject('POST', `/api/v1/alerts/${await alert()}/notes`, org.as.manager.apiKey, { body: 'coverage' }),
      'POST /api/v1/alerts/bulk': async () => inject('POST', '/api/v1/alerts/bulk', org.as.manager.apiKey, { alertIds: [await alert(), await alert()], action: 'acknowledge' }),
      'PUT /api/v1/monitoring/settings': () => inject('PUT', '/api/v1/monitoring/settings', org.as.admin.apiKey, { learningDays: 3 }),
      'PUT /api/v1/compliance/retention': () => inject('PUT', '/api/v1/compliance/retention', org.as.admin.apiKey, { decisionDays: 365 }),
      // Placed and released at once: a hold left in place would refuse the deletions of later scenarios.
      'PUT /api/v1/compliance/legal-hold': async () => {
        const placed = await inject('PUT', '/api/v1/compliance/legal-hold', org.as.admin.apiKey, { enabled: true, reason: 'Coverage matter' });
        assert.equal(placed.statusCode, 200, placed.body);
        return inject('PUT', '/api/v1/compliance/legal-hold', org.as.admin.apiKey, { enabled: false });
      },
      'PUT /api/v1/compliance/settings': () => inject('PUT', '/api/v1/compliance/settings', org.as.admin.apiKey, { accessReviewDays: 30 }),
      'POST /api/v1/compliance/reports': () =>
        inject('POST', '/api/v1/compliance/reports', org.as.admin.apiKey, { framework: 'gdpr', from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }),
      'DELETE /api/v1/agents/me/attestations/:agentId': async () => {
        const [attester, subject] = [await agent(), await agent()];
        const put = await signedInject(t, attester.key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${subject.id}`, body: JSON.stringify({ verdict: 'distrusted' }) });
        assert.equal(put.statusCode, 200, put.body);
        return signedInject(t, attester.key, { method: 'DELETE', url: `/api/v1/agents/me/attestations/${subject.id}` }) as Promise<Response>;
      },
      'POST /api/v1/mcp-findings/:findingId/dismiss': async () =>
        inject('POST', `/api/v1/mcp-findings/${await mcpFinding()}/dismiss`, org.as.manager.apiKey, { note: 'coverage' }),
      'POST /api/v1/mcp-findings/:findingId/reopen': async () => {
        const id = await mcpFinding();
        await inject('POST', `/api/v1/mcp-findings/${id}/dismiss`, org.as.manager.apiKey, { note: 'coverage' });
        return inject('POST', `/api/v1/mcp-findings/${id}/reopen`, org.as.manager.apiKey, {});
      },
      'POST /api/v1/mcp-servers/:mcpServerId/approve': async () => {
        const id = await insertMcpServer(t, org.organizationId, { name: `cov-approve-${++seq}`, ownerId: org.as.admin.userId, status: 'verified' });
        const scan = await insertScan(t, org.organizationId, id, [tool('search')]);
        return inject('POST', `/api/v1/mcp-servers/${id}/approve`, org.as.admin.apiKey, { scanId: scan.id, toolSetFingerprint: scan.toolSetFingerprint });
      },
      'PUT /api/v1/mcp-settings': () => inject('PUT', '/api/v1/mcp-settings', org.as.admin.apiKey, { scanIntervalMinutes: 45 }),
      'POST /api/v1/mcp-servers/:mcpServerId/keys': async () => mcpServerKey(await mcpServerId()),
      'POST /api/v1/mcp-servers/:mcpServerId/keys/:keyId/revoke': async () => {
        const id = await mcpServerId();
        const { id: keyId } = (await mcpServerKey(id)).json().key as { id: string };
        return inject('POST', `/api/v1/mcp-servers/${id}/keys/${keyId}/revoke`, org.as.admin.apiKey, { reason: 'coverage' });
      },
      // A scan of a port nothing listens on: a recorded (failed) scan, audited like any other.
      'POST /api/v1/mcp-servers/:mcpServerId/scans': async () => {
        const res = await inject('POST', '/api/v1/mcp-servers', org.as.admin.apiKey, { name: `cov-mcp-${++seq}`, transport: { type: 'streamable_http', url: 'http://127.0.0.1:9/mcp' } });
        return inject('POST', `/api/v1/mcp-servers/${(res.json().mcpServer as { id: string }).id}/scans`, org.as.admin.apiKey);
      },
      'PUT /api/v1/agents/:agentId/mcp-servers': async () => {
        const { id, key } = await agent();
        const body = JSON.stringify({ servers: [{ transport: 'streamable_http', name: 'coverage', url: 'https://mcp.example.com/mcp' }] });
        return signedInject(t, key, { method: 'PUT', url: `/api/v1/agents/${id}/mcp-servers`, body }) as Promise<Response>;
      },
      'POST /api/v1/agents/:agentId/mcp-attestations': async () => {
        const { id, key } = await agent();
        const payload = await attestationPayload(id, { transport: 'streamable_http', name: 'coverage', url: 'https://mcp.example.com/mcp' }, [{ name: 'search', inputSchema: { type: 'object' } }]);
        const body = JSON.stringify({ attestation: await signAttestation(key, payload) });
        return signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${id}/mcp-attestations`, body }) as Promise<Response>;
      },
    };

    /** A manager's rating of a fresh agent (registered by the admin, so not the manager's own). */
    const rating = async () => {
      const { id } = await agent();
      const res = await inject('POST', `/api/v1/agents/${id}/ratings`, org.as.manager.apiKey, { rating: 5 });
      return { agentId: id, ratingId: (res.json().rating as { id: string }).id };
    };

    const policyId = async () =>
      ((await inject('POST', '/api/v1/policies', org.as.admin.apiKey, { name: `p${++seq}`, type: 'rate_limit', config: { limit: 100, windowSeconds: 60 } })).json().policy as { id: string }).id;
    /** A decision by a fresh agent holding the capability: allowed, or pending when a policy asks a person. */
    const decide = async (pending: boolean) => {
      const { id, key } = await agent();
      const cap = await capability();
      await inject('POST', `/api/v1/agents/${id}/grants`, org.as.admin.apiKey, { capability: cap.name });
      if (pending) {
        await inject('POST', '/api/v1/policies', org.as.admin.apiKey, { name: `ask-${id}`, type: 'require_approval', scope: { agentIds: [id] }, config: { minRisk: 'low' } });
      }
      const res = (await signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${id}/verify-action`, body: JSON.stringify({ action: cap.name }) })) as Response;
      const answer = res.json() as { decisionId: string; decision: string };
      assert.equal(answer.decision, pending ? 'pending' : 'allow', res.body);
      return { res, key, decisionId: answer.decisionId };
    };

    let seq = 0;
    const capability = async () => {
      const res = await inject('POST', '/api/v1/capabilities', org.as.admin.apiKey, { name: `cov:x${++seq}`, riskLevel: 'medium' });
      return res.json().capability as { id: string; name: string };
    };
    const capabilityRequestId = async () => ((await capabilityRequest()).json().request as { id: string }).id;
    const capabilityRequest = async (): Promise<Response> =>
      inject('POST', `/api/v1/agents/${(await agent()).id}/capability-requests`, org.as.admin.apiKey, {
        capability: (await capability()).name,
        reason: 'coverage',
      });

    const agent = async () => {
      const key = newAgentKey();
      const res = await inject('POST', '/api/v1/agents', org.as.admin.apiKey, await registration(t, key));
      return { id: (res.json().agent as { id: string }).id, key };
    };

    const mcpServer = () =>
      inject('POST', '/api/v1/mcp-servers', org.as.admin.apiKey, { name: `cov-mcp-${++seq}`, transport: { type: 'streamable_http', url: 'https://mcp.example.com/mcp' } });
    const mcpServerId = async () => ((await mcpServer()).json().mcpServer as { id: string }).id;
    /** An open MCP finding as discovery records it. */
    const mcpFinding = async () => insertMcpFinding(t, org.organizationId, await mcpServerId());
    const mcpServerKey = async (id: string) => {
      const key = newAgentKey();
      const c = await challenge(t);
      const proof = mcpServerKeyProof({ privateKey: key.privateKey }, id, t.platform.publicOrigin.baseUrl, c);
      return inject('POST', `/api/v1/mcp-servers/${id}/keys`, org.as.admin.apiKey, { publicKeyJwk: key.jwk, challenge: c, proof });
    };

    /** An alert of the organization as the detection engine writes it. */
    const alert = (status: 'open' | 'resolved' = 'open') => insertAlert(t, org.organizationId, { status });

    const webhookEndpoint = () => inject('POST', '/api/v1/webhook-endpoints', org.as.admin.apiKey, { url: 'http://127.0.0.1:9/coverage', eventTypes: ['decision.*'] });
    const webhookEndpointId = async () => ((await webhookEndpoint()).json().webhookEndpoint as { id: string }).id;

    const registerPasskey = async (name: string, key = new SoftwareAuthenticator()) => {
      const options = (await inject('POST', '/api/v1/me/passkeys/options', org.as.admin.session)).json();
      return inject('POST', '/api/v1/me/passkeys', org.as.admin.session, { name, credential: key.create(options as never, ORIGIN) });
    };
    const createProvider = () =>
      inject('POST', '/api/v1/identity-providers', org.as.admin.apiKey, {
        preset: 'oidc',
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
      });

    const changing = t.app.routeTable.filter((r) => !r.hidden && r.method !== 'GET').map((r) => `${r.method} ${r.url}`);
    const uncovered = changing.filter((route) => !scenarios[route] && !NOT_A_CHANGE[route]);
    assert.deepEqual(uncovered, [], 'state-changing routes without a scenario');

    // setup needs an empty deployment, so it runs first; then the fixtures.
    const ordered = ['POST /api/v1/setup', ...changing.filter((r) => r !== 'POST /api/v1/setup' && scenarios[r])];
    for (const route of ordered) {
      if (route !== 'POST /api/v1/setup' && !org) org = await seedOrganization(t, 'Coverage');
      const res = await scenarios[route]!();
      assert.ok(res.statusCode >= 200 && res.statusCode < 400, `${route} should succeed, got ${res.statusCode}: ${res.body}`);
      const requestId = String(res.headers['x-request-id']);
      const { rows } = await owner.query('select action from audit_events where request_id = $1', [requestId]);
      assert.ok(rows.length >= 1, `${route} recorded no audit event`);
    }
  });
});
