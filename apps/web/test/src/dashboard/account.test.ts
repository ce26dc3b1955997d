import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedOrganization, startSession, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * "Your account" (/account/) in a real browser: the person's sessions, with this browser marked and
 * another one ended (and refused afterwards), and their passkeys: a second one added through
 * Chromium's virtual authenticator, renamed and deleted, each step checked against the API.
 */

interface SessionJson {
  id: string;
  current: boolean;
}
interface PasskeyJson {
  id: string;
  name: string;
}

forEachTarget('your account in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'account', 'index.html')), 'the account page is built');
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Account');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // localhost, not 127.0.0.1: a passkey's relying party is a host name.
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

  /** A GET as a session (the seeded session headers name another origin; a GET needs none). */
  const asSession = (headers: Record<string, string>, path: string) => fetch(`${origin}${path}`, { headers: { cookie: headers.cookie! } });

  async function apiPasskeys(headers: Record<string, string>): Promise<PasskeyJson[]> {
    const res = await asSession(headers, '/api/v1/me/passkeys');
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { passkeys: PasskeyJson[] }).passkeys;
  }

  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('lists the sessions with this browser marked, and ends another session, which is refused afterwards', async () => {
    const member = org.as.member;
    const { context, page, violations } = await signInWithPasskey(setup(), member.userId, '/account/');
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    const profile = page.getByRole('region', { name: 'Profile' });
    await profile.getByText(`member.${org.organizationId.slice(-8)}@example.com`).waitFor();
    assert.equal(await profile.locator(`[data-organization-id="${org.organizationId}"]`).count(), 1, 'the organization with its role');
    assert.match(await profile.locator(`[data-organization-id="${org.organizationId}"]`).innerText(), /member/);

    // Another session of the same person, started as a sign-in starts one.
    const other = await startSession(t, member.userId, org.organizationId);
    assert.equal((await asSession(other.headers, '/api/v1/me')).status, 200, 'the other session works before it is ended');

    const browserSession = ((await page.evaluate(async () => (await (await fetch('/api/v1/me')).json()) as { sessionId: string })) as { sessionId: string }).sessionId;
    await page.reload();
    await page.locator(`[data-session-id="${other.sessionId}"]`).waitFor();

    // The list is the API's, with exactly one "this browser": the browser's own session.
    const res = await asSession(member.session, '/api/v1/me/sessions');
    assert.equal(res.status, 200);
    const listed = ((await res.json()) as { sessions: SessionJson[] }).sessions.map((s) => s.id).sort();
    const shown = (await page.locator('[data-session-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id')!))).sort();
    assert.deepEqual(shown, listed, 'the page lists the sessions the API lists');
    assert.ok(shown.includes(browserSession) && shown.includes(other.sessionId) && shown.includes(member.sessionId));
    assert.equal(await page.getByTestId('this-browser').count(), 1, 'one session is this browser');
    const mine = ((await (await asSession(member.session, '/api/v1/me/sessions')).json()) as { sessions: (SessionJson & { clientIp: string | null })[] }).sessions.find(
      (s) => s.id === browserSession,
    )!;
    assert.equal(mine.clientIp, '127.0.0.1', 'the address the browser signed in from');
    assert.match(await page.locator(`[data-session-id="${browserSession}"]`).innerText(), /from 127\.0\.0\.1/);
    assert.equal(await page.locator(`[data-session-id="${browserSession}"]`).getByTestId('this-browser').count(), 1, 'and it is the browser’s own');
    await screenshots(page, 'account-sessions');

    // End the other session, behind a confirmation.
    await page.locator(`[data-session-id="${other.sessionId}"]`).getByRole('button', { name: /^End session/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'End this session?' }).waitFor();
    await dialog.getByRole('button', { name: 'End session' }).click();
    await page.locator(`[data-session-id="${other.sessionId}"]`).waitFor({ state: 'detached' });

    const refused = await asSession(other.headers, '/api/v1/me');
    assert.equal(refused.status, 401, 'the ended session is refused');
    const after = ((await (await asSession(member.session, '/api/v1/me/sessions')).json()) as { sessions: SessionJson[] }).sessions.map((s) => s.id);
    assert.ok(!after.includes(other.sessionId), 'the API no longer lists it');
    assert.ok(after.includes(browserSession), 'this browser is still signed in');
    assert.equal((await page.evaluate(async () => (await fetch('/api/v1/me')).status)) as number, 200, 'and can still call the API');

    // Ending this browser's own session signs it out.
    await page.getByRole('button', { name: 'Sign out here, in this browser' }).click();
    await dialog.getByRole('heading', { name: 'Sign out of this browser?' }).waitFor();
    await dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${origin}/sign-in/`);
    assert.equal((await page.evaluate(async () => (await fetch('/api/v1/me')).status)) as number, 401, 'this browser is signed out');
    const left = ((await (await asSession(member.session, '/api/v1/me/sessions')).json()) as { sessions: SessionJson[] }).sessions.map((s) => s.id);
    assert.ok(!left.includes(browserSession), 'its session has ended');

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('adds a second passkey through the virtual authenticator, renames it and deletes it, as the API confirms each time', async () => {
    const admin = org.as.admin;
    // Signed in with the first passkey (registered by contextWithPasskey); a second page of the same
    // browser gets its own, empty virtual authenticator to create the second passkey in.
    const { context } = await signInWithPasskey(setup(), admin.userId, '/account/');
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${origin}/account/`);
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.locator('[data-passkey-id]').first().waitFor();

    const first = await apiPasskeys(admin.session);
    assert.deepEqual(first.map((p) => p.name), ['Browser test'], 'one passkey to begin with');
    assert.equal(await section.locator('[data-passkey-id]').count(), 1);

    // The name is checked by the contract's rules before the browser is asked.
    await section.getByRole('button', { name: 'Add passkey' }).click();
    await page.locator('#passkey-name-error').waitFor();
    assert.equal((await apiPasskeys(admin.session)).length, 1, 'nothing registered without a name');

    await section.getByLabel('Passkey name').fill('Second key');
    await section.getByRole('button', { name: 'Add passkey' }).click();
    await section.getByText('Passkey “Second key” added.').waitFor();
    await section.locator('[data-passkey-id]').nth(1).waitFor();
    const two = await apiPasskeys(admin.session);
    assert.deepEqual(two.map((p) => p.name).sort(), ['Browser test', 'Second key'], 'the API lists the new passkey');
    const second = two.find((p) => p.name === 'Second key')!;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the passkey was created in Chromium’s virtual authenticator');
    assert.equal(await section.locator(`[data-passkey-id="${second.id}"]`).getByTestId('passkey-name').innerText(), 'Second key');
    await screenshots(page, 'account-passkeys');

    // Rename.
    await section.getByRole('button', { name: 'Rename passkey Second key' }).click();
    await section.getByLabel('New name').fill('Phone');
    await section.getByRole('button', { name: 'Save name' }).click();
    await section.locator(`[data-passkey-id="${second.id}"]`).getByTestId('passkey-name').getByText('Phone', { exact: true }).waitFor();
    assert.deepEqual((await apiPasskeys(admin.session)).map((p) => [p.id, p.name]).sort(), [[first[0]!.id, 'Browser test'], [second.id, 'Phone']].sort(), 'the API has the new name');

    // Delete, behind a confirmation.
    await section.getByRole('button', { name: 'Delete passkey Phone' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Delete the passkey “Phone”?' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete passkey' }).click();
    await section.locator(`[data-passkey-id="${second.id}"]`).waitFor({ state: 'detached' });
    assert.deepEqual((await apiPasskeys(admin.session)).map((p) => p.id), [first[0]!.id], 'the API no longer lists it');
    assert.equal(await section.locator('[data-passkey-id]').count(), 1);

    // The last one: the dialog says so, and the server refuses, because it is this person's only way in.
    await section.getByRole('button', { name: 'Delete passkey Browser test' }).click();
    await dialog.getByText('This is your only passkey', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Delete passkey' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'last way to sign in' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await apiPasskeys(admin.session)).length, 1, 'it stays');

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });
});
