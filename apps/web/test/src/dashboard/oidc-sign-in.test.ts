import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startLocalIdp, type LocalIdp } from '../../../../server/dist/testing/local-idp.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, launchChromium } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * Signing in to the dashboard through an identity provider, in Debian's Chromium: the sign-in page's
 * provider button, the real OpenID Connect provider (oidc-provider on loopback), and back, signed in.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

forEachTarget('dashboard sign-in with OpenID Connect', (target) => {
  let t: TestApp;
  let idp: LocalIdp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;

  before(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    idp = await startLocalIdp(`${origin}/api/v1/auth/oidc/callback`);
    t = await createTestApp(target, {
      env: { PUBLIC_URL: origin, OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, OIDC_DISPLAY_NAME: 'Local IdP' },
    });
    org = await seedOrganization(t, 'Acme');
    await t.app.listen({ host: '127.0.0.1', port });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await idp?.stop();
  });

  it('signs an invited person in through the provider button and lands on the agents page', async () => {
    idp.accounts.set('ada-sub', { email: 'ada@acme.example', email_verified: true, name: 'Ada Lovelace' });
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { email: 'ada@acme.example', role: 'viewer' },
    });
    assert.equal(invited.statusCode, 201, invited.body);
    idp.signInAs('ada-sub');

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${origin}/sign-in/`);
    await page.getByRole('link', { name: 'Continue with Local IdP' }).click();
    await page.waitForURL(`${origin}/agents/`);
    await page.getByRole('heading', { name: 'Agents' }).waitFor();
    const organization = page.getByLabel('Organization');
    assert.match(await organization.locator('option:checked').innerText(), /\(viewer\)/);
    const cookies = await context.cookies(origin);
    const access = cookies.find((c) => c.name === 'aim_access');
    assert.ok(access?.httpOnly, 'the session cookie is HttpOnly');
    await page.screenshot({ path: join(ARTIFACTS, `oidc-signed-in-${target.name.replace(/\W+/g, '-')}.png`) });
    await context.close();
  });

  it('someone nobody invited ends on the sign-in page, told to ask an admin for an invitation', async () => {
    idp.accounts.set('eve-sub', { email: 'eve@nowhere.example', email_verified: true, name: 'Eve' });
    idp.signInAs('eve-sub');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${origin}/sign-in/`);
    await page.getByRole('link', { name: 'Continue with Local IdP' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in/' && url.searchParams.get('error') === 'no_access');
    const alert = page.locator('main').getByRole('alert');
    await alert.getByRole('heading', { name: 'This address has no access to AIM' }).waitFor();
    assert.match(await alert.innerText(), /ask an admin of your organization for an invitation/);
    // The way to try again is right there.
    await page.getByRole('link', { name: 'Continue with Local IdP' }).waitFor();
    assert.equal((await context.cookies(origin)).filter((c) => c.name === 'aim_access').length, 0);
    await page.screenshot({ path: join(ARTIFACTS, `oidc-no-access-${target.name.replace(/\W+/g, '-')}.png`) });
    await context.close();
  });
});
