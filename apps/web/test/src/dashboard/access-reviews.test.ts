import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent } from '../../../../server/dist/testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { testTargets } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The access review pages in a real browser: an admin starts a campaign from the form and sees its
 * progress; the agent's owner (a member) finds the item in their inbox, is refused a revocation without
 * a note, revokes with one (the agent is revoked in the API); the admin sees the decision on the
 * campaign's page, completes it behind a confirmation and has the report links. Each page is checked
 * by axe-core at 1280 and 375 px. One target is enough: the pages do not depend on the store.
 */
const target = testTargets()[0]!;

interface Review {
  id: string;
  name: string;
  status: string;
  summary: { total: number; revoked: number; pending: number };
}

it(`access review pages in Chromium [${target.name}]`, async (test) => {
  assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'access-reviews', 'index.html')), 'the access reviews page is built');
  assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'access-reviews', 'detail', 'index.html')), 'the campaign page is built');
  const t: TestApp = await createTestApp(target);
  let browser: Browser | undefined;
  test.after(async () => {
    await browser?.close();
    await t.close();
  });
  const org: SeededOrganization = await seedOrganization(t, 'Reviews');
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const origin = address.replace('127.0.0.1', 'localhost');
  browser = await launchChromium();
  const setup = (): BrowserSetup => ({ t, browser: browser!, origin, organizationId: org.organizationId });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${origin}${path}`, { headers: org.as.admin.apiKey });
    assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const { agent } = await registerAgent(t, org.as.member.apiKey, { name: 'ledger-bot' });

  async function checkPage(page: Page, name: string) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 1280 px`);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.locator('main h1').first().waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 375 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  // The admin starts a campaign from the form.
  const admin = await signInWithPasskey(setup(), org.as.admin.userId, '/agents/');
  await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access reviews', exact: true }).click();
  await admin.page.waitForURL(`${origin}/access-reviews/`);
  await admin.page.getByText('No access review yet.').waitFor();
  await admin.page.getByLabel('Name').fill('Q1 agent review');
  await admin.page.getByLabel('Scope').selectOption('all_agents');
  await admin.page.getByRole('checkbox', { name: /Revoke what nobody reviewed/ }).check();
  await admin.page.getByRole('button', { name: 'Start campaign' }).click();
  await admin.page.getByText('“Q1 agent review” started with 1 item.').waitFor();
  const [review] = (await api<{ accessReviews: Review[] }>('/api/v1/access-reviews')).accessReviews;
  assert.ok(review);
  assert.equal(review.name, 'Q1 agent review');
  const row = admin.page.locator(`[data-review="${review.id}"]`);
  await row.getByRole('progressbar', { name: 'Q1 agent review: 0 of 1 items decided' }).waitFor();
  await checkPage(admin.page, 'access-reviews-list');

  // The owner's inbox: a revocation needs a note; with one, the agent is revoked.
  const member = await signInWithPasskey(setup(), org.as.member.userId, '/access-reviews/?tab=inbox');
  const inbox = member.page.getByRole('region', { name: 'Waiting for your review' });
  const item = inbox.locator(`[data-subject="${agent.id}"]`);
  await item.waitFor();
  await member.page.getByRole('link', { name: 'Your inbox (1 waiting)' }).waitFor();
  await item.getByLabel('Decision').selectOption('revoke');
  await item.getByRole('button', { name: 'Revoke' }).click();
  await item.getByText('a revocation needs a note').waitFor();
  assert.equal((await api<{ accessReview: Review }>(`/api/v1/access-reviews/${review.id}`)).accessReview.summary.pending, 1, 'nothing was decided');
  await checkPage(member.page, 'access-reviews-inbox');
  await item.getByLabel('Note').fill('Replaced by the billing agent');
  await item.getByRole('button', { name: 'Revoke' }).click();
  await inbox.getByText('Nothing waits for your review.').waitFor();
  await member.page.getByRole('link', { name: 'Your inbox', exact: true }).waitFor();
  assert.equal((await api<{ agent: { status: string } }>(`/api/v1/agents/${agent.id}`)).agent.status, 'revoked', 'the agent is revoked for real');
  await member.context.close();

  // The campaign's page: the decision and its note; completion behind a confirmation; the report links.
  await admin.page.goto(`${origin}/access-reviews/detail/?id=${review.id}`);
  await admin.page.getByRole('heading', { name: 'Q1 agent review', level: 1 }).waitFor();
  const decided = admin.page.locator(`[data-subject="${agent.id}"]`);
  await decided.getByText('“Replaced by the billing agent”').waitFor();
  await decided.getByText('revoked', { exact: true }).waitFor();
  await admin.page.getByRole('progressbar', { name: 'Q1 agent review: 1 of 1 items decided' }).waitFor();
  assert.equal(await admin.page.getByRole('link', { name: 'Download report (CSV)' }).getAttribute('href'), `/api/v1/access-reviews/${review.id}/report?format=csv`);
  await checkPage(admin.page, 'access-reviews-detail');
  await admin.page.getByRole('button', { name: 'Complete now' }).click();
  await admin.page.getByRole('dialog').getByRole('button', { name: 'Complete campaign' }).click();
  await admin.page.getByText('The campaign is completed.').waitFor();
  assert.equal((await api<{ accessReview: Review }>(`/api/v1/access-reviews/${review.id}`)).accessReview.status, 'completed');
  assert.equal(await admin.page.getByRole('button', { name: 'Complete now' }).count(), 0, 'a completed campaign cannot be completed again');
  assert.deepEqual(admin.violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
  await admin.context.close();
});

