/**
 * Vendor-outage drills (issue 9, "Faults"): each vendor answers every request with a failure for 10 simulated
 * minutes while calls, cancellations and alerts keep arriving, then recovers. The clock is a ManualClock moved in
 * 15-second steps with the outbox drained at each step (no sleeps). For every vendor:
 * - work queued during the outage drains after recovery: rows queued early exhaust the client's retry policy
 *   (3 attempts a minute apart; calendar changes 5) and go dead, and one retry from the dashboard API sends them;
 *   rows queued late in the outage are still being retried and finish by themselves;
 * - alerts fire once per fingerprint: one `errors` row each (repeats only raise its count), one Slack post and one
 *   e-mail to the office per row, no storm;
 * - nothing is duplicated: each text, e-mail, lead, note and calendar event exactly once at the emulators.
 * Alerts go out on both channels independently: while Slack is down the e-mail copy of every alert arrives (and
 * the reverse while the mail server is down); a dead alert delivery raises no alert of its own (that would loop).
 */
import { sign } from 'retell-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALENDAR_DOWN_BODY, INTERNAL_ERROR_BODY } from '../../src/sandbox/zoho/index.js';
import { BACKENDS } from '../support/databases.js';
import {
  AGENT,
  BOOKING_DAY,
  CALENDAR,
  CLIENT,
  MINUTE,
  OFFICE_LINE,
  alertEmails,
  attemptsOf,
  calendarEventsCreated,
  calendarEventsDeleted,
  caller,
  customerEmailsAccepted,
  duplicates,
  errorRows,
  leadsByPhone,
  notesFor,
  outage,
  outboxRows,
  placeCall,
  slackAlerts,
  startDrill,
  textsAccepted,
  walk,
  type Drill,
  type PlacedCall,
} from './outage-support.js';

const TWILIO_DOWN = {
  code: 20500,
  message: 'Service Unavailable',
  more_info: 'https://www.twilio.com/docs/errors/20500',
  status: 503,
};

describe.each(BACKENDS)('vendor outages on %s', (kind) => {
  let drill: Drill;

  beforeEach(async () => {
    drill = await startDrill(kind);
  }, 60_000);
  afterEach(async () => {
    await drill?.app.dispose();
  });

  const messageRows = async (kindName: 'sms' | 'email', template: string) =>
    (await outboxRows(drill, [kindName])).filter((row) => (row.payload as { template?: string }).template === template);
  const rowTo = <T extends { payload: unknown }>(rows: T[], to: string) => rows.find((row) => (row.payload as { to?: string }).to === to)!;

  /** Staff send a dead message again through the dashboard API. */
  const retryMessage = async (id: number) => {
    const answer = await drill.api.request('POST', `/v1/api/messages/${id}/retry`, {});
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  };
  /** Staff retry a dead letter (CRM sync, calendar change, alert) through the dashboard API. */
  const retryDeadLetter = async (id: number) => {
    const answer = await drill.api.request('POST', `/v1/api/outbox/${id}/retry`, {});
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  };
  const deadLetters = async () => (await drill.api.request('GET', `/v1/api/dead-letters?client=${CLIENT}`)).body.items as Array<{ id: number; kind: string }>;

  /** Each fingerprint once in the error log, and each alert row delivered once per channel — no storm. */
  async function expectOneAlertPerFingerprint(expected: Array<string | RegExp>) {
    const errors = await errorRows(drill);
    expect(errors).toHaveLength(expected.length);
    for (const pattern of expected) {
      expect(errors.filter((row) => (typeof pattern === 'string' ? row.fingerprint === pattern : pattern.test(row.fingerprint)))).toHaveLength(1);
    }
    expect(new Set(errors.map((row) => row.fingerprint)).size).toBe(errors.length);
    const alertRows = await outboxRows(drill, ['alert_slack', 'alert_email']);
    expect(alertRows.filter((row) => row.kind === 'alert_slack')).toHaveLength(errors.length);
    expect(alertRows.filter((row) => row.kind === 'alert_email')).toHaveLength(errors.length);
    expect(alertRows.every((row) => row.status === 'done')).toBe(true);
    expect(slackAlerts(drill)).toHaveLength(errors.length);
    expect(alertEmails(drill)).toHaveLength(errors.length);
    for (const error of errors) {
      const about = (text: string | undefined) => text?.includes(` in ${error.source}:`) || text?.includes(` in ${error.source} (seen`);
      expect(slackAlerts(drill).filter((message) => about(message.text))).toHaveLength(1);
      expect(alertEmails(drill).filter((message) => about(message.text))).toHaveLength(1);
    }
    return errors;
  }

  /** Every text, customer e-mail, calendar event, deletion and lead once at the emulators. */
  function expectNothingDuplicated(calls: PlacedCall[]) {
    expect(duplicates(textsAccepted(drill))).toEqual([]);
    expect(duplicates(customerEmailsAccepted(drill))).toEqual([]);
    expect(duplicates(calendarEventsCreated(drill))).toEqual([]);
    expect(duplicates(calendarEventsDeleted(drill))).toEqual([]);
    expect(duplicates(leadsByPhone(drill))).toEqual([]);
    for (const call of calls) expect(notesFor(drill, call.callId).length).toBeLessThanOrEqual(1);
  }

  function expectBooked(call: PlacedCall) {
    expect(call.statuses.every((status) => status === 200 || status === 204)).toBe(true);
    expect(call.booking?.ok, JSON.stringify(call.booking)).toBe(true);
  }

  it('Twilio down for 10 minutes: texts die and alert once, the late one drains itself, retried ones are sent once', async () => {
    const [a, b, c] = [caller(1), caller(2), caller(3)];
    const twilio = drill.sandbox.twilio;
    const calls: PlacedCall[] = [];
    await outage(
      drill,
      () =>
        twilio.faults.add({
          type: 'fail',
          match: '/Messages.json',
          method: 'POST',
          status: 503,
          body: TWILIO_DOWN,
        }),
      () => twilio.faults.clear(),
      async (minute) => {
        if (minute === 0) calls.push(await placeCall(drill, a), await placeCall(drill, b));
        if (minute === 8) calls.push(await placeCall(drill, c));
      },
    );
    calls.forEach(expectBooked);
    expect(twilio.emulator.received('/Messages.json', 'POST').filter((request) => request.status === 503).length).toBeGreaterThanOrEqual(8);
    await walk(drill, 3 * MINUTE);

    const confirmations = await messageRows('sms', 'confirmation');
    expect(confirmations).toHaveLength(3);
    const [rowA, rowB, rowC] = [rowTo(confirmations, a.phone), rowTo(confirmations, b.phone), rowTo(confirmations, c.phone)];
    expect([rowA.status, rowB.status]).toEqual(['dead', 'dead']);
    expect(await attemptsOf(drill, rowA.id)).toEqual(['error', 'error', 'error']);
    // Queued at minute 8: failed while Twilio was down, sent by its own retry after recovery.
    expect(rowC.status).toBe('done');
    expect((await attemptsOf(drill, rowC.id)).slice(-1)).toEqual(['ok']);
    expect(await attemptsOf(drill, rowC.id)).toContain('error');
    expect(twilio.messages.map((message) => message.to)).toEqual([c.phone]);

    const [alert] = await expectOneAlertPerFingerprint([`messaging.sms:gave_up:${CLIENT}`]);
    expect(alert!.count).toBe(2);
    expect(slackAlerts(drill)[0]!.text).toContain('gave up after 3 attempt(s)');
    expect(slackAlerts(drill)[0]!.text).not.toContain(a.phone);

    await retryMessage(rowA.id);
    await retryMessage(rowB.id);
    await walk(drill, MINUTE);
    expect((await outboxRows(drill, ['sms'])).filter((row) => row.status === 'dead')).toEqual([]);
    expect(await attemptsOf(drill, rowA.id)).toEqual(['error', 'error', 'error', 'retried', 'ok']);
    expect(twilio.messages.map((message) => message.to).sort()).toEqual([a.phone, b.phone, c.phone].sort());
    for (const who of [a, b, c]) {
      expect(twilio.messagesTo(who.phone)).toHaveLength(1);
      expect(twilio.messagesTo(who.phone)[0]!.body).toContain("you're booked");
      expect(drill.sandbox.smtp.messagesTo(who.email)).toHaveLength(1);
    }
    expect(leadsByPhone(drill).size).toBe(3);
    expect([...calendarEventsCreated(drill).values()]).toEqual([1, 1, 1]);
    await expectOneAlertPerFingerprint([`messaging.sms:gave_up:${CLIENT}`]);
    expectNothingDuplicated(calls);
  });

  it('the mail server down for 10 minutes: e-mails and the e-mail copy of the alert die, Slack still alerts, retries deliver once', async () => {
    const [a, b, c] = [caller(1), caller(2), caller(3)];
    const smtp = drill.sandbox.smtp;
    const calls: PlacedCall[] = [];
    await outage(
      drill,
      () => smtp.goDown(),
      () => smtp.restore(),
      async (minute) => {
        if (minute === 0) calls.push(await placeCall(drill, a), await placeCall(drill, b));
        if (minute === 8) calls.push(await placeCall(drill, c));
      },
    );
    calls.forEach(expectBooked);
    expect(smtp.refusals.length).toBeGreaterThanOrEqual(8);
    await walk(drill, 3 * MINUTE);

    const confirmations = await messageRows('email', 'confirmation');
    expect(confirmations).toHaveLength(3);
    const [rowA, rowB, rowC] = [rowTo(confirmations, a.email), rowTo(confirmations, b.email), rowTo(confirmations, c.email)];
    expect([rowA.status, rowB.status, rowC.status]).toEqual(['dead', 'dead', 'done']);
    expect(await attemptsOf(drill, rowB.id)).toEqual(['error', 'error', 'error']);
    expect(smtp.messages.map((message) => message.to)).toEqual([[c.email]]);

    // The alert about the dying e-mails reached Slack during the outage; its e-mail copy died with the server.
    const errors = await errorRows(drill);
    expect(errors.map((row) => [row.fingerprint, row.count])).toEqual([[`messaging.email:gave_up:${CLIENT}`, 2]]);
    expect(slackAlerts(drill)).toHaveLength(1);
    expect(slackAlerts(drill)[0]!.text).toContain('messaging.email');
    const [alertEmailRow] = (await outboxRows(drill, ['alert_email'])).filter((row) => row.status === 'dead');
    expect(alertEmailRow).toBeDefined();
    expect((await deadLetters()).map((item) => item.kind)).toEqual(['alert_email']);
    // The dead alert delivery raised nothing of its own.
    expect(await errorRows(drill)).toHaveLength(1);

    await retryMessage(rowA.id);
    await retryMessage(rowB.id);
    await retryDeadLetter(alertEmailRow!.id);
    await walk(drill, MINUTE);
    for (const who of [a, b, c]) {
      expect(smtp.messagesTo(who.email)).toHaveLength(1);
      expect(smtp.messagesTo(who.email)[0]!.subject).toContain('is confirmed');
      expect(drill.sandbox.twilio.messagesTo(who.phone)).toHaveLength(1);
    }
    expect(alertEmails(drill)[0]!.text).toContain('(seen 2 times)');
    await expectOneAlertPerFingerprint([`messaging.email:gave_up:${CLIENT}`]);
    expectNothingDuplicated(calls);
  });

  it('Slack down for 10 minutes: every alert still arrives by e-mail at once, Slack gets each one once after recovery', async () => {
    const slack = drill.sandbox.slack;
    const a = caller(1);
    const calls: PlacedCall[] = [];
    const forged = async (count: number) => {
      for (let i = 0; i < count; i += 1) {
        const raw = JSON.stringify({
          event: 'call_started',
          call: {
            call_id: `call_forged_${i}`,
            agent_id: AGENT,
            from_number: a.phone,
            to_number: OFFICE_LINE,
          },
        });
        const response = await fetch(`${drill.app.url}/v1/retell/${CLIENT}/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-retell-signature': await sign(raw, 'key_of_someone_else'),
          },
          body: raw,
        });
        expect(response.status).toBe(401);
      }
    };
    await outage(
      drill,
      () =>
        slack.faults.add({
          type: 'fail',
          match: '/services/',
          method: 'POST',
          status: 503,
          body: 'service_unavailable',
        }),
      () => slack.faults.clear(),
      async (minute) => {
        if (minute === 0) {
          await forged(5);
          calls.push(await placeCall(drill, a));
        }
        if (minute === 3) await forged(3);
        if (minute === 8) expect((await drill.api.request('POST', `/v1/api/connections/${CLIENT}/alert-test`, {})).status).toBe(200);
      },
    );
    calls.forEach(expectBooked);
    // E-mail carried both alerts during the outage.
    expect(alertEmails(drill)).toHaveLength(2);
    expect(
      alertEmails(drill)
        .map((message) => message.subject)
        .sort(),
    ).toEqual(['Switchboard alert for Smart Tax Nation: dashboard.alert_test', 'Switchboard alert for Smart Tax Nation: retell.signature']);
    await walk(drill, 3 * MINUTE);

    const errors = await errorRows(drill);
    const signature = errors.find((row) => row.fingerprint === `retell.signature:${CLIENT}`)!;
    expect(signature.count).toBe(8);
    const slackRows = await outboxRows(drill, ['alert_slack']);
    const signatureSlack = slackRows.find((row) => (row.payload as { errorId: number }).errorId === signature.id)!;
    expect(signatureSlack.status).toBe('dead');
    expect(await attemptsOf(drill, signatureSlack.id)).toEqual(['error', 'error', 'error']);
    // The alert-test (minute 8) was still being retried and reached Slack by itself after recovery.
    expect(slackRows.find((row) => row.id !== signatureSlack.id)!.status).toBe('done');
    expect(slack.messages.map((message) => message.text)).toEqual([expect.stringContaining('dashboard.alert_test')]);
    expect((await deadLetters()).map((item) => item.id)).toEqual([signatureSlack.id]);

    await retryDeadLetter(signatureSlack.id);
    await walk(drill, MINUTE);
    const fromSlack = slack.messages.find((message) => message.text?.includes('retell.signature'));
    expect(fromSlack?.text).toContain('(seen 8 times)');
    await expectOneAlertPerFingerprint([`retell.signature:${CLIENT}`, /^dashboard\.alert_test:/]);
    // Ordinary work never depended on Slack.
    expect(drill.sandbox.twilio.messagesTo(a.phone)).toHaveLength(1);
    expect(drill.sandbox.smtp.messagesTo(a.email)).toHaveLength(1);
    expectNothingDuplicated(calls);
  });

  it('Zoho CRM down for 10 minutes: syncs die with one alert, the late call syncs itself, retried syncs make one lead and one note each', async () => {
    const [a, b, c] = [caller(1), caller(2), caller(3)];
    const zoho = drill.sandbox.zoho;
    const calls: PlacedCall[] = [];
    await outage(
      drill,
      () =>
        zoho.emulator.faults.add({
          type: 'fail',
          match: '/crm/v8/',
          status: 500,
          body: INTERNAL_ERROR_BODY,
        }),
      () => zoho.emulator.faults.clear(),
      async (minute) => {
        if (minute === 0) calls.push(await placeCall(drill, a), await placeCall(drill, b));
        if (minute === 8) calls.push(await placeCall(drill, c));
      },
    );
    calls.forEach(expectBooked);
    expect(zoho.leads()).toEqual([]);
    await walk(drill, 3 * MINUTE);

    const syncs = await outboxRows(drill, ['crm_sync']);
    const ofCaller = (callId: string) => syncs.filter((row) => row.call_id === callId);
    const [callA, callB, callC] = calls as [PlacedCall, PlacedCall, PlacedCall];
    const early = [...ofCaller(callA.callId), ...ofCaller(callB.callId)];
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(early.every((row) => row.status === 'dead')).toBe(true);
    expect(await attemptsOf(drill, early[0]!.id)).toEqual(['error', 'error', 'error']);
    expect(ofCaller(callC.callId).length).toBeGreaterThanOrEqual(1);
    expect(ofCaller(callC.callId).every((row) => row.status === 'done')).toBe(true);
    expect([...leadsByPhone(drill).keys()]).toEqual([c.phone]);

    const [alert] = await expectOneAlertPerFingerprint([`crm.sync:${CLIENT}:INTERNAL_ERROR`]);
    expect(alert!.count).toBe(early.length);

    const dead = (await deadLetters()).filter((item) => item.kind === 'crm_sync');
    expect(dead.map((item) => item.id).sort()).toEqual(early.map((row) => row.id).sort());
    for (const item of dead) await retryDeadLetter(item.id);
    await walk(drill, MINUTE);
    expect((await outboxRows(drill, ['crm_sync'])).every((row) => row.status === 'done')).toBe(true);
    expect([...leadsByPhone(drill).entries()].sort()).toEqual([a, b, c].map((who) => [who.phone, 1]).sort());
    for (const call of calls) expect(notesFor(drill, call.callId)).toHaveLength(1);
    await expectOneAlertPerFingerprint([`crm.sync:${CLIENT}:INTERNAL_ERROR`]);
    expectNothingDuplicated(calls);
  });

  it('Zoho Calendar down for 10 minutes: callers get the fallback, cancellations reach Zoho once after recovery, two alerts', async () => {
    const [a, b, c, d, e] = [caller(1), caller(2), caller(3), caller(4), caller(5)];
    const zoho = drill.sandbox.zoho;
    // Three appointments booked before the outage.
    const calls: PlacedCall[] = [await placeCall(drill, a), await placeCall(drill, b), await placeCall(drill, c)];
    calls.forEach(expectBooked);
    await walk(drill, MINUTE);
    const eventsBefore = zoho.events(CALENDAR).filter((event) => event.start.startsWith(BOOKING_DAY));
    expect(eventsBefore).toHaveLength(3);
    const appointmentOf = (call: PlacedCall) =>
      drill.app.context.db.selectFrom('appointments').selectAll().where('booking_id', '=', call.booking.booking_id).executeTakeFirstOrThrow();
    const cancelFromDashboard = async (call: PlacedCall) => {
      const answer = await drill.api.request('POST', `/v1/api/appointments/${(await appointmentOf(call)).id}/cancel`, {});
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    };
    const fallbacks: PlacedCall[] = [];

    await outage(
      drill,
      () =>
        zoho.emulator.faults.add({
          type: 'fail',
          match: '/api/v1/',
          status: 500,
          body: CALENDAR_DOWN_BODY,
        }),
      () => zoho.emulator.faults.clear(),
      async (minute) => {
        if (minute === 0) {
          await cancelFromDashboard(calls[0]!);
          fallbacks.push(await placeCall(drill, d));
        }
        if (minute === 1) calls.push(await placeCall(drill, b, 'cancel'));
        if (minute === 2) {
          // Moving an appointment needs Zoho to check the new time: refused with a reason, nothing changes.
          const before = await appointmentOf(calls[2]!);
          const answer = await drill.api.request('POST', `/v1/api/appointments/${before.id}/reschedule`, { newStart: `${BOOKING_DAY}T18:00` });
          expect(answer.status).toBe(503);
          expect(answer.body).toMatchObject({ error: 'calendar_unavailable', message: expect.stringContaining('nothing was changed') });
          expect((await appointmentOf(calls[2]!)).start_at).toEqual(before.start_at);
        }
        if (minute === 4) fallbacks.push(await placeCall(drill, e));
        if (minute === 8) await cancelFromDashboard(calls[2]!);
      },
    );
    // Callers during the outage: an honest spoken fallback and a callback task, never a booking.
    for (const call of fallbacks) {
      expect(call.availability).toMatchObject({ ok: false, fallback: true });
      expect(call.booking).toBeUndefined();
    }
    expect(calls[3]!.cancel).toMatchObject({ ok: true });
    const tasks = await drill.app.context.db.selectFrom('callback_tasks').select(['phone']).execute();
    expect(tasks.map((task) => task.phone).sort()).toEqual([d.phone, e.phone].sort());
    // Nothing reached Zoho while it was down; the three events are still there.
    expect(zoho.events(CALENDAR).filter((event) => event.start.startsWith(BOOKING_DAY))).toHaveLength(3);
    await walk(drill, 3 * MINUTE);

    const syncs = await outboxRows(drill, ['booking_calendar_sync']);
    expect(syncs).toHaveLength(3);
    const [syncA, syncB, syncC] = [a, b, c].map((who) => syncs.find((row) => row.customer_id !== null && row.call_id === calls[who.n - 1]!.callId)!);
    expect([syncA!.status, syncB!.status, syncC!.status]).toEqual(['dead', 'dead', 'done']);
    expect(await attemptsOf(drill, syncA!.id)).toEqual(['error', 'error', 'error', 'error', 'error']);
    expect(
      zoho
        .events(CALENDAR)
        .map((event) => event.uid)
        .sort(),
    ).toEqual(
      eventsBefore
        .filter((event) => event.uid !== (syncC!.result as { deleted?: string }).deleted)
        .map((event) => event.uid)
        .sort(),
    );

    const errors = await expectOneAlertPerFingerprint([/^booking\.calendar:[A-Z_]+:smart-tax-nation$/, `booking.calendar_sync:gave_up:${CLIENT}`]);
    expect(errors.find((row) => row.source === 'booking.calendar')!.count).toBe(2);
    expect(errors.find((row) => row.source === 'booking.calendar_sync')!.count).toBe(2);

    const dead = (await deadLetters()).filter((item) => item.kind === 'booking_calendar_sync');
    expect(dead.map((item) => item.id).sort()).toEqual([syncA!.id, syncB!.id].sort());
    for (const item of dead) await retryDeadLetter(item.id);
    await walk(drill, MINUTE);
    expect(zoho.events(CALENDAR).filter((event) => event.start.startsWith(BOOKING_DAY))).toEqual([]);
    expect([...calendarEventsDeleted(drill).keys()].sort()).toEqual(eventsBefore.map((event) => event.uid).sort());
    expect([...calendarEventsCreated(drill).values()]).toEqual([1, 1, 1]);
    for (const who of [a, b, c]) {
      const texts = drill.sandbox.twilio.messagesTo(who.phone).map((message) => message.body);
      expect(texts).toHaveLength(2);
      expect(texts.filter((body) => body.includes('is cancelled'))).toHaveLength(1);
    }
    const stillBooked = await drill.app.context.db.selectFrom('appointments').select('id').where('status', '=', 'booked').execute();
    expect(stillBooked).toEqual([]);
    await expectOneAlertPerFingerprint([/^booking\.calendar:[A-Z_]+:smart-tax-nation$/, `booking.calendar_sync:gave_up:${CLIENT}`]);
    expectNothingDuplicated([...calls, ...fallbacks]);
  });
});
