import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { keyFingerprint, verifyReport, type Jwks } from '@aim/audit-verify';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { insertAgent } from '../../../../server/dist/testing/compliance-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * The compliance page (/compliance/) in a real browser: a framework's controls with their status from
 * the organization's rows (an agent without an owner fails CC6.1, and its id is in the evidence once the
 * control is opened), a report generated from the page and listed, its JSON download verifying with the
 * verifier's code; no serious accessibility problem at 1280 and 375 px, and nothing wider than a phone.
 */
forEachTarget('the compliance page in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let orphan: string;
  const shot = (width: string) => join(ARTIFACTS, `compliance-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Audited');
    orphan = await insertAgent(await t.owner(), org.organizationId, null);
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });
  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

  async function fits(page: Page, label: string) {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(200);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${label} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shot('phone'), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${label} at 375 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await accessibilityProblems(page), [], `${label} at 1280 px`);
  }

  it('shows each control’s status with its evidence, generates a report and downloads it signed', async () => {
    const { context, page, violations } = await signInWithPasskey(setup(), org.as.manager.userId, '/agents/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance', exact: true }).click();
    await page.waitForURL(`${origin}/compliance/`);
    const cc61 = page.locator('[data-control="CC6.1"]');
    await cc61.waitFor();
    assert.equal(await cc61.getAttribute('data-status'), 'fail');
    await cc61.locator('summary').click();
    const owned = cc61.locator('[data-check="agents_owned"]');
    assert.match(await owned.innerText(), new RegExp(orphan));

    await page.getByRole('button', { name: 'Last 30 days' }).click();
    const listed = page.locator('[data-report]');
    await listed.first().waitFor();
    const reportId = (await listed.first().getAttribute('data-report'))!;
    await page.screenshot({ path: shot('desktop'), fullPage: true });
    await fits(page, '/compliance/');

    // The page's JSON link, fetched with the browser's own session: the signed document.
    const href = await listed.first().getByRole('link', { name: /JSON/ }).getAttribute('href');
    assert.equal(href, `/api/v1/compliance/reports/${reportId}/download?format=json`);
    const download = await page.request.get(`${origin}${href}`);
    assert.equal(download.status(), 200);
    const jwks = (await (await fetch(`${origin}/.well-known/aim-audit-keys.json`)).json()) as Jwks;
    const doc = JSON.parse(await download.text());
    const pin = keyFingerprint(jwks.keys.find((k) => k.kid === doc.signature.kid)!);
    assert.equal(verifyReport(doc, jwks, { pins: new Set([pin]) }).status, 'valid');

    // Switching the framework asks again.
    await page.getByLabel('Framework').selectOption('eu_ai_act');
    await page.locator('[data-control="Art. 14"]').waitFor();
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('is not offered to a viewer', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.viewer.userId, '/agents/');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance', exact: true }).count(), 0);
    await context.close();
  });
});
