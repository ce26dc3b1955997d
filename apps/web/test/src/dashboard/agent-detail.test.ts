import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent } from '../../../../server/dist/testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The agent detail page (/agents/detail/?id=…) in a real browser, set up like dashboard.test.ts:
 * Debian's Chromium driven by playwright-core, passkey sign-in through Chromium's virtual authenticator.
 * Screenshots go to test-artifacts/dashboard/.
 */

interface TrustFactor {
  key: string;
  label: string;
  value: number | null;
  explanation: string;
}
interface Trust {
  score: number | null;
  tier: string;
  confidence: number;
  factors: TrustFactor[];
}

forEachTarget('agent detail page in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'agents', 'detail', 'index.html')), 'the agent detail page is built');
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Detail');
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
  const signedIn = (userId: string, path: string) => signInWithPasskey(setup(), userId, path);

  /** The trust score as the API's admin key reads it. */
  async function apiTrust(agentId: string): Promise<Trust> {
    const res = await fetch(`${origin}/api/v1/agents/${agentId}/trust`, { headers: org.as.admin.apiKey });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { trust: Trust }).trust;
  }

  /** The score shown on the page, once it shows `expected` (the page reloads on live events). */
  async function shownScore(page: Page, expected: number | null): Promise<number | null> {
    const locator = page.getByTestId('trust-score');
    const want = expected === null ? '—' : expected.toFixed(2);
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = (await locator.innerText()).trim();
      if (text === want) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(text, want, 'the page shows the score the API answers');
    return text === '—' ? null : Number(text);
  }

  /** A screenshot at desktop width, then at 375 px (checking nothing overflows), then back. */
  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByTestId('trust-score').waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  let agentId: string;

  it('opens an agent from the list, shows its trust factors, and suspends it with a reason', async () => {
    const { agent } = await registerAgent(t, org.as.member.apiKey, { name: 'detail-page-bot', purpose: 'Shown on its own page', tags: ['billing'] });
    agentId = agent.id;
    const { context, page, violations } = await signedIn(org.as.admin.userId, '/agents/');
    await page.locator(`tr[data-agent-id="${agent.id}"]`).getByRole('link', { name: 'detail-page-bot' }).click();
    await page.waitForURL(`${origin}/agents/detail/?id=${agent.id}`);
    await page.getByRole('heading', { name: 'detail-page-bot', level: 1 }).waitFor();

    // Identity: owner is the member, the key by its thumbprint.
    const identity = page.getByRole('region', { name: 'Identity' });
    assert.match(await identity.innerText(), /Shown on its own page/);
    assert.match(await identity.innerText(), /billing/);
    assert.equal(await identity.locator(`[data-owner-id="${org.as.member.userId}"]`).count(), 1, 'the member owns it');
    assert.match(await identity.innerText(), /member /, 'the owner by name');
    assert.equal(await page.locator(`[data-key-id="${agent.keys[0]!.id}"]`).count(), 1, 'the key, by its thumbprint');

    // Trust: eight factors, the score the API answers, unknown factors labelled unknown (never 0).
    const before = await apiTrust(agent.id);
    assert.equal(before.factors.length, 8);
    const factorRows = page.locator('[data-factor]');
    await factorRows.first().waitFor();
    assert.equal(await factorRows.count(), 8, 'one row per factor');
    const scoreBefore = await shownScore(page, before.score);
    assert.ok(scoreBefore !== null && scoreBefore > 0, 'a fresh agent has a score');
    const trustText = await page.getByRole('region', { name: 'Trust' }).innerText();
    assert.match(trustText, new RegExp(`rests on ${Math.round(before.confidence * 100)}% of the weight`));
    const unknown = before.factors.filter((f) => f.value === null);
    assert.ok(unknown.length > 0, 'a fresh agent has unknown factors');
    for (const f of unknown) {
      const row = page.locator(`[data-factor="${f.key}"]`);
      assert.match(await row.innerText(), /unknown — /, `${f.key} is shown as unknown`);
      assert.equal(await row.getByRole('meter').count(), 0, `${f.key} has no bar`);
    }
    for (const f of before.factors.filter((f) => f.value !== null)) {
      assert.equal(await page.locator(`[data-factor="${f.key}"]`).getByRole('meter').count(), 1, `${f.key} has a bar`);
    }
    assert.equal(await page.getByRole('img', { name: /Trust score over time/ }).count(), 1, 'the history chart');
    await screenshots(page, 'agent-detail');

    // Suspend, with a confirmation step and a reason.
    await page.getByRole('button', { name: 'Suspend', exact: true }).click();
    await page.getByLabel('Reason (optional)').fill('Investigating unexpected calls');
    await page.getByRole('button', { name: 'Confirm suspend' }).click();
    await page.getByTestId('agent-status').getByText('suspended').waitFor();
    const after = await apiTrust(agent.id);
    assert.ok(after.score !== null && after.score < scoreBefore!, `the score drops on suspension (${scoreBefore} → ${after.score})`);
    await shownScore(page, after.score);
    assert.equal(await page.getByRole('button', { name: 'Reactivate' }).count(), 1, 'a suspended agent can be reactivated');
    const detail = (await (await fetch(`${origin}/api/v1/agents/${agent.id}`, { headers: org.as.admin.apiKey })).json()) as {
      agent: { status: string };
      statusHistory: { to: string; reason: string | null }[];
    };
    assert.equal(detail.agent.status, 'suspended');
    assert.equal(detail.statusHistory.find((s) => s.to === 'suspended')?.reason, 'Investigating unexpected calls');
    await screenshots(page, 'agent-detail-suspended');

    // The admin does not own the agent, so may rate it, and then edit that rating.
    await page.getByRole('button', { name: 'Rate this agent' }).click();
    await page.getByLabel('Your rating').selectOption('4');
    await page.getByLabel('Comment (optional)').fill('Answers quickly');
    await page.getByRole('button', { name: 'Save rating' }).click();
    await page.getByText('Answers quickly').waitFor();
    await page.getByRole('button', { name: 'Edit your rating' }).waitFor();
    const ratings = (await (await fetch(`${origin}/api/v1/agents/${agent.id}/ratings`, { headers: org.as.admin.apiKey })).json()) as { ratings: { userId: string; rating: number }[] };
    assert.deepEqual(ratings.ratings.map((r) => [r.userId, r.rating]), [[org.as.admin.userId, 4]]);

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('the member who owns the agent may change its lifecycle but not rate it', async () => {
    const { context, page } = await signedIn(org.as.member.userId, `/agents/detail/?id=${agentId}`);
    await page.getByRole('heading', { name: 'detail-page-bot', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Recalculate' }).count(), 0, 'recalculating is for managers and admins');
    assert.equal(await page.getByRole('button', { name: /^(Rate this agent|Edit your rating)/ }).count(), 0, 'an owner does not rate their own agent');
    await context.close();
  });

  it('a viewer sees the agent without any lifecycle control', async () => {
    const { context, page, violations } = await signedIn(org.as.viewer.userId, `/agents/detail/?id=${agentId}`);
    await page.getByRole('heading', { name: 'detail-page-bot', level: 1 }).waitFor();
    await page.getByTestId('trust-score').waitFor();
    assert.equal(await page.locator('[data-factor]').count(), 8);
    for (const name of [/^Suspend/, /^Reactivate/, /^Revoke/, /^Recalculate/, /^Rate this agent/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a viewer`);
    }
    assert.equal(await page.getByRole('region', { name: 'Lifecycle' }).count(), 0, 'no lifecycle section for a viewer');
    await screenshots(page, 'agent-detail-viewer');

    // Its decisions: the history opens filtered to this agent.
    await page.getByRole('link', { name: 'All of this agent’s decisions' }).click();
    await page.waitForURL(`${origin}/decisions/?agentId=${agentId}`);
    const filter = page.getByLabel('Agent', { exact: true });
    await filter.waitFor();
    assert.equal(await filter.inputValue(), agentId, 'the history is filtered to the agent');
    await page.getByText('No decision matches.').waitFor();
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });
});
