/**
 * Onboarding and office editing in a real browser (Debian's Chromium through playwright-core) against the whole
 * app in demo mode: the wizard end to end for a new law office to a ready go-live report, the template editor's
 * live preview and a save that appears in the version history, a 400's problems next to their field, and staff
 * who may not change senders. Screenshots go to test-artifacts/screenshots/onboarding-*.png (git-ignored); the
 * guide's pictures in docs/images/ are copies of some of them.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { aUser } from '../dashboard/support.js';
import { openChromiumProfile, screenshotPath, signIn as signInAt, startBrowserTestApp, type ChromiumProfile } from './support.js';

const SLUG = 'oath-browser';

describe('onboarding and offices in a browser', () => {
  let app: TestApp;
  let browser: ChromiumProfile;
  let page: Page;
  let admin: string;
  /** What a person typed or chose (not defaults), counted for docs/onboarding.md. */
  const inputs: string[] = [];

  beforeAll(async () => {
    app = await startBrowserTestApp();
    admin = await aUser(app, 'admin');
    // 1100 px wide: the guide's screenshots stay readable and small.
    browser = await openChromiumProfile({ viewport: { width: 1100, height: 800 }, timeoutMs: 20_000 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  // What the page showed when a test failed, to see why.
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail')
      await page.screenshot({ path: screenshotPath(`onboarding-failed-${context.task.name.slice(0, 30).replace(/\W+/g, '-')}`), fullPage: true });
  });

  /** The screen below the navigation bar (the guide's pictures are copies of some of these). */
  const shot = (name: string) => page.locator('main').screenshot({ path: screenshotPath(`onboarding-${name}`) });
  const type = async (label: string, value: string, scope = page.locator('main')) => {
    // A field's problem is part of its label (announced with it), so match the label's start.
    await scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).fill(value);
    inputs.push(label);
  };
  const signIn = (email: string) => signInAt(page, app, email);
  const step = (title: string) => page.getByRole('form', { name: title });
  /** Submits a step and waits for the server's answer, then for the next step's form. */
  const submit = async (title: string, button: string, next: string) => {
    const answered = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().includes('/steps/'));
    await step(title).getByRole('button', { name: button }).click();
    expect((await answered).status()).toBe(200);
    await step(next).waitFor();
  };

  it('walks the wizard for a new law office in Austin to a ready go-live report, and lists the office', async () => {
    await signIn(admin);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Onboarding', exact: true }).click();
    await page.getByRole('heading', { name: 'Onboard a new office' }).waitFor();

    // Basics: a bad e-mail first, to see the problem next to its field.
    const basics = step('Basics');
    await type('Office name', 'Oath Legal', basics);
    await type('Short name (slug)', SLUG, basics);
    await type('Postal address', '600 Congress Ave, Suite 1400, Austin, TX 78701', basics);
    await type('Office phone', '+15125550142', basics);
    await basics.getByLabel('Office e-mail').fill('front desk');
    await page.getByTestId('timezone-proposal').filter({ hasText: 'America/Chicago' }).waitFor();
    expect(await page.getByTestId('timezone-proposal').textContent()).toContain('Texas');
    await basics.getByRole('button', { name: 'Start' }).click();
    await basics.locator('.field-problem[data-path="officeEmail"]').filter({ hasText: 'e-mail address' }).waitFor();
    await type('Office e-mail', 'front@oathlegal.example', basics);
    await shot('1-basics');
    const started = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith('/steps/basics'));
    await basics.getByRole('button', { name: 'Start' }).click();
    expect((await started).status()).toBe(200);

    // Template pack: the law office's, with a preview of its confirmation text on sample data.
    await step('Template pack').waitFor();
    const onboardingUrl = page.url();
    expect(onboardingUrl).toMatch(/\/onboarding\/onb_[a-z0-9]+$/);
    await step('Template pack').getByRole('radio', { name: 'Law office' }).check();
    inputs.push('pack: Law office');
    await page.getByTestId('segments').waitFor();
    expect(await page.getByTestId('preview-text').textContent()).toContain('Jordan');
    await shot('2-pack');

    // Resumable: a reload comes back to the first step not done, with basics done.
    await page.reload();
    await step('Template pack').waitFor();
    await page.locator('.steps li.done').filter({ hasText: 'Basics' }).waitFor();
    await step('Template pack').getByRole('radio', { name: 'Law office' }).check();
    await submit('Template pack', 'Use this pack and continue', 'Calendar');

    // Calendar: the office's own calendar is preselected; the step reads its free/busy times.
    await expect
      .poll(() =>
        step('Calendar')
          .getByRole('radio', { name: /Oath Legal appointments/ })
          .isChecked(),
      )
      .toBe(true);
    await shot('3-calendar');
    await submit('Calendar', 'Use this calendar and continue', 'Texting');
    await page.locator('.done-steps li[data-step="calendar"]').filter({ hasText: 'free/busy read' }).waitFor();

    // Texting: the account's numbers are listed on entering; pick one, send a test text.
    const texting = step('Texting');
    await texting.getByRole('radio', { name: '+15125550142' }).check();
    inputs.push('texting number');
    await type('Send a test text to (optional, your phone)', '+15125550199', texting);
    expect(await texting.locator('.a2p-note').textContent()).toContain('A2P 10DLC');
    await shot('4-texting');
    await submit('Texting', 'Use this number and continue', 'E-mail');
    await page.locator('.done-steps li[data-step="texting"]').filter({ hasText: 'test text ok' }).waitFor();

    await type('Send a test e-mail to (optional)', 'me@oathlegal.example', step('E-mail'));
    await shot('5-email');
    await submit('E-mail', 'Save and continue', 'Alerts');
    await shot('6-alerts');
    await submit('Alerts', 'Save and continue', 'Retell agent');
    await shot('7-retell');
    await submit('Retell agent', 'Connect the agent and continue', 'Go-live check');
    await page.locator('.done-steps li[data-step="retell"]').filter({ hasText: 'tools installed' }).waitFor();

    const checked = page.waitForResponse((response) => response.url().endsWith('/golive'));
    await step('Go-live check').getByRole('button', { name: 'Run the go-live check' }).click();
    expect((await checked).status()).toBe(200);
    await page.getByTestId('golive-verdict').filter({ hasText: 'Ready to go live.' }).waitFor();
    expect(await page.locator('.readiness li').filter({ hasText: 'simulated test call' }).textContent()).toContain('booked');
    const tools = page.getByLabel('Tools (JSON)');
    await expect.poll(async () => (await tools.inputValue()).includes('"book_appointment"')).toBe(true);
    expect(await page.getByLabel('Prompt snippet').inputValue()).not.toBe('');
    await shot('8-golive');

    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Offices', exact: true }).click();
    const row = page.locator(`tr[data-office="${SLUG}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Oath Legal');
    expect(await row.textContent()).toContain('America/Chicago');
    await shot('9-offices');
    console.info(`onboarding inputs typed or chosen: ${inputs.length} (${inputs.join('; ')})`);
    expect(inputs.length).toBeLessThanOrEqual(40);
  }, 120_000);

  it('edits a text with its live segment count, saves it, and sees the new version in the history', async () => {
    await page.locator(`tr[data-office="${SLUG}"]`).getByRole('link', { name: 'Oath Legal' }).click();
    await page.getByRole('heading', { name: 'Oath Legal', level: 1 }).waitFor();
    const before = Number((await page.locator('tr[data-version]').first().getAttribute('data-version')) ?? 0);
    expect(before).toBeGreaterThan(0);

    // A 400's problems are shown next to the field they are about.
    await page.getByLabel('Office phone', { exact: true }).fill('555');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.field-problem[data-path="officePhone"]').filter({ hasText: 'E.164' }).waitFor();
    await page.getByRole('button', { name: 'Discard changes' }).click();

    await page.getByLabel(/^Template/).selectOption('sms:confirmation');
    const text = page.getByRole('textbox', { name: 'Text message', exact: true });
    // The default-language text comes first; its Spanish translation (with its own count) follows.
    const segments = page.getByTestId('segments').first();
    const base =
      'Oath Legal: your consultation is booked. Bring a photo ID and your papers. Call us if you need to move it. We look forward to meeting you soon, see you then';
    expect(base.length).toBeLessThan(160);
    await text.fill(base);
    await segments
      .filter({ hasText: '1 segment' })
      .filter({ hasText: `${base.length} characters` })
      .waitFor();
    expect(await segments.textContent()).toContain('GSM-7');
    await text.pressSequentially('. Thank you!!');
    await segments.filter({ hasText: '2 segments' }).waitFor();
    await page.locator('.template-editor').screenshot({ path: screenshotPath('onboarding-template-editor') });

    // A character outside GSM-7 is named, and the text switches to UCS-2.
    await text.pressSequentially(' ✓');
    await segments.filter({ hasText: 'UCS-2' }).filter({ hasText: '✓' }).waitFor();
    await text.press('Backspace');
    await text.press('Backspace');
    await segments.filter({ hasText: 'GSM-7' }).waitFor();

    const saved = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/v1/api/offices/${SLUG}`));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect((await saved).status()).toBe(200);
    await page
      .getByRole('status')
      .filter({ hasText: `Saved version ${before + 1}` })
      .waitFor();
    const newest = page.locator(`tr[data-version="${before + 1}"]`);
    await newest.waitFor();
    expect(await newest.textContent()).toContain('templates.sms.confirmation');
    expect(await newest.textContent()).toContain(admin);
    expect(await newest.textContent()).toContain('Oath Legal: your consultation is booked.');
    await shot('office');
  }, 60_000);

  it('lets staff change templates and hours only: senders and credentials are disabled, and there is no wizard', async () => {
    const staff = await aUser(app, 'staff', [SLUG]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(staff);
    const nav = page.getByRole('navigation', { name: 'Screens' });
    expect(await nav.getByRole('link', { name: 'Onboarding', exact: true }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Offices', exact: true }).click();
    await page.locator(`tr[data-office="${SLUG}"]`).getByRole('link').click();
    await page.getByRole('heading', { name: 'Oath Legal', level: 1 }).waitFor();
    expect(await page.getByLabel('Texts come from (phone)').isDisabled()).toBe(true);
    expect(await page.getByLabel('E-mails come from').isDisabled()).toBe(true);
    expect(await page.getByLabel('Office name', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('New Retell API key').isDisabled()).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Text message', exact: true }).isEnabled()).toBe(true);
    expect(await page.getByLabel('monday opens (range 1)').isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Roll back to this' }).count()).toBe(0);
    await shot('staff-office');
  }, 60_000);
});
