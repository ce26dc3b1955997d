import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedOrganization, type Credentials, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * Email notification preferences on "Your account", in a real browser: one row per kind as the API
 * reports them, the kinds a role does not receive shown disabled with why, and a change (delivery,
 * digest hour) saved and still there after a reload, as the API confirms.
 */

interface Preference {
  kind: string;
  delivery: 'immediate' | 'digest' | 'off';
  minSeverity: string | null;
  eligible: boolean;
}
interface Preferences {
  preferences: Preference[];
  digestHourUtc: number;
}

const LABELS: Record<string, string> = {
  approval_requested: 'Approval requests',
  capability_requested: 'Capability requests',
  webhook_disabled: 'Webhook endpoint disabled',
  alert: 'Alerts',
};

forEachTarget('notification preferences in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Notify');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

  /** The person's preferences as the API has them (a GET as their session). */
  async function apiPreferences(who: Credentials): Promise<Preferences> {
    const res = await fetch(`${origin}/api/v1/me/notification-preferences`, { headers: { cookie: who.session.cookie! } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Preferences;
  }

  /** Each row as the page shows it: its delivery, and whether it can be changed. */
  async function shown(page: Page, kinds: string[]) {
    const section = page.getByRole('region', { name: 'Email notifications' });
    return Promise.all(
      kinds.map(async (kind) => {
        const select = section.getByLabel(LABELS[kind]!, { exact: true });
        return { kind, delivery: await select.inputValue(), eligible: await select.isEnabled() };
      }),
    );
  }

  it('shows one row per kind as the API has them, and saves a change that a reload still shows', async () => {
    const manager = org.as.manager;
    const before = await apiPreferences(manager);
    assert.deepEqual(before.preferences.map((p) => p.kind).sort(), Object.keys(LABELS).sort(), 'one preference per kind');
    const eligible = before.preferences.filter((p) => p.eligible);
    assert.ok(eligible.length > 0, 'a manager receives some kinds');

    const { context, page, violations } = await signInWithPasskey(setup(), manager.userId, '/account/');
    const section = page.getByRole('region', { name: 'Email notifications' });
    await section.getByLabel('Daily digest at (UTC)').waitFor();
    const kinds = before.preferences.map((p) => p.kind);
    assert.deepEqual(
      await shown(page, kinds),
      before.preferences.map((p) => ({ kind: p.kind, delivery: p.delivery, eligible: p.eligible })),
      'the page shows what the API has',
    );

    // Change the first kind the manager receives, and the digest hour.
    const changed = eligible[0]!;
    const next = changed.delivery === 'digest' ? 'off' : 'digest';
    const hour = (before.digestHourUtc + 5) % 24;
    await section.getByLabel(LABELS[changed.kind]!, { exact: true }).selectOption(next);
    await section.getByLabel('Daily digest at (UTC)').selectOption(String(hour));
    await section.getByRole('button', { name: 'Save notification preferences' }).click();
    await section.getByText('Notification preferences saved.').waitFor();

    const saved = await apiPreferences(manager);
    assert.equal(saved.digestHourUtc, hour, 'the digest hour is saved');
    assert.equal(saved.preferences.find((p) => p.kind === changed.kind)!.delivery, next, 'the delivery is saved');
    for (const p of saved.preferences.filter((x) => x.kind !== changed.kind)) {
      assert.equal(p.delivery, before.preferences.find((x) => x.kind === p.kind)!.delivery, `${p.kind} is unchanged`);
    }

    await page.reload();
    await section.getByLabel('Daily digest at (UTC)').waitFor();
    assert.equal(await section.getByLabel('Daily digest at (UTC)').inputValue(), String(hour), 'the reload shows the saved hour');
    assert.deepEqual(
      await shown(page, kinds),
      saved.preferences.map((p) => ({ kind: p.kind, delivery: p.delivery, eligible: p.eligible })),
      'and the saved deliveries',
    );

    await page.screenshot({ path: join(ARTIFACTS, `account-notifications-desktop-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `the account page fits 375 px (overflows by ${overflow} px)`);
    assert.deepEqual(await accessibilityProblems(page), []);
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('shows the kinds a viewer does not receive disabled, with why', async () => {
    const viewer = org.as.viewer;
    const prefs = await apiPreferences(viewer);
    const ineligible = prefs.preferences.filter((p) => !p.eligible);
    assert.ok(ineligible.length > 0, 'a viewer does not receive every kind');
    const { context, page } = await signInWithPasskey(setup(), viewer.userId, '/account/');
    const section = page.getByRole('region', { name: 'Email notifications' });
    await section.getByLabel('Daily digest at (UTC)').waitFor();
    assert.deepEqual(
      await shown(page, prefs.preferences.map((p) => p.kind)),
      prefs.preferences.map((p) => ({ kind: p.kind, delivery: p.delivery, eligible: p.eligible })),
    );
    for (const p of ineligible) {
      await section.locator(`[data-notification-kind="${p.kind}"]`).getByText('Not sent to your role (viewer)', { exact: false }).waitFor();
    }
    await context.close();
  });
});
