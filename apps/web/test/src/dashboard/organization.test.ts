import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { startLocalIdp, type LocalIdp } from '../../../../server/dist/testing/local-idp.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The organization pages (/members/, /api-keys/, /settings/) in Debian's Chromium: what an admin does
 * there is checked through the API, the server's refusals show on the page, a created API key is
 * used for real, a real OpenID Connect provider (oidc-provider on loopback) is added, and people
 * with weaker roles see the pages without the controls their role lacks.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Member {
  user: { id: string; name: string };
  role: string;
}

forEachTarget('members, API keys and settings in Chromium', (target) => {
  let t: TestApp;
  let idp: LocalIdp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const txt = new Map<string, string[][]>();
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    for (const page of ['members', 'api-keys', 'settings']) {
      assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, page, 'index.html')), `the ${page} page is built`);
    }
    const port = await freePort();
    // localhost, not 127.0.0.1: a passkey's relying party is a host name.
    origin = `http://localhost:${port}`;
    idp = await startLocalIdp(`${origin}/api/v1/auth/oidc/callback`);
    t = await createTestApp(target, {
      env: { PUBLIC_URL: origin, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
      dnsTxt: async (name) => {
        const records = txt.get(name);
        if (!records) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
        return records;
      },
    });
    org = await seedOrganization(t, 'Org pages');
    await t.app.listen({ host: '127.0.0.1', port });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await idp?.stop();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const signedIn = (userId: string, path: string) => signInWithPasskey(setup(), userId, path);

  async function apiGet<T>(path: string, headers: Record<string, string> = org.as.admin.apiKey): Promise<T> {
    const res = await fetch(`${origin}${path}`, { headers });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  }
  const members = async () => (await apiGet<{ members: Member[] }>('/api/v1/members')).members;
  const roleOf = async (userId: string) => (await members()).find((m) => m.user.id === userId)?.role;

  /** A screenshot at desktop width, then at 375 px (checking nothing overflows), then back. */
  async function screenshots(page: Page, name: string, ready: string) {
    await page.getByRole('heading', { name: ready }).first().waitFor();
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('heading', { name: ready }).first().waitFor();
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    // What sticks out, to say where when it fails.
    const wide = (await page.evaluate(`[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-5)
      .map((e) => e.tagName + '.' + String(e.className).slice(0, 60) + ' ' + (e.textContent ?? '').slice(0, 40))`)) as string[];
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px: ${wide.join(' | ')})`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('invites someone as admin, after refusing an invalid address without sending anything, and revokes the invitation', async () => {
    const { context, page } = await signedIn(org.as.admin.userId, '/members/');
    await page.getByRole('heading', { name: 'Invitations' }).waitFor();
    await page.getByText('No invitations yet.').waitFor();

    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    const emailError = page.locator('#invite-email-error');
    await emailError.waitFor();
    assert.equal(await emailError.innerText(), 'must be an email address');
    assert.equal((await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid')), 'true');
    const none = await apiGet<{ invitations: unknown[] }>('/api/v1/invitations');
    assert.equal(none.invitations.length, 0, 'nothing was sent');
    assert.equal(t.outbox.messages.length, 0, 'no mail went out');

    await page.getByLabel('Email', { exact: true }).fill('grace@acme.example');
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('status').filter({ hasText: 'grace@acme.example is invited as member' }).waitFor();
    const sent = await apiGet<{ invitations: { id: string; email: string; role: string; revokedAt: string | null }[] }>('/api/v1/invitations');
    assert.equal(sent.invitations.length, 1);
    const invitation = sent.invitations[0]!;
    assert.equal(invitation.email, 'grace@acme.example');
    assert.equal(invitation.role, 'member');
    assert.deepEqual(
      t.outbox.messages.map((m) => m.to),
      ['grace@acme.example'],
      'the invitation was mailed',
    );
    const row = page.locator(`li[data-invitation-id="${invitation.id}"]`);
    await row.getByText('pending', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Revoke the invitation of grace@acme.example' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke invitation' }).click();
    await row.getByText('revoked', { exact: true }).waitFor();
    const after = await apiGet<{ invitations: { revokedAt: string | null }[] }>('/api/v1/invitations');
    assert.ok(after.invitations[0]!.revokedAt, 'the server revoked it');
    await context.close();
  });

  it("changes a member's role, shows the server's refusal to demote the last admin, and signs someone out everywhere", async () => {
    const { context, page } = await signedIn(org.as.admin.userId, '/members/');
    const managerRow = page.locator(`tr[data-member-id="${org.as.manager.userId}"]`);
    await managerRow.waitFor();
    await managerRow.getByRole('combobox').selectOption('member');
    await managerRow.getByRole('button', { name: /^Save role of/ }).click();
    await page.getByRole('status').filter({ hasText: 'is now member' }).waitFor();
    assert.equal(await roleOf(org.as.manager.userId), 'member', 'the server changed the role');

    const adminRow = page.locator(`tr[data-member-id="${org.as.admin.userId}"]`);
    await adminRow.getByRole('combobox').selectOption('viewer');
    await adminRow.getByRole('button', { name: /^Save role of/ }).click();
    const refusal = adminRow.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /at least one admin/);
    assert.equal(await roleOf(org.as.admin.userId), 'admin', 'the last admin stays admin');

    // Sign the viewer out everywhere: their seeded session stops working.
    assert.equal((await fetch(`${origin}/api/v1/me`, { headers: org.as.viewer.session })).status, 200);
    const viewerRow = page.locator(`tr[data-member-id="${org.as.viewer.userId}"]`);
    await viewerRow.getByRole('button', { name: /^Sign out everywhere: / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    const ended = page.getByRole('status').filter({ hasText: 'signed out everywhere' });
    await ended.waitFor();
    assert.match(await ended.innerText(), /[1-9]\d* sessions? ended/);
    assert.equal((await fetch(`${origin}/api/v1/me`, { headers: org.as.viewer.session })).status, 401, 'the session ended');

    await page.locator('section[data-role="viewer"]').waitFor();
    assert.match(await page.locator('section[data-role="viewer"]').innerText(), /API keys/);
    await screenshots(page, 'members', 'People');
    await context.close();
  });

  it('creates an API key that works, shown once, and revokes it so that it is refused', async () => {
    const { context, page } = await signedIn(org.as.admin.userId, '/api-keys/');
    await page.getByRole('heading', { name: 'Every key of the organization' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('ui-made key');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByLabel('Expires', { exact: true }).selectOption('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: /ui-made key/ });
    await shown.waitFor();
    assert.match(await shown.innerText(), /shown only once/);
    assert.equal(await page.evaluate('document.activeElement?.id'), 'shown-once-title', 'focus moves to the new key');
    const key = await page.getByLabel('New API key', { exact: true }).inputValue();
    assert.ok(key.length > 20, 'the key itself is shown');

    const used = await fetch(`${origin}/api/v1/members`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(used.status, 200, 'the shown key works');
    const { apiKeys } = await apiGet<{ apiKeys: { id: string; name: string; role: string; expiresAt: string | null }[] }>('/api/v1/api-keys');
    const made = apiKeys.find((k) => k.name === 'ui-made key');
    assert.ok(made, 'the server has the key');
    assert.equal(made.role, 'viewer');
    const days = (new Date(made.expiresAt!).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days < 31, `it expires in 30 days (${days})`);
    // An invitation needs a stronger role than viewer: the key is refused what its role lacks.
    const stronger = await fetch(`${origin}/api/v1/invitations`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(stronger.status, 403);

    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByLabel('New API key', { exact: true }).count(), 0, 'gone once dismissed');
    const row = page.locator(`tr[data-api-key-id="${made.id}"]`);
    await row.getByText('active', { exact: true }).waitFor();
    await screenshots(page, 'api-keys', 'Every key of the organization');
    await row.getByRole('button', { name: 'Revoke ui-made key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('revoked', { exact: true }).waitFor();
    const refused = await fetch(`${origin}/api/v1/members`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(refused.status, 401, 'the revoked key is refused');
    await context.close();
  });

  it('changes the audit retention, adds a real OpenID Connect provider and verifies a domain in settings', async () => {
    const { context, page } = await signedIn(org.as.admin.userId, '/settings/');
    const forever = page.getByLabel('Keep audit events forever', { exact: true });
    await forever.waitFor();
    assert.equal((await apiGet<{ auditRetentionDays: number | null }>('/api/v1/organization')).auditRetentionDays, null);
    assert.ok(await forever.isChecked(), 'kept forever, as the server says');
    await forever.uncheck();
    const days = page.getByLabel('Keep audit events for (days)', { exact: true });
    await days.fill('10');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('#org-retention-error').waitFor();
    assert.equal((await apiGet<{ auditRetentionDays: number | null }>('/api/v1/organization')).auditRetentionDays, null, 'too short: not saved');
    await days.fill('90');
    await page.getByRole('button', { name: 'Add an audience' }).click();
    await page.getByLabel('Audience 1', { exact: true }).fill('https://api.acme.example');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const saved = await apiGet<{ auditRetentionDays: number | null; agentTokenAudiences: string[] }>('/api/v1/organization');
    assert.equal(saved.auditRetentionDays, 90);
    assert.deepEqual(saved.agentTokenAudiences, ['https://api.acme.example']);

    // An identity provider: the issuer is required for a generic OIDC provider, then the real one is probed.
    const addForm = page.getByRole('form', { name: 'Add an identity provider' });
    await addForm.getByLabel('Provider').selectOption('oidc');
    await addForm.getByLabel('Display name').fill('Acme SSO');
    await addForm.getByLabel('Client id').fill(idp.clientId);
    await addForm.getByLabel('Client secret').fill(idp.clientSecret);
    await addForm.getByRole('button', { name: 'Add provider' }).click();
    await page.locator('#idp-issuer-error').waitFor();
    assert.equal((await apiGet<{ identityProviders: unknown[] }>('/api/v1/identity-providers')).identityProviders.length, 0);
    await addForm.getByLabel('Issuer URL').fill(idp.issuer);
    await addForm.getByRole('button', { name: 'Add provider' }).click();
    await page.getByRole('status').filter({ hasText: 'Acme SSO was added' }).waitFor();
    const { identityProviders } = await apiGet<{ identityProviders: { id: string; issuer: string; enabled: boolean; redirectUri: string; signInUrl: string }[] }>(
      '/api/v1/identity-providers',
    );
    assert.equal(identityProviders.length, 1);
    const provider = identityProviders[0]!;
    assert.equal(provider.issuer, idp.issuer);
    assert.equal(await page.getByLabel('Redirect URI of Acme SSO', { exact: true }).inputValue(), provider.redirectUri);
    assert.equal(await page.getByLabel('Sign-in URL of Acme SSO', { exact: true }).inputValue(), provider.signInUrl);
    assert.ok(!(await page.content()).includes(idp.clientSecret), 'the secret is never shown back');
    await page.getByRole('button', { name: 'Disable Acme SSO' }).click();
    await page.getByRole('button', { name: 'Enable Acme SSO' }).waitFor();
    const disabled = await apiGet<{ identityProviders: { enabled: boolean }[] }>('/api/v1/identity-providers');
    assert.equal(disabled.identityProviders[0]!.enabled, false);

    // A domain: the TXT record to publish, an honest failure before it exists, verified after.
    const claim = page.getByRole('form', { name: 'Claim a domain' });
    await claim.getByLabel('Domain').fill('acme.example');
    await claim.getByRole('button', { name: 'Claim domain' }).click();
    const domainRow = page.locator('li[data-domain="acme.example"]');
    await domainRow.waitFor();
    const { domains } = await apiGet<{ domains: { verification: { recordName: string; recordValue: string }; verified: boolean }[] }>('/api/v1/domains');
    const record = domains[0]!.verification;
    assert.equal(await domainRow.getByLabel('TXT record name for acme.example', { exact: true }).inputValue(), record.recordName);
    assert.equal(await domainRow.getByLabel('TXT record value for acme.example', { exact: true }).inputValue(), record.recordValue);
    await domainRow.getByRole('button', { name: 'Verify acme.example' }).click();
    const failed = domainRow.getByRole('alert');
    await failed.waitFor();
    assert.match(await failed.innerText(), /No TXT record/);
    assert.equal(await domainRow.getByText('not verified', { exact: true }).count(), 1);
    txt.set(record.recordName, [[record.recordValue]]);
    await domainRow.getByRole('button', { name: 'Verify acme.example' }).click();
    await domainRow.getByText('verified', { exact: true }).waitFor();
    assert.equal((await apiGet<{ domains: { verified: boolean }[] }>('/api/v1/domains')).domains[0]!.verified, true);
    assert.equal(await domainRow.getByRole('alert').count(), 0, 'the old failure is gone');

    await screenshots(page, 'settings', 'Organization');
    await context.close();
  });

  it('shows a viewer the pages without editing controls', async () => {
    const { context, page } = await signedIn(org.as.viewer.userId, '/members/');
    await page.locator(`tr[data-member-id="${org.as.admin.userId}"]`).waitFor();
    assert.equal(await page.getByRole('combobox', { name: /^Role of/ }).count(), 0, 'no role editing');
    assert.equal(await page.getByRole('button', { name: /^(Remove|Sign out) / }).count(), 0, 'no remove or sign-out');
    assert.equal(await page.getByRole('heading', { name: 'Invitations' }).count(), 0, 'invitations are not the viewer’s to read');
    await page.locator('section[data-role="viewer"]').waitFor();

    await page.goto(`${origin}/api-keys/`);
    await page.getByRole('heading', { name: 'Your keys' }).waitFor();
    await page.locator(`tr[data-api-key-id="${org.as.viewer.apiKeyId}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-api-key-id="${org.as.admin.apiKeyId}"]`).count(), 0, 'only their own keys');

    await page.goto(`${origin}/settings/`);
    await page.getByText('Only admins change these settings.').waitFor();
    await page.getByText('90 days').waitFor();
    await page.locator('li[data-domain="acme.example"]').waitFor();
    await page.getByLabel('Sign-in URL of Acme SSO', { exact: true }).waitFor();
    for (const name of ['Save settings', 'Add provider', 'Claim domain', /^Verify/, /^Delete/, /^Release/, /^(Enable|Disable) /, /^Rotate secret/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${String(name)} button`);
    }
    await screenshots(page, 'settings-viewer', 'Organization');
    await context.close();
  });

  it("shows in a member's navigation only the organization pages their permissions allow", async () => {
    const { context, page } = await signedIn(org.as.member.userId, '/members/');
    await page.locator(`tr[data-member-id="${org.as.member.userId}"]`).waitFor();
    const me = await apiGet<{ permissions: string[] }>('/api/v1/me', org.as.member.session);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const expected: [string, string][] = [
      ['Members', 'member.read'],
      ['Settings', 'organization.read'],
      ['API keys', 'api_key.read'],
      ['Audit', 'audit.read'],
    ];
    for (const [label, permission] of expected) {
      assert.equal(await nav.getByRole('link', { name: label, exact: true }).count(), me.permissions.includes(permission) ? 1 : 0, `${label} link follows ${permission}`);
    }
    assert.ok(!me.permissions.includes('audit.read'), 'a member cannot read the audit log, so the filter is exercised');
    assert.equal(await page.getByRole('button', { name: 'Send invitation' }).count(), 0);
    await page.goto(`${origin}/settings/`);
    await page.getByText('Only admins change these settings.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save settings' }).count(), 0);
    await context.close();
  });
  it('switching organization reloads the page for the new one, so nothing of the old one is shown or saved', async () => {
    const second = await seedOrganization(t, 'Second');
    const owner = await t.owner();
    await owner.query('insert into memberships (organization_id, user_id, role) values ($1, $2, $3)', [second.organizationId, org.as.admin.userId, 'admin']);
    const { context, page } = await signedIn(org.as.admin.userId, '/settings/');
    const name = page.getByLabel('Name', { exact: true });
    const firstName = (await (await fetch(`${origin}/api/v1/organization`, { headers: org.as.admin.apiKey })).json()) as { name: string };
    const secondName = (await (await fetch(`${origin}/api/v1/organization`, { headers: second.as.admin.apiKey })).json()) as { name: string };
    await name.waitFor();
    assert.equal(await name.inputValue(), firstName.name);
    await page.locator('#organization').selectOption(second.organizationId);
    // The form is rebuilt from the second organization, not left showing the first one's values.
    for (let i = 0; i < 50 && (await name.inputValue().catch(() => '')) !== secondName.name; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await name.inputValue(), secondName.name);
    await context.close();
  });
});
