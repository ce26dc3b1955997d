import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentToken, registerAgent } from '../../testing/agent-fixtures.js';
import { seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { API_TAGS } from './openapi-tags.js';
import { SECURITY_SCHEMES } from './openapi-security.js';

type Requirement = Record<string, string[]>;
interface Operation {
  security?: Requirement[];
  tags?: string[];
  parameters?: { name: string; in: string; schema: { pattern?: string } }[];
}

/** Public routes that check a credential of their own, and say so in the document. */
const OWN_CREDENTIALS: Record<string, Requirement[]> = {
  'POST /api/v1/auth/refresh': [{ sessionRefresh: [] }],
  'GET /metrics': [{}, { metricsToken: [] }],
  'POST /api/v1/oauth/token': [{ agentSignature: [] }, {}],
};

/** A path value that passes the parameter's schema but names nothing, so no request changes anything. */
function pathSample(parameter: { name: string; schema: { pattern?: string } }): string {
  const prefix = /^\^([a-z]{3})_/.exec(parameter.schema.pattern ?? '');
  if (prefix) return `${prefix[1]}_${'0'.repeat(26)}`;
  if (parameter.name === 'keyId') return 'A'.repeat(43);
  if (parameter.name === 'domain') return 'example.com';
  if (parameter.name === 'providerId') return 'oidc';
  return 'x';
}

/**
 * Every operation of the OpenAPI document declares how it is authenticated, and the declaration is
 * what the route's gate does: each credential the document lists gets past the gate, each other one
 * is refused by it, and an operation that lists none answers without credentials.
 */
forEachTarget('API reference: security of every operation', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let token: string;
  let doc: { paths: Record<string, Record<string, Operation>>; tags: { name: string }[]; components: { securitySchemes: Record<string, unknown> } };

  before(async () => {
    // Every operation × credential from one client: more requests than the default per-IP limit.
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    org = await seedOrganization(t, 'Security');
    const { key } = await registerAgent(t, org.as.admin.apiKey, { name: 'doc-bot' });
    token = await agentToken(t, key);
    doc = t.app.swagger() as never;
  });
  after(() => t?.close());

  const operations = () => {
    const out: { key: string; method: string; path: string; op: Operation; access: (typeof t.app.routeTable)[number]['access'] }[] = [];
    const routes = new Map(t.app.routeTable.map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, r]));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        const route = routes.get(key);
        assert.ok(route, `${key} is a route`);
        out.push({ key, method: method.toUpperCase(), path, op, access: route.access });
      }
    }
    return out;
  };

  it('declares, for every operation, the credentials its access admits, with schemes and tags the document describes', () => {
    const all = operations();
    assert.ok(all.length > 100);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), Object.keys(SECURITY_SCHEMES).sort());
    for (const { key, op, access } of all) {
      assert.ok(Array.isArray(op.security), `${key} declares security`);
      const schemes = new Set(op.security!.flatMap((r) => Object.keys(r)));
      for (const scheme of schemes) assert.ok(scheme in doc.components.securitySchemes, `${key}: ${scheme}`);
      if (access.auth === 'public') {
        assert.deepEqual(op.security, OWN_CREDENTIALS[key] ?? [], key);
        continue;
      }
      assert.ok(!op.security!.some((r) => Object.keys(r).length === 0), `${key} is not optional`);
      const people = access.auth === 'user' || access.auth === 'org';
      assert.equal(schemes.has('session'), people, `${key} session`);
      assert.equal(schemes.has('apiKey'), access.auth === 'org' && !access.peopleOnly, `${key} apiKey`);
      const agents = access.auth === 'agent' || access.agents === true;
      assert.equal(schemes.has('agentSignature'), agents, `${key} agentSignature`);
      assert.equal(schemes.has('agentToken'), agents, `${key} agentToken`);
    }
    const used = new Set(all.flatMap(({ op }) => op.tags ?? []));
    assert.deepEqual(doc.tags.map((tag) => tag.name), API_TAGS.map((tag) => tag.name));
    assert.deepEqual([...used].sort(), API_TAGS.map((tag) => tag.name).sort(), 'every tag in use is described, and none is unused');
    for (const { key, op } of all) assert.equal(op.tags?.length, 1, `${key} has one tag`);
  });

  it('admits at the gate exactly the credentials the document declares', async () => {
    /** The gate refused: no or wrong credentials (401), or a credential this route does not take (403 forbidden). */
    const refusedByGate = (res: { statusCode: number; body: string }) =>
      res.statusCode === 401 || (res.statusCode === 403 && JSON.parse(res.body).error.code === 'forbidden');
    let checked = 0;
    const wrong: string[] = [];
    for (const { key, method, path, op, access } of operations()) {
      if (path === '/api/v1/events') continue; // a stream that stays open: covered by the live-update tests
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => pathSample(op.parameters!.find((p) => p.name === name)!));
      const schemes = new Set(op.security!.flatMap((r) => Object.keys(r)));
      // A fresh session each time: some of these routes end the session they are called with.
      const session = (await startSession(t, org.as.admin.userId, org.organizationId)).headers;
      const credentials: [string, Record<string, string>][] = [
        ['none', {}],
        ['session', session],
        ['apiKey', org.as.admin.apiKey],
        ['agentToken', { authorization: `Bearer ${token}` }],
      ];
      for (const [name, headers] of credentials) {
        // No body: a change is refused by its schema after the gate, so nothing changes.
        const res = await t.app.inject({ method: method as 'GET', url, headers });
        const declared = name === 'none' ? op.security!.length === 0 || op.security!.some((r) => Object.keys(r).length === 0) : schemes.has(name);
        const admitted = !refusedByGate(res);
        // A public route answers everyone; one that checks its own credential refuses the others in its handler.
        const expected = access.auth === 'public' ? declared || !(key in OWN_CREDENTIALS) || admitted : declared;
        if (admitted !== expected) wrong.push(`${key} as ${name} (declared: ${declared}): ${res.statusCode} ${res.body}`);
        checked++;
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(checked > 400, `checked ${checked}`);
  });
});
