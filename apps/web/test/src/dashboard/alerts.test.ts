import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent, signedInject } from '../../../../server/dist/testing/agent-fixtures.js';
import { insertAlert } from '../../../../server/dist/testing/alert-fixtures.js';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The alerts inbox (/alerts/) and an alert's page (/alerts/detail/) in a real browser, against alerts
 * written as the detection engine writes them (rows inserted as the database owner): the default
 * filter (active alerts only), the severity and status filters, bulk acknowledge, a change made
 * elsewhere arriving live, the evidence in numbers and as a recharts chart with its table, the
 * decisions behind it, a note, an API refusal shown with its message, resolve behind a confirmation,
 * and a viewer who sees the alerts but no control to change them.
 */

interface AlertJson {
  id: string;
  status: string;
  severity: string;
  assigneeId: string | null;
}

forEachTarget('the alert pages in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let agentId: string;
  let decisionId: string;
  const ids: Record<string, string> = {};
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'alerts', 'detail', 'index.html')), 'the alert pages are built');
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Alerting');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
    const registered = await registerAgent(t, org.as.member.apiKey, { name: 'nightly-exporter', purpose: 'Exports reports' });
    agentId = registered.agent.id;
    // A real decision for the evidence to link to: the agent asks for a capability it does not hold.
    const cap = await fetch(`${origin}/api/v1/capabilities`, {
      method: 'POST',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reports:export', riskLevel: 'medium', description: 'Export reports' }),
    });
    assert.ok(cap.ok, await cap.text());
    const asked = await signedInject(t, registered.key, {
      origin,
      method: 'POST',
      url: `/api/v1/agents/${agentId}/verify-action`,
      body: JSON.stringify({ action: 'reports:export', resource: 'reports/2026' }),
    });
    assert.equal(asked.json().decision, 'deny', asked.body);
    decisionId = asked.json().decisionId;

    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    ids.critical = await insertAlert(t, org.organizationId, { type: 'key_misuse', severity: 'critical', subjectId: agentId, title: 'Possible key theft: 40 signature failures', lastSeenAt: minutesAgo(5) });
    ids.high = await insertAlert(t, org.organizationId, { type: 'data_volume', severity: 'high', subjectId: agentId, title: 'Data volume far above the baseline', lastSeenAt: minutesAgo(10) });
    ids.medium = await insertAlert(t, org.organizationId, { type: 'rate_anomaly', severity: 'medium', subjectId: agentId, title: 'Request rate far above the baseline', lastSeenAt: minutesAgo(20) });
    ids.low = await insertAlert(t, org.organizationId, { type: 'key_age', severity: 'low', subjectId: agentId, title: 'Agent key older than 90 days', lastSeenAt: minutesAgo(30) });
    ids.resolved = await insertAlert(t, org.organizationId, { type: 'off_hours', severity: 'medium', subjectId: agentId, status: 'resolved', title: 'Activity at 3 a.m.', lastSeenAt: minutesAgo(60) });

    // The rate alert's evidence: twelve hourly buckets with the spike in the last, and the decision behind it.
    const series = Array.from({ length: 12 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 11, 7, i)).toISOString(),
      observed: i === 11 ? 42 : 2 + (i % 3),
      expected: 3,
      threshold: 12,
    }));
    await (
      await t.owner()
    ).query(`update alerts set evidence = evidence || $2::jsonb where id = $1`, [ids.medium, JSON.stringify({ series, decisionIds: [decisionId], details: { hourOfWeek: 50, method: 'mad' } })]);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const alertOf = async (id: string) => {
    const res = await fetch(`${origin}/api/v1/alerts/${id}`, { headers: org.as.manager.apiKey });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { alert: AlertJson }).alert;
  };
  const row = (page: Page, id: string) => page.locator(`[data-alert-id="${id}"]`);

  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.locator('main h1').first().waitFor();
    await page.waitForTimeout(300); // the chart redraws for the new width (ResizeObserver), for the screenshot
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 375 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 1280 px`);
  }

  it('lists the active alerts, filters them, acknowledges two in bulk, and shows a change made elsewhere live', async () => {
    const { context, page, violations } = await signInWithPasskey(setup(), org.as.manager.userId, '/agents/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Security', exact: true }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Monitoring settings' }).count(), 0, 'settings are for admins');
    await nav.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.waitForURL(`${origin}/alerts/`);

    // Active by default: the four open ones, newest first, not the resolved one.
    await row(page, ids.critical!).waitFor();
    assert.deepEqual(await page.locator('[data-alert-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert-id'))), [ids.low!, ids.medium!, ids.high!, ids.critical!].sort().reverse(), 'newest first (by id)');
    await row(page, ids.critical!).getByText('critical', { exact: true }).waitFor();
    await row(page, ids.critical!).getByRole('link', { name: 'nightly-exporter' }).waitFor();
    await row(page, ids.critical!).getByText('3', { exact: true }).waitFor();
    assert.equal(await row(page, ids.resolved!).count(), 0, 'a resolved alert is not in the default list');

    await page.getByLabel('Severity').selectOption('critical');
    for (let i = 0; i < 50 && (await page.locator('[data-alert-id]').count()) !== 1; i++) await page.waitForTimeout(100);
    assert.equal(await page.locator('[data-alert-id]').count(), 1, 'only the critical alert');
    await row(page, ids.critical!).waitFor();
    await page.getByLabel('Severity').selectOption('');
    await page.getByLabel('Status').selectOption('resolved');
    await row(page, ids.resolved!).waitFor();
    assert.equal(await page.locator('[data-alert-id]').count(), 1, 'only the resolved alert');
    await page.getByLabel('Detector').selectOption('key_misuse');
    await page.getByText('No alert matches.').waitFor();
    await page.getByLabel('Detector').selectOption('');
    await page.getByLabel('Status').selectOption('active');
    await row(page, ids.low!).waitFor();
    await screenshots(page, 'alerts-inbox');

    // Bulk acknowledge two.
    await page.getByRole('checkbox', { name: 'Select Possible key theft: 40 signature failures' }).check();
    await page.getByRole('checkbox', { name: 'Select Data volume far above the baseline' }).check();
    await page.getByText('2 alerts selected').waitFor();
    await page.getByRole('button', { name: 'Acknowledge selected' }).click();
    await page.getByText('2 alerts acknowledged.').waitFor();
    assert.deepEqual([(await alertOf(ids.critical!)).status, (await alertOf(ids.high!)).status], ['acknowledged', 'acknowledged']);
    await row(page, ids.critical!).getByText('acknowledged', { exact: true }).waitFor();
    assert.equal((await alertOf(ids.low!)).status, 'open', 'the others are untouched');

    // Someone else assigns the low alert to the manager: the row shows it without a reload.
    const assigned = await fetch(`${origin}/api/v1/alerts/${ids.low}/assign`, {
      method: 'POST',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ assigneeId: org.as.manager.userId }),
    });
    assert.equal(assigned.status, 200, await assigned.text());
    const members = (await (await fetch(`${origin}/api/v1/members`, { headers: org.as.manager.apiKey })).json()) as { members: { user: { id: string; name: string } }[] };
    const managerName = members.members.find((m) => m.user.id === org.as.manager.userId)!.user.name;
    await row(page, ids.low!).getByText(managerName).waitFor({ timeout: 15_000 });
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('shows an alert’s evidence in numbers and as a chart with its table, adds a note, shows a refusal, and resolves it behind a confirmation', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.manager.userId, `/alerts/detail/?id=${ids.medium}`);
    await page.getByRole('heading', { name: 'Request rate far above the baseline', level: 1 }).waitFor();
    const evidence = page.getByTestId('evidence');
    assert.equal((await evidence.locator('[data-evidence="observed"]').innerText()).trim(), '42 requests per hour');
    assert.equal((await evidence.locator('[data-evidence="baseline"]').innerText()).trim(), '3 requests per hour');
    assert.equal((await evidence.locator('[data-evidence="threshold"]').innerText()).trim(), '12 requests per hour');
    await evidence.getByText('median and MAD of the same hour of the week', { exact: false }).waitFor();
    await evidence.getByText('hourOfWeek').waitFor();
    await page.getByRole('link', { name: 'nightly-exporter' }).waitFor();

    // The chart: recharts drew the observed, expected and threshold lines; the table holds the same twelve buckets.
    const chart = page.locator('[data-chart="evidence-chart"]');
    await chart.locator('.recharts-line').first().waitFor();
    assert.equal(await chart.locator('.recharts-line').count(), 3, 'observed, expected and threshold');
    await chart.getByText('Show the numbers').click();
    const table = chart.getByRole('table', { name: 'Observed against the baseline' });
    assert.equal(await table.locator('tbody tr').count(), 12);
    assert.deepEqual(await table.locator('tbody tr').last().locator('td').allInnerTexts(), ['42', '3', '12']);

    const link = page.getByRole('link', { name: decisionId });
    assert.equal(await link.getAttribute('href'), `/decisions/detail/?id=${decisionId}`);
    await screenshots(page, 'alert-detail');

    await page.getByLabel('Add a note').fill('Checked with the owner: a report backfill.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('[data-note-id]').getByText('Checked with the owner: a report backfill.').waitFor();

    // A snooze in the past: the API refuses and its message shows.
    await page.getByLabel('Snooze until').fill('2020-01-01T10:00');
    await page.getByRole('button', { name: 'Snooze', exact: true }).click();
    await page.getByRole('alert').getByText('is not in the future', { exact: false }).waitFor();
    assert.equal((await alertOf(ids.medium!)).status, 'open');

    await page.getByRole('button', { name: 'Resolve…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Resolve this alert?' }).waitFor();
    await dialog.getByRole('button', { name: 'Resolve alert' }).click();
    await page.getByText('Alert resolved.').waitFor();
    await page.getByTestId('alert-status').getByText('resolved').waitFor();
    assert.equal((await alertOf(ids.medium!)).status, 'resolved');
    // Resolved: reopen is what remains.
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
    await context.close();
  });

  it('shows a viewer the alerts and their evidence but no control to change them', async () => {
    // From the agent's page: its alerts, the inbox filtered to it.
    const { context, page } = await signInWithPasskey(setup(), org.as.viewer.userId, `/agents/detail/?id=${agentId}`);
    await page.getByRole('link', { name: 'Alerts about this agent' }).click();
    await page.waitForURL(`${origin}/alerts/?agentId=${agentId}`);
    assert.equal(await page.getByLabel('Agent').inputValue(), agentId);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Alerts', exact: true }).waitFor();
    await nav.getByRole('link', { name: 'Security', exact: true }).waitFor();
    await row(page, ids.critical!).waitFor();
    assert.equal(await page.getByRole('checkbox').count(), 0, 'nothing to select');
    assert.equal(await page.getByRole('button', { name: /selected/ }).count(), 0, 'no bulk actions');
    await page.goto(`${origin}/alerts/detail/?id=${ids.high}`);
    await page.getByRole('heading', { name: 'Data volume far above the baseline', level: 1 }).waitFor();
    await page.getByTestId('evidence').waitFor();
    for (const name of ['Acknowledge', 'Resolve…', 'False positive…', 'Reopen', 'Assign', 'Snooze', 'Add note'])
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no ${name} button`);
    await page.getByRole('heading', { name: 'Notes' }).waitFor();
    await context.close();
  });
});
