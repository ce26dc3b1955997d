import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, launchChromium } from '../../testing/browser.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * The browsable API reference (/docs) in Chromium: it loads under its Content-Security-Policy with no
 * violation and no console error, and "Authorize" with an API key then "Try it out" → "Execute" on
 * GET /api/v1/agents answers 200 — the document's security is what the reference sends.
 */
forEachTarget('API reference in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;

  before(async () => {
    t = await createTestApp(target, { env: { SERVE_DASHBOARD: 'false' } });
    org = await seedOrganization(t, 'Reference');
    origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium({ dashboard: false });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with an API key and executes GET /api/v1/agents: 200, with no CSP violation or console error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
    await page.exposeFunction('reportViolation', (text: string) => problems.push(`csp: ${text}`));
    // Collected in the page (its CSP does not apply to scripts added through the DevTools protocol).
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI));`,
    });
    try {
      await page.goto(`${origin}/docs/`);
      await page.getByRole('heading', { name: /AIM — Agent Identity Management API/ }).waitFor();

      await page.locator('button.authorize').first().click();
      const apiKey = page.locator('.modal-ux form').filter({ has: page.locator('h4', { hasText: /^apiKey/ }) });
      await apiKey.locator('input').fill(org.as.viewer.apiKey.authorization!.replace(/^Bearer /, ''));
      await apiKey.locator('button[type=submit]', { hasText: 'Authorize' }).click();
      await apiKey.locator('button', { hasText: 'Logout' }).waitFor();
      await page.locator('.modal-ux button.close-modal').click();

      const operation = page.locator('#operations-agents-get_api_v1_agents');
      // Swagger UI renders a long document's operations only near the viewport: scroll down to it, as a reader would.
      for (let i = 0; i < 300 && (await operation.count()) === 0; i++) {
        await page.mouse.wheel(0, 300);
        await page.waitForTimeout(20);
      }
      await operation.locator('.opblock-summary').first().click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.getByRole('button', { name: 'Execute' }).click();
      const status = operation.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'api-reference-try-it-out.png'), fullPage: false });
      assert.equal((await status.innerText()).trim(), '200');
      const curl = await operation.locator('.curl-command').innerText();
      assert.match(curl, /Authorization: Bearer aim_v1_/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
