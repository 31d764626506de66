/**
 * Issue 9 "End to end": whole calls through a real `switchboard start` process (demo mode, every vendor emulated,
 * the test clock moving days in seconds). The scenarios live in e2e-scenarios.ts; this file asserts on what a
 * caller, the office and its vendors would see.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eServer, type E2eServer } from './e2e-support.js';
import { DAY_START, PEOPLE, SPOKEN_SSN, playGoLiveDay, type GoLiveDay, type TwilioMessage } from './e2e-scenarios.js';

const ZONE = 'America/New_York';
const localTime = (date: string) => DateTime.fromJSDate(new Date(date), { zone: ZONE });
const nurtureTexts = (texts: TwilioMessage[] = []) => texts.filter((text) => text.body.includes('Thanks for calling') || text.body.includes('spots fill up'));

describe('go-live day through a real server process (PGlite, every vendor emulated, test clock)', () => {
  let server: E2eServer;
  let day: GoLiveDay;

  beforeAll(async () => {
    server = await startE2eServer('pglite', DAY_START);
    day = await playGoLiveDay(server);
    mkdirSync('test-artifacts/golive', { recursive: true });
    writeFileSync('test-artifacts/golive/e2e-record.json', JSON.stringify(day, null, 2));
    writeFileSync('test-artifacts/golive/e2e-server.log', server.process.output());
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('a new caller books: one Zoho event, confirmation text and e-mail, reminders planned, lead and note in the CRM, the dashboard shows it', () => {
    const { booking } = day;
    expect(booking.inbound.body.call_inbound.dynamic_variables.is_returning_caller).toBe('false');
    expect(booking.booking.body).toMatchObject({ ok: true, start: '2026-03-04T09:00:00-05:00' });

    const ours = booking.events.filter((event) => event.description?.includes(`Switchboard-Booking: ${booking.booking.body.booking_id}`));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ start: '2026-03-04T14:00:00.000Z', title: 'Individual tax return: Jordan Rivera' });

    expect(booking.texts.map((text) => text.body)).toEqual([expect.stringContaining("Hi Jordan, you're booked for Individual tax return on Wed 3/4 9:00 AM")]);
    expect(booking.emails.map((email) => email.subject)).toEqual(['Your Individual tax return with Smart Tax Nation is confirmed']);

    const messages = booking.call.body.messages as Array<{ channel: string; template: string; status: string; runAt: string }>;
    const reminders = messages.filter((message) => message.template.startsWith('reminder_'));
    expect(reminders.map((message) => [message.channel, message.template, message.status, message.runAt]).sort()).toEqual(
      [
        ['email', 'reminder_1h', 'scheduled', '2026-03-04T13:00:00.000Z'],
        ['email', 'reminder_24h', 'scheduled', '2026-03-03T14:00:00.000Z'],
        ['sms', 'reminder_1h', 'scheduled', '2026-03-04T13:00:00.000Z'],
        ['sms', 'reminder_24h', 'scheduled', '2026-03-03T14:00:00.000Z'],
      ].sort(),
    );

    const lead = booking.leads.find((candidate) => candidate.Phone === PEOPLE.jordan.phone);
    expect(lead).toMatchObject({
      First_Name: 'Jordan',
      Last_Name: 'Rivera',
      Email: PEOPLE.jordan.email,
      Lead_Status: 'Pre-Qualified',
      Appointment_Date_Time: '2026-03-04T09:00:00-05:00',
    });
    expect(lead.notes).toHaveLength(1);
    expect(lead.notes[0].Note_Content).toContain(`Switchboard call: ${booking.callId}`);

    expect(booking.call.body.call).toMatchObject({ outcome: 'booked', status: 'analyzed', callerName: 'Jordan Rivera' });
    expect(booking.call.body.call.transcript).not.toContain(SPOKEN_SSN);
    expect(booking.call.body.crm.notes).toEqual([expect.objectContaining({ purpose: 'call', leadId: lead.id })]);
    const wednesday = booking.appointments.body.days.find((entry: { date: string }) => entry.date === '2026-03-04');
    expect(wednesday.appointments).toEqual([expect.objectContaining({ status: 'booked' })]);
  });

  it('the caller calls back, is recognised, and moves the appointment: Zoho follows, reminders are re-planned', () => {
    const { reschedule } = day;
    expect(reschedule.inbound.body.call_inbound.dynamic_variables).toMatchObject({
      is_returning_caller: 'true',
      customer_name: 'Jordan Rivera',
      upcoming_appointment: 'Wednesday, March 4 at 9:00 AM',
    });
    expect(reschedule.reschedule.body).toMatchObject({ ok: true, start: '2026-03-05T09:00:00-05:00' });
    expect(reschedule.events.map((event) => event.start)).toEqual(['2026-03-05T14:00:00.000Z']);
    expect(reschedule.texts.at(-1)?.body).toContain('Your Individual tax return moved to Thu 3/5 9:00 AM');
    const state = (template: string, status: string) =>
      reschedule.appointmentMessages
        .filter((message) => message.template === template && message.status === status)
        .map((message) => message.runAt)
        .sort();
    expect(state('reminder_24h', 'cancelled')).toEqual(['2026-03-03T14:00:00.000Z', '2026-03-03T14:00:00.000Z']);
    expect(state('reminder_24h', 'scheduled')).toEqual(['2026-03-04T14:00:00.000Z', '2026-03-04T14:00:00.000Z']);
    expect(state('reminder_1h', 'scheduled')).toEqual(['2026-03-05T13:00:00.000Z', '2026-03-05T13:00:00.000Z']);
  });

  it('a caller who says "stop texting me" is opted out of texts and gets no nurture', () => {
    const { voiceOptOut } = day;
    expect(voiceOptOut.problems).toEqual([]);
    expect(voiceOptOut.call.body.call.outcome).toBe('opted_out');
    expect(voiceOptOut.customer.body.consents.sms).toMatchObject({ marketing: 'opted_out', transactional: 'opted_out' });
    expect(voiceOptOut.messages).toEqual([]);
  });

  it('a STOP by text cancels the pending text reminder at once; the e-mail reminder still arrives', () => {
    const { nurture } = day;
    expect(nurture.stopAnswer.body).toContain("You're unsubscribed");
    expect(nurture.jordanTextsAtStop.at(-1)?.body).toContain('Reminder, Jordan: your Individual tax return is tomorrow');
    expect(nurture.jordanTextsAfter).toHaveLength(nurture.jordanTextsAtStop.length);
    const oneHour = nurture.jordanMessagesAfter.filter((message) => message.template === 'reminder_1h' && message.runAt === '2026-03-05T13:00:00.000Z');
    expect(oneHour.map((message) => [message.channel, message.status]).sort()).toEqual([
      ['email', 'sent'],
      ['sms', 'cancelled'],
    ]);
    expect(nurture.jordanEmailsAfter.map((email) => email.subject)).toContain('See you soon at Smart Tax Nation');
  });

  it('a caller who did not book gets Day 1 and Day 4 texts only inside the allowed hours', () => {
    const { checkpoints } = day.nurture;
    expect(nurtureTexts(checkpoints['Tue 20:35 EST'])).toEqual([]);
    expect(nurtureTexts(checkpoints['Wed 08:58 EST'])).toEqual([]);
    const dayOne = nurtureTexts(checkpoints['Wed 09:00 EST']);
    expect(dayOne.map((text) => text.body)).toEqual([expect.stringContaining('Thanks for calling')]);
    // Marketing keeps the office's business hours (Wednesday opens 09:00) inside the 08:00–21:00 window.
    expect(localTime(dayOne[0]!.date_created).toFormat('ccc HH:mm')).toBe('Wed 09:00');
    expect(nurtureTexts(checkpoints['Sat 09:58 EST'])).toHaveLength(1);
    const dayFour = nurtureTexts(checkpoints['Sat 10:00 EST']);
    expect(dayFour.map((text) => text.body)).toEqual([expect.stringContaining('Thanks for calling'), expect.stringContaining('spots fill up')]);
    expect(localTime(dayFour[1]!.date_created).toFormat('ccc HH:mm')).toBe('Sat 10:00');
  });

  it('Zoho Calendar down during a call: the agent hears the spoken fallback, staff get a callback task and one alert', () => {
    const { calendarDown } = day;
    expect(calendarDown.availability.status).toBe(200);
    expect(calendarDown.availability.body).toMatchObject({ ok: false, fallback: true, callback_task_id: expect.any(String) });
    expect(calendarDown.availability.body.message).toContain("I couldn't reach the calendar just now");
    expect(calendarDown.call.body.call.outcome).toBe('callback_requested');
    const alerts = calendarDown.errors.filter((error) => error.source === 'booking.calendar' && error.callId === calendarDown.callId);
    expect(alerts).toHaveLength(1);
    expect(calendarDown.slackTexts.filter((text) => text.includes('booking.calendar'))).toHaveLength(1);
  });

  it('Zoho CRM down: the sync goes dead after three attempts, alerts once, and a retry from the dashboard creates the lead', () => {
    const { crmDown } = day;
    expect(crmDown.deadLetter).toMatchObject({ kind: 'crm_sync', status: 'dead', attempts: 3 });
    expect(crmDown.errors.filter((error) => error.source === 'crm.sync')).toEqual([expect.objectContaining({ count: 1 })]);
    expect(crmDown.leadsWhileDown.map((lead) => lead.Phone)).not.toContain(PEOPLE.morgan.phone);
    expect(crmDown.retry.status).toBe(200);
    expect(crmDown.afterRetry.body.item.status).toBe('done');
    expect(crmDown.afterRetry.body.history.map((entry: { outcome: string }) => entry.outcome)).toEqual(['error', 'error', 'error', 'retried', 'ok']);
    const lead = crmDown.leadsAfter.find((candidate) => candidate.Phone === PEOPLE.morgan.phone);
    expect(lead?.notes.map((note: { Note_Content: string }) => note.Note_Content)).toEqual([expect.stringContaining(`Switchboard call: ${crmDown.callId}`)]);
  });
});
