/**
 * The office form's bookable people (issue 20) in a real browser (Debian's Chromium) against the whole app on PGlite:
 * an admin opens the demo office with staff (Riverside Physio), adds a person with their own calendar, hours and
 * appointment types, renames another, saves through the office update route, reloads and sees them; the office books
 * with the new person at once (the demo connect made their calendar in the Google emulator). A bad entry shows the
 * server's validation problem beside its field, and removing a person saves too.
 * Screenshots: test-artifacts/screenshots/staff-editor-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { aUser } from '../dashboard/support.js';
import { signedPost } from '../retell/support.js';
import { launchChromium, screenshotPath, signIn, startBrowserTestApp } from './support.js';

const SLUG = 'riverside-physio';
const PRIYA_CALENDAR = 'riverside-priya@group.calendar.google.com';

describe('the office form edits bookable people in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startBrowserTestApp();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, app, await aUser(app, 'admin'));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  const people = () => page.getByRole('group', { name: 'Bookable people' });
  const person = (index: number) => people().locator(`fieldset[data-person="${index}"]`);
  const staffOf = () => app.context.clients.get(SLUG)!.config.staff;

  async function openOffice(): Promise<void> {
    await page.goto(`${app.url}/offices/${SLUG}`);
    await page.getByRole('heading', { name: 'Riverside Physio', level: 1 }).waitFor();
    await person(0).waitFor();
  }

  async function save(): Promise<number> {
    const saved = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/v1/api/offices/${SLUG}`));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    return (await saved).status();
  }

  it('lists the people, adds one with own calendar, hours and types, renames another, and sees both after a reload', async () => {
    await openOffice();
    expect(await people().locator('fieldset.person').count()).toBe(2);
    expect(await page.getByLabel('Person 1 name').inputValue()).toBe('Maya Chen');
    expect(await page.getByLabel('Person 2 calendar id').inputValue()).toBe('riverside-luis@group.calendar.google.com');
    // Luis keeps his own hours; Maya works the office's.
    expect(await page.getByLabel('Luis Ortega: monday opens (range 1)').inputValue()).toBe('10:00');
    expect(await page.getByLabel('Maya Chen: monday opens (range 1)').count()).toBe(0);

    await page.getByRole('button', { name: 'Add a bookable person' }).click();
    await page.getByLabel('Person 3 name').fill('Priya Shah');
    // The id follows the name until typed by hand.
    expect(await page.getByLabel('Person 3 id').inputValue()).toBe('priya-shah');
    await page.getByLabel('Person 3 calendar id').fill(PRIYA_CALENDAR);
    const priya = person(2);
    await priya.getByLabel(/^Own working hours/).check();
    await page.getByLabel('Priya Shah: friday opens (range 1)').fill('08:00');
    await priya.getByLabel('Takes every appointment type').uncheck();
    await priya.getByLabel('Initial assessment').uncheck();
    // Renaming keeps the id: booked appointments refer to it.
    await page.getByLabel('Person 2 name').fill('Luis Ortega Ruiz');
    expect(await page.getByLabel('Person 2 id').inputValue()).toBe('luis');
    await people().screenshot({ path: screenshotPath('staff-editor-added') });

    expect(await save()).toBe(200);
    await page.getByRole('status').filter({ hasText: 'Saved version' }).waitFor();
    await expect.poll(() => staffOf()?.people.length).toBe(3);
    expect(staffOf()!.people[1]).toMatchObject({ id: 'luis', name: 'Luis Ortega Ruiz' });
    expect(staffOf()!.people[2]).toMatchObject({ id: 'priya-shah', name: 'Priya Shah', calendarId: PRIYA_CALENDAR, appointmentTypes: ['follow-up'] });
    expect(staffOf()!.people[2]!.businessHours!.friday).toEqual([{ open: '08:00', close: '13:00' }]);

    await openOffice();
    expect(await people().locator('fieldset.person').count()).toBe(3);
    expect(await page.getByLabel('Person 3 name').inputValue()).toBe('Priya Shah');
    expect(await page.getByLabel('Person 3 calendar id').inputValue()).toBe(PRIYA_CALENDAR);
    expect(await page.getByLabel('Person 2 name').inputValue()).toBe('Luis Ortega Ruiz');
    expect(await person(2).getByLabel('Follow-up session').isChecked()).toBe(true);
    expect(await person(2).getByLabel('Initial assessment').isChecked()).toBe(false);
    expect(await page.getByLabel('Priya Shah: friday opens (range 1)').inputValue()).toBe('08:00');

    // The saved office books with her at once: the demo connect made her calendar in the Google emulator.
    await expect.poll(() => app.context.sandbox!.google.state.calendars.has(PRIYA_CALENDAR)).toBe(true);
    const answer = await signedPost(app.url!, `/v1/retell/${SLUG}/functions/check_calendar_availability`, {
      name: 'check_calendar_availability',
      args: { date: '2026-03-06', appointment_type: 'follow-up', staff: 'Priya' },
      call: {
        call_id: 'call_staff_editor_1',
        agent_id: 'agent_riverside_demo_0001',
        call_type: 'phone_call',
        direction: 'inbound',
        from_number: '+13125550187',
        to_number: '+13125550160',
        call_status: 'ongoing',
      },
    });
    const slots = (await answer.json()) as { ok: boolean; slots: Array<{ start: string; staff_name: string }> };
    expect(slots.ok).toBe(true);
    // Friday 6 March: the office opens at 7:30, Priya at 8:00.
    expect(slots.slots[0]).toMatchObject({ start: '2026-03-06T08:00:00-06:00', staff_name: 'Priya Shah' });
  }, 90_000);

  it('shows the validation problem beside a bad entry and saves nothing; removing a person saves', async () => {
    await openOffice();
    const before = structuredClone(staffOf());
    await page.getByRole('button', { name: 'Add a bookable person' }).click();
    // A second "Maya Chen" (callers pick people by name) without a calendar.
    await page.getByLabel('Person 4 name').fill('maya chen');
    expect(await save()).toBe(400);
    await people().locator('.field-problem[data-path="staff.people[3].name"]').filter({ hasText: 'duplicate name' }).waitFor();
    await people().locator('.field-problem[data-path="staff.people[3].calendarId"]').filter({ hasText: "needs the id of the person's own calendar" }).waitFor();
    await page.getByText('Not saved. Fix these:').waitFor();
    await people().screenshot({ path: screenshotPath('staff-editor-problem') });
    expect(staffOf()).toEqual(before);

    await page.getByRole('button', { name: 'Remove maya chen', exact: true }).click();
    await page.getByRole('button', { name: 'Remove Priya Shah', exact: true }).click();
    expect(await save()).toBe(200);
    await expect.poll(() => staffOf()?.people.map((entry) => entry.id)).toEqual(['maya', 'luis']);
    await openOffice();
    expect(await people().locator('fieldset.person').count()).toBe(2);
  }, 90_000);
});
