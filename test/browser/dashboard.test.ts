/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the whole app on a
 * real database: sign in, watch a simulated call live, fix a dead message, client scope, sign out.
 * Screenshots of every screen go to test-artifacts/screenshots/ (git-ignored).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateCall } from '../../src/sandbox/call-simulator.js';
import type { TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, PASSWORD, aUser, seedClientData, type Seeded } from '../dashboard/support.js';
import { openChromiumProfile, screenshotPath, startBrowserTestApp, submitSignIn, type ChromiumProfile } from './support.js';

const CALLER = '+12125550177';

describe('dashboard in a browser', () => {
  let app: TestApp;
  let browser: ChromiumProfile;
  let page: Page;
  let admin: string;
  let staffB: string;
  let seededB: Seeded;

  beforeAll(async () => {
    app = await startBrowserTestApp();
    admin = await aUser(app, 'admin');
    staffB = await aUser(app, 'staff', [CLIENT_B]);
    seededB = await seedClientData(app, CLIENT_B, '+16025550123');
    browser = await openChromiumProfile({ viewport: { width: 1280, height: 800 }, timeoutMs: 15_000 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  const shot = (name: string) => page.screenshot({ path: screenshotPath(name), fullPage: true });
  const go = async (label: string) => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).toContain(label === 'Live' ? 'Live calls' : label);
  };

  it('signs in with e-mail and password', async () => {
    await page.goto(`${app.url}/`);
    await page.getByLabel('E-mail').fill(admin);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await shot('login');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor();
    await page.locator('.dot.on').waitFor();
  });

  it('shows a simulated call live, and its booking and messages arrive on the open call page without a reload', async () => {
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    const played = simulateCall({ baseUrl: app.url!, client: CLIENT_A, from: CALLER, scenario: 'new-caller-books', delayMs: 400, startAt: app.clock.now() });
    const live = page.locator('.live-call').first();
    await live.waitFor();
    await shot('live');
    // Open the call page while the call is still going on; what the agent does next must appear there live.
    await live.getByRole('link').click();
    await page.getByRole('heading', { name: /Call with/ }).waitFor();
    await page.locator('li.appointment').filter({ hasText: 'individual return' }).waitFor();
    await page.locator('.message').filter({ hasText: 'booked' }).first().waitFor();
    const result = await played;
    // Call events are stored on arrival and applied by the outbox worker, which tests run by hand.
    await app.applyCallEvents();
    expect(result.problems).toEqual([]);
    expect(result.steps.find((step) => step.name === 'book_appointment')?.body).toMatchObject({ ok: true });
    await page.getByRole('heading', { name: /Call with Jordan Rivera/ }).waitFor();
    await shot('call-page');
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);

    // Back on Live: the call has ended and is listed with the last hour's calls.
    await go('Live');
    await page.locator(`tr[data-call-id="${result.callId}"]`).waitFor();
    expect(await page.locator('.live-call').count()).toBe(0);
  });

  it('forces a message to dead, edits its body, sends it again and sees it delivered', async () => {
    // The emulated carrier rejects the next send as an invalid number (21211: permanent, dead at once).
    app.context.sandbox!.twilio.faults.failNext(
      1,
      400,
      { code: 21211, message: "Invalid 'To' Phone Number", status: 400 },
      { match: '/Messages', method: 'POST' },
    );
    await app.worker.drain();
    await go('Messages');
    await page.getByLabel('Status').selectOption('dead');
    const dead = page.locator('.message.msg-dead').filter({ hasText: CALLER }).first();
    await dead.waitFor();
    await shot('messages-dead');
    await dead.getByRole('button', { name: 'Edit and retry' }).click();
    await dead.getByRole('textbox').fill('Smart Tax Nation: Hi Jordan, you are booked. Reply here with any questions.');
    await dead.getByRole('button', { name: 'Send again' }).click();
    await page.getByLabel('Status').selectOption('');
    const edited = page.locator('.message').filter({ hasText: 'Reply here with any questions' });
    await edited.waitFor();
    // The office's sender is paced at one text a second; let that second pass before the worker runs.
    app.clock.advance(5_000);
    await app.worker.drain();
    await edited.locator('.status-delivered').waitFor();
    await shot('messages');
  });

  it('shows that edit in Activity: who made it, for which office, and the text before and after', async () => {
    await go('Activity');
    const row = page.locator('tr[data-audit-id]').filter({ hasText: 'Edited a message and sent it again' }).first();
    await row.locator('ins').filter({ hasText: 'Reply here with any questions' }).waitFor();
    expect(await row.textContent()).toContain(admin);
    expect(await row.locator('td').nth(2).textContent()).toBe('Smart Tax Nation');
    await row.getByText('Raw record').click();
    await row.locator('pre').filter({ hasText: '"before"' }).waitFor();
    await shot('activity');
  });

  it('renders every other screen with words an office manager understands', async () => {
    for (const [label, name] of [
      ['Calls', 'calls'],
      ['Dead letters', 'dead-letters'],
      ['Follow-ups', 'follow-ups'],
      ['Appointments', 'appointments'],
      ['Customers', 'customers'],
      ['Errors', 'errors'],
      ['Connections', 'connections'],
    ] as const) {
      await go(label);
      await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
      expect(await page.locator('.notice.error').count(), label).toBe(0);
      await shot(name);
    }
    await page.setViewportSize({ width: 820, height: 1180 });
    await go('Live');
    await shot('live-tablet');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out, and a staff member of one office sees none of another office in the page or the API', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await page.request.get(`${app.url}/v1/api/me`)).status()).toBe(401);

    await submitSignIn(page, staffB);
    await go('Calls');
    await page.locator('tbody tr').first().waitFor();
    const text = await page.locator('main').textContent();
    expect(text).toContain(`Asked about a tax return (${CLIENT_B})`);
    expect(text).not.toContain('Jordan Rivera');
    expect(await page.getByLabel('Office').count()).toBe(0);
    await shot('staff-calls');

    const calls = await page.request.get(`${app.url}/v1/api/calls?client=${CLIENT_A}`);
    expect(calls.status()).toBe(404);
    const all = await (await page.request.get(`${app.url}/v1/api/calls`)).json();
    expect(all.calls.every((call: { clientId: string }) => call.clientId === CLIENT_B)).toBe(true);
    await go('Activity');
    await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('Reply here with any questions');
    await page.goto(`${app.url}/customers/${seededB.customerId + 1000}`);
    await page.getByRole('alert').filter({ hasText: 'not found' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
