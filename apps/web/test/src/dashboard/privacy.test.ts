import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { type Browser } from 'playwright-core';
import { accessibilityProblems, launchChromium, signInWithPasskey, type BrowserSetup } from '../../../../server/dist/testing/browser.js';
import { createUser, seedOrganization, type SeededOrganization } from '../../../../server/dist/testing/people-fixtures.js';
import { forEachTarget } from '../../../../server/dist/testing/targets.js';
import { createTestApp, type TestApp } from '../../../../server/dist/testing/test-app.js';

/**
 * The privacy page (/privacy/) in a real browser, as an admin: find a person, download their export
 * (the JSON file carries their data), erase them behind the confirmation dialog (a wrong confirmation
 * is refused with the server's message; the right one erases), each step checked against the API;
 * axe-clean with the dialog open.
 */
forEachTarget('the privacy page in Chromium', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let browser: Browser;
  let origin: string;
  let personId: string;
  const EMAIL = 'grace.erasable@example.org';
  const NAME = 'Grace Erasable';

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t, 'Privacy');
    personId = await createUser(t, EMAIL, NAME);
    const owner = await t.owner();
    await owner.query(`insert into memberships (organization_id, user_id, role) values ($1, $2, 'member')`, [org.organizationId, personId]);
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = address.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const setup = (): BrowserSetup => ({ t, browser, origin, organizationId: org.organizationId });
  const exportStatus = async () =>
    (await fetch(`${origin}/api/v1/privacy/people/${personId}/export`, { headers: org.as.admin.apiKey })).json() as Promise<{ error?: { code: string } }>;

  it('finds a person, downloads their export, and erases them after a confirmation that names them', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.admin.userId, '/privacy/');
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    const people = page.getByRole('region', { name: 'People' });
    await people.getByLabel('Find a person').fill('grace');
    await people.locator(`[data-person-id="${personId}"]`).waitFor();
    assert.equal(await people.locator('[data-person-id]').count(), 1, 'only the person searched for');
    assert.deepEqual(await accessibilityProblems(page), []);

    const [download] = await Promise.all([page.waitForEvent('download'), people.getByRole('link', { name: `Export the data of ${NAME}` }).click()]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as { type: string; person: { email: string; name: string } };
    assert.equal(exported.type, 'aim.person_export');
    assert.deepEqual([exported.person.email, exported.person.name], [EMAIL, NAME]);

    await people.getByRole('button', { name: `Erase ${NAME}` }).click();
    const dialog = page.getByRole('dialog', { name: `Erase ${NAME}?` });
    await dialog.getByText('This cannot be undone').waitFor();
    assert.deepEqual(await accessibilityProblems(page), [], 'the dialog too');
    await dialog.getByLabel(`Type ${EMAIL} to confirm`).fill('someone.else@example.org');
    await dialog.getByRole('button', { name: 'Erase permanently' }).click();
    await dialog.getByRole('alert').getByText(/email address/).waitFor();
    assert.equal((await exportStatus()).error, undefined, 'a wrong confirmation erased nothing');

    await dialog.getByLabel(`Type ${EMAIL} to confirm`).fill(EMAIL.toUpperCase());
    await dialog.getByRole('button', { name: 'Erase permanently' }).click();
    await page.getByText(`${NAME} was erased`).waitFor();
    await people.locator(`[data-person-id="${personId}"]`).waitFor({ state: 'detached' });
    assert.equal((await exportStatus()).error?.code, 'person_already_erased');
    await page.getByRole('region', { name: 'Requests' }).locator('[data-request-id]').filter({ hasText: 'erasure' }).first().waitFor();
    await context.close();
  });

  it('is for admins: a manager sees why not', async () => {
    const { context, page } = await signInWithPasskey(setup(), org.as.manager.userId, '/privacy/');
    await page.getByText(/for admins \(privacy\.manage\)/).waitFor();
    assert.equal(await page.getByRole('region', { name: 'People' }).count(), 0);
    await context.close();
  });
});
