import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { secure } from '@aim/sdk';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/** A port nobody listens on right now (the server must know its port before it starts: PORT sets its base URL). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A new organization's path through the dashboard, in Chromium: the overview's checklist follows
 * real state step by step; an enrollment token's snippet (base URL from the server, the token) is
 * pasted into the SDK and the page sees the agent arrive; a high-risk approval asks first; the
 * decision's page, the audit log's names and outcomes; every table at 375 px.
 */
forEachTarget('dashboard: a new user’s path in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let dir: string;
  const shot = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-new-user-'));
    const port = await freePort();
    // No PUBLIC_URL: the server reports http://localhost:PORT, as a fresh clone's `npm start` does.
    t = await createTestApp(target, { env: { PORT: String(port) } });
    org = await seedOrganization(t, 'Newcomer');
    await t.app.listen({ host: '127.0.0.1', port });
    origin = `http://localhost:${port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

  async function manage<T = Record<string, any>>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { ...org.as.admin.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async function navigate(page: Page, label: string, path: string) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await page.waitForURL(`${origin}${path}`);
  }

  /** The checklist's steps that are done, in order (none when the checklist is gone). */
  async function doneSteps(page: Page, expected: string[]): Promise<string[]> {
    let done: string[] = [];
    for (let i = 0; i < 100; i++) {
      done = await page.locator('li[data-step][data-done="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')!));
      if (JSON.stringify(done) === JSON.stringify(expected)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return done;
  }

  /**
   * At 375 px: the page does not scroll sideways, and no table, row or cell is clipped or reaches past
   * the viewport (the tables stack into labelled blocks on phones).
   */
  async function fitsPhone(page: Page, name: string, ready: () => Promise<void>) {
    await page.setViewportSize({ width: 375, height: 800 });
    await ready();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    // (runs in the page: the browser's globals, untyped here)
    const clipped = await page.locator('main').evaluate((main: any) => {
      const w = globalThis as any;
      const out: string[] = [];
      for (const el of main.querySelectorAll('table, thead, tbody, tr, th, td, li, dl, dd')) {
        const box = el.getBoundingClientRect();
        const style = w.getComputedStyle(el);
        // Hidden, or only for screen readers (the overview's chart figures): nothing to clip.
        if (style.display === 'none' || box.width === 0 || el.closest('.sr-only')) continue;
        if (box.left < -0.5 || box.right > w.innerWidth + 0.5) out.push(`${el.tagName.toLowerCase()} spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
        if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'auto' && style.overflowX !== 'scroll') {
          out.push(`${el.tagName.toLowerCase()} clips ${el.scrollWidth - el.clientWidth} px: ${String(el.textContent ?? '').slice(0, 40)}`);
        }
      }
      return out;
    });
    assert.deepEqual(clipped, [], `${name} at 375 px: ${clipped.join('; ')}`);
    await page.screenshot({ path: shot(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  let agentId: string;
  let approvedId: string;
  let deniedId: string;

  it('the checklist follows each step; the snippet enrolls an agent the page sees arrive; a high-risk approval asks first', async () => {
    const { context, page, violations } = await signedIn('/');
    await page.getByRole('heading', { name: 'Getting started' }).waitFor();
    assert.deepEqual(await doneSteps(page, []), [], 'nothing done in a new organization');
    await page.screenshot({ path: shot('getting-started', 'desktop'), fullPage: true });

    // 1. A capability: the step flips without a reload.
    await manage('POST', '/api/v1/capabilities', { name: 'db:read', riskLevel: 'low', description: 'Read the database' });
    assert.deepEqual(await doneSteps(page, ['capability']), ['capability']);
    await manage('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high', description: 'Refund a payment' });
    await manage('POST', '/api/v1/policies', { name: 'High risk needs a person', type: 'require_approval', config: { minRisk: 'high' } });

    // 2. An enrollment token, created in the UI, with the snippet to paste.
    await navigate(page, 'Enrollment tokens', '/enrollment-tokens/');
    await page.getByLabel('Agent name').fill('snippet-bot');
    await page.getByRole('checkbox', { name: /db:read/ }).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.getByLabel('New enrollment token').inputValue();
    assert.match(token, /^aim_enr_/);
    const shell = page.locator('#snippet-shell');
    const code = page.locator('#snippet-code');
    await code.waitFor();
    assert.equal(await shell.innerText(), `export AIM_ENROLLMENT_TOKEN=${token}`);
    const snippet = await code.innerText();
    assert.match(snippet, /import \{ secure \} from '@aim\/sdk';/);
    assert.match(snippet, /secure\("snippet-bot", \{/);
    assert.match(snippet, /enrollmentToken: process\.env\.AIM_ENROLLMENT_TOKEN/);
    const baseUrl = /baseUrl: "([^"]+)"/.exec(snippet)?.[1];
    assert.equal(baseUrl, origin, "the server's own address, from GET /api/v1/meta");
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.getByRole('button', { name: 'Copy typescript code' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), snippet);
    const status = page.getByRole('status').filter({ hasText: /Waiting for the agent|enrolled/ });
    await status.getByText('Waiting for the agent to enroll with this token…').waitFor();
    await page.screenshot({ path: shot('enrollment-snippet', 'desktop'), fullPage: true });
    await fitsPhone(page, 'enrollment-snippet', () => code.waitFor());

    // The overview, open in a second tab, saw the token too.
    const overview = await context.newPage();
    await overview.goto(`${origin}/`);
    assert.deepEqual(await doneSteps(overview, ['capability', 'enrollmentToken']), ['capability', 'enrollmentToken']);

    // 3. The agent runs the snippet (the token from the shell line, the base URL from the code): the
    //    token's page shows it arrive, and the overview's step flips, without a reload.
    const pasted = /^export AIM_ENROLLMENT_TOKEN=(\S+)$/.exec(await shell.innerText())![1]!;
    const agent = await secure('snippet-bot', { baseUrl: baseUrl!, enrollmentToken: pasted, credentialsPath: join(dir, 'snippet-bot.json') });
    agentId = agent.id;
    await status.getByText(/snippet-bot enrolled/).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: shot('enrollment-enrolled', 'desktop'), fullPage: true });
    assert.deepEqual(await doneSteps(overview, ['capability', 'enrollmentToken', 'agent']), ['capability', 'enrollmentToken', 'agent']);
    await page.getByRole('region', { name: 'Token created' }).getByRole('link', { name: 'Open snippet-bot' }).click();
    await page.waitForURL(`${origin}/agents/detail/?id=${agent.id}`);
    await page.close();

    // 4. A grant: the capability it asked for, approved.
    const { requests } = await manage<{ requests: { id: string }[] }>('GET', `/api/v1/capability-requests?agentId=${agent.id}`);
    await manage('POST', `/api/v1/capability-requests/${requests[0]!.id}/approve`, {});
    assert.deepEqual(await doneSteps(overview, ['capability', 'enrollmentToken', 'agent', 'grant']), ['capability', 'enrollmentToken', 'agent', 'grant']);
    await overview.screenshot({ path: shot('getting-started-4-of-5', 'desktop'), fullPage: true });
    await fitsPhone(overview, 'getting-started', () => overview.getByRole('heading', { name: 'Getting started' }).waitFor());

    // 5. Its first decision: every step done, and the checklist steps aside.
    assert.equal((await agent.verifyAction('db:read', 'customers/42')).decision, 'allow');
    await overview.getByRole('heading', { name: 'Getting started' }).waitFor({ state: 'detached' });
    assert.equal((await manage<{ gettingStarted: Record<string, boolean> }>('GET', '/api/v1/overview')).gettingStarted.decision, true);
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), []);
    await context.close();
  });

  it('the approver sees the context, trust and history; a high-risk approval asks first; the decision page shows it approved', async () => {
    assert.ok(agentId, 'runs after the first scenario');
    const agent = await secure('snippet-bot', { baseUrl: origin, credentialsPath: join(dir, 'snippet-bot.json') });
    await manage('POST', `/api/v1/agents/${agentId}/grants`, { capability: 'payments:refund' });
    deniedId = (await agent.verifyAction('email:send', 'customers/42')).decisionId;
    const waiting = await agent.verifyAction('payments:refund', 'orders/8812', { amount: 120, reason: '<b>refund</b>' });
    assert.equal(waiting.decision, 'pending');
    approvedId = waiting.decisionId;

    const { context, page } = await signedIn('/decisions/');
    const pending = page.locator(`li[data-pending-decision-id="${approvedId}"]`);
    await pending.waitFor();
    await pending.getByRole('link', { name: 'snippet-bot' }).waitFor();
    await pending.getByTestId('trust-now').getByText(/unscored|untrusted|low|medium|high|verified/).waitFor();
    const shown = await pending.locator(`[data-decision-context="${approvedId}"]`).innerText();
    assert.deepEqual(JSON.parse(shown), { amount: 120, reason: '<b>refund</b>' }, 'the context, as text');
    assert.equal(await pending.locator('b').count(), 0, 'never as markup');
    await pending.getByRole('list', { name: 'Recent decisions of snippet-bot' }).getByText('email:send').waitFor();
    assert.match(await pending.innerText(), /high/, 'the risk');

    // Approving asks first; Cancel sends nothing.
    await pending.getByRole('button', { name: 'Approve payments:refund by snippet-bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve a high-risk action?' });
    await dialog.waitFor();
    await page.screenshot({ path: shot('approve-high-risk', 'desktop'), fullPage: true });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await manage<{ decision: { status: string } }>('GET', `/api/v1/decisions/${approvedId}`)).decision.status, 'pending', 'cancel approves nothing');
    await pending.getByRole('button', { name: 'Approve payments:refund by snippet-bot' }).click();
    await dialog.getByRole('button', { name: 'Yes, approve' }).click();
    await pending.waitFor({ state: 'detached' });
    assert.equal((await manage<{ decision: { status: string } }>('GET', `/api/v1/decisions/${approvedId}`)).decision.status, 'approved');

    // The history: a denied decision is labelled denied; rows open the decision's page.
    const denied = page.locator(`tr[data-decision-id="${deniedId}"]`);
    await denied.waitFor();
    assert.match(await denied.innerText(), /deny[\s\S]*denied/);
    assert.doesNotMatch(await denied.innerText(), /success/);
    await page.screenshot({ path: shot('decisions-history', 'desktop'), fullPage: true });
    await fitsPhone(page, 'decisions-history', () => denied.waitFor());
    await page.locator(`tr[data-decision-id="${approvedId}"]`).getByRole('link', { name: 'payments:refund' }).click();
    await page.waitForURL(`${origin}/decisions/detail/?id=${approvedId}`);
    const status = page.getByTestId('decision-status');
    await status.getByText('approved').waitFor();
    await page.getByTestId('resolution').getByText(/approved .* by admin /).waitFor();
    const trail = page.getByRole('region', { name: 'Audit trail' });
    await trail.getByText('decision.approve').waitFor();
    assert.match(await trail.innerText(), /decision\.pending[\s\S]*pending[\s\S]*decision\.approve[\s\S]*by admin/);
    await page.getByRole('region', { name: 'Why' }).locator('[data-reason="require_approval"]').waitFor();
    await page.screenshot({ path: shot('decision-detail', 'desktop'), fullPage: true });
    await fitsPhone(page, 'decision-detail', () => status.waitFor());
    await context.close();
  });

  it("the audit log shows the agent's and the people's names, and a denied decision as denied", async () => {
    assert.ok(deniedId && approvedId, 'runs after the approval scenario');
    const { context, page } = await signedIn('/audit/');
    const tag = org.organizationId.slice(-8);
    const search = async (q: string) => {
      await page.getByLabel('Search').fill(q);
      await page.locator('tr[data-audit-id]').first().waitFor();
    };
    await search(deniedId);
    const deny = page.locator('tr[data-audit-id]', { hasText: 'decision.deny' });
    await deny.getByText('denied', { exact: true }).waitFor();
    assert.doesNotMatch(await deny.innerText(), /success/);
    assert.match(await deny.locator('[data-audit-actor]').innerText(), /agent snippet-bot/, "the agent's name as the actor");

    await search(approvedId);
    const approve = page.locator('tr[data-audit-id]', { hasText: 'decision.approve' });
    await approve.waitFor();
    assert.match(await approve.locator('[data-audit-actor]').innerText(), new RegExp(`person admin ${tag}`), "the person's name");
    assert.match(await approve.locator('[data-audit-target]').innerText(), /agent snippet-bot/, 'the agent the decision was about');
    const pendingEvent = page.locator('tr[data-audit-id]', { hasText: 'decision.pending' });
    await pendingEvent.getByText('pending', { exact: true }).waitFor();

    await search(agentId);
    const registered = page.locator('tr[data-audit-id]', { hasText: 'agent.register' });
    await registered.waitFor();
    assert.match(await registered.locator('[data-audit-target]').innerText(), /agent snippet-bot/);
    // The id stays at hand beside the name.
    assert.match(await registered.locator('[data-audit-target]').innerText(), new RegExp(agentId));
    await page.getByLabel('Search').fill('');
    await page.locator('tr[data-audit-id]').nth(3).waitFor();
    await page.screenshot({ path: shot('audit-names', 'desktop'), fullPage: true });
    await fitsPhone(page, 'audit-names', () => page.locator('tr[data-audit-id]').first().waitFor());
    await context.close();
  });

  it('a viewer sees the decision page and who answered it, without approve controls or the audit trail', async () => {
    assert.ok(approvedId, 'runs after the approval scenario');
    const { context, page } = await signInWithPasskey(setup(), org.as.viewer.userId, `/decisions/detail/?id=${approvedId}`);
    await page.getByTestId('decision-status').getByText('approved').waitFor();
    await page.getByTestId('resolution').getByText(/approved .* by admin /).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Audit trail' }).count(), 0, 'the audit log is for managers and admins');
    assert.equal(await page.getByRole('button', { name: /^(Approve|Reject)/ }).count(), 0);
    await page.goto(`${origin}/decisions/detail/?id=dec_${'0'.repeat(26)}`);
    await page.getByRole('alert').getByText(/not found|does not exist|no decision/i).waitFor();
    await context.close();
  });

  it('every table and list stays readable at 375 px', async () => {
    assert.ok(agentId, 'runs after the first scenario');
    await manage('POST', `/api/v1/agents/${agentId}/capability-requests`, { capability: 'payments:refund', reason: 'Refunds for the support team, a long reason that must wrap on a phone' });
    const { context, page } = await signedIn('/agents/');
    const pages: [string, string, string][] = [
      ['/agents/', 'agents-table', `tr[data-agent-id="${agentId}"]`],
      ['/audit/', 'audit-table', 'tr[data-audit-id]'],
      ['/decisions/', 'decisions-table', 'tr[data-decision-id]'],
      ['/capability-requests/', 'capability-requests-list', 'li[data-request-id]'],
      ['/enrollment-tokens/', 'enrollment-tokens-list', 'li[data-token-id]'],
      ['/capabilities/', 'capabilities-list', 'li[data-capability]'],
      ['/policies/', 'policies-table', 'tr[data-policy-id]'],
    ];
    for (const [path, name, row] of pages) {
      await page.goto(`${origin}${path}`);
      await page.locator(row).first().waitFor();
      await page.screenshot({ path: shot(name, 'desktop'), fullPage: true });
      await fitsPhone(page, name, () => page.locator(row).first().waitFor());
    }
    await context.close();
  });

  const signedIn = (path: string) => signInWithPasskey(setup(), org.as.admin.userId, path);
});
