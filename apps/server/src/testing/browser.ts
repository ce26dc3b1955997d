import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { DEFAULT_DASHBOARD_DIR } from '../modules/dashboard/dashboard-routes.js';

/**
 * Browser tests: Debian's Chromium (`apt-get install -y chromium`; CHROMIUM_PATH to use another),
 * driven by playwright-core, headless with the flags the project settled on and a fresh profile per
 * launch. Screenshots go to test-artifacts/dashboard/ at the repository root.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/dashboard/', import.meta.url));

/** Chromium, once the dashboard is built and Chromium is installed (each a clear failure otherwise). */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html')), 'the dashboard is built (npm run build)');
  assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
