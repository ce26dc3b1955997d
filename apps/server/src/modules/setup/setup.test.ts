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
    // It ends with the way into the dashboard, shown once the passkey exists.
    assert.match(page.body, /<section id="done" hidden>[\s\S]*<a id="open-dashboard" class="button" href="\/">Open the dashboard<\/a>/);
    assert.match(script.body, /getElementById\('done'\)\.hidden = false/);
  });

  it('sends a browser that opened it under another host to AIM’s public URL first, and only the page', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const page = await t.app.inject({ method, url: '/setup?token=abc%2Fd', headers: { host: '127.0.0.1:80' } });
      assert.equal(page.statusCode, 307, `${method} ${page.body}`);
      assert.equal(page.headers.location, 'http://localhost/setup?token=abc%2Fd', 'same path and query, on the public origin');
      assert.equal(page.headers['cache-control'], 'no-store');
    }
    // What scripts, probes and agents call is answered where it arrives.
    for (const url of ['/setup/setup.js', '/healthz', '/api/v1/meta', '/openapi.json', '/.well-known/jwks.json']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:80' } });
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
    }
    const meta = await t.app.inject({ method: 'GET', url: '/api/v1/meta', headers: { host: 'aim.evil.example' } });
    assert.equal(meta.json().baseUrl, 'http://localhost', 'AIM names its own address, not the Host it was sent');
    const setup = await t.app.inject({ method: 'POST', url: '/api/v1/setup', headers: { host: '127.0.0.1:80' }, payload: body('z'.repeat(40)) });
    assert.equal(setup.json().error.code, 'invalid_token', 'an API call is answered, not redirected');
  });

  it('answers 421 with what to fix when a proxy keeps sending the browser back (Host rewritten)', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/setup', headers: { host: 'aim-upstream:8080' } });
    assert.equal(first.statusCode, 307);
    const marker = first.cookies.find((c) => c.name === 'aim_public_redirect');
    assert.ok(marker && marker.maxAge! > 0 && marker.maxAge! <= 60 && marker.httpOnly, 'a short-lived marker cookie');
    const again = await t.app.inject({ method: 'GET', url: '/setup', headers: { host: 'aim-upstream:8080', cookie: `aim_public_redirect=${marker.value}` } });
    assert.equal(again.statusCode, 421);
    assert.match(String(again.headers['content-type']), /^text\/plain/);
    assert.match(again.body, /AIM's address is http:\/\/localhost, but this request reached it as "aim-upstream:8080"/);
    assert.match(again.body, /proxy_set_header Host \$host/);
    assert.match(again.body, /TRUST_PROXY/);
    assert.match(again.body, /PUBLIC_URL/);
    // At the public host, the same cookie changes nothing.
    const home = await t.app.inject({ method: 'GET', url: '/setup', headers: { cookie: `aim_public_redirect=${marker.value}` } });
    assert.equal(home.statusCode, 200);
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
