import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent, signedInject, type TestAgentKey } from '../../../../server/dist/testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The agent page's evidence and grants in a real browser: a manager grants and revokes a capability;
 * a reviewer who does not own the agent records a security review and the page's score follows the
 * API's; an incident is reported and resolved; an attestation another agent makes shows up live;
 * the owner gets no review form, a viewer no form at all.
 */

interface Trust {
  score: number | null;
  computedAt: string;
  factors: { key: string; value: number | null; explanation: string }[];
}

forEachTarget('agent evidence in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let agentId: string;
  let attester: { key: TestAgentKey; agent: { id: string; name: string } };
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'agents', 'detail', 'index.html')), 'the agent detail page is built');
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Evidence');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
    // The member owns the agent; another agent (the admin's) will attest to it.
    agentId = (await registerAgent(t, org.as.member.apiKey, { name: 'evidence-bot', purpose: 'Reviewed and attested' })).agent.id;
    attester = await registerAgent(t, org.as.admin.apiKey, { name: 'witness-bot' });
    const created = await api('POST', '/api/v1/capabilities', { name: 'db:read', description: 'Read the database', riskLevel: 'medium' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const signedIn = (userId: string, path: string) => signInWithPasskey(setup(), userId, path);

  /** A call with the admin's API key (or another's headers). */
  async function api(method: string, path: string, body?: unknown, headers = org.as.admin.apiKey): Promise<{ status: number; body: any }> {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }
  const apiTrust = async (): Promise<Trust> => (await api('GET', `/api/v1/agents/${agentId}/trust`)).body.trust as Trust;

  /** The API's score once it is newer than `before` (the server recalculates a few seconds after new evidence). */
  async function newerTrust(before: Trust): Promise<Trust> {
    // Once a second: the page polls too, and the browser and this test share one IP's rate limit.
    for (let i = 0; i < 40; i++) {
      const now = await apiTrust();
      if (now.computedAt !== before.computedAt) return now;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.fail('the score was recalculated after the new evidence');
  }

  /** Waits until the page shows `trust`'s score (it follows the API's after evidence, and on live events). */
  async function pageShows(page: Page, trust: Trust) {
    const want = trust.score === null ? '—' : trust.score.toFixed(2);
    await page.getByTestId('trust-score').getByText(want, { exact: true }).waitFor({ timeout: 30_000 });
  }

  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByTestId('trust-score').waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('a manager grants a capability on the agent page and revokes it', async () => {
    const { context, page, violations } = await signedIn(org.as.manager.userId, `/agents/detail/?id=${agentId}`);
    const grants = page.getByRole('region', { name: 'Granted capabilities' });
    await grants.getByText('No active grants.').waitFor();

    // The contract's rules first: a pattern with *** is refused in the browser.
    await grants.getByLabel('Capability', { exact: true }).selectOption('db:read');
    await grants.getByLabel('Resource pattern (optional)').fill('customers/***');
    await grants.getByRole('button', { name: 'Grant capability' }).click();
    await grants.getByText('must not contain ***', { exact: false }).waitFor();
    assert.deepEqual((await api('GET', `/api/v1/agents/${agentId}/grants`)).body.grants, [], 'nothing granted');

    await grants.getByLabel('Resource pattern (optional)').fill('customers/*');
    await grants.getByLabel('Expires', { exact: true }).selectOption({ label: 'in 24 hours' });
    await grants.getByRole('button', { name: 'Grant capability' }).click();
    await grants.locator('[data-grant-id]').waitFor();
    const granted = (await api('GET', `/api/v1/agents/${agentId}/grants`)).body.grants as { id: string; capability: string; resourcePattern: string; status: string; expiresAt: string | null }[];
    assert.equal(granted.length, 1);
    assert.equal(granted[0]!.capability, 'db:read');
    assert.equal(granted[0]!.resourcePattern, 'customers/*');
    assert.equal(granted[0]!.status, 'active');
    const expiresIn = new Date(granted[0]!.expiresAt!).getTime() - Date.now();
    assert.ok(expiresIn > 23 * 3_600_000 && expiresIn <= 24 * 3_600_000, `expires in 24 hours (${expiresIn} ms)`);
    assert.equal(await grants.locator(`[data-grant-id="${granted[0]!.id}"]`).count(), 1, 'the page shows the API’s grant');
    await screenshots(page, 'agent-evidence-grant');

    await grants.getByRole('button', { name: 'Revoke grant db:read on customers/*' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Revoke db:read?' }).waitFor();
    await dialog.getByRole('button', { name: 'Revoke grant' }).click();
    await grants.getByText('No active grants.').waitFor();
    const revoked = (await api('GET', `/api/v1/agents/${agentId}/grants`)).body.grants as { id: string; status: string }[];
    assert.deepEqual(revoked.map((g) => [g.id, g.status]), [[granted[0]!.id, 'revoked']], 'the API has it revoked');

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('a reviewer who does not own the agent records a security review, and the trust breakdown moves to the API’s new score', async () => {
    const { context, page } = await signedIn(org.as.manager.userId, `/agents/detail/?id=${agentId}`);
    const reviews = page.getByRole('region', { name: 'Security reviews' });
    await reviews.getByText('No security reviews yet.').waitFor();
    const before = await apiTrust();
    await pageShows(page, before);
    const auditBefore = before.factors.find((f) => f.key === 'securityAudit')!;

    await reviews.getByLabel('Summary (optional)').fill('Quarterly review');
    await reviews.getByRole('button', { name: 'Add a finding' }).click();
    await reviews.getByLabel('Finding 1 severity').selectOption('critical');
    await reviews.getByLabel('Finding 1 title').fill('Logs customer secrets');
    await reviews.getByRole('button', { name: 'Record review' }).click();
    await reviews.locator('[data-review-id]').waitFor();

    const listed = (await api('GET', `/api/v1/agents/${agentId}/security-reviews`)).body.reviews as { summary: string; findings: unknown[]; reviewer: { type: string; id: string } }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.summary, 'Quarterly review');
    assert.deepEqual(listed[0]!.findings, [{ severity: 'critical', title: 'Logs customer secrets' }]);
    assert.deepEqual(listed[0]!.reviewer, { type: 'user', id: org.as.manager.userId });
    assert.match(await reviews.innerText(), /Logs customer secrets/);

    const after = await newerTrust(before);
    const auditAfter = after.factors.find((f) => f.key === 'securityAudit')!;
    assert.notEqual(auditAfter.value, auditBefore.value, `the security audit factor moved (${auditBefore.value} → ${auditAfter.value})`);
    assert.notEqual(after.score, before.score, `the score moved (${before.score} → ${after.score})`);
    await pageShows(page, after);
    const row = page.locator('[data-factor="securityAudit"]');
    await row.getByText(auditAfter.explanation, { exact: false }).waitFor();
    await context.close();
  });

  it('an incident is reported and resolved, and the page follows the score', async () => {
    const { context, page } = await signedIn(org.as.manager.userId, `/agents/detail/?id=${agentId}`);
    const incidents = page.getByRole('region', { name: 'Incidents' });
    await incidents.getByText('No incidents reported.').waitFor();
    const before = await apiTrust();

    await incidents.getByLabel('Severity', { exact: true }).selectOption('high');
    await incidents.getByLabel('Title', { exact: true }).fill('Sent a customer list to a wrong address');
    await incidents.getByLabel('Description (optional)').fill('Found in the outbound mail log');
    await incidents.getByRole('button', { name: 'Report incident' }).click();
    const item = incidents.locator('[data-incident-id]');
    await item.waitFor();
    assert.equal(await item.getByTestId('incident-state').innerText(), 'open');
    assert.deepEqual(
      [await incidents.getByLabel('Title', { exact: true }).inputValue(), await incidents.getByLabel('Description (optional)').inputValue()],
      ['', ''],
      'the form is empty again for the next incident',
    );
    let listed = (await api('GET', `/api/v1/agents/${agentId}/incidents`)).body.incidents as { id: string; severity: string; title: string; description: string; resolvedAt: string | null }[];
    assert.equal(listed.length, 1);
    assert.deepEqual([listed[0]!.severity, listed[0]!.title, listed[0]!.description, listed[0]!.resolvedAt], ['high', 'Sent a customer list to a wrong address', 'Found in the outbound mail log', null]);

    const after = await newerTrust(before);
    assert.notEqual(after.score, before.score, `an incident moves the score (${before.score} → ${after.score})`);
    await pageShows(page, after);

    await incidents.getByRole('button', { name: 'Mark resolved: Sent a customer list to a wrong address' }).click();
    await item.getByTestId('incident-state').getByText('resolved', { exact: true }).waitFor();
    listed = (await api('GET', `/api/v1/agents/${agentId}/incidents`)).body.incidents;
    assert.ok(listed[0]!.resolvedAt, 'the API has it resolved');
    assert.equal(await incidents.getByRole('button', { name: /^Mark resolved/ }).count(), 0, 'a resolved incident cannot be resolved again');
    await pageShows(page, await newerTrust(after));
    await screenshots(page, 'agent-evidence-manager');
    await context.close();
  });

  it('an attestation another agent makes through the API shows up on the page', async () => {
    const { context, page } = await signedIn(org.as.viewer.userId, `/agents/detail/?id=${agentId}`);
    const attestations = page.getByRole('region', { name: 'Attestations by other agents' });
    await attestations.getByText('No agent has attested to this one', { exact: false }).waitFor();

    // The agent signs its request (as the SDK does); the page hears of it live.
    const body = JSON.stringify({ verdict: 'trusted', statement: 'Its summaries matched the source in 200 of 200 checks' });
    const res = await signedInject(t, attester.key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${agentId}`, body, origin });
    assert.equal(res.statusCode, 200, res.body);
    const row = attestations.locator(`[data-attester-id="${attester.agent.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /trusted/);
    assert.match(await row.innerText(), /witness-bot/);
    assert.match(await row.innerText(), /200 of 200 checks/);
    const listed = (await api('GET', `/api/v1/agents/${agentId}/attestations`)).body.attestations as { attesterId: string; verdict: string }[];
    assert.deepEqual(listed.map((a) => [a.attesterId, a.verdict]), [[attester.agent.id, 'trusted']]);
    await context.close();
  });

  it('the owner gets no review form (the server refuses owners), but may report incidents', async () => {
    const own = (await registerAgent(t, org.as.manager.apiKey, { name: 'managers-own-bot' })).agent;
    const refused = await api('POST', `/api/v1/agents/${own.id}/security-reviews`, { findings: [] }, org.as.manager.apiKey);
    assert.equal(refused.status, 403, 'the server refuses a review by the owner');
    const { context, page } = await signedIn(org.as.manager.userId, `/agents/detail/?id=${own.id}`);
    const reviews = page.getByRole('region', { name: 'Security reviews' });
    await reviews.getByTestId('owner-review-note').waitFor();
    assert.equal(await reviews.getByRole('button', { name: 'Record review' }).count(), 0, 'no review form for the owner');
    assert.equal(await reviews.locator('form').count(), 0);
    assert.equal(await page.getByRole('region', { name: 'Incidents' }).getByRole('button', { name: 'Report incident' }).count(), 1, 'incidents are not refused to owners');
    await context.close();
  });

  it('a member rates an agent they do not own, changes the rating and deletes it', async () => {
    const rated = (await registerAgent(t, org.as.manager.apiKey, { name: 'rated-bot' })).agent;
    const ratings = async () =>
      ((await api('GET', `/api/v1/agents/${rated.id}/ratings`)).body.ratings as { userId: string; rating: number; comment: string | null }[]).map((r) => [r.userId, r.rating, r.comment]);
    const { context, page } = await signedIn(org.as.member.userId, `/agents/detail/?id=${rated.id}`);
    const section = page.getByRole('region', { name: 'Ratings' });
    await section.getByText('No ratings yet.').waitFor();

    await section.getByRole('button', { name: 'Rate this agent' }).click();
    await section.getByLabel('Your rating').selectOption('4');
    await section.getByLabel('Comment (optional)').fill('Quick answers');
    await section.getByRole('button', { name: 'Save rating' }).click();
    await section.getByRole('button', { name: 'Edit your rating' }).waitFor();
    assert.deepEqual(await ratings(), [[org.as.member.userId, 4, 'Quick answers']]);

    // An emptied comment box removes the comment.
    await section.getByRole('button', { name: 'Edit your rating' }).click();
    await section.getByLabel('Your rating').selectOption('2');
    await section.getByLabel('Comment (optional)').fill('');
    await section.getByRole('button', { name: 'Save rating' }).click();
    await section.getByLabel('2 out of 5').waitFor();
    assert.deepEqual(await ratings(), [[org.as.member.userId, 2, null]]);

    await section.getByRole('button', { name: 'Delete your rating' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rating' }).click();
    await section.getByText('No ratings yet.').waitFor();
    assert.deepEqual(await ratings(), [], 'the API has no rating left');
    assert.equal(await section.getByRole('button', { name: 'Rate this agent' }).count(), 1, 'and the member may rate again');
    await context.close();
  });

  it('a viewer sees the evidence without any form', async () => {
    // One active grant, so the viewer sees the grants read-only.
    const grant = await api('POST', `/api/v1/agents/${agentId}/grants`, { capability: 'db:read' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    const { context, page, violations } = await signedIn(org.as.viewer.userId, `/agents/detail/?id=${agentId}`);
    await page.getByRole('heading', { name: 'evidence-bot', level: 1 }).waitFor();
    await page.locator(`[data-grant-id="${grant.body.grant.id}"]`).waitFor();
    await page.locator('[data-review-id]').waitFor();
    await page.locator('[data-incident-id]').waitFor();
    await page.locator('[data-attestation-id]').waitFor();
    assert.equal(await page.locator('main form').count(), 0, 'no form at all');
    for (const name of [/^Revoke/, /^Grant capability/, /^Record review/, /^Report incident/, /^Mark resolved/, /^Add a finding/, /^Rate this agent/, /^Delete your rating/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a viewer`);
    }
    await screenshots(page, 'agent-evidence-viewer');
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });
});
