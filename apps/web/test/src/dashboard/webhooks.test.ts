import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { ARTIFACTS, accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';
import { DEFAULT_DASHBOARD_DIR } from '../../../../server/dist/modules/dashboard/dashboard-files.js';

/**
 * The Webhooks page (/webhooks/) in a real browser, against a real receiver on loopback (the
 * deployment allows private networks for it): an endpoint added in the page, its secret shown once
 * and copied, that secret verifying the signature of the test event the page sends, the delivery
 * appearing and turning succeeded without a reload, its attempt, and the status filter. People who
 * may not read webhooks see neither the navigation item nor the endpoints.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
interface EndpointJson {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
}
interface DeliveryJson {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
}

const RECEIVER_ANSWER = 'received by the test receiver';

/** Standard Webhooks: HMAC-SHA256 over `id.timestamp.body` with the secret's bytes; the header lists `v1,<base64>` signatures. */
function signatureValid(secret: string, received: Received): boolean {
  const id = String(received.headers['webhook-id']);
  const timestamp = String(received.headers['webhook-timestamp']);
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${received.body}`).digest();
  return String(received.headers['webhook-signature'])
    .split(' ')
    .map((s) => Buffer.from(s.replace(/^v1,/, ''), 'base64'))
    .some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
}

forEachTarget('the webhooks page in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const shotName = (name: string, width: 'desktop' | 'phone') => join(ARTIFACTS, `${name}-${width}-${target.name.replace(/\W+/g, '-')}.png`);

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'webhooks', 'index.html')), 'the webhooks page is built');
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/plain' }).end(RECEIVER_ANSWER);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/aim-events`;
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } });
    org = await seedOrganization(t, 'Hooks');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });

  async function asManager<T>(path: string): Promise<T> {
    const res = await fetch(`${origin}${path}`, { headers: org.as.manager.apiKey });
    assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  }

  /** Polls until `check` gives a value, for at most `ms` (deliveries go out in the background). */
  async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: shotName(name, 'desktop'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.locator('main h1').first().waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name} fits 375 px (overflows by ${overflow} px)`);
    await page.screenshot({ path: shotName(name, 'phone'), fullPage: true });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 375 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await accessibilityProblems(page), [], `${name} at 1280 px`);
  }

  it('adds an endpoint with its secret shown once, sends a test event signed with it, and shows the delivery and its attempt live', async () => {
    const { context, page, violations } = await signInWithPasskey(setup(), org.as.manager.userId, '/agents/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.waitForURL(`${origin}/webhooks/`);
    await page.getByText('No webhook endpoints yet.', { exact: false }).waitFor();

    // Without an event type the form refuses, as the API would: nothing is created.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByLabel('Description (optional)').fill('Browser test receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('name at least one event type', { exact: false }).waitFor();
    assert.equal((await asManager<{ webhookEndpoints: EndpointJson[] }>('/api/v1/webhook-endpoints')).webhookEndpoints.length, 0, 'nothing was created');

    await page.getByRole('checkbox', { name: /All decision events/ }).check();
    await screenshots(page, 'webhooks-create');

    // An address the API refuses (credentials in it): its answer shows in the form, nothing is created.
    await page.getByLabel('URL').fill('https://user:password@hooks.example.com/aim');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const refusal = page.getByRole('form', { name: 'Add an endpoint' }).getByRole('alert');
    await refusal.waitFor();
    assert.ok((await refusal.innerText()).trim().length > 0, 'the API’s message is shown');
    assert.equal((await asManager<{ webhookEndpoints: EndpointJson[] }>('/api/v1/webhook-endpoints')).webhookEndpoints.length, 0, 'nothing was created');

    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const panel = page.getByRole('region', { name: `Endpoint added: ${receiverUrl}` });
    await panel.waitFor();
    await panel.getByText('this secret will not be shown again', { exact: false }).waitFor();
    const secret = await panel.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(await page.evaluate('document.activeElement?.id'), 'shown-once-title', 'focus moves to the secret');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await panel.getByRole('button', { name: 'Copy signing secret' }).click();
    await panel.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret, 'the clipboard holds exactly the secret');

    const listed = (await asManager<{ webhookEndpoints: EndpointJson[] }>('/api/v1/webhook-endpoints')).webhookEndpoints;
    assert.equal(listed.length, 1);
    const endpoint = listed[0]!;
    assert.deepEqual([endpoint.url, endpoint.description, endpoint.eventTypes, endpoint.enabled], [receiverUrl, 'Browser test receiver', ['decision.*'], true]);
    await page.locator(`[data-endpoint-id="${endpoint.id}"]`).getByText('decision.*').waitFor();
    await screenshots(page, 'webhooks-secret');

    // Shown once: after a reload the page does not hold it any more.
    await page.reload();
    await page.locator(`[data-endpoint-id="${endpoint.id}"]`).waitFor();
    assert.equal(await page.getByRole('region', { name: /Endpoint added/ }).count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere on the page');

    // The endpoint's page: a test event, its delivery, its attempt.
    await page.locator(`[data-endpoint-id="${endpoint.id}"]`).getByRole('link', { name: receiverUrl }).click();
    await page.waitForURL(`${origin}/webhooks/detail/?id=${endpoint.id}`);
    await page.getByRole('heading', { name: receiverUrl, level: 1 }).waitFor();
    await page.getByText('No deliveries yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText('Test event sent', { exact: false }).waitFor();
    const [delivery] = (await asManager<{ deliveries: DeliveryJson[] }>(`/api/v1/webhook-endpoints/${endpoint.id}/deliveries`)).deliveries;
    assert.ok(delivery, 'the API lists the delivery');
    assert.equal(delivery.eventType, 'webhook.test');
    const row = page.locator(`[data-delivery-id="${delivery.id}"]`);
    await row.waitFor();

    // The receiver gets it, signed with the secret the page showed.
    const hit = await eventually('the receiver gets the test event', () => received.find((r) => r.headers['webhook-id'] === delivery.eventId));
    assert.equal(JSON.parse(hit.body).type, 'webhook.test');
    assert.ok(signatureValid(secret, hit), 'signed with the secret shown once');

    // Without a reload, the row turns succeeded; its attempt shows the receiver's answer.
    await row.getByText('succeeded').waitFor({ timeout: 15_000 });
    await row.getByRole('button', { name: /^Attempts of webhook\.test/ }).click();
    const attempts = page.getByRole('region', { name: /Attempts of delivery/ });
    await attempts.getByText('HTTP 200').waitFor();
    await attempts.getByText(RECEIVER_ANSWER).waitFor();
    assert.equal(await attempts.locator('[data-attempt]').count(), 1, 'one attempt');

    // The status filter asks the API: nothing has failed.
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No delivery matches.').waitFor();
    await page.getByLabel('Status').selectOption('succeeded');
    await row.waitFor();
    await screenshots(page, 'webhooks-endpoint');

    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'no script was refused by the policy');
    await context.close();
  });

  it('edits the endpoint, disables and enables it, redelivers a delivery, and schedules failed ones and a replay', async () => {
    const [endpoint] = (await asManager<{ webhookEndpoints: EndpointJson[] }>('/api/v1/webhook-endpoints')).webhookEndpoints;
    assert.ok(endpoint, 'the endpoint of the first test');
    const [delivery] = (await asManager<{ deliveries: DeliveryJson[] }>(`/api/v1/webhook-endpoints/${endpoint.id}/deliveries`)).deliveries;
    assert.ok(delivery, 'its test delivery');
    const { context, page } = await signInWithPasskey(setup(), org.as.manager.userId, `/webhooks/detail/?id=${endpoint.id}`);
    await page.getByRole('heading', { name: endpoint.url, level: 1 }).waitFor();
    const current = async () => (await asManager<{ webhookEndpoint: EndpointJson }>(`/api/v1/webhook-endpoints/${endpoint.id}`)).webhookEndpoint;

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit the endpoint' });
    await edit.getByLabel('Description').fill('Renamed receiver');
    await edit.getByRole('checkbox', { name: 'capability.requested', exact: true }).check();
    await edit.getByRole('button', { name: 'Save endpoint' }).click();
    await page.getByText('Endpoint saved.').waitFor();
    const edited = await current();
    assert.equal(edited.description, 'Renamed receiver');
    assert.deepEqual([...edited.eventTypes].sort(), ['capability.requested', 'decision.*']);
    await page.getByRole('region', { name: 'Endpoint', exact: true }).getByText('Renamed receiver').waitFor();

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Endpoint disabled', { exact: false }).waitFor();
    assert.equal((await current()).enabled, false, 'the API has it disabled');
    await page.getByRole('region', { name: 'Endpoint', exact: true }).getByText('disabled', { exact: true }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Send test event' }).isDisabled(), 'a disabled endpoint gets no test event');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Endpoint enabled', { exact: false }).waitFor();
    assert.equal((await current()).enabled, true, 'and enabled again');

    // The same event again, with the same webhook-id, to the receiver.
    const before = received.filter((r) => r.headers['webhook-id'] === delivery.eventId).length;
    await page.locator(`[data-delivery-id="${delivery.id}"]`).getByRole('button', { name: /^Redeliver/ }).click();
    await page.getByText('scheduled again: it goes out now', { exact: false }).waitFor();
    await eventually('the receiver gets the event again', () => (received.filter((r) => r.headers['webhook-id'] === delivery.eventId).length > before ? true : undefined));

    // The counts shown are the API's answers.
    const scheduled = async (button: string, path: string) => {
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(path) && r.request().method() === 'POST'), page.getByRole('button', { name: button }).click()]);
      assert.equal(response.status(), 202, await response.text());
      const { count } = (await response.json()) as { count: number };
      await page.getByText(count === 1 ? '1 delivery scheduled' : `${count} deliveries scheduled`).waitFor();
      return count;
    };
    assert.equal(await scheduled('Redeliver failed', '/redeliver-failed'), 0, 'nothing has failed');
    await scheduled('Replay events', '/replay');
    await context.close();
  });

  it('rotates the secret (shown once again) and deletes the endpoint behind a confirmation', async () => {
    const [endpoint] = (await asManager<{ webhookEndpoints: EndpointJson[] }>('/api/v1/webhook-endpoints')).webhookEndpoints;
    assert.ok(endpoint, 'the endpoint of the test before');
    const { context, page } = await signInWithPasskey(setup(), org.as.admin.userId, `/webhooks/detail/?id=${endpoint.id}`);
    await page.getByRole('heading', { name: endpoint.url, level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Previous secret keeps signing for').selectOption({ label: '1 hour' });
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('region', { name: 'New signing secret' });
    await shown.waitFor();
    assert.match(await shown.getByRole('textbox', { name: 'Signing secret' }).inputValue(), /^whsec_/);
    const rotated = (await asManager<{ webhookEndpoint: { previousSecretExpiresAt: string | null } }>(`/api/v1/webhook-endpoints/${endpoint.id}`)).webhookEndpoint;
    const overlap = new Date(rotated.previousSecretExpiresAt ?? 0).getTime() - Date.now();
    assert.ok(overlap > 55 * 60_000 && overlap <= 60 * 60_000, `the previous secret signs for an hour more (${overlap} ms)`);
    await page.getByText('The previous secret signs too until', { exact: false }).waitFor();

    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('heading', { name: 'Delete this endpoint?' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL(`${origin}/webhooks/`);
    await page.getByText('No webhook endpoints yet.', { exact: false }).waitFor();
    const gone = await fetch(`${origin}/api/v1/webhook-endpoints/${endpoint.id}`, { headers: org.as.manager.apiKey });
    assert.equal(gone.status, 404, 'the API no longer has it');
    await context.close();
  });

  it('shows neither the navigation item nor the endpoints to a member', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.member.userId, '/agents/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Agents', exact: true }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Webhooks' }).count(), 0, 'no Webhooks item for a member');
    await page.goto(`${origin}/webhooks/`);
    await page.getByText('Webhooks are managed by managers and admins. Your role (member) cannot see them.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add endpoint' }).count(), 0);
    await context.close();
  });
});
