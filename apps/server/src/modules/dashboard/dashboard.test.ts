import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { SoftwareAuthenticator } from '../../testing/software-authenticator.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from './dashboard-routes.js';

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against the real
 * server on a real port, the dashboard served by the server on its own origin. Screenshots are kept
 * in test-artifacts/dashboard/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../../../test-artifacts/dashboard/', import.meta.url));

forEachTarget('dashboard in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html')), 'the dashboard is built (npm run build)');
    assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Browser');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // localhost, not 127.0.0.1: a passkey's relying party is a host name.
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await mkdir(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A passkey registered for the person through the API, and the same credential in Chromium's virtual authenticator. */
  async function contextWithPasskey(userId: string): Promise<BrowserContext> {
    const session = await startSession(t, userId, org.organizationId);
    const headers = { ...session.headers, origin, 'content-type': 'application/json' };
    const options = (await (await fetch(`${origin}/api/v1/me/passkeys/options`, { method: 'POST', headers, body: '{}' })).json()) as Parameters<SoftwareAuthenticator['create']>[0];
    const authenticator = new SoftwareAuthenticator();
    const registered = await fetch(`${origin}/api/v1/me/passkeys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Browser test', credential: authenticator.create(options, origin) }),
    });
    assert.equal(registered.status, 201, await registered.text());
    const credential = authenticator.credentials[0]!;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: credential.id.toString('base64'),
        isResidentCredential: true,
        rpId: new URL(origin).hostname,
        privateKey: credential.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        userHandle: Buffer.from(credential.userHandle, 'base64url').toString('base64'),
        signCount: 1,
      },
    });
    return context;
  }

  it('serves the dashboard with a policy that allows only its own scripts', async () => {
    const res = await fetch(`${origin}/sign-in/`);
    assert.equal(res.status, 200);
    const policy = res.headers.get('content-security-policy')!;
    assert.match(policy, /script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    assert.doesNotMatch(policy, /script-src[^;]*unsafe-inline/);
    assert.equal((await fetch(`${origin}/agents`, { redirect: 'manual' })).status, 308);
    assert.equal((await fetch(`${origin}/api/v1/agents`)).status, 401, 'the API is unchanged beside it');
  });

  it('signs in with a passkey and lists the organization’s agents, at desktop and phone width', async () => {
    const { agent } = await registerAgent(t, org.as.admin.apiKey, { name: 'browser-visible-bot', purpose: 'Shows up in the list' });
    const context = await contextWithPasskey(org.as.admin.userId);
    const page = context.pages()[0]!;
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    await page.goto(`${origin}/agents/`);
    await page.waitForURL(`${origin}/sign-in/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${origin}/agents/`);
    const row = page.locator(`tr[data-agent-id="${agent.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /browser-visible-bot/);
    assert.match(await row.innerText(), /medium/, 'the trust tier of its first score');
    await page.screenshot({ path: join(ARTIFACTS, `agents-desktop-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });

    // A new agent appears without a reload, through the live stream.
    const { agent: later } = await registerAgent(t, org.as.member.apiKey, { name: 'arrives-live-bot' });
    await page.locator(`tr[data-agent-id="${later.id}"]`).waitFor({ timeout: 10_000 });

    await page.getByLabel('Search').fill('no-such-agent');
    await page.getByText('No agent matches.').waitFor();
    await page.getByLabel('Search').fill('');
    await row.waitFor();

    await page.setViewportSize({ width: 375, height: 800 });
    await row.waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
    assert.ok(overflow <= 0, `the page fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: join(ARTIFACTS, `agents-phone-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });
});
