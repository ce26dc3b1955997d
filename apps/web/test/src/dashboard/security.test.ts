import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent } from '../../../../server/dist/testing/agent-fixtures.js';
import { insertAlert, insertLearningFinding } from '../../../../server/dist/testing/alert-fixtures.js';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { newId } from '../../../../server/dist/platform/ids.js';

/**
 * The security overview (/security/) and the monitoring settings (/monitoring-settings/) in a real
 * browser. The overview draws its recharts charts from rows seeded as the database owner (alerts over
 * several days, decisions, trust scores), and its tables show exactly the API's numbers; the period
 * selector asks again. The settings page saves what an admin changes, refuses a value out of range
 * in the field itself (nothing is sent), warns about automatic suspension, lists learning findings,
 * and is not offered to a manager.
 */

const DAY_MS = 86_400_000;

interface Overview {
  openBySeverity: Record<string, number>;
  alertsByDay: { day: string; critical: number; high: number; medium: number; low: number; info: number }[];
  topAgents: { name: string; alerts: number; active: number }[];
  decisionsByDay: { day: string; allowed: number; denied: number; pending: number }[];
  trustDistribution: { from: number; to: number; agents: number }[];
}

forEachTarget('the security overview and monitoring settings in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const agents: Record<string, string> = {};
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);
  const sql = async (text: string, values: unknown[] = []) => (await t.owner()).query(text, values);
  const daysAgo = (d: number) => new Date(Date.now() - d * DAY_MS - 60_000);

  before(async () => {
    // Scores are set below; no recalculation may replace them meanwhile.
    t = await createTestApp(target, { env: { TRUST_RECALCULATION_DEBOUNCE_MS: '600000' } });
    org = await seedOrganization(t, 'Watchful');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
    for (const [name, score] of [['ledger-sync', 82], ['mail-triage', 47], ['report-bot', 91]] as const) {
      const { agent } = await registerAgent(t, org.as.admin.apiKey, { name });
      agents[name] = agent.id;
      await sql(`update agents set trust_score = $2, trust_tier = 'medium', status = 'active' where id = $1`, [agent.id, score]);
    }
    // Alerts over the last days: most about ledger-sync.
    const seeded: [string, 'critical' | 'high' | 'medium' | 'low', number, 'open' | 'resolved'][] = [
      ['ledger-sync', 'critical', 0, 'open'],
      ['ledger-sync', 'high', 1, 'open'],
      ['ledger-sync', 'medium', 3, 'resolved'],
      ['mail-triage', 'low', 2, 'open'],
      ['mail-triage', 'medium', 5, 'open'],
    ];
    for (const [name, severity, ago, status] of seeded) {
      const at = daysAgo(ago);
      const id = await insertAlert(t, org.organizationId, { subjectId: agents[name]!, severity, status, lastSeenAt: at });
      await sql(`update alerts set created_at = $2 where id = $1`, [id, at]);
    }
    // Decisions over the last days, more denied lately.
    for (const [ago, decision, n] of [[0, 'deny', 4], [0, 'allow', 6], [1, 'deny', 2], [1, 'allow', 8], [4, 'allow', 5]] as const) {
      for (let i = 0; i < n; i++) await decisionAt(agents['ledger-sync']!, daysAgo(ago), decision);
    }
    await insertLearningFinding(t, org.organizationId, agents['report-bot']!);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A decision row as the decision endpoint writes it, in its month's partition (created as the partition job does). */
  async function decisionAt(agentId: string, at: Date, initial: 'allow' | 'deny') {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
    const name = `verification_events_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
    await sql(`create table if not exists ${name} partition of verification_events for values from ('${start.toISOString()}') to ('${end.toISOString()}')`);
    await sql(`alter table ${name} enable row level security`);
    await sql(
      `insert into verification_events (id, organization_id, agent_id, authenticated_by, action, initial_decision, decision, status, reasons, policy_revision, created_at)
       values ($1, $2, $3, 'signature', 'reports:read', $4, $4, $5, '[]', 1, $6)`,
      [newId('dec', at.getTime()), org.organizationId, agentId, initial, initial === 'allow' ? 'allowed' : 'denied', at],
    );
  }

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const asAdmin = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${origin}${path}`, { headers: org.as.admin.apiKey });
    assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.locator('main h1').first().waitFor();
    await page.waitForTimeout(300); // the charts redraw for the new width (ResizeObserver)
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 375 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 1280 px`);
  }

  /** The rows of a chart's table of numbers (opened first). */
  async function tableOf(page: Page, chart: string): Promise<string[][]> {
    const figure = page.locator(`[data-chart="${chart}"]`);
    const details = figure.locator('details');
    if ((await details.getAttribute('open')) === null) await figure.getByText('Show the numbers').click();
    return figure.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').trim())));
  }

  it('draws the overview’s charts from the seeded rows, with the API’s numbers in their tables, for 7, 14 and 30 days', async () => {
    const { context, page, violations } = await signInWithPasskey(setup(), org.as.manager.userId, '/agents/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security', exact: true }).click();
    await page.waitForURL(`${origin}/security/`);
    await page.locator('[data-chart="alerts-by-day"] .recharts-bar-rectangle').first().waitFor();
    const api = await asAdmin<Overview>('/api/v1/monitoring/overview?days=14');

    // Active now: one critical, one high, one medium, one low (the resolved one is not active).
    for (const [severity, n] of Object.entries({ critical: 1, high: 1, medium: 1, low: 1, info: 0 })) {
      assert.equal(api.openBySeverity[severity], n, `the API counts ${severity}`);
      assert.equal((await page.locator(`[data-active-severity="${severity}"]`).innerText()).replace(/\s+/g, ' ').trim().toLowerCase(), `${severity} ${n}`);
    }
    // Every chart drew bars.
    for (const chart of ['alerts-by-day', 'top-agents', 'decisions-by-day', 'trust-distribution'])
      assert.ok((await page.locator(`[data-chart="${chart}"] .recharts-bar-rectangle`).count()) > 0, `${chart} has bars`);
    assert.equal((await tableOf(page, 'alerts-by-day')).length, 14, 'one row per day of the period');
    const byDay = await tableOf(page, 'alerts-by-day');
    const totalOnPage = byDay.reduce((n, r) => n + r.slice(1).reduce((m, c) => m + Number(c), 0), 0);
    const totalInApi = api.alertsByDay.reduce((n, d) => n + d.critical + d.high + d.medium + d.low + d.info, 0);
    assert.equal(totalOnPage, 5);
    assert.equal(totalOnPage, totalInApi);
    assert.deepEqual((await tableOf(page, 'top-agents')).map((r) => r.slice(0, 3)), [['ledger-sync', '3', '2'], ['mail-triage', '2', '2']]);
    const decisions = await tableOf(page, 'decisions-by-day');
    assert.equal(decisions.reduce((n, r) => n + Number(r[1]), 0), 6, 'six denials');
    assert.equal(decisions.reduce((n, r) => n + Number(r[3]), 0), 19, 'nineteen allowed');
    const trust = await tableOf(page, 'trust-distribution');
    assert.deepEqual(trust.filter((r) => r[1] !== '0'), [['40–50', '1'], ['80–90', '1'], ['90–100', '1']]);
    await screenshots(page, 'security-overview');

    // 7 days: a shorter period, asked of the API again.
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/monitoring/overview?days=7')), page.getByText('7 days').click()]);
    assert.equal(response.status(), 200);
    for (let i = 0; i < 50 && (await tableOf(page, 'alerts-by-day')).length !== 7; i++) await page.waitForTimeout(100);
    assert.equal((await tableOf(page, 'alerts-by-day')).length, 7);
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('saves the monitoring settings an admin changes, shows a value out of range at its field, and lists learning findings', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.admin.userId, '/agents/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring settings' }).click();
    await page.waitForURL(`${origin}/monitoring-settings/`);
    const form = page.getByRole('form', { name: 'Monitoring settings' });
    await form.getByLabel('Learning days').waitFor();
    assert.equal(await form.getByLabel('Learning days').inputValue(), '7', 'the default');

    // Out of range: the field says why, and nothing is sent.
    let sent = 0;
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith('/api/v1/monitoring/settings')) sent++;
    });
    await form.getByLabel('Learning days').fill('365');
    const multiplier = page.locator('[data-detector="rate_anomaly"]').getByLabel('MAD multiplier');
    await multiplier.fill('0.5');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('#learning-days-error').waitFor();
    assert.match(await page.locator('#learning-days-error').innerText(), /90/);
    assert.equal(await form.getByLabel('Learning days').getAttribute('aria-invalid'), 'true');
    await page.locator('#rate_anomaly-madMultiplier-error').waitFor();
    await page.getByText('Some values are out of range', { exact: false }).waitFor();
    assert.equal(sent, 0, 'nothing was sent');
    await screenshots(page, 'monitoring-settings-error');

    await form.getByLabel('Learning days').fill('3');
    await multiplier.fill('10');
    await page.locator('[data-detector="key_age"]').getByLabel('Enabled').uncheck();
    await page.locator('[data-detector="new_network"]').getByLabel('Severity').selectOption('high');
    await form.getByLabel('Suspend an agent automatically when a critical alert about it is raised').check();
    await page.getByText('a suspended agent is refused on every request', { exact: false }).waitFor();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByText('Monitoring settings saved.', { exact: false })
      .waitFor({ timeout: 10_000 })
      .catch(async (e: unknown) => {
        // What the form says instead (a field's error, the API's refusal) makes the failure readable.
        const errors = await page.locator('[role="alert"], [id$="-error"]').allInnerTexts();
        throw new Error(`not saved: ${errors.join(' | ')}; ${String(e)}`);
      });
    const { settings } = await asAdmin<{ settings: { learningDays: number; autoSuspendOnCritical: boolean; detectors: Record<string, { enabled: boolean; severity: string; params: Record<string, number> }> } }>(
      '/api/v1/monitoring/settings',
    );
    assert.equal(settings.learningDays, 3);
    assert.equal(settings.autoSuspendOnCritical, true);
    assert.equal(settings.detectors.rate_anomaly!.params.madMultiplier, 10);
    assert.equal(settings.detectors.rate_anomaly!.params.minRequests, 30, 'the other parameters keep their values');
    assert.equal(settings.detectors.key_age!.enabled, false);
    assert.equal(settings.detectors.new_network!.severity, 'high');

    // After a reload the page shows what was saved.
    await page.reload();
    await form.getByLabel('Learning days').waitFor();
    assert.equal(await form.getByLabel('Learning days').inputValue(), '3');

    const findings = page.getByRole('region', { name: 'Learning findings' }).or(page.locator('section[aria-labelledby="findings-heading"]'));
    await findings.getByText('First use of an action').waitFor();
    await findings.getByRole('link', { name: 'report-bot' }).waitFor();
    await screenshots(page, 'monitoring-settings');
    await context.close();
  });

  it('does not offer the settings to a manager', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.manager.userId, '/monitoring-settings/');
    await page.getByText('Monitoring settings are changed by admins.', { exact: false }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring settings' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save settings' }).count(), 0);
    await context.close();
  });
});
