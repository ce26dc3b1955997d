import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEFAULT_DASHBOARD_DIR } from '../modules/dashboard/dashboard-files.js';
import { startSession } from './people-fixtures.js';
import { SoftwareAuthenticator } from './software-authenticator.js';
import type { TestApp } from './test-app.js';

/**
 * Browser tests: Debian's Chromium (`apt-get install -y chromium`; CHROMIUM_PATH to use another),
 * driven by playwright-core, headless with the flags the project settled on and a fresh profile per
 * launch. Screenshots go to test-artifacts/dashboard/ at the repository root.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/dashboard/', import.meta.url));

/**
 * Chromium, once the dashboard is built and Chromium is installed (each a clear failure otherwise).
 * `{ dashboard: false }` for pages that are not the dashboard's (the API reference).
 */
export async function launchChromium(options: { dashboard?: boolean } = {}): Promise<Browser> {
  if (options.dashboard !== false) assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html')), 'the dashboard is built (npm run build)');
  assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Where a browser test runs: the app, its browser, the origin it listens on, the organization signed in to. */
export interface BrowserSetup {
  t: TestApp;
  browser: Browser;
  origin: string;
  organizationId: string;
}

/** A passkey registered for the person through the API, and the same credential in Chromium's virtual authenticator. */
export async function contextWithPasskey({ t, browser, origin, organizationId }: BrowserSetup, userId: string): Promise<BrowserContext> {
  const session = await startSession(t, userId, organizationId);
  const headers = { ...session.headers, origin, 'content-type': 'application/json' };
  const options = (await (await fetch(`${origin}/api/v1/me/passkeys/options`, { method: 'POST', headers, body: '{}' })).json()) as Parameters<SoftwareAuthenticator['create']>[0];
  const authenticator = new SoftwareAuthenticator();
  const registered = await fetch(`${origin}/api/v1/me/passkeys`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Browser test', credential: authenticator.create(options, origin) }),
  });
  assert.equal(registered.status, 201, await registered.text());
  const credential = authenticator.credentials[0]!;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await cdp.send('WebAuthn.addCredential', {
    authenticatorId,
    credential: {
      credentialId: credential.id.toString('base64'),
      isResidentCredential: true,
      rpId: new URL(origin).hostname,
      privateKey: credential.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: Buffer.from(credential.userHandle, 'base64url').toString('base64'),
      signCount: 1,
    },
  });
  return context;
}

/**
 * Signs in with the passkey in a fresh context, through the sign-in page, and leaves the page at
 * `path`; `violations` collects the console errors (a refused script shows there).
 */
export async function signInWithPasskey(setup: BrowserSetup, userId: string, path: string): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const { origin } = setup;
  const context = await contextWithPasskey(setup, userId);
  const page = context.pages()[0]!;
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') violations.push(message.text());
  });
  await page.goto(`${origin}${path}`);
  await page.waitForURL(`${origin}/sign-in/`);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  // Signing in lands on the agents list.
  await page.waitForURL(`${origin}/agents/`);
  if (path !== '/agents/') {
    await page.goto(`${origin}${path}`);
    await page.waitForURL(`${origin}${path}`);
  }
  return { context, page, violations };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

/**
 * What axe-core (WCAG 2.1 A and AA rules: labels, names, contrast, landmarks, ARIA use) finds wrong
 * on the page as it is now, serious and critical problems only, one line each. The checker is
 * evaluated through the DevTools protocol, so the page's Content-Security-Policy stays as it is.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`,
  )) as AxeResult;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
}
