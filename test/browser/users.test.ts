/**
 * Users in a real browser (Debian's Chromium through playwright-core) against the whole app on PGlite while it
 * runs: an admin invites a staff member from the Users screen, the invitation e-mail reaches the SMTP emulator
 * through the outbox, the invitee opens the link in another browser, chooses a password and lands on the
 * dashboard seeing only their office; then the admin disables them and their open page falls back to sign-in.
 * Screenshots: test-artifacts/screenshots/users-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_INVITE_EMAIL_KIND } from '../../src/dashboard/users/invites.js';
import type { TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, seedClientData } from '../dashboard/support.js';
import { launchChromium, screenshotPath, signIn, startBrowserTestApp } from './support.js';

const INVITEE = 'robin.new@example.com';
const INVITEE_PASSWORD = 'tulip harbor seventeen';

describe('users in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let adminContext: BrowserContext;
  let inviteeContext: BrowserContext;
  let admin: Page;
  let invitee: Page;
  let adminEmail: string;
  let link: string;

  beforeAll(async () => {
    app = await startBrowserTestApp();
    adminEmail = await aUser(app, 'admin');
    await seedClientData(app, CLIENT_A, '+12125550123');
    await seedClientData(app, CLIENT_B, '+16025550123');
    browser = await launchChromium();
    // Two separate browsers as far as cookies go: the admin's, and the invitee's at home.
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    inviteeContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    admin = await adminContext.newPage();
    invitee = await inviteeContext.newPage();
    for (const page of [admin, invitee]) page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: screenshotPath(`users-${name}`), fullPage: true });

  it('an admin invites a staff member of one office from the Users screen', async () => {
    await signIn(admin, app, adminEmail);
    await admin.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Users', exact: true }).click();
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await admin.locator(`tr[data-user-id]`).filter({ hasText: adminEmail }).waitFor();

    const form = admin.getByRole('form', { name: 'Invite someone' });
    await form.getByLabel('E-mail').fill(INVITEE);
    await form.getByLabel('Role').selectOption('staff');
    await form.getByLabel('Desert Bookkeeping').check();
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await admin
      .getByRole('status')
      .filter({ hasText: `Invitation e-mailed to ${INVITEE}` })
      .waitFor();
    const waiting = admin.locator('tr[data-invite-id]').filter({ hasText: INVITEE });
    await waiting.waitFor();
    expect(await waiting.textContent()).toContain('Staff, Desert Bookkeeping');
    await shot(admin, 'invite-sent');

    // The e-mail leaves through the outbox, from the invitee's office, to the SMTP emulator.
    await app.worker.drain({ kinds: [USER_INVITE_EMAIL_KIND] });
    const [mail] = app.context.sandbox!.smtp.messagesTo(INVITEE);
    expect(mail?.from).toBe('hello@desertbookkeeping.example');
    link = mail!.text.match(new RegExp(`${app.url}/invite/[A-Za-z0-9_-]{43}`))![0];
  });

  it('the invitee opens the link, chooses a password and lands on the dashboard seeing only their office', async () => {
    await invitee.goto(link);
    await invitee.getByRole('heading', { name: 'Welcome to Switchboard' }).waitFor();
    expect(await invitee.locator('main').textContent()).toContain(`${adminEmail} invited ${INVITEE} for Desert Bookkeeping`);
    await invitee.getByLabel('Password', { exact: true }).fill(INVITEE_PASSWORD);
    await invitee.getByLabel('Password again').fill('tulip harbor seventeen!');
    await invitee.getByRole('button', { name: 'Create my account' }).click();
    await invitee.getByRole('alert').filter({ hasText: 'not the same' }).waitFor();
    await shot(invitee, 'accept');
    await invitee.getByLabel('Password again').fill(INVITEE_PASSWORD);
    await invitee.getByRole('button', { name: 'Create my account' }).click();

    await invitee.getByRole('heading', { name: 'Live calls' }).waitFor();
    expect(new URL(invitee.url()).pathname).toBe('/live');
    expect(await invitee.locator('.who .email').textContent()).toBe(INVITEE);
    // One office: no office picker, no Users screen.
    expect(await invitee.getByLabel('Office').count()).toBe(0);
    expect(await invitee.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Users' }).count()).toBe(0);
    await invitee.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Calls', exact: true }).click();
    await invitee.getByRole('heading', { name: 'Calls' }).waitFor();
    await invitee.locator('tbody tr').first().waitFor();
    const text = await invitee.locator('main').textContent();
    expect(text).toContain(`Asked about a tax return (${CLIENT_B})`);
    expect(text).not.toContain(CLIENT_A);
    expect((await invitee.request.get(`${app.url}/v1/api/calls?client=${CLIENT_A}`)).status()).toBe(404);
    expect((await invitee.request.get(`${app.url}/v1/api/users`)).status()).toBe(403);
    await shot(invitee, 'invitee-calls');

    // The link was for one use.
    await invitee.goto(link);
    await invitee.getByRole('alert').filter({ hasText: 'used already' }).waitFor();
    await invitee.goto(`${app.url}/live`);
    await invitee.getByRole('heading', { name: 'Live calls' }).waitFor();
  });

  it('the admin sees the new user, disables them, and their open dashboard falls back to the sign-in page', async () => {
    await admin.reload();
    const row = admin.locator('tr[data-user-id]').filter({ hasText: INVITEE });
    await row.waitFor();
    expect(await row.textContent()).toContain('Desert Bookkeeping');
    expect(await admin.locator('tr[data-invite-id]').filter({ hasText: INVITEE }).count()).toBe(0);
    await shot(admin, 'list');

    await row.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('status').filter({ hasText: 'signed out everywhere' }).waitFor();
    await row.locator('.status').filter({ hasText: 'Disabled' }).waitFor();
    await invitee.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot(admin, 'disabled');

    await invitee.getByLabel('E-mail').fill(INVITEE);
    await invitee.getByLabel('Password').fill(INVITEE_PASSWORD);
    await invitee.getByRole('button', { name: 'Sign in' }).click();
    await invitee.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();

    await admin.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Activity', exact: true }).click();
    await admin.getByLabel('What').selectOption('user');
    for (const words of ['Invited someone by e-mail', 'Accepted an invitation', 'Disabled a user']) {
      await admin.locator('tr[data-audit-id]').filter({ hasText: words }).first().waitFor();
    }
    await shot(admin, 'activity');
  });
});
