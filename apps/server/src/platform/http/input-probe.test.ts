import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ERROR_CODES } from '@aim/contracts';
import { agentToken, registerAgent, signedInject, type TestAgentKey } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import type { RouteAccess } from '../auth/authenticate.js';

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  schema: { type?: string; format?: string; pattern?: string };
}
type Operations = Record<string, { parameters?: Parameter[] }>;

const OUT_OF_RANGE_DATES = ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59-01:00'];

/** A value for a path parameter that passes its schema (so the probe reaches the query's validation). */
function pathSample(parameter: Parameter, agentId: string): string {
  const pattern = parameter.schema.pattern ?? '';
  if (pattern.startsWith('^agt_')) return agentId;
  const prefix = /^\^([a-z]{3})_/.exec(pattern);
  if (prefix) return `${prefix[1]}_${'0'.repeat(26)}`;
  if (parameter.name === 'keyId') return 'A'.repeat(43);
  if (parameter.name === 'domain') return 'example.com';
  if (parameter.name === 'providerId') return 'oidc';
  return 'x';
}

function isDateTime(parameter: Parameter): boolean {
  return parameter.schema.format === 'date-time';
}

/**
 * What an independent probe of the API sends — a NUL in every query and path parameter of every operation
 * the OpenAPI document declares, dates outside what PostgreSQL and JavaScript share in every date-time
 * parameter, bodies that are not UTF-8 — must be answered 400 with a stable code, and store nothing.
 */
forEachTarget('bad input, probed across the whole API', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let agentId: string;
  let agentKey: TestAgentKey;
  let token: string;

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Probe');
    const registered = await registerAgent(t, org.as.admin.apiKey, { name: 'probe-bot' });
    agentId = registered.agent.id;
    agentKey = registered.key;
    token = await agentToken(t, agentKey);
  });
  after(() => t?.close());

  const expectError = (res: { statusCode: number; body: string; headers: Record<string, unknown> }, code: keyof typeof ERROR_CODES, what: string) => {
    // The OIDC start and callback are browser navigations: their refusals end on the sign-in page, with the same code.
    if (res.statusCode === 303 && String(res.headers.location).startsWith('/sign-in/?')) {
      assert.equal(new URL(String(res.headers.location), 'http://aim.invalid').searchParams.get('error'), code, `${what}: ${String(res.headers.location)}`);
      return '';
    }
    assert.equal(res.statusCode, ERROR_CODES[code].status, `${what}: ${res.statusCode} ${res.body}`);
    assert.equal(JSON.parse(res.body).error.code, code, `${what}: ${res.body}`);
    return JSON.parse(res.body).error.message as string;
  };

  /** Audit events written on behalf of a caller (scheduled work writes system events on its own). */
  const callerEvents = async () => Number((await (await t.owner()).query(`select count(*) from audit_events where actor_type <> 'system'`)).rows[0].count);

  const credentialsFor = (access: RouteAccess): Record<string, string> => {
    if (access.auth === 'public') return {};
    if (access.auth === 'agent') return { authorization: `Bearer ${token}` };
    if (access.auth === 'user' || access.peopleOnly) return org.as.admin.session;
    return org.as.admin.apiKey;
  };

  it('answers a NUL in any query or path parameter, and a date out of range in any date parameter, with 400 and stores nothing', async () => {
    const doc = t.app.swagger() as unknown as { paths: Record<string, Operations> };
    const access = new Map(t.app.routeTable.map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, r]));
    const before = await callerEvents();
    let probes = 0;
    let dateProbes = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const route = access.get(`${method.toUpperCase()} ${path}`);
        assert.ok(route, `${method} ${path} is in the route table`);
        const parameters = operation.parameters ?? [];
        const pathParameters = parameters.filter((p) => p.in === 'path');
        const url = (pathValues: Record<string, string>, query: string) =>
          path.replace(/\{(\w+)\}/g, (_m, name: string) => pathValues[name]!) + (query ? `?${query}` : '');
        const valid = Object.fromEntries(pathParameters.map((p) => [p.name, encodeURIComponent(pathSample(p, agentId))]));
        const send = async (target: string, what: string) => {
          const payload = route.bodyExample ?? (['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined);
          const res = await t.app.inject({
            method: route.method as 'GET',
            url: target,
            headers: { ...credentialsFor(route.access), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
            ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
          });
          probes++;
          return { res, what: `${route.method} ${target} (${what})` };
        };
        for (const parameter of parameters) {
          if (parameter.in === 'query') {
            const { res, what } = await send(url(valid, `${parameter.name}=a%00b`), 'NUL');
            const message = expectError(res, 'validation_failed', what);
            if (message) assert.match(message, new RegExp(`"${parameter.name}"`), what);
          }
          if (parameter.in === 'path') {
            const { res, what } = await send(url({ ...valid, [parameter.name]: '%00' }, ''), 'NUL');
            expectError(res, 'validation_failed', what);
          }
          if (parameter.in === 'query' && isDateTime(parameter)) {
            for (const date of OUT_OF_RANGE_DATES) {
              const { res, what } = await send(url(valid, `${parameter.name}=${encodeURIComponent(date)}`), date);
              const message = expectError(res, 'validation_failed', what);
              if (message) assert.match(message, /1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/, what);
              dateProbes++;
            }
          }
        }
      }
    }
    // The document has the parameters the probe is about (audit logs, export, decisions, trust history).
    assert.ok(probes > 100, `probes: ${probes}`);
    assert.ok(dateProbes >= 8 * OUT_OF_RANGE_DATES.length, `date probes: ${dateProbes}`);
    assert.equal(await callerEvents(), before, 'a refused request stores nothing');
  });

  it('names the parameter: the probes that answered 500 before', async () => {
    const cases = [
      '/api/v1/agents?q=%00',
      '/api/v1/audit-logs?actorId=%00',
      '/api/v1/audit-logs?targetId=usr%00',
      '/api/v1/audit-logs?q=%00',
      '/api/v1/decisions?action=%00',
      '/api/v1/decisions?cursor=%00',
      '/api/v1/capability-requests?cursor=%00',
      '/api/v1/violations?cursor=%00',
      '/api/v1/agents?q=ok&q=%00',
      '/api/v1/agents?%00=1',
    ];
    for (const url of cases) {
      const res = await t.app.inject({ method: 'GET', url, headers: org.as.admin.apiKey });
      const message = expectError(res, 'validation_failed', url);
      assert.match(message, /NUL/, url);
    }
    // Ordinary text, and a paired surrogate (an emoji), still search.
    for (const url of ['/api/v1/agents?q=probe', `/api/v1/agents?q=${encodeURIComponent('bot 🤖')}`, '/api/v1/audit-logs?q=caf%C3%A9']) {
      const res = await t.app.inject({ method: 'GET', url, headers: org.as.admin.apiKey });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  });

  it('accepts the dates at both ends of the range, with an offset', async () => {
    for (const [from, to] of [
      ['1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'],
      ['1970-01-01T01:00:00+01:00', '9999-12-31T23:59:59+05:00'],
    ]) {
      for (const path of ['/api/v1/audit-logs', '/api/v1/decisions', `/api/v1/agents/${agentId}/trust-history`]) {
        const res = await t.app.inject({ method: 'GET', url: `${path}?from=${encodeURIComponent(from!)}&to=${encodeURIComponent(to!)}`, headers: org.as.admin.apiKey });
        assert.equal(res.statusCode, 200, `${path} ${from} ${to}: ${res.body}`);
      }
    }
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export?from=1970-01-01T00:00:00Z', headers: org.as.admin.apiKey });
    assert.equal(exported.statusCode, 200);
  });

  it('refuses a date out of range in a body (an API key expiring in the year 10000, UTC)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { ...org.as.admin.session, 'content-type': 'application/json' },
      payload: { name: 'forever', role: 'viewer', expiresAt: '9999-12-31T23:59:59-01:00' },
    });
    assert.match(expectError(res, 'validation_failed', 'expiresAt'), /body\.expiresAt: must be an RFC 3339 date-time between/);
    const stored = await (await t.owner()).query(`select count(*) from api_keys where name = 'forever'`);
    assert.equal(Number(stored.rows[0].count), 0);
  });

  it('refuses a JSON body that is not UTF-8 (invalid_encoding) and stores nothing; the same body in UTF-8 is stored', async () => {
    const capabilities = async (name: string) =>
      (await (await t.owner()).query('select description from capabilities where name = $1', [name])).rows as { description: string }[];
    const json = (description: Buffer) =>
      Buffer.concat([Buffer.from('{"name":"probe:utf8","riskLevel":"low","description":"'), description, Buffer.from('"}')]);
    const bad = [
      Buffer.from([0x63, 0x61, 0x66, 0xe9]), // "café" in Latin-1
      Buffer.from([0xc0, 0xaf]), // an overlong "/"
      Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded as UTF-8 (CESU-8)
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
      Buffer.from([0xe2, 0x82]), // a truncated sequence
    ];
    for (const bytes of bad) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/capabilities', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: json(bytes) });
      expectError(res, 'invalid_encoding', bytes.toString('hex'));
    }
    assert.deepEqual(await capabilities('probe:utf8'), []);
    const good = await t.app.inject({ method: 'POST', url: '/api/v1/capabilities', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: json(Buffer.from('café ☕', 'utf8')) });
    assert.equal(good.statusCode, 201, good.body);
    assert.deepEqual(await capabilities('probe:utf8'), [{ description: 'café ☕' }]);
  });

  it('refuses a signed agent request whose body is not UTF-8, though its Content-Digest matches the bytes', async () => {
    const body = Buffer.concat([Buffer.from('{"action":"db:read","resource":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    const res = await signedInject(t, agentKey, { method: 'POST', url: `/api/v1/agents/${agentId}/verify-action`, body: body.toString('latin1'), digest, sendBody: body as unknown as string });
    expectError(res, 'invalid_encoding', 'signed body');
    const stored = await (await t.owner()).query('select count(*) from verification_events where agent_id = $1', [agentId]);
    assert.equal(Number(stored.rows[0].count), 0);
  });

  it('refuses a form body that is not UTF-8, or holds a NUL, at the token endpoint', async () => {
    for (const payload of [Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff]), Buffer.from('grant_type=client_credentials&client_assertion=%00')]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expectError(res, payload.includes(0xff) ? 'invalid_encoding' : 'validation_failed', payload.toString('latin1'));
    }
  });
});
