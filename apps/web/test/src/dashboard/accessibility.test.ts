import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { registerAgent, signedInject } from '../../../../server/dist/testing/agent-fixtures.js';
import { insertAlert, insertLearningFinding } from '../../../../server/dist/testing/alert-fixtures.js';
import { accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { insertMcpServer, insertScan, tool } from '../../../../server/dist/testing/mcp-rows.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { testTargets } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * Every page of the dashboard, with data on it, checked by axe-core against WCAG 2.1 A and AA
 * (labels, accessible names, contrast, landmarks, ARIA), at desktop and phone width; and the keyboard
 * path past the navigation. One target is enough: the pages do not depend on the store.
 */
const target = testTargets()[0]!;
describe(`dashboard accessibility in Chromium [${target.name}]`, () => {
    let t: TestApp;
    let org: SeededOrganization;
    let browser: Browser;
    let origin: string;
    let agentId: string;
    let policyId: string;
    let inviteLink: string;
    let decisionId: string;
    let alertId: string;
    let mcpServerId: string;
    let accessReviewId: string;

    before(async () => {
      t = await createTestApp(target);
      org = await seedOrganization(t, 'Access');
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      origin = address.replace('127.0.0.1', 'localhost');
      browser = await launchChromium();
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${origin}${path}`, {
          method,
          headers: { ...org.as.admin.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
        return res.json() as Promise<Record<string, { id: string }>>;
      };
      await call('POST', '/api/v1/capabilities', { name: 'crm:read', riskLevel: 'low', description: 'Read customer records' });
      policyId = (await call('POST', '/api/v1/policies', { name: 'Refunds need a person', type: 'require_approval', config: { minRisk: 'high' } })).policy!.id;
      const registered = await registerAgent(t, org.as.member.apiKey, { name: 'access-bot', purpose: 'Checked for accessibility' });
      agentId = registered.agent.id;
      // A high-risk action waiting for a person: the approval view and the decision's page.
      await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high', description: 'Refund a payment' });
      await call('POST', `/api/v1/agents/${agentId}/grants`, { capability: 'payments:refund' });
      const asked = await signedInject(t, registered.key, {
        origin,
        method: 'POST',
        url: `/api/v1/agents/${agentId}/verify-action`,
        body: JSON.stringify({ action: 'payments:refund', resource: 'orders/1', context: { amount: 12 } }),
      });
      assert.equal(asked.json().decision, 'pending', asked.body);
      decisionId = asked.json().decisionId;
      await call('POST', `/api/v1/agents/${agentId}/capability-requests`, { capability: 'crm:read', reason: 'Answer customers' });
      await call('POST', '/api/v1/enrollment-tokens', { name: 'access-token', expiresInSeconds: 3600 });
      // An alert (with a note) and a learning finding, as the detection engine writes them: the alert pages and the overview.
      alertId = await insertAlert(t, org.organizationId, { subjectId: agentId, severity: 'high' });
      await insertAlert(t, org.organizationId, { subjectId: agentId, severity: 'critical', type: 'key_misuse' });
      await call('POST', `/api/v1/alerts/${alertId}/notes`, { body: 'Looking into it.' });
      await insertLearningFinding(t, org.organizationId, agentId);
      // An MCP server with a successful scan, not approved yet: its page and the review of its tools.
      mcpServerId = await insertMcpServer(t, org.organizationId, { name: 'files', ownerId: org.as.member.userId, status: 'verified' });
      await insertScan(t, org.organizationId, mcpServerId, [tool('read_file', 'Reads a file'), tool('list_files', 'Lists files')]);
      // An access review campaign over every agent: the list, the inbox and the campaign's page.
      accessReviewId = (await call('POST', '/api/v1/access-reviews', { name: 'Access check', scope: { kind: 'all_agents' }, deadline: new Date(Date.now() + 86_400_000).toISOString() })).accessReview!.id;
      inviteLink = ((await call('POST', '/api/v1/invitations', { email: 'new.person@example.com', role: 'member' })) as unknown as { link: string }).link;
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

    /** The page once its lists have loaded (nothing busy any more). */
    async function settled(page: Page, path: string) {
      await page.goto(`${origin}${path}`);
      await page.locator('main h1').first().waitFor({ timeout: 10_000 });
      // (polled from here: the page's policy refuses the string evaluation waitForFunction would use)
      const busy = page.locator('[aria-busy="true"]');
      for (let i = 0; i < 100 && (await busy.count()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await busy.count(), 0, `${path} finished loading`);
    }

    it('has no serious or critical WCAG 2.1 AA problem on any page, at desktop and phone width', async () => {
      const { context, page } = await signInWithPasskey(setup(), org.as.admin.userId, '/');
      const pages = [
        '/',
        '/agents/',
        `/agents/detail/?id=${agentId}`,
        '/enrollment-tokens/',
        '/capabilities/',
        '/capability-requests/',
        '/decisions/',
        `/decisions/detail/?id=${decisionId}`,
        '/policies/',
        `/policies/detail/?id=${policyId}`,
        '/audit/',
        '/members/',
        '/api-keys/',
        '/webhooks/',
        '/alerts/',
        `/alerts/detail/?id=${alertId}`,
        '/security/',
        '/compliance/',
        '/monitoring-settings/',
        '/compliance/retention/',
        '/mcp-servers/',
        `/mcp-servers/detail/?id=${mcpServerId}`,
        `/mcp-servers/review/?id=${mcpServerId}`,
        '/access-reviews/',
        '/access-reviews/?tab=inbox',
        `/access-reviews/detail/?id=${accessReviewId}`,
        '/settings/',
        '/privacy/',
        '/account/',
        // Signed in with another address: the page says so.
        new URL(inviteLink).pathname + new URL(inviteLink).search,
      ];
      const found: string[] = [];
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 800 });
        for (const path of pages) {
          try {
            await settled(page, path);
          } catch (e) {
            found.push(`${path} at ${width} px did not load: ${(e as Error).message.split('\n')[0]}`);
            continue;
          }
          for (const problem of await accessibilityProblems(page)) found.push(`${path} at ${width} px: ${problem}`);
        }
      }
      assert.deepEqual(found, [], found.join('\n'));
      await context.close();
    });

    it('the sign-in page has none either', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/sign-in/`);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
      assert.deepEqual(await accessibilityProblems(page), []);
      await context.close();
    });

    it('the invitation page has none either: joining, and a link that no longer works', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const path = new URL(inviteLink).pathname + new URL(inviteLink).search;
      const found: string[] = [];
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${origin}${path}`);
        await page.getByRole('button', { name: 'Create passkey and join' }).waitFor();
        for (const problem of await accessibilityProblems(page)) found.push(`join at ${width} px: ${problem}`);
        await page.goto(`${origin}/invite/?token=inv_${'x'.repeat(43)}`);
        await page.getByRole('heading', { name: 'This invitation link is not known' }).waitFor();
        for (const problem of await accessibilityProblems(page)) found.push(`unknown link at ${width} px: ${problem}`);
      }
      assert.deepEqual(found, [], found.join('\n'));
      await context.close();
    });

    it('a keyboard user skips the navigation to the page itself', async () => {
      const { context, page } = await signInWithPasskey(setup(), org.as.viewer.userId, '/decisions/');
      await page.locator('main h1').first().waitFor();
      await page.keyboard.press('Tab');
      const first = page.getByRole('link', { name: 'Skip to content' });
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content', 'the first stop is the skip link');
      assert.ok(await first.isVisible(), 'it shows when focused');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate('document.activeElement?.id'), 'main', 'focus moved to the page content');
      await context.close();
    });
});
