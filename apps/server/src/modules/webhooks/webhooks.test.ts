import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { newId } from '../../platform/ids.js';
import { endpointOwner } from './index.js';
import { isPublicAddress } from '../../platform/net/outbound-guard.js';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';

/** Public literal addresses: nothing is sent to them here (no delivery engine runs in these tests), and they need no DNS. */
const PUBLIC = 'https://1.1.1.1/hooks/aim';
const secretOf = (bytes: number, fill: number) => `whsec_${Buffer.alloc(bytes, fill).toString('base64')}`;

forEachTarget('webhook endpoints', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const send = (method: 'POST' | 'PATCH' | 'GET' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const create = async (headers: Record<string, string>, body: Record<string, unknown> = {}) => {
    const res = await send('POST', '/api/v1/webhook-endpoints', headers, { url: PUBLIC, eventTypes: ['decision.*'], ...body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { webhookEndpoint: Record<string, unknown> & { id: string }; secret: string };
  };
  const auditOf = async (organizationId: string, targetId: string) => {
    await t.platform.auditSequencer.drain(organizationId);
    const { rows } = await (await t.owner()).query(
      `select action, actor_type, details from audit_events where organization_id = $1 and target_id = $2 order by occurred_at, id`,
      [organizationId, targetId],
    );
    return rows as { action: string; actor_type: string; details: Record<string, unknown> }[];
  };
  const stored = async (id: string) =>
    (await (await t.owner()).query('select * from webhook_endpoints where id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  const decrypt = (id: string, ciphertext: unknown, column = 'secret') => t.platform.keyring.decrypt(String(ciphertext), `webhook_endpoints.${column}:${id}`);

  it('creates an endpoint, showing its secret once; reads never return it, the audit log does not hold it, the database holds ciphertext', async () => {
    const { webhookEndpoint: endpoint, secret } = await create(a.as.admin.apiKey, {
      url: 'https://1.1.1.1:8443/hooks/aim?source=aim',
      description: ' SOAR intake ',
      eventTypes: ['decision.*', 'violation.recorded', 'decision.*'],
    });
    assert.match(endpoint.id, /^whk_[0-9a-z]{26}$/);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/, 'AIM makes whsec_ and 24 bytes of base64');
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
    assert.equal(endpoint.organizationId, a.organizationId);
    assert.equal(endpoint.description, 'SOAR intake');
    assert.deepEqual(endpoint.eventTypes, ['decision.*', 'violation.recorded']);
    assert.equal(endpoint.enabled, true);
    assert.equal(endpoint.createdBy, a.as.admin.userId, 'an API key creates for the person who made it');
    assert.equal(endpoint.secretRotatedAt, null);

    const read = await send('GET', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as.manager.session);
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json().webhookEndpoint, endpoint);
    const list = await send('GET', '/api/v1/webhook-endpoints', a.as.admin.session);
    assert.ok(list.json().webhookEndpoints.some((e: { id: string }) => e.id === endpoint.id));
    for (const body of [read.body, list.body]) assert.ok(!body.includes(secret.slice(6)) && !body.includes('whsec_'), 'no read returns the secret');

    const row = (await stored(endpoint.id))!;
    assert.ok(!JSON.stringify(row).includes(secret.slice(6)), 'the database holds no plaintext secret');
    assert.equal(decrypt(endpoint.id, row.secret_ciphertext), secret, 'the ciphertext is the secret, bound to its row');
    assert.throws(() => t.platform.keyring.decrypt(String(row.secret_ciphertext), `webhook_endpoints.secret:${newId('whk')}`), 'bound to this row only');
    assert.equal(row.created_by_type, 'api_key');

    const events = await auditOf(a.organizationId, endpoint.id);
    assert.deepEqual(events.map((e) => [e.action, e.actor_type]), [['webhook_endpoint.create', 'api_key']]);
    assert.deepEqual(events[0]!.details, {
      url: 'https://1.1.1.1:8443/hooks/aim',
      eventTypes: ['decision.*', 'violation.recorded'],
      enabled: true,
      suppliedByCaller: false,
    });
    assert.ok(!JSON.stringify(events).includes(secret.slice(6)));
  });

  it('tells the delivery engine and notifications who created an endpoint and where it points, within its organization only', async () => {
    const { webhookEndpoint: endpoint } = await create(a.as.manager.apiKey, { description: 'owned' });
    assert.deepEqual(await endpointOwner(t.platform.db, a.organizationId, endpoint.id), {
      url: PUBLIC,
      description: 'owned',
      createdById: a.as.manager.userId,
      createdByType: 'api_key',
    });
    assert.equal(await endpointOwner(t.platform.db, b.organizationId, endpoint.id), null);
  });

  it('takes a secret of the caller, and creates a disabled endpoint with its reason', async () => {
    const own = secretOf(32, 7);
    const { webhookEndpoint: endpoint, secret } = await create(a.as.manager.session, { secret: own, enabled: false });
    assert.equal(secret, own);
    assert.equal(endpoint.enabled, false);
    assert.equal(endpoint.disabledReason, 'Disabled by a person');
    assert.equal(endpoint.createdBy, a.as.manager.userId);
    assert.equal((await stored(endpoint.id))!.created_by_type, 'user');
  });

  it('changes an endpoint: url, description, types; disabling says why, enabling clears the reason and the failure run', async () => {
    const { webhookEndpoint: endpoint } = await create(a.as.admin.apiKey);
    const patch = (body: unknown) => send('PATCH', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as.manager.apiKey, body);
    const changed = await patch({ url: 'https://8.8.8.8/other', description: 'new', eventTypes: ['*'] });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json().webhookEndpoint.url, 'https://8.8.8.8/other');
    assert.deepEqual(changed.json().webhookEndpoint.eventTypes, ['*']);
    const disabled = (await patch({ enabled: false })).json().webhookEndpoint;
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.disabledReason, 'Disabled by a person');
    // As the delivery engine leaves an endpoint it disabled after failing for days.
    await (await t.owner()).query(`update webhook_endpoints set disabled_reason = 'Failing for 5 days', failing_since = now() - interval '5 days' where id = $1`, [endpoint.id]);
    const enabled = (await patch({ enabled: true })).json().webhookEndpoint;
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.disabledReason, null);
    assert.equal(enabled.failingSince, null);
    const unchanged = await patch({ description: 'new' });
    assert.equal(unchanged.statusCode, 200);
    const events = await auditOf(a.organizationId, endpoint.id);
    assert.deepEqual(events.map((e) => e.action), ['webhook_endpoint.create', 'webhook_endpoint.update', 'webhook_endpoint.update', 'webhook_endpoint.update'], 'no change, no record');
    assert.deepEqual(events[1]!.details.changed, ['url', 'description', 'event_types']);
    assert.deepEqual(events[3]!.details.enabled, { from: false, to: true });
    assert.equal(events[3]!.details.disabledReasonBefore, 'Failing for 5 days');
    for (const body of [{}, { eventTypes: [] }, { url: 'not a url' }, { enabled: 'yes' }]) {
      assert.equal((await patch(body)).statusCode, 400, JSON.stringify(body));
    }
  });

  it('rotates the secret: the current one signs during the overlap, a second rotation moves the then-current one, overlap 0 ends it', async () => {
    const { webhookEndpoint: endpoint, secret: first } = await create(a.as.admin.apiKey);
    const rotate = (body: unknown, headers = a.as.admin.apiKey) => send('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, headers, body);

    const reused = await rotate({ secret: first });
    assert.equal(reused.statusCode, 400, reused.body);
    assert.equal(reused.json().error.code, 'webhook_secret_reused');

    const r1 = await rotate({ overlapSeconds: 3600 });
    assert.equal(r1.statusCode, 200, r1.body);
    const second = r1.json().secret as string;
    assert.notEqual(second, first);
    const expires = Date.parse(r1.json().webhookEndpoint.previousSecretExpiresAt);
    assert.ok(Math.abs(expires - Date.now() - 3600_000) < 60_000, 'the previous secret signs for the overlap');
    assert.ok(r1.json().webhookEndpoint.secretRotatedAt);
    let row = (await stored(endpoint.id))!;
    assert.equal(decrypt(endpoint.id, row.secret_ciphertext), second);
    assert.equal(decrypt(endpoint.id, row.previous_secret_ciphertext, 'previous_secret'), first);

    const own = secretOf(40, 9);
    const r2 = await rotate({ secret: own });
    assert.equal(r2.json().secret, own);
    row = (await stored(endpoint.id))!;
    assert.equal(decrypt(endpoint.id, row.previous_secret_ciphertext, 'previous_secret'), second, 'a rotation during an overlap keeps the then-current secret');
    assert.ok(Math.abs(Date.parse(r2.json().webhookEndpoint.previousSecretExpiresAt) - Date.now() - 86_400_000) < 60_000, 'the default overlap is a day');

    const r3 = await rotate({ overlapSeconds: 0 });
    assert.equal(r3.json().webhookEndpoint.previousSecretExpiresAt, null);
    row = (await stored(endpoint.id))!;
    assert.equal(row.previous_secret_ciphertext, null);
    assert.equal(decrypt(endpoint.id, row.secret_ciphertext), r3.json().secret);

    for (const body of [{ secret: 'whsec_short' }, { secret: 'not-a-secret' }, { secret: secretOf(16, 1) }, { overlapSeconds: -1 }, { overlapSeconds: 8 * 86_400 }]) {
      const res = await rotate(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error.code, 'validation_failed');
    }
    const events = await auditOf(a.organizationId, endpoint.id);
    const rotations = events.filter((e) => e.action === 'webhook_endpoint.rotate_secret');
    assert.equal(rotations.length, 3);
    assert.deepEqual(rotations[1]!.details, { overlapSeconds: 86_400, previousValidUntil: r2.json().webhookEndpoint.previousSecretExpiresAt, suppliedByCaller: true });
    for (const secret of [first, second, own, r3.json().secret]) assert.ok(!JSON.stringify(events).includes(secret.slice(6)), 'no secret in the audit log');
  });

  it('refuses unusable URLs, unknown event types and bad secrets with their codes, creating nothing', async () => {
    const count = async () => Number((await (await t.owner()).query('select count(*) from webhook_endpoints')).rows[0].count);
    const before = await count();
    const refused: [string, string, RegExp][] = [
      ['plain http to a public host', 'http://1.1.1.1/hook', /Only https/],
      ['a private address', 'https://10.0.0.5/hook', /not a public address/],
      ['loopback', 'https://127.0.0.1:8443/hook', /not a public address/],
      ['IPv6 loopback', 'https://[::1]/hook', /not a public address/],
      ['cloud metadata', 'https://169.254.169.254/latest', /not a public address/],
      ['a loopback name', 'https://localhost/hook', /loopback name/],
      ['a subdomain of localhost', 'https://aim.localhost/hook', /loopback name/],
      ['a name that does not resolve', 'https://no-such-host.invalid/hook', /does not resolve/],
      ['credentials in the URL', 'https://user:pw@1.1.1.1/hook', /credentials/],
      ['a fragment', 'https://1.1.1.1/hook#x', /fragment/],
    ];
    // This machine's name resolves (hosts file or DNS) to an address of its own network, almost always a private one.
    const own = await lookup(hostname(), { all: true }).catch(() => []);
    if (own.length > 0 && own.some((a) => !isPublicAddress(a.address))) {
      refused.push(['a name resolving to a private address', `https://${hostname()}/hook`, /resolves to .*not a public address/]);
    }
    for (const [label, url, message] of refused) {
      const res = await send('POST', '/api/v1/webhook-endpoints', a.as.admin.apiKey, { url, eventTypes: ['*'] });
      assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
      assert.equal(res.json().error.code, 'webhook_url_refused', label);
      assert.match(res.json().error.message, message, label);
    }
    const invalid: [string, unknown][] = [
      ['a malformed URL', { url: 'hooks.example.com/aim', eventTypes: ['*'] }],
      ['another scheme', { url: 'ftp://1.1.1.1/x', eventTypes: ['*'] }],
      ['an unknown event type', { url: PUBLIC, eventTypes: ['decision.exploded'] }],
      ['an unknown prefix', { url: PUBLIC, eventTypes: ['nothing.*'] }],
      ['no event types', { url: PUBLIC, eventTypes: [] }],
      ['a secret without its prefix', { url: PUBLIC, eventTypes: ['*'], secret: Buffer.alloc(24).toString('base64') }],
      ['a secret too short', { url: PUBLIC, eventTypes: ['*'], secret: secretOf(8, 1) }],
    ];
    for (const [label, body] of invalid) {
      const res = await send('POST', '/api/v1/webhook-endpoints', a.as.admin.apiKey, body);
      assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed', label);
    }
    const { webhookEndpoint: endpoint } = await create(a.as.admin.apiKey);
    const patched = await send('PATCH', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as.admin.apiKey, { url: 'https://192.168.1.1/x' });
    assert.equal(patched.json().error.code, 'webhook_url_refused', 'a change of URL is checked as well');
    assert.equal(await count(), before + 1);
  });

  it('answers another organization’s endpoints and unknown deliveries with 404, and lets only managers and admins change', async () => {
    const { webhookEndpoint: endpoint } = await create(a.as.admin.apiKey);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { enabled: false }],
      ['DELETE', '', undefined],
      ['POST', '/rotate-secret', {}],
      ['POST', '/test', undefined],
      ['GET', '/deliveries', undefined],
      ['POST', '/replay', { since: '2026-01-01T00:00:00Z' }],
      ['POST', '/redeliver-failed', { since: '2026-01-01T00:00:00Z' }],
    ] as const) {
      const res = await send(method, `/api/v1/webhook-endpoints/${endpoint.id}${path}`, b.as.admin.apiKey, body);
      assert.equal(res.statusCode, 404, `${method} ${path}: ${res.body}`);
      assert.equal(res.json().error.code, 'webhook_endpoint_not_found');
    }
    const unknownDelivery = await send('GET', `/api/v1/webhook-endpoints/${endpoint.id}/deliveries/${newId('whd')}`, a.as.admin.apiKey);
    assert.equal(unknownDelivery.statusCode, 404);
    assert.equal(unknownDelivery.json().error.code, 'webhook_delivery_not_found');
    assert.equal((await send('POST', `/api/v1/webhook-endpoints/${endpoint.id}/deliveries/${newId('whd')}/redeliver`, a.as.admin.apiKey)).statusCode, 404);
    assert.equal((await send('GET', '/api/v1/webhook-endpoints', b.as.admin.apiKey)).json().webhookEndpoints.length, 0, 'lists hold the organization’s own');

    for (const role of ['member', 'viewer'] as const) {
      assert.equal((await send('GET', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as[role].apiKey)).statusCode, 403, `${role} reads`);
      assert.equal((await send('POST', '/api/v1/webhook-endpoints', a.as[role].apiKey, { url: PUBLIC, eventTypes: ['*'] })).statusCode, 403, `${role} creates`);
      assert.equal((await send('DELETE', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as[role].session)).statusCode, 403, `${role} deletes`);
    }
    assert.equal((await send('GET', `/api/v1/webhook-endpoints/${endpoint.id}`, a.as.manager.apiKey)).statusCode, 200);
  });

  it('deletes an endpoint with its deliveries, and keeps to the limit of endpoints per organization', async () => {
    const { webhookEndpoint: endpoint } = await create(b.as.admin.apiKey);
    const test = await send('POST', `/api/v1/webhook-endpoints/${endpoint.id}/test`, b.as.admin.apiKey);
    assert.equal(test.statusCode, 202, test.body);
    const deleted = await send('DELETE', `/api/v1/webhook-endpoints/${endpoint.id}`, b.as.admin.apiKey);
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(deleted.body, '');
    assert.equal(await stored(endpoint.id), undefined);
    const left = await (await t.owner()).query('select count(*)::int as n from webhook_deliveries where endpoint_id = $1', [endpoint.id]);
    assert.equal(left.rows[0].n, 0, 'its deliveries went with it');
    assert.equal((await send('GET', `/api/v1/webhook-endpoints/${endpoint.id}`, b.as.admin.apiKey)).statusCode, 404);
    assert.deepEqual((await auditOf(b.organizationId, endpoint.id)).map((e) => e.action), ['webhook_endpoint.create', 'webhook_endpoint.test', 'webhook_endpoint.delete']);

    const existing = (await (await t.owner()).query('select count(*)::int as n from webhook_endpoints where organization_id = $1', [b.organizationId])).rows[0].n as number;
    await Promise.all(Array.from({ length: 50 - existing }, () => create(b.as.admin.apiKey)));
    const over = await Promise.all([1, 2].map(() => send('POST', '/api/v1/webhook-endpoints', b.as.admin.apiKey, { url: PUBLIC, eventTypes: ['*'] })));
    for (const res of over) {
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().error.code, 'webhook_endpoint_limit');
    }
    const page = await send('GET', '/api/v1/webhook-endpoints?limit=20', b.as.admin.apiKey);
    assert.equal(page.json().webhookEndpoints.length, 20);
    const rest = await send('GET', `/api/v1/webhook-endpoints?limit=40&cursor=${page.json().nextCursor}`, b.as.admin.apiKey);
    assert.equal(rest.json().webhookEndpoints.length, 30);
    assert.equal(rest.json().nextCursor, null);
    const disabled = await send('GET', '/api/v1/webhook-endpoints?enabled=false', b.as.admin.apiKey);
    assert.equal(disabled.json().webhookEndpoints.length, 0);
  });
});

forEachTarget('webhook endpoints where private networks are allowed and AIM is served over https', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', PUBLIC_URL: 'https://aim.example.com', SERVE_DASHBOARD: 'false' } });
    a = await seedOrganization(t, 'Inside');
  });
  after(() => t?.close());

  const create = (url: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: { ...a.as.admin.apiKey, 'content-type': 'application/json' },
      payload: JSON.stringify({ url, eventTypes: ['*'] }),
    });

  it('takes internal https receivers, and refuses plain http because AIM itself is https', async () => {
    for (const url of ['https://127.0.0.1:8443/hook', 'https://localhost/hook', 'https://10.1.2.3/hook']) {
      const res = await create(url);
      assert.equal(res.statusCode, 201, `${url}: ${res.body}`);
    }
    const plain = await create('http://10.1.2.3/hook');
    assert.equal(plain.statusCode, 400, plain.body);
    assert.equal(plain.json().error.code, 'webhook_url_refused');
    assert.match(plain.json().error.message, /served over https/);
  });
});
