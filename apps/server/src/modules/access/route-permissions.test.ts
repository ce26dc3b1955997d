import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROLES, type Role } from '@aim/contracts';
import { newId } from '../../platform/ids.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { can } from './permissions.js';
import { insertIdentityProvider } from '../../testing/people-fixtures.js';
import { newAgentKey, signedInject, registerAgent } from '../../testing/agent-fixtures.js';
import { insertAlert } from '../../testing/alert-fixtures.js';
import { insertScan } from '../../testing/mcp-rows.js';
import { insertMcpFinding } from '../../testing/mcp-finding-rows.js';

/**
 * Every route in the route table × every role × cookie session and API key × own and other
 * organization, compared with the permission table. Resource ids in paths are ids that do not
 * exist in the caller's organization, or that exist only in the other one: both must answer 404
 * to a caller who passes the permission check, and 403 to one who does not.
 */
const PARAM_PREFIX: Record<string, string> = {
  userId: 'usr',
  apiKeyId: 'key',
  sessionId: 'ses',
  invitationId: 'inv',
  passkeyId: 'pky',
  identityProviderId: 'idp',
  domain: 'domain',
  agentId: 'agt',
  mcpServerId: 'mcp',
  keyId: 'keyId',
  enrollmentTokenId: 'enr',
  capabilityId: 'cap',
  grantId: 'grt',
  requestId: 'crq',
  policyId: 'pol',
  decisionId: 'dec',
  ratingId: 'rat',
  incidentId: 'inc',
  endpointId: 'whk',
  deliveryId: 'whd',
  alertId: 'alr',
  scanId: 'msc',
  findingId: 'mcf',
  reviewId: 'arv',
  itemId: 'ari',
  reportId: 'rpt',
  framework: 'framework',
};

forEachTarget('route permissions', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let bInvitation: string;
  let bIdentityProvider: string;
  let bAgent: { id: string; keyId: string };
  let bMcpServer: string;
  let bEnrollmentToken: string;
  let bCapability: string;
  let bGrant: string;
  let bRequest: string;
  let bPolicy: string;
  let bDecision: string;
  let bRating: string;
  let bIncident: string;
  let bEndpoint: string;
  let bDelivery: string;
  let bAlert: string;
  let bScan: string;
  let bMcpFinding: string;
  let bReview: string;
  let bReviewItem: string;

  before(async () => {
    // Every route × role × credential from one client: more requests than the default per-IP limit.
    // Live streams end at once here: every route is called, and a stream would otherwise stay open.
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000', LIVE_STREAM_MAX_MS: '10' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...b.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { email: 'pending@b.example', role: 'viewer' },
    });
    bInvitation = invited.json().id;
    const claimed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: { ...b.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { domain: 'b-claimed.example' },
    });
    assert.equal(claimed.statusCode, 201, claimed.body);
    bIdentityProvider = await insertIdentityProvider(t, b.organizationId);
    const registered = await registerAgent(t, b.as.admin.apiKey);
    bAgent = { id: registered.agent.id, keyId: registered.key.keyId };
    const enrollment = await t.app.inject({
      method: 'POST',
      url: '/api/v1/enrollment-tokens',
      headers: { ...b.as.admin.apiKey, 'content-type': 'application/json' },
      payload: {},
    });
    bEnrollmentToken = enrollment.json().enrollmentToken.id;
    const mcpServer = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mcp-servers',
      headers: { ...b.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { name: 'b-mcp', transport: { type: 'streamable_http', url: 'https://mcp.b.example/mcp' } },
    });
    assert.equal(mcpServer.statusCode, 201, mcpServer.body);
    bMcpServer = mcpServer.json().mcpServer.id;
    const post = async (url: string, payload: unknown) => {
      const res = await t.app.inject({ method: 'POST', url, headers: { ...b.as.admin.apiKey, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      assert.ok(res.statusCode < 300, `${url}: ${res.body}`);
      return res.json();
    };
    bCapability = (await post('/api/v1/capabilities', { name: 'db:read', riskLevel: 'low' })).capability.id;
    await post('/api/v1/capabilities', { name: 'email:send', riskLevel: 'medium' });
    bGrant = (await post(`/api/v1/agents/${bAgent.id}/grants`, { capability: 'db:read' })).grant.id;
    bRequest = (await post(`/api/v1/agents/${bAgent.id}/capability-requests`, { capability: 'email:send', reason: 'reports' })).request.id;
    bPolicy = (await post('/api/v1/policies', { name: 'b-deny', type: 'resource_deny', config: { resources: ['secrets/**'] } })).policy.id;
    const decided = await signedInject(t, registered.key, { method: 'POST', url: `/api/v1/agents/${bAgent.id}/verify-action`, body: JSON.stringify({ action: 'db:read' }) });
    assert.equal(decided.statusCode, 200, decided.body);
    bDecision = decided.json().decisionId;
    const rated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${bAgent.id}/ratings`,
      headers: { ...b.as.manager.apiKey, 'content-type': 'application/json' },
      payload: { rating: 4 },
    });
    assert.equal(rated.statusCode, 201, rated.body);
    bRating = rated.json().rating.id;
    bIncident = (await post(`/api/v1/agents/${bAgent.id}/incidents`, { severity: 'low', title: 'b incident' })).incident.id;
    bEndpoint = (await post('/api/v1/webhook-endpoints', { url: 'https://1.1.1.1/b-hook', eventTypes: ['*'] })).webhookEndpoint.id;
    bDelivery = (await post(`/api/v1/webhook-endpoints/${bEndpoint}/test`, {})).delivery.id;
    bAlert = await insertAlert(t, b.organizationId);
    bScan = (await insertScan(t, b.organizationId, bMcpServer, [])).id;
    bMcpFinding = await insertMcpFinding(t, b.organizationId, bMcpServer);
    bReview = (await post('/api/v1/access-reviews', { name: 'b review', scope: { kind: 'api_keys' }, deadline: new Date(Date.now() + 86_400_000).toISOString() })).accessReview.id;
    bReviewItem = (await t.app.inject({ method: 'GET', url: `/api/v1/access-reviews/${bReview}/items`, headers: b.as.admin.apiKey })).json().items[0].id;
  });
  after(() => t?.close());

  const fill = (url: string, ids: 'unknown' | 'other') =>
    url.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const prefix = PARAM_PREFIX[name];
      if (!prefix) throw new Error(`no fixture for path parameter :${name}; add one to the permission test`);
      if (name === 'domain') return ids === 'unknown' ? 'unknown.example' : 'b-claimed.example';
      // Frameworks are the catalogue's, the same for every organization: only a name not in it is refused.
      if (name === 'framework') return ids === 'unknown' ? 'no_such_framework' : 'another_framework';
      if (name === 'reportId') return newId('rpt'); // B's reports are as unknown to A (compliance-reports.test.ts creates them)
      if (name === 'keyId') return ids === 'unknown' ? newAgentKey().keyId : bAgent.keyId;
      if (ids === 'unknown') return newId(prefix as never);
      if (name === 'userId') return b.as.viewer.userId;
      if (name === 'apiKeyId') return b.as.viewer.apiKeyId;
      if (name === 'invitationId') return bInvitation;
      if (name === 'passkeyId') return newId('pky'); // passkeys are a person's own: any other id is unknown
      if (name === 'identityProviderId') return bIdentityProvider;
      if (name === 'agentId') return bAgent.id;
      if (name === 'mcpServerId') return bMcpServer;
      if (name === 'enrollmentTokenId') return bEnrollmentToken;
      if (name === 'capabilityId') return bCapability;
      if (name === 'grantId') return bGrant;
      if (name === 'requestId') return bRequest;
      if (name === 'policyId') return bPolicy;
      if (name === 'decisionId') return bDecision;
      if (name === 'ratingId') return bRating;
      if (name === 'incidentId') return bIncident;
      if (name === 'endpointId') return bEndpoint;
      if (name === 'deliveryId') return bDelivery;
      if (name === 'alertId') return bAlert;
      if (name === 'scanId') return bScan;
      if (name === 'findingId') return bMcpFinding;
      if (name === 'reviewId') return bReview;
      if (name === 'itemId') return bReviewItem;
      return b.as.viewer.sessionId;
    });

  const call = (method: string, url: string, headers: Record<string, string>, body: unknown = {}) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { ...headers, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
      ...(method === 'GET' || method === 'DELETE' ? {} : { payload: JSON.stringify(body ?? {}) }),
    });

  it('covers routes of every kind', () => {
    const kinds = new Set(t.app.routeTable.map((r) => r.access.auth));
    assert.deepEqual([...kinds].sort(), ['agent', 'org', 'public', 'user']);
  });

  it('answers 401 to every non-public route without credentials', async () => {
    for (const route of t.app.routeTable.filter((r) => r.access.auth !== 'public')) {
      const res = await call(route.method, fill(route.url, 'unknown'), {});
      assert.equal(res.statusCode, 401, `${route.method} ${route.url}`);
      assert.equal(res.json().error.code, 'unauthenticated');
    }
  });

  it('answers every role, by session and by API key, as the permission table says', async () => {
    let checked = 0;
    for (const route of t.app.routeTable.filter((r) => r.access.auth !== 'public')) {
      for (const role of ROLES as readonly Role[]) {
        for (const via of ['session', 'apiKey'] as const) {
          // A fresh session per call: some routes (sign-out) end the session they are called with.
          const headers = via === 'session' ? (await startSession(t, a.as[role].userId, a.organizationId)).headers : a.as[role].apiKey;
          const label = `${route.method} ${route.url} as ${role} by ${via}`;
          const expectAllowed =
            route.access.auth === 'agent'
              ? false
              : route.access.auth === 'user'
              ? via === 'session'
              : (!route.access.peopleOnly || via === 'session') && (!route.access.permission || can(role, route.access.permission));
          for (const ids of route.url.includes(':') ? (['unknown', 'other'] as const) : (['unknown'] as const)) {
            const res = await call(route.method, fill(route.url, ids), headers, route.bodyExample);
            if (!expectAllowed) {
              assert.equal(res.statusCode, 403, `${label}: ${res.body}`);
              assert.equal(res.json().error.code, 'forbidden', label);
            } else {
              assert.ok(![401, 403].includes(res.statusCode), `${label} (${ids} ids) answered ${res.statusCode}: ${res.body}`);
              if (route.url.includes(':')) assert.equal(res.statusCode, 404, `${label} with ${ids} ids: ${res.body}`);
            }
            checked += 1;
          }
        }
      }
    }
    assert.ok(checked > 50, `checked ${checked} combinations`);
  });

  it('refuses cookie-authenticated changes without the CSRF token or from another origin', async () => {
    const { cookie, 'x-csrf-token': csrf } = a.as.admin.session as { cookie: string; 'x-csrf-token': string };
    const patch = (headers: Record<string, string>) =>
      t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { cookie, 'content-type': 'application/json', ...headers }, payload: '{}' });
    assert.equal((await patch({ origin: 'http://localhost' })).json().error.code, 'csrf_failed');
    assert.equal((await patch({ origin: 'https://evil.example', 'x-csrf-token': csrf })).json().error.code, 'csrf_failed');
    assert.equal((await patch({ 'x-csrf-token': csrf })).json().error.code, 'csrf_failed');
    assert.equal((await patch({ origin: 'http://localhost', 'x-csrf-token': a.as.manager.session['x-csrf-token']! })).json().error.code, 'csrf_failed');
    // The Origin must be AIM's public one: a request naming another Host does not make that host's origin trusted.
    assert.equal((await patch({ host: 'evil.example', origin: 'http://evil.example', 'x-csrf-token': csrf })).json().error.code, 'csrf_failed');
    assert.equal((await patch({ host: '127.0.0.1', origin: 'http://127.0.0.1', 'x-csrf-token': csrf })).json().error.code, 'csrf_failed');
    assert.equal((await patch({ origin: 'http://localhost', 'x-csrf-token': csrf })).statusCode, 200);
    // API keys are not cookies: no CSRF token needed.
    const byKey = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: { ...a.as.admin.apiKey, 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(byKey.statusCode, 200);
  });

  it('rejects malformed, unknown and tampered credentials with distinct codes', async () => {
    const get = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/organization', headers });
    assert.equal((await get({ authorization: 'Basic abc' })).json().error.code, 'invalid_token');
    assert.equal((await get({ authorization: 'Bearer not-a-key' })).json().error.code, 'invalid_token');
    assert.equal((await get({ authorization: `Bearer aim_v1_${'A'.repeat(43)}` })).json().error.code, 'invalid_token');
    const cookie = a.as.admin.session.cookie!;
    const tampered = cookie.replace(/aim_access=([^.;]+)\.([^.;]+)\./, (_m, h: string, p: string) => `aim_access=${h}.${p}x.`);
    assert.equal((await get({ cookie: tampered })).json().error.code, 'invalid_token');
  });
});
