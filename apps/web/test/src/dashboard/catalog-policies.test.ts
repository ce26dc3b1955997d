import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { registerAgent } from '../../../../server/dist/testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The capability catalog (/capabilities/) and the policies (/policies/, /policies/detail/?id=…) in
 * Chromium, set up like dashboard.test.ts. What the page does is checked against the API.
 */

interface Capability {
  id: string;
  name: string;
  description: string | null;
  riskLevel: string;
}
interface Policy {
  id: string;
  name: string;
  type: string;
  mode: string;
  enabled: boolean;
  version: number;
  scope: Record<string, unknown>;
  config: Record<string, unknown>;
  deletedAt: string | null;
}
interface Version extends Policy {
  changedBy: { type: string; id: string | null };
}

forEachTarget('capability catalog and policies in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    for (const page of ['capabilities', 'policies', join('policies', 'detail')]) {
      assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, page, 'index.html')), `the ${page} page is built`);
    }
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Catalog');
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

  async function apiGet<T>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${origin}${path}`, { headers: org.as.admin.apiKey });
    return { status: res.status, body: (await res.json()) as T };
  }
  async function apiPost(path: string, body: unknown): Promise<Response> {
    const res = await fetch(`${origin}${path}`, { method: 'POST', headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.status < 300, `${path}: ${res.status} ${await res.clone().text()}`);
    return res;
  }
  const catalog = async () => (await apiGet<{ capabilities: Capability[] }>('/api/v1/capabilities')).body.capabilities;
  const policies = async (includeDeleted = false) => (await apiGet<{ policies: Policy[] }>(`/api/v1/policies${includeDeleted ? '?includeDeleted=true' : ''}`)).body.policies;
  const policy = async (id: string) => (await apiGet<{ policy: Policy }>(`/api/v1/policies/${id}`)).body.policy;
  const versions = async (id: string) => (await apiGet<{ versions: Version[] }>(`/api/v1/policies/${id}/versions`)).body.versions;

  /** Counts the browser's requests that would change `path` (POST, PATCH, DELETE). */
  function countWrites(page: Page, path: RegExp) {
    const seen: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET' && path.test(new URL(r.url()).pathname)) seen.push(`${r.method()} ${r.url()}`);
    });
    return seen;
  }

  /** A screenshot at desktop width, then at 375 px (checking nothing overflows), then back. */
  async function screenshots(page: Page, name: string, ready: Locator) {
    await ready.waitFor();
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await ready.waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  let heldPolicyId: string;

  it('an admin adds a capability through the form (an invalid name first), edits it, and deletes only what was never granted', async () => {
    // A capability that an agent holds: it cannot leave the catalog.
    await apiPost('/api/v1/capabilities', { name: 'db:read', riskLevel: 'low', description: 'Read the customer database' });
    const { agent } = await registerAgent(t, org.as.admin.apiKey, { name: 'catalog-bot' });
    await apiPost(`/api/v1/agents/${agent.id}/grants`, { capability: 'db:read' });

    const { context, page, violations } = await signedIn(org.as.admin.userId, '/capabilities/');
    const writes = countWrites(page, /^\/api\/v1\/capabilities/);
    await page.getByRole('heading', { name: 'Capabilities', level: 1 }).waitFor();
    await page.locator('li[data-capability="db:read"]').waitFor();

    // An invalid name: the schema's message next to the field, and no request.
    await page.getByRole('button', { name: 'New capability' }).click();
    await page.locator('#capability-name').fill('Reports Export');
    await page.locator('#capability-description').fill('Export the monthly reports');
    await page.getByRole('button', { name: 'Add capability' }).click();
    const nameError = page.locator('#capability-name-error');
    await nameError.waitFor();
    assert.match(await nameError.innerText(), /must look like resource:action in lower case/);
    assert.equal(await page.locator('#capability-name').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(writes, [], 'nothing was sent');
    await screenshots(page, 'capability-create-invalid', nameError);
    assert.deepEqual((await catalog()).map((c) => c.name), ['db:read'], 'nothing was created');

    // Corrected: created, listed, and the API has it.
    await page.locator('#capability-name').fill('reports:export');
    await page.locator('#capability-risk-level').selectOption('medium');
    await page.getByRole('button', { name: 'Add capability' }).click();
    const row = page.locator('li[data-capability="reports:export"]');
    await row.waitFor();
    assert.equal(writes.length, 1, 'one request to create');
    assert.equal(await page.evaluate('document.activeElement?.textContent?.trim()'), 'New capability', 'focus returns to the button that opened the form');
    const created = (await catalog()).find((c) => c.name === 'reports:export');
    assert.deepEqual(created && { riskLevel: created.riskLevel, description: created.description }, { riskLevel: 'medium', description: 'Export the monthly reports' });

    // Edit in a dialog: the risk level and the description.
    await row.getByRole('button', { name: 'Edit reports:export' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit reports:export' });
    await dialog.getByLabel('Risk level').selectOption('high');
    await dialog.getByLabel('Description').fill('Export the monthly finance reports');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await row.getByTestId('risk').getByText('high').waitFor();
    assert.match(await row.getByTestId('description').innerText(), /finance reports/);
    assert.equal(await page.evaluate('document.activeElement?.getAttribute("aria-label")'), 'Edit reports:export', 'focus returns to the Edit button');
    const edited = (await catalog()).find((c) => c.name === 'reports:export')!;
    assert.equal(edited.riskLevel, 'high');
    assert.equal(edited.description, 'Export the monthly finance reports');

    // Search and the risk filter.
    await page.getByLabel('Search').fill('finance');
    await row.waitFor();
    assert.equal(await page.locator('li[data-capability="db:read"]').count(), 0, 'the search hides what does not match');
    await page.getByLabel('Search').fill('');
    await page.locator('#capability-risk').selectOption('low');
    await page.locator('li[data-capability="db:read"]').waitFor();
    assert.equal(await row.count(), 0, 'the filter hides other risk levels');
    await page.locator('#capability-risk').selectOption('');
    await row.waitFor();

    await screenshots(page, 'capabilities', row);

    // A granted capability: the server refuses, the dialog says why, it stays.
    await page.locator('li[data-capability="db:read"]').getByRole('button', { name: 'Delete db:read' }).click();
    const refuse = page.getByRole('dialog', { name: 'Delete db:read?' });
    assert.match(await refuse.innerText(), /never granted or requested/);
    await refuse.getByRole('button', { name: 'Delete capability' }).click();
    await refuse.getByRole('alert').waitFor();
    assert.match(await refuse.getByRole('alert').innerText(), /kept as history/);
    assert.ok((await catalog()).some((c) => c.name === 'db:read'), 'a granted capability stays');
    await refuse.getByRole('button', { name: 'Cancel' }).click();

    // One never granted: gone.
    await row.getByRole('button', { name: 'Delete reports:export' }).click();
    await page.getByRole('dialog', { name: 'Delete reports:export?' }).getByRole('button', { name: 'Delete capability' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await catalog()).map((c) => c.name), ['db:read']);

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('an admin creates policies of three types through their forms, switches one to monitor and back, edits it, reads its history, and deletes one', async () => {
    const { context, page, violations } = await signedIn(org.as.admin.userId, '/policies/');
    const writes = countWrites(page, /^\/api\/v1\/policies/);
    await page.getByRole('heading', { name: 'Policies', level: 1 }).waitFor();
    await page.getByText('No policies yet').waitFor();

    // require_approval, scoped to one action pattern.
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.locator('#policy-name').fill('Exports need a person');
    await page.locator('#policy-type').selectOption('require_approval');
    // The settings as JSON (the fallback editor), checked by the same schema before they replace the form's.
    await page.getByRole('button', { name: 'Advanced: edit as JSON' }).click();
    await page.locator('#create-json').fill('{ "minRisk": "extreme" }');
    await page.getByRole('button', { name: 'Use this JSON' }).click();
    assert.match(await page.locator('#create-json-error').innerText(), /minRisk/);
    await page.locator('#create-json').fill('{ "minRisk": "medium" }');
    // Saving with the JSON open but not applied is refused, not saved with the old settings.
    const writesBefore = writes.length;
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('The settings are open as JSON').waitFor();
    assert.equal(writes.length, writesBefore, 'nothing was sent');
    await page.getByRole('button', { name: 'Use this JSON' }).click();
    assert.equal(await page.locator('#create-minrisk').inputValue(), 'medium', 'back in the form, with the JSON’s value');
    await page.getByRole('button', { name: 'Add action' }).click();
    await page.locator('#create-scope-actions-0').fill('reports:*');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.waitForURL(/\/policies\/detail\/\?id=pol_/);
    await page.getByRole('heading', { name: 'Exports need a person', level: 1 }).waitFor();
    heldPolicyId = new URL(page.url()).searchParams.get('id')!;
    const approval = await policy(heldPolicyId);
    assert.deepEqual(
      { type: approval.type, mode: approval.mode, enabled: approval.enabled, scope: approval.scope, config: approval.config },
      { type: 'require_approval', mode: 'enforce', enabled: true, scope: { actions: ['reports:*'] }, config: { minRisk: 'medium' } },
    );

    // rate_limit: a missing limit is refused by the schema before anything is sent.
    await page.goto(`${origin}/policies/`);
    await page.locator(`tr[data-policy-id="${heldPolicyId}"]`).waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.locator('#policy-name').fill('Throttle exports');
    await page.locator('#policy-type').selectOption('rate_limit');
    await page.locator('#create-window').fill('60');
    const before = writes.length;
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.locator('#create-limit-error').waitFor();
    assert.equal(await page.locator('#create-limit').getAttribute('aria-invalid'), 'true');
    assert.equal(writes.length, before, 'an invalid policy is not sent');
    await page.locator('#create-limit').fill('10');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.waitForURL((url) => url.pathname === '/policies/detail/' && url.searchParams.get('id') !== heldPolicyId);
    await page.getByRole('heading', { name: 'Throttle exports', level: 1 }).waitFor();
    const throttleId = new URL(page.url()).searchParams.get('id')!;
    assert.deepEqual((await policy(throttleId)).config, { limit: 10, windowSeconds: 60 });

    // time_window: a time zone and a window.
    await page.goto(`${origin}/policies/`);
    await page.locator(`tr[data-policy-id="${throttleId}"]`).waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.locator('#policy-name').fill('Office hours');
    await page.locator('#policy-type').selectOption('time_window');
    await page.locator('#create-tz').fill('Europe/Berlin');
    await page.locator('#create-w0-end').fill('18:30');
    await screenshots(page, 'policy-create-time-window', page.locator('#create-w0-end'));
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: 'Office hours', level: 1 }).waitFor();
    const officeId = new URL(page.url()).searchParams.get('id')!;
    assert.deepEqual((await policy(officeId)).config, {
      timezone: 'Europe/Berlin',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:30' }],
    });

    // Monitor and back, each behind a confirmation that says what monitor means.
    await page.goto(`${origin}/policies/detail/?id=${throttleId}`);
    await page.getByRole('heading', { name: 'Throttle exports', level: 1 }).waitFor();
    const mode = page.getByTestId('policy-mode');
    await page.getByRole('button', { name: 'Switch to monitor' }).click();
    const toMonitor = page.getByRole('dialog');
    assert.match(await toMonitor.innerText(), /never blocks/);
    await toMonitor.getByRole('button', { name: 'Switch to monitor' }).click();
    await mode.getByText('monitor').waitFor();
    assert.equal((await policy(throttleId)).mode, 'monitor');
    await page.getByRole('button', { name: 'Switch to enforce' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Switch to enforce' }).click();
    await mode.getByText('enforce').waitFor();
    assert.equal((await policy(throttleId)).mode, 'enforce');

    // Edit: the limit and a tag in the scope; the history lists the change.
    await page.getByRole('button', { name: 'Edit policy' }).click();
    await page.locator('#edit-limit').fill('25');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.locator('#edit-scope-tags-0').fill('exports');
    await screenshots(page, 'policy-edit', page.locator('#edit-limit'));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('li[data-version="4"]').waitFor();
    const edited = await policy(throttleId);
    assert.deepEqual({ version: edited.version, config: edited.config, scope: edited.scope }, { version: 4, config: { limit: 25, windowSeconds: 60 }, scope: { tags: ['exports'] } });
    const v4 = page.locator('li[data-version="4"]');
    assert.match(await v4.locator('[data-change="config.limit"]').innerText(), /config\.limit: 10 → 25/);
    assert.match(await v4.locator('[data-change="scope.tags"]').innerText(), /scope\.tags: — → exports/);
    assert.match(await v4.getByTestId('changed-by').innerText(), /^admin /, 'the admin, by name');
    assert.match(await page.locator('li[data-version="2"] [data-change="mode"]').innerText(), /mode: enforce → monitor/);
    assert.match(await page.locator('li[data-version="3"] [data-change="mode"]').innerText(), /mode: monitor → enforce/);
    const listed = await page.locator('li[data-version]').evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-version'))));
    assert.deepEqual(listed, [4, 3, 2, 1], 'newest first');
    assert.deepEqual((await versions(throttleId)).map((v) => [v.version, v.changedBy.id]), [4, 3, 2, 1].map((n) => [n, org.as.admin.userId]));

    await screenshots(page, 'policy-detail-history', v4);

    // Delete, behind a confirmation.
    await page.getByRole('button', { name: 'Delete policy' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Throttle exports?' });
    assert.match(await confirm.innerText(), /stops applying/);
    await confirm.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByText(/This policy was deleted/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Edit policy' }).count(), 0, 'a deleted policy cannot be edited');
    assert.deepEqual((await policies()).map((p) => p.name).sort(), ['Exports need a person', 'Office hours']);
    assert.ok((await policies(true)).find((p) => p.id === throttleId)?.deletedAt, 'kept, marked deleted');
    await page.locator('li[data-version="5"]').getByText(/deleted by/).waitFor();

    // The list, and a detail page, at both widths.
    await page.goto(`${origin}/policies/`);
    await screenshots(page, 'policies', page.locator(`tr[data-policy-id="${officeId}"]`));
    assert.equal(await page.locator(`tr[data-policy-id="${throttleId}"]`).count(), 0, 'a deleted policy is not listed');
    await page.getByLabel('Show deleted policies').check();
    await page.locator(`tr[data-policy-id="${throttleId}"]`).waitFor();
    await page.goto(`${origin}/policies/detail/?id=${officeId}`);
    await screenshots(page, 'policy-detail', page.locator('li[data-version="1"]'));

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('a viewer reads the catalog and the policies without any control to change them', async () => {
    const { context, page } = await signedIn(org.as.viewer.userId, '/capabilities/');
    await page.locator('li[data-capability="db:read"]').waitFor();
    for (const name of [/New capability/, /^Edit/, /^Delete/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a viewer`);
    }
    await screenshots(page, 'capabilities-viewer', page.locator('li[data-capability="db:read"]'));

    await page.goto(`${origin}/policies/`);
    await page.locator(`tr[data-policy-id="${heldPolicyId}"]`).waitFor();
    assert.equal(await page.getByRole('button', { name: /New policy/ }).count(), 0, 'no New policy button for a viewer');

    await page.goto(`${origin}/policies/detail/?id=${heldPolicyId}`);
    await page.getByRole('heading', { name: 'Exports need a person', level: 1 }).waitFor();
    await page.locator('li[data-version="1"]').waitFor();
    for (const name of [/^Switch to/, /Edit policy/, /Delete policy/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a viewer`);
    }
    assert.equal(await page.getByRole('form').count(), 0, 'no form');
    await screenshots(page, 'policy-detail-viewer', page.locator('li[data-version="1"]'));
    await context.close();
  });
});
