/**
 * "Unmarked after N hours counts as missed" (issue 19): a caller books through a whole signed Retell call, nobody marks
 * the appointment, and N hours after its end the office's recurring sweep (an outbox row per office, no timer) plans
 * one rebook text and e-mail with the next open slots, in the caller's language. Exactly once with two instances on
 * one database; nothing with the setting unset; a held mark before N takes the thank-you path; a later staff mark never
 * rebooks twice; quiet hours and opt-outs as for every follow-up. Test clock, both databases, the Twilio and SMTP
 * emulators.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/config/client-schema.js';
import { setConsent } from '../../src/customers/consent.js';
import { MISSED_SWEEP_KIND, sweepMissedAppointments } from '../../src/messaging/missed-sweep.js';
import { simulateCall, type Scenario } from '../../src/sandbox/call-simulator.js';
import { aUser, signIn } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { CLIENT, aCustomer, anAppointment, drain, messageRows, template, useMessagingApp, type MessagingApp } from './support.js';

type AfterAppointment = ClientConfig['followUps']['afterAppointment'];

/** What the office document would say, set on one instance's registry (as a reload after an edit does). */
async function withAfterAppointment(app: TestApp, settings: Partial<AfterAppointment>) {
  const runtime = app.context.clients.get(CLIENT)!;
  const current = runtime.config.followUps;
  await app.context.clients.set({
    ...runtime,
    config: { ...runtime.config, followUps: { ...current, afterAppointment: { ...current.afterAppointment, ...settings } } },
  });
}

const SWEEP_ON: Partial<AfterAppointment> = { rebook: true, rebookSlots: 2, unmarkedMissedAfterHours: 3 };
const SHORT_EN = String.raw`\w{3} \d{1,2}\/\d{1,2} \d{1,2}:\d{2} [AP]M`;

describe.each(BACKENDS)('unmarked after N hours counts as missed, on %s', (kind) => {
  let parts!: MessagingApp;
  useMessagingApp(kind, (started) => (parts = started));
  afterEach(async () => {
    await parts.database.db.deleteFrom('sessions').execute();
    await parts.database.db.deleteFrom('users').execute();
  });

  /** A whole call in which the caller books (Wednesday 4 March, 09:00–10:00 New York); its messages sent. */
  async function aBookingCall(phone: string, email: string, scenario: Scenario = 'new-caller-books', app: TestApp = parts.app) {
    const call = await simulateCall({ baseUrl: app.url!, client: CLIENT, from: phone, scenario, callerEmail: email, startAt: parts.clock.now() });
    expect(call.problems).toEqual([]);
    await app.applyCallEvents();
    await drain(app);
    const appointment = await parts.database.db.selectFrom('appointments').selectAll().where('caller_phone', '=', phone).executeTakeFirstOrThrow();
    expect([appointment.start_at.toISOString(), appointment.end_at.toISOString()]).toEqual(['2026-03-04T14:00:00.000Z', '2026-03-04T15:00:00.000Z']);
    return appointment;
  }
  const rebookTexts = (phone: string) =>
    parts.app.context
      .sandbox!.twilio.messagesTo(phone)
      .filter((message) => /We missed you|no pudimos verle/.test(message.body))
      .map((message) => message.body);
  const rebookMails = (email: string) =>
    parts.app.context.sandbox!.smtp.messagesTo(email).filter((mail) => mail.text?.includes('We missed you') || mail.text?.includes('No pudimos verle'));
  const offers = (appointmentId: number) =>
    parts.database.db
      .selectFrom('outbox')
      .select(['status', 'payload', 'last_error'])
      .where('kind', '=', 'rebook_offer')
      .where('appointment_id', '=', appointmentId)
      .execute();
  /** Signed in afresh: a session from days ago on the test clock has expired. */
  async function mark(id: number, attendance: 'attended' | 'no_show' | null, app: TestApp = parts.app) {
    const staff = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    return staff.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance });
  }
  /** Moves the clock and lets every instance's worker run what is due (the sender's one-per-second turns included). */
  async function at(iso: string, instances: TestApp[] = [parts.app]) {
    parts.clock.set(iso);
    await Promise.all(instances.map((instance) => drain(instance)));
    parts.clock.advance(1_000);
    await Promise.all(instances.map((instance) => drain(instance)));
  }

  it('book, then end + N hours pass unmarked: one rebook text and e-mail with the next open slots, once across two instances; a later mark rebooks nothing more', async () => {
    const { clock, database } = parts;
    // Two instances on one database, with the key that seals tokens at rest shared (as in any real deployment).
    const env = { SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64') };
    // The demo connects Zoho to the first instance's emulator, sealed with the shared key, and the second keeps that
    // connection (the suite's own app sealed the one before with a key of its own). Each instance sends through its
    // own Twilio and SMTP emulators: what both received is counted.
    await database.db.deleteFrom('oauth_connections').where('client_id', '=', CLIENT).execute();
    const instances = [await startTestApp(kind, { database, clock, env }), await startTestApp(kind, { database, clock, env })];
    const [first, second] = instances as [TestApp, TestApp];
    const textsTo = (phone: string, words: RegExp) =>
      instances
        .flatMap((instance) => instance.context.sandbox!.twilio.messagesTo(phone))
        .map((message) => message.body)
        .filter((body) => words.test(body));
    const mailsTo = (email: string) =>
      instances.flatMap((instance) => instance.context.sandbox!.smtp.messagesTo(email)).filter((mail) => mail.text?.includes('We missed you'));
    try {
      for (const instance of instances) {
        instance.context.alerts = parts.app.context.alerts;
        await withAfterAppointment(instance, { ...SWEEP_ON, thankYou: true });
      }
      // Both instances planned the office's next sweep (the next full hour); the dedupe key keeps one row.
      const sweeps = await database.db.selectFrom('outbox').select(['run_at', 'status']).where('kind', '=', MISSED_SWEEP_KIND).execute();
      expect(sweeps.map((row) => [row.run_at.toISOString(), row.status])).toEqual([['2026-03-02T16:00:00.000Z', 'scheduled']]);

      const phone = '+12125550181';
      const email = 'jordan.rivera@example.com';
      const appointment = await aBookingCall(phone, email, 'new-caller-books', first);

      // The appointment ended at 15:00 UTC (10:00 New York); one minute before end + 3 hours, nothing yet (the sweeps
      // ran hourly). End + 3 hours is 13:00 in New York, when the office is open again after lunch (marketing waits).
      await at('2026-03-04T17:59:00Z', instances);
      expect(await offers(appointment.id)).toEqual([]);

      // At end + 3 hours both instances sweep at the same moment, by hand and through their workers.
      clock.set('2026-03-04T18:00:00Z');
      const found = await Promise.all(instances.map((instance) => sweepMissedAppointments(instance.context, CLIENT, 3 * 3_600_000, clock.now())));
      expect(found.map((answer) => answer.found).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);
      await at('2026-03-04T18:00:00Z', instances);
      expect((await offers(appointment.id)).map((row) => [row.status, (row.payload as { mark: string }).mark, row.last_error])).toEqual([
        ['done', 'unmarked', null],
      ]);
      const texts = textsTo(phone, /We missed you/);
      expect(texts).toHaveLength(1);
      expect(texts[0]).toMatch(new RegExp(`Open times: ${SHORT_EN}, ${SHORT_EN}\\.`));
      const mails = mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toContain("Let's find you a new time");
      expect(mails[0]!.text).toMatch(new RegExp(`These times are open: ${SHORT_EN}, ${SHORT_EN}\\.`));

      // The chain goes on: exactly one sweep planned, at the next full hour.
      const planned = await database.db.selectFrom('outbox').select('run_at').where('kind', '=', MISSED_SWEEP_KIND).where('status', '=', 'scheduled').execute();
      expect(planned.map((row) => row.run_at.toISOString())).toEqual(['2026-03-04T19:00:00.000Z']);

      // Staff mark it no-show the next morning, then correct it to held: no second rebook either way.
      clock.set('2026-03-05T14:00:00Z');
      expect((await mark(appointment.id, 'no_show', first)).status).toBe(200);
      await at('2026-03-05T14:00:00Z', instances);
      expect(await offers(appointment.id)).toHaveLength(1);
      expect((await mark(appointment.id, 'attended', second)).status).toBe(200);
      await at('2026-03-05T15:00:00Z', instances);
      await at('2026-03-05T16:00:00Z', instances);
      expect(textsTo(phone, /We missed you/)).toHaveLength(1);
      expect(mailsTo(email)).toHaveLength(1);
      expect(textsTo(phone, /Thanks for coming in/)).toHaveLength(1);
    } finally {
      for (const instance of instances) await instance.close();
    }
  });

  it('with N unset, an unmarked appointment gets nothing: no sweep, no offer, no text', async () => {
    const { app, database } = parts;
    await withAfterAppointment(app, { rebook: true });
    const phone = '+12125550182';
    const appointment = await aBookingCall(phone, 'unset@example.com');
    await at('2026-03-05T17:00:00Z');
    expect(await database.db.selectFrom('outbox').select('id').where('kind', '=', MISSED_SWEEP_KIND).execute()).toEqual([]);
    expect(await offers(appointment.id)).toEqual([]);
    expect(rebookTexts(phone)).toEqual([]);
  });

  it('marked held before N hours: the thank-you path, no rebook', async () => {
    const { app } = parts;
    await withAfterAppointment(app, { ...SWEEP_ON, thankYou: true, delayMinutes: 30 });
    const phone = '+12125550183';
    const email = 'held@example.com';
    const appointment = await aBookingCall(phone, email);
    parts.clock.set('2026-03-04T15:10:00Z');
    expect((await mark(appointment.id, 'attended')).status).toBe(200);
    await at('2026-03-04T15:40:00Z');
    await at('2026-03-04T18:00:00Z');
    await at('2026-03-04T20:00:00Z');
    expect(app.context.sandbox!.twilio.messagesTo(phone).filter((message) => message.body.includes('Thanks for coming in today'))).toHaveLength(1);
    expect(await offers(appointment.id)).toEqual([]);
    expect(rebookTexts(phone)).toEqual([]);
    expect(rebookMails(email)).toEqual([]);
  });

  it('a Spanish caller gets the rebook in Spanish, the open slots in Spanish short form too', async () => {
    const { app } = parts;
    await withAfterAppointment(app, SWEEP_ON);
    const phone = '+12125550184';
    const email = 'carmen.sweep@example.com';
    await aBookingCall(phone, email, 'new-caller-books-es');
    await at('2026-03-04T18:00:00Z');
    const [text, ...more] = rebookTexts(phone);
    expect(more).toEqual([]);
    // "mié 4/3 13:00": Spanish weekday, day/month, 24-hour clock; never the English "Wed 3/4 1:00 PM".
    const shortEs = String.raw`mié \d{1,2}\/3 \d{1,2}:\d{2}`;
    expect(text).toMatch(new RegExp(`Horas libres: ${shortEs}, ${shortEs}\\.`));
    expect(text).not.toMatch(/[AP]M|Wed/);
    const [mail] = rebookMails(email);
    expect(mail!.text).toMatch(new RegExp(`Estas horas están libres: ${shortEs}, ${shortEs}\\.`));
  });

  it('quiet hours and opt-outs as for every follow-up: a miss falling due at night waits for business hours, an opted-out number gets no text; a mark before it goes keeps or cancels it', async () => {
    const { app, database } = parts;
    await withAfterAppointment(app, { ...SWEEP_ON, unmarkedMissedAfterHours: 3 });
    // 17:00–18:00 New York on Monday 2 March: due at 21:00, after business hours.
    const late = await anAppointment(database.db, {
      customerId: await aCustomer(database.db, { phone: '+12125550185', email: 'late@example.com' }),
      startAt: new Date('2026-03-02T22:00:00Z'),
    });
    const optedOutPhone = '+12125550186';
    const optedOut = await anAppointment(database.db, {
      customerId: await aCustomer(database.db, { phone: optedOutPhone, email: 'optedout@example.com' }),
      startAt: new Date('2026-03-02T22:00:00Z'),
    });
    await setConsent(database.db, app.context, {
      clientId: CLIENT,
      channel: 'sms',
      address: optedOutPhone,
      purpose: 'all',
      status: 'opted_out',
      source: 'staff',
    });

    await at('2026-03-03T02:00:00Z');
    const rows = (await messageRows(app)).filter((row) => template(row) === 'rebook');
    // Marketing within business hours: Tuesday 09:00 New York.
    expect(
      rows
        .filter((row) => row.appointment_id === late)
        .map((row) => [row.kind, row.status, row.run_at.toISOString()])
        .sort(),
    ).toEqual([
      ['email', 'scheduled', '2026-03-03T14:00:00.000Z'],
      ['sms', 'scheduled', '2026-03-03T14:00:00.000Z'],
    ]);
    expect(rows.filter((row) => row.appointment_id === optedOut).map((row) => row.kind)).toEqual(['email']);

    // Before they go, staff confirm the first miss (the waiting rebook stays the only one) and mark the second held
    // after all (its waiting rebook is cancelled).
    parts.clock.set('2026-03-03T12:00:00Z');
    expect((await mark(late, 'no_show')).status).toBe(200);
    expect((await mark(optedOut, 'attended')).status).toBe(200);
    await at('2026-03-03T14:00:00Z');
    await at('2026-03-03T14:00:02Z');
    expect(rebookTexts('+12125550185')).toHaveLength(1);
    expect(rebookMails('late@example.com')).toHaveLength(1);
    expect(await offers(late)).toHaveLength(1);
    expect(rebookTexts(optedOutPhone)).toEqual([]);
    expect(rebookMails('optedout@example.com')).toEqual([]);
    const cancelled = (await messageRows(app)).filter((row) => row.appointment_id === optedOut && template(row) === 'rebook');
    expect(cancelled.map((row) => row.status)).toEqual(['cancelled']);
  });
});
