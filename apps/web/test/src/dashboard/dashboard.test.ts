import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { secure } from '@aim/sdk';
import { registerAgent } from '../../../../server/dist/testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, contextWithPasskey, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against the real
 * server on a real port, the dashboard served by the server on its own origin. Screenshots are kept
 * in test-artifacts/dashboard/.
 */

forEachTarget('dashboard in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let dir: string;
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-dashboard-'));
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Browser');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // localhost, not 127.0.0.1: a passkey's relying party is a host name.
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the dashboard with a policy that allows only its own scripts', async () => {
    const res = await fetch(`${origin}/sign-in/`);
    assert.equal(res.status, 200);
    const policy = res.headers.get('content-security-policy')!;
    assert.match(policy, /script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    assert.doesNotMatch(policy, /script-src[^;]*unsafe-inline/);
    assert.equal((await fetch(`${origin}/agents`, { redirect: 'manual' })).status, 308);
    assert.equal((await fetch(`${origin}/api/v1/agents`)).status, 401, 'the API is unchanged beside it');
  });

  it("counts the dashboard's files against no per-IP limit, while the API keeps its own", async () => {
    const limited = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '3' } });
    try {
      const asset = (await limited.app.inject({ method: 'GET', url: '/sign-in/' })).body.match(/\/_next\/static\/[^"]+\.js/)![0];
      for (let i = 0; i < 10; i++) {
        assert.equal((await limited.app.inject({ method: 'GET', url: '/sign-in/' })).statusCode, 200, 'a page, again and again');
        assert.equal((await limited.app.inject({ method: 'GET', url: asset })).statusCode, 200, 'a script of it');
      }
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await limited.app.inject({ method: 'GET', url: '/api/v1/meta' })).statusCode);
      assert.deepEqual(answers, [200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('an API-only server (SERVE_DASHBOARD=false) serves no page, for a dashboard hosted elsewhere', async () => {
    const apiOnly = await createTestApp(target, { env: { SERVE_DASHBOARD: 'false' } });
    try {
      assert.equal((await apiOnly.app.inject({ method: 'GET', url: '/sign-in/' })).statusCode, 404);
      assert.equal((await apiOnly.app.inject({ method: 'GET', url: '/' })).statusCode, 404);
      assert.equal((await apiOnly.app.inject({ method: 'GET', url: '/api/v1/meta' })).statusCode, 200);
    } finally {
      await apiOnly.close();
    }
  });

  it('signs in with a passkey and lists the organization’s agents, at desktop and phone width', async () => {
    const { agent } = await registerAgent(t, org.as.admin.apiKey, { name: 'browser-visible-bot', purpose: 'Shows up in the list' });
    const context = await contextWithPasskey(setup(), org.as.admin.userId);
    const page = context.pages()[0]!;
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    await page.goto(`${origin}/agents/`);
    await page.waitForURL(`${origin}/sign-in/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${origin}/agents/`);
    const row = page.locator(`tr[data-agent-id="${agent.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /browser-visible-bot/);
    assert.match(await row.innerText(), /medium/, 'the trust tier of its first score');
    await page.screenshot({ path: join(ARTIFACTS, `agents-desktop-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });

    // A new agent appears without a reload, through the live stream.
    const { agent: later } = await registerAgent(t, org.as.member.apiKey, { name: 'arrives-live-bot' });
    await page.locator(`tr[data-agent-id="${later.id}"]`).waitFor({ timeout: 10_000 });

    await page.getByLabel('Search').fill('no-such-agent');
    await page.getByText('No agent matches.').waitFor();
    await page.getByLabel('Search').fill('');
    await row.waitFor();

    // Filters: a tag, then only the agents the admin owns.
    const { agent: tagged } = await registerAgent(t, org.as.member.apiKey, { name: 'tagged-bot', tags: ['billing'] });
    await page.getByLabel('Tag').fill('Billing!');
    await page.getByText('tags are lower case').waitFor();
    await page.getByLabel('Tag').fill('billing');
    // The rows shown once the list has settled (a filter change passes through a loading state).
    const shownIds = async (expected: string[]) => {
      let ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        ids = (await page.locator('tr[data-agent-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-agent-id')!))).sort();
        if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return ids;
    };
    assert.deepEqual(await shownIds([tagged.id]), [tagged.id], 'only the tagged agent');
    await page.getByLabel('Tag').fill('');
    await page.getByLabel('Only mine').check();
    assert.deepEqual(await shownIds([agent.id]), [agent.id], "only the admin's own agent");
    await page.getByLabel('Only mine').uncheck();
    assert.deepEqual(await shownIds([agent.id, later.id, tagged.id]), [agent.id, later.id, tagged.id].sort(), 'every agent again');

    await page.setViewportSize({ width: 375, height: 800 });
    await row.waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
    assert.ok(overflow <= 0, `the page fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: join(ARTIFACTS, `agents-phone-${target.name.replace(/\W+/g, '-')}.png`), fullPage: true });
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  /** The management API over HTTP, as the admin's API key uses it. */
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

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const signedIn = (userId: string, path: string) => signInWithPasskey(setup(), userId, path);

  /** Moves through the nav like a person (no reload: the live stream stays open). */
  async function navigate(page: Page, label: string, path: string) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await page.waitForURL(`${origin}${path}`);
  }

  /** A screenshot at desktop width, then at 375 px (checking nothing overflows), then back. */
  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  let enrolledAgentId: string;
  let agentCredentials: string;

  it('the main scenario: enrollment token in the UI, the agent enrolls, its request is approved, its decisions and the audit chain show', async () => {
    await manage('POST', '/api/v1/capabilities', { name: 'db:read', riskLevel: 'low', description: 'Read the database' });
    await manage('POST', '/api/v1/capabilities', { name: 'db:write', riskLevel: 'medium', description: 'Write the database' });
    await manage('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high', description: 'Refund a payment' });
    await manage('POST', '/api/v1/policies', { name: 'High risk needs a person', type: 'require_approval', config: { minRisk: 'high' } });

    const { context, page, violations } = await signedIn(org.as.admin.userId, '/enrollment-tokens/');
    // 1. An enrollment token, created in the UI and shown once.
    await page.getByLabel('Agent name').fill('ui-enrolled-bot');
    await page.getByRole('checkbox', { name: /db:read/ }).check();
    await page.getByLabel('Expires in').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByLabel('New enrollment token');
    await shown.waitFor();
    const token = await shown.inputValue();
    assert.match(token, /^aim_enr_/);
    assert.equal(await page.evaluate('document.activeElement?.id'), 'new-token-title', 'focus moves to the new token');
    // Copy puts exactly the token on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), token);
    const [listed] = (await manage<{ enrollmentTokens: { id: string; name: string; capabilities: string[]; expiresAt: string }[] }>('GET', '/api/v1/enrollment-tokens')).enrollmentTokens.filter(
      (x) => x.name === 'ui-enrolled-bot',
    );
    assert.ok(listed, 'the token is stored');
    assert.deepEqual(listed.capabilities, ['db:read']);
    const lifetime = new Date(listed.expiresAt).getTime() - Date.now();
    assert.ok(lifetime > 55 * 60_000 && lifetime <= 60 * 60_000, `expires in an hour (${lifetime} ms)`);
    await page.locator(`li[data-token-id="${listed.id}"]`).getByText('active').waitFor();
    await screenshots(page, 'enrollment-tokens');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await shown.count(), 0, 'the token is gone once dismissed');

    // 2. The agent enrolls with it through the SDK and appears in the agents list without a reload.
    await navigate(page, 'Agents', '/agents/');
    await page.getByRole('heading', { name: 'Agents' }).waitFor();
    agentCredentials = join(dir, 'ui-enrolled-bot.json');
    const agent = await secure('ui-enrolled-bot', { baseUrl: origin, enrollmentToken: token, credentialsPath: agentCredentials });
    enrolledAgentId = agent.id;
    await page.locator(`tr[data-agent-id="${agent.id}"]`).waitFor({ timeout: 10_000 });
    assert.match(await page.locator(`tr[data-agent-id="${agent.id}"]`).innerText(), /ui-enrolled-bot/);

    // 3. Its declared capability is a pending request; approved in the UI with a narrower pattern.
    const { requests } = await manage<{ requests: { id: string; capability: string; status: string }[] }>('GET', `/api/v1/capability-requests?agentId=${agent.id}`);
    assert.deepEqual(
      requests.map((r) => [r.capability, r.status]),
      [['db:read', 'pending']],
    );
    const requestId = requests[0]!.id;
    await navigate(page, 'Capability requests', '/capability-requests/');
    const request = page.locator(`li[data-request-id="${requestId}"]`);
    // The agent's name is looked up by id once the requests have loaded.
    await request.getByText('ui-enrolled-bot').first().waitFor();
    assert.match(await request.innerText(), /ui-enrolled-bot/);
    await screenshots(page, 'capability-requests');
    await request.getByRole('button', { name: 'Approve db:read for ui-enrolled-bot' }).click();
    await request.getByLabel(/Resource pattern/).fill('customers/*');
    await request.getByLabel('Grant expires').selectOption({ label: 'after 24 hours' });
    await request.getByRole('button', { name: 'Approve', exact: true }).click();
    await request.waitFor({ state: 'detached' }); // no longer pending: it leaves the list of open requests
    const approved = (await manage<{ request: { status: string; grantId: string } }>('GET', `/api/v1/capability-requests/${requestId}`)).request;
    assert.equal(approved.status, 'approved');
    const { grants } = await manage<{ grants: { id: string; resourcePattern: string | null; expiresAt: string | null }[] }>('GET', `/api/v1/agents/${agent.id}/grants`);
    const grant = grants.find((g) => g.id === approved.grantId);
    assert.equal(grant?.resourcePattern, 'customers/*');
    assert.ok(grant?.expiresAt, 'the grant expires');
    await page.getByLabel('Status').selectOption('approved');
    await request.getByText('approved').waitFor();

    // 4. The agent's next decision shows as allowed without a reload; a pending one counts down and is approved here.
    await navigate(page, 'Decisions', '/decisions/');
    await page.getByText('No action waits for a person.').waitFor();
    const allowed = await agent.verifyAction('db:read', 'customers/42');
    assert.equal(allowed.decision, 'allow');
    const row = page.locator(`tr[data-decision-id="${allowed.decisionId}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.match(await row.innerText(), /db:read[\s\S]*allow[\s\S]*allowed/);

    await manage('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'payments:refund' });
    const waiting = await agent.verifyAction('payments:refund', 'orders/8812');
    assert.equal(waiting.decision, 'pending');
    const pending = page.locator(`li[data-pending-decision-id="${waiting.decisionId}"]`);
    await pending.waitFor({ timeout: 10_000 });
    const timer = pending.getByRole('timer');
    const first = await timer.innerText();
    assert.match(first, /^expires in \d+:\d\d(:\d\d)?$/);
    // It counts down: the text changes.
    await timer.filter({ hasNotText: first }).waitFor();
    assert.match(await timer.innerText(), /^expires in \d+:\d\d(:\d\d)?$/);
    await screenshots(page, 'decisions');
    await pending.getByRole('button', { name: 'Approve payments:refund by ui-enrolled-bot' }).click();
    // High risk: approving asks first.
    await page.getByRole('dialog', { name: 'Approve a high-risk action?' }).getByRole('button', { name: 'Yes, approve' }).click();
    await pending.waitFor({ state: 'detached' });
    const resolved = (await manage<{ decision: { decision: string; status: string } }>('GET', `/api/v1/decisions/${waiting.decisionId}`)).decision;
    assert.deepEqual([resolved.decision, resolved.status], ['allow', 'approved']);
    await page.locator(`tr[data-decision-id="${waiting.decisionId}"]`).getByText('approved').waitFor();
    await page.getByLabel('Decision', { exact: true }).selectOption('deny');
    await page.getByText('No decision matches.').waitFor();
    await page.getByLabel('Decision', { exact: true }).selectOption('');
    await row.waitFor();

    // 5. The audit log: its events, and the chain intact.
    await navigate(page, 'Audit', '/audit/');
    await page.locator('tr[data-audit-id]').first().waitFor();
    await page.getByLabel('Search').fill(requestId);
    await page.locator('tr[data-audit-id]', { hasText: 'capability_request.approve' }).waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const status = page.getByRole('status').filter({ hasText: /Chain (intact|broken)/ });
    await status.waitFor();
    assert.match(await status.innerText(), /^Chain intact: \d+ events verified/);
    const exported = await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href');
    const download = await context.request.get(`${origin}${exported}`);
    assert.equal(download.status(), 200, 'the export link works with the session');
    assert.match(await download.text(), /capability_request\.approve/);
    // A period in the future: the list and the export both hold nothing.
    const tomorrow = (await page.evaluate(
      'new Date(Date.now() + 86400000).toLocaleDateString("en-CA")',
    )) as string;
    await page.getByLabel('From').fill(tomorrow);
    await page.getByText('No event matches.').waitFor();
    const periodHref = await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href');
    assert.match(String(periodHref), /from=/, 'the export follows the period');
    const empty = await context.request.get(`${origin}${periodHref}`);
    assert.equal(empty.status(), 200);
    const [header, ...events] = (await empty.text()).trim().split('\n');
    assert.equal(JSON.parse(header!).type, 'aim.audit_export');
    assert.equal(JSON.parse(header!).fromSeq, null);
    assert.deepEqual(events, [], 'no event after tomorrow began');
    await page.getByLabel('From').fill('');
    await page.locator('tr[data-audit-id]').first().waitFor();
    await screenshots(page, 'audit');
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('a viewer sees the same lists without any control that changes them', async () => {
    assert.ok(enrolledAgentId, 'runs after the main scenario');
    const { requestId } = await (async () => {
      const { request } = await manage<{ request: { id: string } }>('POST', `/api/v1/agents/${enrolledAgentId}/capability-requests`, { capability: 'db:write', reason: 'Nightly cleanup' });
      return { requestId: request.id };
    })();
    const agent = await secure('ui-enrolled-bot', { baseUrl: origin, credentialsPath: agentCredentials });
    const waiting = await agent.verifyAction('payments:refund', 'orders/9000');
    assert.equal(waiting.decision, 'pending');

    const { context, page, violations } = await signedIn(org.as.viewer.userId, '/capability-requests/');
    const request = page.locator(`li[data-request-id="${requestId}"]`);
    await request.waitFor();
    assert.match(await request.innerText(), /db:write[\s\S]*pending/);
    assert.equal(await page.getByRole('button', { name: /^(Approve|Reject)/ }).count(), 0, 'no approve or reject for a viewer');
    assert.equal(await page.getByRole('textbox').count(), 0, 'no form for a viewer');
    await screenshots(page, 'capability-requests-viewer');

    await navigate(page, 'Enrollment tokens', '/enrollment-tokens/');
    await page.getByRole('note').getByText(/cannot see or create them/).waitFor();
    assert.equal(await page.getByRole('button', { name: /Create token|Revoke/ }).count(), 0);
    assert.equal(await page.getByRole('textbox').count(), 0);
    await screenshots(page, 'enrollment-tokens-viewer');

    await navigate(page, 'Decisions', '/decisions/');
    const pending = page.locator(`li[data-pending-decision-id="${waiting.decisionId}"]`);
    await pending.waitFor();
    await pending.getByRole('timer').waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Approve|Reject)/ }).count(), 0, 'no approve or reject for a viewer');
    await screenshots(page, 'decisions-viewer');

    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).count(), 0, 'no audit link for a viewer');
    await page.goto(`${origin}/audit/`);
    await page.getByRole('note').getByText(/available to managers and admins/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Verify chain' }).count(), 0);
    await screenshots(page, 'audit-viewer');
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), []);
    await context.close();
  });

  it('revokes a token after confirming, and rejects a request only with a note', async () => {
    assert.ok(enrolledAgentId, 'runs after the main scenario');
    const { token: spare } = await manage<{ enrollmentToken: { id: string }; token: string }>('POST', '/api/v1/enrollment-tokens', { name: 'spare-token', expiresInSeconds: 3600 });
    const { request: asked } = await manage<{ request: { id: string } }>('POST', `/api/v1/agents/${enrolledAgentId}/capability-requests`, { capability: 'payments:refund', reason: 'Refunds' });
    const { context, page } = await signedIn(org.as.admin.userId, '/enrollment-tokens/');
    const { enrollmentTokens } = await manage<{ enrollmentTokens: { id: string; name: string; revokedAt: string | null }[] }>('GET', '/api/v1/enrollment-tokens');
    const spareId = enrollmentTokens.find((x) => x.name === 'spare-token')!.id;
    assert.match(spare, /^aim_enr_/);
    const item = page.locator(`li[data-token-id="${spareId}"]`);
    await item.getByRole('button', { name: 'Revoke spare-token' }).click();
    await item.getByRole('button', { name: 'Cancel' }).click();
    await item.getByRole('button', { name: 'Revoke spare-token' }).waitFor();
    assert.equal((await manage<{ enrollmentTokens: { id: string; revokedAt: string | null }[] }>('GET', '/api/v1/enrollment-tokens')).enrollmentTokens.find((x) => x.id === spareId)?.revokedAt, null, 'cancel revokes nothing');
    await item.getByRole('button', { name: 'Revoke spare-token' }).click();
    await item.getByRole('button', { name: 'Yes, revoke' }).click();
    await item.getByText('revoked').waitFor();
    assert.ok((await manage<{ enrollmentTokens: { id: string; revokedAt: string | null }[] }>('GET', '/api/v1/enrollment-tokens')).enrollmentTokens.find((x) => x.id === spareId)?.revokedAt);

    await navigate(page, 'Capability requests', '/capability-requests/');
    const request = page.locator(`li[data-request-id="${asked.id}"]`);
    await request.getByRole('button', { name: 'Reject payments:refund for ui-enrolled-bot' }).click();
    const reject = request.getByRole('button', { name: 'Reject', exact: true });
    // Without a note, the form says why (the server's own schema) and sends nothing.
    await reject.click();
    await request.getByText('must say why the request is rejected').waitFor();
    assert.equal(await request.getByLabel(/Reason for rejecting/).getAttribute('aria-invalid'), 'true');
    const untouched = (await manage<{ request: { status: string } }>('GET', `/api/v1/capability-requests/${asked.id}`)).request;
    assert.equal(untouched.status, 'pending', 'nothing was sent');
    await request.getByLabel(/Reason for rejecting/).fill('Refunds stay with people');
    await reject.click();
    await request.waitFor({ state: 'detached' });
    const rejected = (await manage<{ request: { status: string; note: string | null } }>('GET', `/api/v1/capability-requests/${asked.id}`)).request;
    assert.deepEqual([rejected.status, rejected.note], ['rejected', 'Refunds stay with people']);
    await context.close();
  });
});
