/**
 * Follow-up sequences an office turns on (issue 19): missed-call text-back through whole signed Retell calls, and
 * after the appointment (booked by a whole call, or built) through the dashboard's attendance route (attended → thank-you + review request; no-show →
 * rebook with the next open slots; a changed mark cancels what the old one planned). Test clock, both databases,
 * the Twilio and SMTP emulators.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/config/client-schema.js';
import { setConsent } from '../../src/customers/consent.js';
import { simulateCall } from '../../src/sandbox/call-simulator.js';
import { aUser, signIn, type Api } from '../dashboard/support.js';
import { anEndedCall, aCallId, signedPost, webhookPath } from '../retell/support.js';
import type { TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { CLIENT, aCustomer, anAppointment, drain, messageRows, template, useMessagingApp, type MessagingApp } from './support.js';

const REVIEW_URL = 'https://g.page/r/smart-tax-nation/review';

async function withFollowUps(
  app: TestApp,
  followUps: Partial<{
    missedCall: Partial<ClientConfig['followUps']['missedCall']>;
    afterAppointment: Partial<ClientConfig['followUps']['afterAppointment']>;
  }>,
) {
  const runtime = app.context.clients.get(CLIENT)!;
  const current = runtime.config.followUps;
  await app.context.clients.set({
    ...runtime,
    config: {
      ...runtime.config,
      followUps: {
        missedCall: { ...current.missedCall, ...followUps.missedCall },
        afterAppointment: { ...current.afterAppointment, ...followUps.afterAppointment },
      },
    },
  });
}

describe.each(BACKENDS)('missed-call text-back on %s', (kind) => {
  let parts!: MessagingApp;
  useMessagingApp(kind, (started) => (parts = started));

  /** A whole call, signed as Retell signs it, ended at the clock's now; the stored events are applied. */
  async function aCallFrom(phone: string, call: Record<string, unknown>): Promise<string> {
    const callId = aCallId();
    const now = parts.clock.now().getTime();
    const ended: Record<string, unknown> = anEndedCall({
      call_id: callId,
      from_number: phone,
      start_timestamp: now - Number(call.duration_ms ?? 0),
      end_timestamp: now,
      ...call,
    });
    const answer = await signedPost(parts.app.url!, webhookPath(), { event: 'call_ended', call: ended });
    expect(answer.status).toBe(200);
    await parts.app.applyCallEvents();
    return callId;
  }
  const textsBack = (phone: string) =>
    parts.app.context.sandbox!.twilio.messagesTo(phone).filter((message) => message.body.includes('Sorry we missed your call'));

  it('texts a caller who hung up early at once, once per number per office day, never an opted-out number', async () => {
    const { app, clock, database } = parts;
    await withFollowUps(app, { missedCall: { enabled: true } });
    const caller = '+12125550161';
    const calledAt = clock.now().toISOString();
    // Hung up after 6 seconds: the call outcome's "abandoned", no conversation.
    const first = await aCallFrom(caller, { duration_ms: 6_000, disconnection_reason: 'user_hangup', transcript: '', transcript_object: [] });
    expect((await database.db.selectFrom('calls').select('outcome').where('id', '=', first).executeTakeFirstOrThrow()).outcome).toBe('abandoned');
    await drain(app);
    expect(textsBack(caller)).toHaveLength(1);
    const row = (await messageRows(app)).find((candidate) => template(candidate) === 'missed_call')!;
    expect(row).toMatchObject({ status: 'done', call_id: first });
    const attempts = await database.db.selectFrom('outbox_attempts').select(['outcome', 'started_at']).where('outbox_id', '=', row.id).execute();
    expect(attempts.map((attempt) => [attempt.outcome, attempt.started_at.toISOString()])).toEqual([['ok', calledAt]]);
    expect(textsBack(caller)[0]!.body).toContain('Reply STOP to opt out');

    // Voicemail two hours later, same New York day: nothing more.
    clock.advance(2 * 3_600_000);
    await aCallFrom(caller, { duration_ms: 30_000, disconnection_reason: 'voicemail_reached' });
    await drain(app);
    expect(textsBack(caller)).toHaveLength(1);

    // The next office day it may go again.
    clock.set('2026-03-03T15:00:00Z');
    await aCallFrom(caller, { duration_ms: 4_000, disconnection_reason: 'dial_no_answer', transcript: '', transcript_object: [] });
    await drain(app);
    // The first call's Day 1 nurture is due this morning too, and took the sender's turn: the text-back goes a second later.
    clock.advance(1_000);
    await drain(app);
    expect(textsBack(caller)).toHaveLength(2);

    // A conversation is not a missed call.
    const talker = '+12125550162';
    await aCallFrom(talker, { duration_ms: 95_000, disconnection_reason: 'user_hangup' });
    await drain(app);
    expect(textsBack(talker)).toHaveLength(0);

    // An opted-out number gets nothing, not even a planned row.
    const optedOut = '+12125550163';
    await setConsent(database.db, app.context, { clientId: CLIENT, channel: 'sms', address: optedOut, purpose: 'all', status: 'opted_out', source: 'staff' });
    await aCallFrom(optedOut, { duration_ms: 5_000, disconnection_reason: 'user_hangup', transcript: '', transcript_object: [] });
    await drain(app);
    expect(textsBack(optedOut)).toHaveLength(0);
    expect(
      (await messageRows(app)).filter((candidate) => template(candidate) === 'missed_call' && (candidate.payload as { to: string }).to === optedOut),
    ).toHaveLength(0);
  });
});

describe.each(BACKENDS)('after the appointment on %s', (kind) => {
  let parts!: MessagingApp;
  let staff!: Api;
  useMessagingApp(kind, (started) => (parts = started));
  beforeEach(async () => {
    staff = await signIn(parts.app, await aUser(parts.app, 'staff', [CLIENT]));
  });
  afterEach(async () => {
    await parts.database.db.deleteFrom('sessions').execute();
    await parts.database.db.deleteFrom('users').execute();
  });

  async function aPastAppointment(phone: string, email: string) {
    const customerId = await aCustomer(parts.database.db, { phone, email, name: 'Dana Smith' });
    // Started an hour ago (10:00 New York, Monday 2 March).
    const appointmentId = await anAppointment(parts.database.db, { customerId, startAt: new Date(parts.clock.now().getTime() - 3_600_000) });
    return { customerId, appointmentId };
  }
  const mark = (id: number, attendance: 'attended' | 'no_show' | null) => staff.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance });

  it('attended: a thank-you and a review request with the review link, by text and e-mail, after the delay', async () => {
    const { app, clock } = parts;
    await withFollowUps(app, { afterAppointment: { thankYou: true, reviewRequest: true, reviewUrl: REVIEW_URL, delayMinutes: 60 } });
    const phone = '+12125550171';
    const email = 'reviewer@example.com';
    const { appointmentId } = await aPastAppointment(phone, email);
    const marked = await mark(appointmentId, 'attended');
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    const planned = (await messageRows(app)).filter((row) => row.appointment_id === appointmentId);
    expect(planned.map((row) => [template(row), row.kind, row.status, row.run_at.toISOString()]).sort()).toEqual([
      ['review_request', 'email', 'scheduled', '2026-03-02T16:00:00.000Z'],
      ['review_request', 'sms', 'scheduled', '2026-03-02T16:00:00.000Z'],
      ['thank_you', 'email', 'scheduled', '2026-03-02T16:00:00.000Z'],
      ['thank_you', 'sms', 'scheduled', '2026-03-02T16:00:00.000Z'],
    ]);
    clock.advance(60 * 60_000);
    await drain(app);
    clock.advance(1_000); // the sender's one-per-second turn for the second text
    await drain(app);
    const texts = app.context.sandbox!.twilio.messagesTo(phone).map((message) => message.body);
    expect(texts).toHaveLength(2);
    expect(texts.find((body) => body.includes('Leave us a review'))).toContain(REVIEW_URL);
    expect(texts.find((body) => body.includes('Thanks for coming in today'))).toBeDefined();
    const mails = app.context.sandbox!.smtp.messagesTo(email);
    expect(mails).toHaveLength(2);
    const review = mails.find((mail) => mail.text?.includes(REVIEW_URL));
    expect(review!.listUnsubscribe).toMatch(/unsubscribe/);
    // The thank-you is transactional: no unsubscribe header.
    const thanks = mails.find((mail) => mail !== review);
    expect(thanks!.text).toContain('Thank you for coming in');
    expect(thanks!.listUnsubscribe).toBeFalsy();
  });

  it('no-show: a rebook text and e-mail naming the next open slots; changing the mark cancels what the old one planned', async () => {
    const { app } = parts;
    await withFollowUps(app, {
      afterAppointment: { thankYou: true, reviewRequest: true, reviewUrl: REVIEW_URL, delayMinutes: 60, rebook: true, rebookSlots: 2 },
    });
    const phone = '+12125550172';
    const email = 'missed@example.com';
    const { appointmentId } = await aPastAppointment(phone, email);
    // Marked attended by mistake, then corrected: the thank-you and review request never go.
    expect((await mark(appointmentId, 'attended')).status).toBe(200);
    expect((await mark(appointmentId, 'no_show')).status).toBe(200);
    await drain(app);
    parts.clock.advance(1_000);
    await drain(app);
    const rows = (await messageRows(app)).filter((row) => row.appointment_id === appointmentId);
    expect(rows.filter((row) => ['thank_you', 'review_request'].includes(template(row))).map((row) => row.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    const rebookText = app.context.sandbox!.twilio.messagesTo(phone).map((message) => message.body);
    expect(rebookText).toHaveLength(1);
    expect(rebookText[0]).toContain('We missed you today');
    // Two open times from the booking availability, in the office's short format ("Tue 3/3 10:00 AM").
    expect(rebookText[0]).toMatch(/Open times: \w{3} \d{1,2}\/\d{1,2} \d{1,2}:\d{2} [AP]M, \w{3} \d{1,2}\/\d{1,2} \d{1,2}:\d{2} [AP]M\./);
    const [mail] = app.context.sandbox!.smtp.messagesTo(email);
    expect(mail!.subject).toContain("Let's find you a new time");

    // Clearing the mark before a planned rebook went cancels it too.
    const second = await aPastAppointment('+12125550173', 'second@example.com');
    expect((await mark(second.appointmentId, 'no_show')).status).toBe(200);
    expect((await mark(second.appointmentId, null)).status).toBe(200);
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo('+12125550173')).toHaveLength(0);
    const offer = await parts.database.db
      .selectFrom('outbox')
      .select('status')
      .where('kind', '=', 'rebook_offer')
      .where('appointment_id', '=', second.appointmentId)
      .executeTakeFirstOrThrow();
    expect(offer.status).toBe('cancelled');
  });

  it('whole calls: a caller who books and is marked held gets the thank-you and review request; one marked no-show gets the rebook', async () => {
    const { app, clock, database } = parts;
    await withFollowUps(app, {
      afterAppointment: { thankYou: true, reviewRequest: true, reviewUrl: REVIEW_URL, delayMinutes: 30, rebook: true, rebookSlots: 2 },
    });
    /** A whole signed call in which the caller books (Wednesday 4 March, New York); returns the appointment's id. */
    const bookedBy = async (phone: string, email: string) => {
      const call = await simulateCall({
        baseUrl: app.url!,
        client: CLIENT,
        from: phone,
        scenario: 'new-caller-books',
        callerEmail: email,
        startAt: clock.now(),
      });
      expect(call.problems).toEqual([]);
      await app.applyCallEvents();
      await drain(app);
      return (await database.db.selectFrom('appointments').select('id').where('caller_phone', '=', phone).executeTakeFirstOrThrow()).id;
    };
    const held = await bookedBy('+12125550174', 'held.caller@example.com');
    const missed = await bookedBy('+12125550175', 'missed.caller@example.com');
    // Wednesday 4 March, 13:30 New York: both appointments are over; staff sign in and mark them.
    clock.set('2026-03-04T18:30:00Z');
    const marker = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    expect((await marker.request('POST', `/v1/api/appointments/${held}/attendance`, { attendance: 'attended' })).status).toBe(200);
    expect((await marker.request('POST', `/v1/api/appointments/${missed}/attendance`, { attendance: 'no_show' })).status).toBe(200);
    await drain(app);
    clock.advance(30 * 60_000);
    await drain(app);
    clock.advance(1_000);
    await drain(app);
    const textsTo = (phone: string) => app.context.sandbox!.twilio.messagesTo(phone).map((message) => message.body);
    expect(textsTo('+12125550174').filter((body) => body.includes('Thanks for coming in today'))).toHaveLength(1);
    expect(textsTo('+12125550174').filter((body) => body.includes(REVIEW_URL))).toHaveLength(1);
    expect(textsTo('+12125550174').filter((body) => body.includes('We missed you'))).toEqual([]);
    expect(app.context.sandbox!.smtp.messagesTo('held.caller@example.com').filter((mail) => mail.text?.includes(REVIEW_URL))).toHaveLength(1);
    const rebook = textsTo('+12125550175').filter((body) => body.includes('We missed you'));
    expect(rebook).toHaveLength(1);
    expect(rebook[0]).toMatch(/Open times: \w{3} \d{1,2}\/\d{1,2} \d{1,2}:\d{2} [AP]M, \w{3} \d{1,2}\/\d{1,2} \d{1,2}:\d{2} [AP]M\./);
    expect(textsTo('+12125550175').filter((body) => body.includes(REVIEW_URL) || body.includes('Thanks for coming in'))).toEqual([]);
    expect(app.context.sandbox!.smtp.messagesTo('missed.caller@example.com').filter((mail) => mail.subject.includes("Let's find you a new time"))).toHaveLength(
      1,
    );
  });
});
