import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { ARTIFACTS, contextWithPasskey, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { startLocalIdp, type LocalIdp } from '../../../../server/dist/testing/local-idp.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * A second person joins, in Debian's Chromium: an admin invites on the members page and copies the
 * link shown once; the invitee opens it in a browser of their own, creates a passkey (Chromium's
 * virtual authenticator) and lands in the organization with the invited role; later, in yet another
 * browser holding only that passkey, they sign in again. Links that no longer work say why.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
} as const;

/** A fresh browser (no cookies) with an empty platform authenticator. */
async function newBrowserWithAuthenticator(browser: Browser): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; authenticatorId: string }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
  return { context, page, cdp, authenticatorId };
}

forEachTarget('joining through an invitation in Chromium', (target) => {
  let t: TestApp;
  let idp: LocalIdp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const shot = (name: string) => join(ARTIFACTS, `${name}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    const port = await freePort();
    // localhost, not 127.0.0.1: a passkey's relying party is a host name.
    origin = `http://localhost:${port}`;
    idp = await startLocalIdp(`${origin}/api/v1/auth/oidc/callback`);
    t = await createTestApp(target, {
      env: {
        PUBLIC_URL: origin,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_DISPLAY_NAME: 'Local IdP',
        // Every step here comes from one address (loopback): more than one person's worth of sign-in steps.
        RATE_LIMIT_SIGN_IN_MAX: '1000',
      },
    });
    org = await seedOrganization(t, 'Initech');
    await t.app.listen({ host: '127.0.0.1', port });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await idp?.stop();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const invite = async (email: string, role = 'member') => {
    const res = await fetch(`${origin}/api/v1/invitations`, {
      method: 'POST',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email, role }),
    });
    assert.equal(res.status, 201);
    return (await res.json()) as { id: string; link: string };
  };

  /** The invitation token the tab keeps (sessionStorage), if any. */
  const keptToken = (page: Page) => page.evaluate("sessionStorage.getItem('aim.invitation-token')") as Promise<string | null>;

  /** The page fits the width without scrolling sideways; a screenshot at desktop and phone width. */
  async function fitsAndShoot(page: Page, name: string) {
    for (const [label, width] of [['desktop', 1280], ['phone', 375]] as const) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `${name} fits ${width} px (overflows by ${overflow} px)`);
      await page.screenshot({ path: shot(`${name}-${label}`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('an admin invites, copies the link; the invitee joins with a passkey and later signs in with it', async () => {
    // The admin, on the members page.
    const admin = await signInWithPasskey(setup(), org.as.admin.userId, '/members/');
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const adminPage = admin.page;
    await adminPage.getByRole('heading', { name: 'Invitations' }).waitFor();
    await adminPage.getByLabel('Email', { exact: true }).fill('milton@initech.example');
    await adminPage.getByLabel('Role', { exact: true }).selectOption('manager');
    await adminPage.getByRole('button', { name: 'Send invitation' }).click();
    const shown = adminPage.getByRole('region', { name: 'Invitation link for milton@initech.example' });
    await shown.waitFor();
    assert.equal(await adminPage.evaluate('document.activeElement?.id'), 'shown-once-title', 'focus moves to the link shown once');
    const link = await shown.getByRole('textbox', { name: 'Invitation link' }).inputValue();
    assert.match(link, new RegExp(`^${origin}/invite/\\?token=`));
    await shown.getByRole('button', { name: 'Copy invitation link' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await adminPage.evaluate('navigator.clipboard.readText()'), link, 'the clipboard holds the link');
    assert.ok(t.outbox.messages.some((m) => m.to === 'milton@initech.example' && m.text.includes(link)), 'the same link was mailed');
    await fitsAndShoot(adminPage, 'invitation-link-shown-once');
    // Shown once: after Done, and in the list, the link is gone.
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.equal(await adminPage.getByText(link).count(), 0);

    // The invitee, in a browser of their own.
    const invitee = await newBrowserWithAuthenticator(browser);
    await invitee.page.goto(link);
    await invitee.page.getByRole('heading', { name: /^Join Initech / }).waitFor();
    await invitee.page.getByText('milton@initech.example').first().waitFor();
    // The token is taken out of the address bar (and so out of history and bookmarks), kept for this tab only.
    assert.equal(invitee.page.url(), `${origin}/invite/`);
    assert.equal(await invitee.page.evaluate('history.length'), 2, 'the link replaced its own history entry');
    assert.equal(await keptToken(invitee.page), new URL(link).searchParams.get('token'));
    await invitee.page.reload();
    await invitee.page.getByRole('heading', { name: /^Join Initech / }).waitFor();
    assert.equal(invitee.page.url(), `${origin}/invite/`, 'a reload still shows the invitation, from the tab’s storage');
    assert.match(await invitee.page.locator('main').innerText(), /as manager/);
    await fitsAndShoot(invitee.page, 'invite-join');
    await invitee.page.getByRole('button', { name: 'Create passkey and join' }).click();
    assert.equal(await invitee.page.locator('#join-name-error').innerText(), 'must not be empty', 'the name is checked by the API schema before anything is sent');
    await invitee.page.getByLabel('Your name').fill('Milton Waddams');
    await invitee.page.getByRole('button', { name: 'Create passkey and join' }).click();
    await invitee.page.waitForURL(`${origin}/`);
    await invitee.page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await keptToken(invitee.page), null, 'once joined, the tab no longer keeps the token');
    assert.match(await invitee.page.getByLabel('Organization').locator('option:checked').innerText(), /Initech .* \(manager\)/);
    await fitsAndShoot(invitee.page, 'invite-joined-overview');
    const { credentials } = await invitee.cdp.send('WebAuthn.getCredentials', { authenticatorId: invitee.authenticatorId });
    assert.equal(credentials.length, 1, 'the passkey lives in the invitee’s authenticator');
    await invitee.context.close();

    // The admin sees the new member and the invitation accepted.
    await adminPage.reload();
    await adminPage.getByText('Milton Waddams', { exact: true }).waitFor();
    await adminPage.getByText('accepted', { exact: true }).first().waitFor();
    await admin.context.close();

    // Later, another browser that holds only the passkey signs in with it.
    const later = await newBrowserWithAuthenticator(browser);
    await later.cdp.send('WebAuthn.addCredential', { authenticatorId: later.authenticatorId, credential: credentials[0]! });
    await later.page.goto(`${origin}/`);
    await later.page.waitForURL(`${origin}/sign-in/`);
    await later.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await later.page.waitForURL(`${origin}/agents/`);
    assert.match(await later.page.getByLabel('Organization').locator('option:checked').innerText(), /Initech .* \(manager\)/);

    // The used link, opened again, says so.
    await later.page.goto(link);
    await later.page.getByRole('heading', { name: 'This invitation was already used' }).waitFor();
    await later.context.close();
  });

  it('joins through the identity provider offered on the invitation page, landing in the organization with the invited role', async () => {
    idp.accounts.set('samir-sub', { email: 'samir@initech.example', email_verified: true, name: 'Samir Nagheenanajar' });
    idp.signInAs('samir-sub');
    const { link } = await invite('samir@initech.example', 'viewer');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByRole('link', { name: 'Continue with Local IdP' }).click();
    await page.waitForURL(`${origin}/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(await page.getByLabel('Organization').locator('option:checked').innerText(), /Initech .* \(viewer\)/);
    assert.equal(await keptToken(page), null, 'joined through the provider: the tab no longer keeps the token');
    await page.goto(link);
    await page.getByRole('heading', { name: 'This invitation was already used' }).waitFor();
    await context.close();
  });

  it('joining through the provider with another address than the invitation’s ends on a page that says so, not on JSON', async () => {
    idp.accounts.set('lumbergh-sub', { email: 'bill@elsewhere.example', email_verified: true, name: 'Bill Lumbergh' });
    idp.signInAs('lumbergh-sub');
    const { link } = await invite('michael@initech.example', 'member');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByRole('link', { name: 'Continue with Local IdP' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in/');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('error'), 'invitation_email_mismatch');
    assert.ok(!url.search.includes(new URL(link).searchParams.get('token')!), 'the invitation token is not in the page URL');
    const alert = page.locator('main').getByRole('alert');
    await alert.getByRole('heading', { name: 'The invitation is for another address' }).waitFor();
    assert.match(await alert.innerText(), /sign in at the provider with the invited address/i);
    assert.match(await alert.innerText(), /Reference: [\w-]+/);
    assert.equal((await context.cookies(origin)).filter((c) => c.name === 'aim_access').length, 0, 'nobody was signed in');
    await fitsAndShoot(page, 'sign-in-invitation-mismatch');
    // Back to the invitation (still pending), without the token in any URL: the tab kept it.
    await alert.getByRole('link', { name: 'Back to your invitation' }).click();
    await page.getByRole('heading', { name: /^Join Initech / }).waitFor();
    assert.equal(page.url(), `${origin}/invite/`);
    await page.getByRole('button', { name: 'Create passkey and join' }).waitFor();

    // A code the page does not know, or text slipped into the URL, is never shown as such.
    await page.goto(`${origin}/sign-in/?error=${encodeURIComponent('<b>Call 555-0100 for help</b>')}&requestId=${encodeURIComponent('<i>x</i>')}`);
    await alert.getByRole('heading', { name: 'Signing in did not work' }).waitFor();
    assert.doesNotMatch(await page.locator('main').innerText(), /555-0100|<i>|Reference/);
    await context.close();
  });

  it('someone who already has an account signs in on the invitation page, then joins', async () => {
    // A person of another organization, with a passkey of their own.
    const other = await seedOrganization(t, 'Chotchkies');
    const email = `viewer.${other.organizationId.slice(-8)}@example.com`;
    const { link } = await invite(email, 'member');
    const context = await contextWithPasskey({ ...setup(), organizationId: other.organizationId }, other.as.viewer.userId);
    await context.clearCookies();
    const page = context.pages()[0]!;
    await page.goto(link);
    await page.getByText('You already have an AIM account', { exact: false }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create passkey and join' }).count(), 0, 'no second account is offered');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: /^Join Initech / }).click();
    await page.waitForURL(`${origin}/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(await page.getByLabel('Organization').locator('option:checked').innerText(), /Initech .* \(member\)/);
    const options = await page.getByLabel('Organization').locator('option').allInnerTexts();
    assert.ok(options.some((o) => /Chotchkies .* \(viewer\)/.test(o)), 'and keeps the organization they were in');
    await context.close();
  });

  it('says why a revoked, expired or unknown link does not work, and what to do', async () => {
    const revoked = await invite('revoked@initech.example');
    await fetch(`${origin}/api/v1/invitations/${revoked.id}`, { method: 'DELETE', headers: org.as.admin.apiKey });
    const expired = await invite('expired@initech.example');
    await (await t.owner()).query(`update invitations set expires_at = now() - interval '1 hour' where id = $1`, [expired.id]);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const cases: [string, string, string][] = [
      [revoked.link, 'This invitation was revoked', 'invite-revoked'],
      [expired.link, 'This invitation has expired', 'invite-expired'],
      // Without the trailing slash, as older mails have it: redirected to /invite/ with the query kept.
      [`${origin}/invite?token=inv_${'x'.repeat(43)}`, 'This invitation link is not known', 'invite-unknown'],
      [`${origin}/invite/`, 'This invitation link is not known', 'invite-no-token'],
    ];
    for (const [url, heading, name] of cases) {
      await page.goto(url);
      await page.getByRole('heading', { name: heading }).waitFor();
      assert.equal(page.url(), `${origin}/invite/`, `${heading}: no token left in the address bar`);
      assert.equal(await keptToken(page), null, `${heading}: a link that will not work again is not kept`);
      assert.match(await page.locator('main').innerText(), /ask an admin/i, `${heading}: says what to do next`);
      assert.equal(await page.getByRole('button', { name: 'Create passkey and join' }).count(), 0);
      if (name !== 'invite-no-token') await fitsAndShoot(page, name);
    }
    await context.close();
  });
});
