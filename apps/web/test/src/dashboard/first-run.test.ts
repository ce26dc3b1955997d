import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startAim, type AimProcess } from '../../../../server/dist/testing/aim-process.js';
import { ARTIFACTS, launchChromium } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../../../server/dist/testing/test-database.js';
import { TEST_ENCRYPTION_KEYS, TEST_LOOKUP_KEY } from '../../../../server/dist/testing/test-app.js';

/**
 * A new deployment, as its first admin meets it, in Debian's Chromium: the real process (`main.js`,
 * on the target's database and store) prints its one-time setup link; the browser opens exactly that
 * link, creates the organization and admin, a passkey with Chromium's virtual authenticator, goes on
 * to the dashboard, and later signs in with that passkey.
 */

forEachTarget('first run in Chromium', (target) => {
  let database: TestDatabase;
  let aim: AimProcess;
  let browser: Browser;
  let origin: string;

  before(async () => {
    database = await createTestDatabase(target);
    aim = await startAim({
      PORT: '0',
      DATABASE_URL: database.ownerUrl,
      DATABASE_APP_ROLE: target.appRole,
      DATABASE_APP_PASSWORD: target.appPassword,
      AIM_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      AIM_LOOKUP_KEY: TEST_LOOKUP_KEY,
      ...(target.redisUrl ? { REDIS_URL: target.redisUrl } : {}),
    });
    origin = aim.base;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (aim) assert.equal(await aim.stop(), 0, aim.output());
    await database?.drop();
  });

  it('sets up the organization through the setup link, creates a passkey, and signs in with it', async () => {
    const link = await aim.setupLink();
    assert.ok(link.startsWith(`${origin}/setup?token=`), link);
    assert.match(origin, /^http:\/\/localhost:\d+$/, 'an address where browsers create passkeys');
    const token = new URL(link).searchParams.get('token');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // The same link under the address AIM listens on ends up at the printed one.
    await page.goto(link.replace('//localhost:', '//127.0.0.1:'));
    assert.equal(page.url(), link);
    await page.goto(link);
    await page.getByLabel('Organization name').fill('Initech');
    await page.getByLabel('Your name').fill('Peter Gibbons');
    await page.getByLabel('Your email').fill('peter@initech.example');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey added.').waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the passkey lives in the authenticator, not on the server');
    assert.equal(credentials[0]!.rpId, 'localhost');

    // The setup page ends with the way in: the dashboard, signed in as the new admin.
    await page.getByRole('link', { name: 'Open the dashboard' }).click();
    await page.waitForURL(new RegExp(`^${origin}/(agents/)?$`));
    assert.match(await page.getByLabel('Organization').locator('option:checked').innerText(), /Initech \(admin\)/);

    // A later visit: no session, only the passkey.
    await context.clearCookies();
    await page.goto(`${origin}/`);
    await page.waitForURL(`${origin}/sign-in/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${origin}/agents/`);
    await page.getByText('No agents yet.', { exact: false }).waitFor();
    assert.match(await page.getByLabel('Organization').locator('option:checked').innerText(), /Initech \(admin\)/);
    await page.screenshot({ path: join(ARTIFACTS, `first-run-signed-in-${target.name.replace(/\W+/g, '-')}.png`) });

    // The overview of the new organization: nothing yet, and it says so; recent activity shows the setup.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Decisions, last 24 hours' }).waitFor();
    await page.getByText('0 allowed, 0 needed approval, 0 denied').waitFor();
    await page.getByText('No agents yet.').waitFor();
    await page.getByText('organization.create').first().waitFor();
    for (const [label, width] of [['desktop', 1280], ['phone', 375]] as const) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `the overview fits ${width} px (overflows by ${overflow} px)`);
      await page.screenshot({ path: join(ARTIFACTS, `overview-${label}-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });
    }

    // The link was used: it does not work twice.
    const again = await fetch(`${origin}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, organization: { name: 'Twice' }, admin: { name: 'x', email: 'x@initech.example' } }),
    });
    assert.ok(again.status >= 400 && again.status < 500, `a second setup answers ${again.status}`);
    await context.close();
  });
});
