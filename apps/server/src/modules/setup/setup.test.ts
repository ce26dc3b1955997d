import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

const BOOTSTRAP = 'bootstrap-token-for-tests-0123456789abcdef';
const body = (token: string) => ({
  token,
  organization: { name: 'Acme Robotics' },
  admin: { email: 'Ada@Acme.example', name: 'Ada Lovelace' },
});

forEachTarget('first-run setup', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target, { env: { AIM_BOOTSTRAP_TOKEN: BOOTSTRAP } });
  });
  after(() => t?.close());

  const setup = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: payload as object });

  it('refuses a wrong token and creates nothing', async () => {
    const res = await setup(body('x'.repeat(40)));
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'invalid_token');
    assert.equal(await t.app.services.setup.issueLinkToken().then((tok) => tok !== null), true, 'still no organization');
  });

  it('creates the first organization, its admin and an admin API key, once', async () => {
    const res = await setup(body(BOOTSTRAP));
    assert.equal(res.statusCode, 201, res.body);
    const result = res.json();
    assert.equal(result.organization.name, 'Acme Robotics');
    assert.equal(result.user.email, 'ada@acme.example');
    assert.equal(result.user.name, 'Ada Lovelace');
    assert.equal(result.apiKey.apiKey.role, 'admin');
    assert.match(result.apiKey.key, /^aim_v1_/);

    const org = await t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: { authorization: `Bearer ${result.apiKey.key}` } });
    assert.equal(org.statusCode, 200);
    assert.equal(org.json().id, result.organization.id);
    const members = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${result.apiKey.key}` } });
    assert.deepEqual(members.json().members.map((m: { role: string }) => m.role), ['admin']);

    const again = await setup(body(BOOTSTRAP));
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'conflict');
    assert.equal(await t.app.services.setup.issueLinkToken(), null, 'no setup link once set up');
  });

  it('keeps personal data encrypted at rest', async () => {
    const owner = await t.owner();
    const dump = JSON.stringify((await owner.query('select * from users')).rows);
    assert.ok(!dump.includes('ada@acme.example'), 'no email in clear');
    assert.ok(!dump.includes('Lovelace'), 'no name in clear');
    assert.ok(!t.logs.raw.join('\n').includes('ada@acme.example'), 'nor in the logs');
  });

  it('records the setup in the audit log', async () => {
    const owner = await t.owner();
    const { rows } = await owner.query('select action, actor_type from audit_events order by occurred_at, id');
    assert.deepEqual(rows.map((r) => r.action), ['organization.create', 'member.add', 'api_key.create']);
    assert.ok(rows.every((r) => r.actor_type === 'user'));
  });
});

forEachTarget('first-run setup page', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target);
  });
  after(() => t?.close());

  it('serves the setup page and its script under a strict content security policy', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/setup?token=abc' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /<form id="setup">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
    const script = await t.app.inject({ method: 'GET', url: '/setup/setup.js' });
    assert.match(script.body, /\/api\/v1\/setup/);
    assert.match(String(script.headers['content-type']), /javascript/);
  });
});

forEachTarget('first-run setup link', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target);
  });
  after(() => t?.close());

  it('signs the first admin in with a session, once, and never without a token', async () => {
    const token = await t.app.services.setup.issueLinkToken();
    assert.ok(token);
    const noBootstrap = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body('y'.repeat(40)) });
    assert.equal(noBootstrap.json().error.code, 'invalid_token');

    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token) });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().apiKey, null);
    const cookies = res.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string }[];
    const access = cookies.find((c) => c.name === 'aim_access')!;
    const refresh = cookies.find((c) => c.name === 'aim_refresh')!;
    assert.equal(access.httpOnly, true);
    assert.equal(access.sameSite, 'Lax');
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.path, '/api/v1/auth');

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().role, 'admin');
    assert.equal(me.json().user.email, 'ada@acme.example');

    const reuse = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token) });
    assert.equal(reuse.statusCode, 409);
  });
});
