import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { testTargets } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * Compliance → Retention in Chromium: an admin changes the decision retention (a value out of range
 * refused on the page, a good one saved and read back through the API), places a legal hold through
 * the confirmation dialog (no reason, no hold), sees it on the page, and releases it; a manager sees
 * the page without the controls. axe-core finds nothing serious, hold or no hold, dialog open or not.
 */
const target = testTargets()[0]!;
describe(`retention and the legal hold in Chromium [${target.name}]`, () => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'compliance', 'retention', 'index.html')), 'the retention page is built');
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Retention pages');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const settings = async () => {
    const res = await fetch(`${origin}/api/v1/compliance/retention`, { headers: org.as.admin.apiKey });
    assert.equal(res.status, 200);
    return (await res.json()) as { decisionDays: number | null; effectiveDecisionDays: number; legalHold: { enabled: boolean; reason: string | null } };
  };
  const axe = async (page: Page, where: string) => assert.deepEqual(await accessibilityProblems(page), [], where);

  it('changes the decision retention, places and releases a legal hold with confirmation', async () => {
    const { context, page, violations } = await signInWithPasskey(setup(), org.as.admin.userId, '/compliance/retention/');
    await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
    await page.getByText('Trust score history').waitFor();
    await axe(page, 'no hold');

    const decisions = page.getByLabel('Decisions and their violations, days');
    await decisions.fill('90');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByText('Whole days from 180 to 36500, or empty for the deployment default.').waitFor();
    assert.equal((await settings()).decisionDays, null, 'nothing sent');
    await decisions.fill('365');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByRole('status').filter({ hasText: 'Retention saved' }).waitFor();
    assert.equal((await settings()).effectiveDecisionDays, 365);

    await page.getByRole('button', { name: 'Place legal hold' }).click();
    const dialog = page.getByRole('dialog', { name: 'Place a legal hold?' });
    await dialog.waitFor();
    await axe(page, 'the dialog');
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Give the reason for the hold' }).waitFor();
    assert.equal((await settings()).legalHold.enabled, false, 'no reason, no hold');
    await dialog.getByLabel('Reason').fill('Matter 2026-114');
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Reason: Matter 2026-114').waitFor();
    assert.deepEqual((await settings()).legalHold.reason, 'Matter 2026-114');
    await axe(page, 'on hold');

    await page.getByRole('button', { name: 'Release legal hold' }).click();
    await page.getByRole('dialog', { name: 'Release the legal hold?' }).getByRole('button', { name: 'Release hold' }).click();
    await page.getByRole('button', { name: 'Place legal hold' }).waitFor();
    assert.equal((await settings()).legalHold.enabled, false);
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('shows a manager the retention and the hold without the controls', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.manager.userId, '/compliance/retention/');
    await page.getByText('Only admins place or release a legal hold.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save retention' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Place legal hold' }).count(), 0);
    assert.equal(await page.getByLabel('Decisions and their violations, days').isDisabled(), true);
    await axe(page, 'a manager');
    await context.close();
  });
});
