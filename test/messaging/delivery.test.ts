import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import type { ManualClock } from '../../src/core/clock.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { editAndRetryMessage, listMessages } from '../../src/messaging/api.js';
import { outboxHistory } from '../../src/outbox/manage.js';
import type { TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCustomer, anAppointment, drain, messageRows, planAppointment, template, useMessagingApp } from './support.js';

const MINUTE = 60_000;
const PHONE = '+12125550123';

describe.each(BACKENDS)('sending, retries and delivery status on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  let alerts: AlertInput[];
  useMessagingApp(kind, (started) => ({ database, app, clock, alerts } = started));

  async function bookConfirmation(email: string | null = null) {
    const customerId = await aCustomer(database.db, { email });
    const appointmentId = await anAppointment(database.db, { customerId, startAt: new Date('2026-03-05T15:00:00Z') });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    const rows = await messageRows(app);
    return rows.find((row) => row.kind === 'sms' && template(row) === 'confirmation')!;
  }

  it('a number that replied STOP to Twilio (21610) goes dead at once, is opted out, and its reminders are cancelled', async () => {
    app.context.sandbox!.twilio.optOut(PHONE);
    const confirmation = await bookConfirmation();
    await drain(app);

    const row = await database.db.selectFrom('outbox').selectAll().where('id', '=', confirmation.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('replied STOP');
    const consent = await database.db.selectFrom('consents').select(['purpose', 'status']).where('address', '=', PHONE).orderBy('purpose').execute();
    expect(consent).toEqual([
      { purpose: 'marketing', status: 'opted_out' },
      { purpose: 'transactional', status: 'opted_out' },
    ]);
    const reminders = (await messageRows(app)).filter((other) => template(other).startsWith('reminder'));
    expect(reminders.map((other) => other.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a 503 from Twilio is retried 3 times one minute apart, then dead; edit-and-retry then delivers', async () => {
    const twilioEmulator = app.context.sandbox!.twilio;
    twilioEmulator.faults.failNext(3, 503, { code: 20500, message: 'Service Unavailable', status: 503 }, { match: '/Messages.json' });
    const confirmation = await bookConfirmation();

    await drain(app);
    let row = await database.db.selectFrom('outbox').selectAll().where('id', '=', confirmation.id).executeTakeFirstOrThrow();
    expect([row.status, row.attempts, row.run_at.toISOString()]).toEqual(['failed', 1, '2026-03-02T15:01:00.000Z']);
    clock.advance(MINUTE - 1000);
    await drain(app);
    expect((await database.db.selectFrom('outbox').select('attempts').where('id', '=', confirmation.id).executeTakeFirstOrThrow()).attempts).toBe(1);
    clock.advance(1000);
    await drain(app);
    clock.advance(MINUTE);
    await drain(app);
    row = await database.db.selectFrom('outbox').selectAll().where('id', '=', confirmation.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toContain('HTTP 503');
    const history = await outboxHistory(database.db, confirmation.id);
    expect(history.map((attempt) => [attempt.outcome, attempt.started_at.toISOString()])).toEqual([
      ['error', '2026-03-02T15:00:00.000Z'],
      ['error', '2026-03-02T15:01:00.000Z'],
      ['error', '2026-03-02T15:02:00.000Z'],
    ]);
    expect(twilioEmulator.messagesTo(PHONE)).toHaveLength(0);

    const edited = await editAndRetryMessage(app.context, confirmation.id, {
      actor: 'staff@office',
      body: 'Smart Tax Nation: Hi Dana, see you Thursday at 10:00 AM.',
    });
    expect(edited).toMatchObject({ ok: true });
    clock.advance(1000); // the sender's one-per-second turn
    await drain(app);
    expect(twilioEmulator.messagesTo(PHONE).map((message) => message.body)).toEqual(['Smart Tax Nation: Hi Dana, see you Thursday at 10:00 AM.']);
    const [view] = await listMessages(database.db, { statuses: ['done'], channel: 'sms' });
    expect(view).toMatchObject({ id: confirmation.id, status: 'done', segments: 1, encoding: 'GSM-7', delivery: { status: 'delivered' } });
    const afterEdit = await outboxHistory(database.db, confirmation.id);
    expect(afterEdit.map((attempt) => attempt.outcome)).toEqual(['error', 'error', 'error', 'edited', 'ok']);
    expect((afterEdit[3]!.payload as { body: string }).body).toContain('Individual tax return');
    const audit = await database.db.selectFrom('audit').select(['actor', 'action']).execute();
    expect(audit).toEqual([{ actor: 'staff@office', action: 'message.edit_and_retry' }]);
  });

  it('SMTP 5xx is dead at once and 4xx is retried', async () => {
    const smtp = app.context.sandbox!.smtp;
    smtp.rejectRecipient('dana@example.com');
    await bookConfirmation('dana@example.com');
    await drain(app);
    const email = (await messageRows(app)).find((row) => row.kind === 'email' && template(row) === 'confirmation')!;
    expect([email.status, email.attempts]).toEqual(['dead', 1]);
    expect(email.last_error).toContain('refused it permanently');

    smtp.acceptRecipient('dana@example.com');
    smtp.deferRecipient('dana@example.com', 1);
    const retried = await editAndRetryMessage(app.context, email.id, { actor: 'staff@office' });
    expect(retried.ok).toBe(true);
    await drain(app);
    const deferred = await database.db.selectFrom('outbox').selectAll().where('id', '=', email.id).executeTakeFirstOrThrow();
    expect(deferred.status).toBe('failed');
    clock.advance(MINUTE);
    await drain(app);
    expect((await database.db.selectFrom('outbox').select('status').where('id', '=', email.id).executeTakeFirstOrThrow()).status).toBe('done');
    expect(smtp.messagesTo('dana@example.com')).toHaveLength(1);
  });

  it('duplicate and out-of-order status callbacks never move the status backwards', async () => {
    const confirmation = await bookConfirmation();
    await drain(app);
    const twilioEmulator = app.context.sandbox!.twilio;
    const [sent] = twilioEmulator.messagesTo(PHONE);
    const late = await twilioEmulator.sendStatusCallback(sent!.sid, 'sent');
    const again = await twilioEmulator.sendStatusCallback(sent!.sid, 'delivered');
    expect([late.response?.status, again.response?.status]).toEqual([204, 204]);

    const delivery = await database.db.selectFrom('message_deliveries').selectAll().where('provider_id', '=', sent!.sid).executeTakeFirstOrThrow();
    expect([delivery.status, Number(delivery.outbox_id)]).toEqual(['delivered', confirmation.id]);
    const events = await database.db.selectFrom('message_events').select('status').where('message_sid', '=', sent!.sid).orderBy('id').execute();
    expect(events.map((event) => event.status)).toEqual(['sent', 'delivered']);
  });

  it('an undelivered confirmation creates a callback task for staff and an alert', async () => {
    app.context.sandbox!.twilio.setOutcome(PHONE, 'undelivered', 30003);
    await bookConfirmation();
    await drain(app);
    const tasks = await database.db.selectFrom('callback_tasks').selectAll().execute();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.reason).toContain('error 30003');
    expect(tasks[0]!.phone).toBe(PHONE);
    expect(alerts.map((alert) => alert.source)).toEqual(['messaging.sms']);
    expect(alerts[0]!.message).not.toContain('5550123');
    const delivery = await database.db.selectFrom('message_deliveries').select(['status', 'error_code']).executeTakeFirstOrThrow();
    expect(delivery).toEqual({ status: 'undelivered', error_code: '30003' });
  });

  it('a status callback with a bad signature is refused with 401 and an unknown client with 404', async () => {
    const url = `${app.url}/v1/twilio/smart-tax-nation/status`;
    const params = { MessageSid: 'SM00000000000000000000000000000001', MessageStatus: 'delivered', To: PHONE };
    const post = (target: string, signature: string) =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
    expect((await post(url, 'bad')).status).toBe(401);
    expect((await post(`${app.url}/v1/twilio/nobody/status`, 'bad')).status).toBe(404);
    const good = twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, url, params);
    expect((await post(url, good)).status).toBe(204);
    const missing = twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, url, {});
    const empty = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': missing },
      body: '',
    });
    expect(empty.status).toBe(400);
  });
});
