import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCustomer, anAppointment, drain, messageRows, planAppointment, shareMessagingDatabase, template } from './support.js';

const HOUR = 3_600_000;

describe.each(BACKENDS)('appointment messages on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  afterEach(async () => {
    await app?.close();
  });

  async function start(at: string) {
    clock = new ManualClock(at);
    app = await startTestApp(kind, { database, clock });
    return app;
  }

  it('a booking sends the confirmation now and reminders at exactly 24 h and 1 h before', async () => {
    await start('2026-03-02T15:00:00Z'); // Monday 10:00 in New York
    const customerId = await aCustomer(database.db);
    const startAt = new Date('2026-03-04T19:00:00Z'); // Wednesday 14:00 EST
    const appointmentId = await anAppointment(database.db, { customerId, startAt });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });

    const planned = await messageRows(app);
    expect(planned.map((row) => [row.kind, template(row), row.run_at.toISOString()])).toEqual([
      ['sms', 'confirmation', '2026-03-02T15:00:00.000Z'],
      ['email', 'confirmation', '2026-03-02T15:00:00.000Z'],
      ['sms', 'reminder_24h', '2026-03-03T19:00:00.000Z'],
      ['email', 'reminder_24h', '2026-03-03T19:00:00.000Z'],
      ['sms', 'reminder_1h', '2026-03-04T18:00:00.000Z'],
      ['email', 'reminder_1h', '2026-03-04T18:00:00.000Z'],
    ]);

    await drain(app);
    const twilio = app.context.sandbox!.twilio;
    const smtp = app.context.sandbox!.smtp;
    expect(twilio.messagesTo('+12125550123').map((message) => message.body)).toEqual([
      "Smart Tax Nation: Hi Dana, you're booked for Individual tax return on Wed 3/4 2:00 PM. Please bring your W-2s, 1099s, last year's tax return, a photo ID, and Social Security cards for everyone on the return. To reschedule or cancel, call us at (212) 555-0142.",
    ]);
    expect(smtp.messagesTo('dana@example.com').map((message) => message.subject)).toEqual(['Your Individual tax return with Smart Tax Nation is confirmed']);
    // Confirmations are transactional: no unsubscribe header.
    expect(smtp.messages[0]!.listUnsubscribe).toBeNull();

    clock.set(new Date(startAt.getTime() - 24 * HOUR - 1000));
    await drain(app);
    expect(twilio.messagesTo('+12125550123')).toHaveLength(1);
    clock.advance(1000);
    await drain(app);
    expect(twilio.messagesTo('+12125550123').map((message) => message.body)).toHaveLength(2);
    expect(twilio.messagesTo('+12125550123')[1]!.body).toContain('is tomorrow, Wed 3/4 2:00 PM');

    clock.set(new Date(startAt.getTime() - HOUR));
    await drain(app);
    expect(twilio.messagesTo('+12125550123')[2]!.body).toContain('starts at Wed 3/4 2:00 PM');
    expect(smtp.messagesTo('dana@example.com')).toHaveLength(3);

    const statuses = await database.db.selectFrom('outbox').select('status').where('kind', 'in', ['sms', 'email']).execute();
    expect(statuses.every((row) => row.status === 'done')).toBe(true);
    const deliveries = await database.db.selectFrom('message_deliveries').select(['channel', 'status']).where('channel', '=', 'sms').execute();
    expect(deliveries.map((row) => row.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('reminders across the spring DST change are exactly 24 h and 1 h before, and show local time', async () => {
    await start('2026-03-06T15:00:00Z'); // Friday; clocks go forward Sunday 2026-03-08 02:00 in New York
    const customerId = await aCustomer(database.db);
    const startAt = new Date('2026-03-08T17:00:00Z'); // Sunday 13:00 EDT
    const appointmentId = await anAppointment(database.db, { customerId, startAt });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });

    const reminders = (await messageRows(app)).filter((row) => row.kind === 'sms' && template(row).startsWith('reminder'));
    expect(reminders.map((row) => [template(row), row.run_at.toISOString()])).toEqual([
      ['reminder_24h', '2026-03-07T17:00:00.000Z'], // Saturday 12:00 EST: 24 elapsed hours, 23 on the wall clock
      ['reminder_1h', '2026-03-08T16:00:00.000Z'],
    ]);
    expect((reminders[0]!.payload as { body: string }).body).toContain('Sun 3/8 1:00 PM');
  });

  it('a booking closer than 24 h gets no 24 h reminder, and a retried booking plans each message once', async () => {
    await start('2026-03-02T15:00:00Z');
    const customerId = await aCustomer(database.db, { email: null });
    const startAt = new Date('2026-03-03T14:00:00Z'); // tomorrow 09:00, 23 h away
    const appointmentId = await anAppointment(database.db, { customerId, startAt });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });

    const rows = await messageRows(app);
    expect(rows.map((row) => [row.kind, template(row)])).toEqual([
      ['sms', 'confirmation'],
      ['sms', 'reminder_1h'],
    ]);
  });

  it('rescheduling re-plans reminders for the new time and cancelling cancels them', async () => {
    await start('2026-03-02T15:00:00Z');
    const customerId = await aCustomer(database.db, { email: null });
    const startAt = new Date('2026-03-05T15:00:00Z');
    const appointmentId = await anAppointment(database.db, { customerId, startAt });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    await drain(app);

    const movedTo = new Date('2026-03-06T18:00:00Z');
    await database.db.updateTable('appointments').set({ start_at: movedTo, previous_start_at: startAt }).where('id', '=', appointmentId).execute();
    await planAppointment(app, { appointmentId, customerId, event: 'rescheduled', previousStartAt: startAt });
    let rows = await messageRows(app);
    const pending = rows.filter((row) => row.status === 'scheduled').map((row) => [template(row), row.run_at.toISOString()]);
    expect(pending).toEqual([
      ['rescheduled', '2026-03-02T15:00:00.000Z'],
      ['reminder_24h', '2026-03-05T18:00:00.000Z'],
      ['reminder_1h', '2026-03-06T17:00:00.000Z'],
    ]);
    expect(
      rows
        .filter((row) => row.status === 'cancelled')
        .map(template)
        .sort(),
    ).toEqual(['reminder_1h', 'reminder_24h']);
    // One text per second from the office number: the notice waits for its turn behind the confirmation.
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo('+12125550123')).toHaveLength(1);
    clock.advance(1000);
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo('+12125550123').at(-1)!.body).toContain('moved to Fri 3/6 1:00 PM');

    await planAppointment(app, { appointmentId, customerId, event: 'cancelled' });
    rows = await messageRows(app);
    expect(rows.filter((row) => row.status === 'scheduled').map(template)).toEqual(['cancelled']);
    clock.advance(1000);
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo('+12125550123').at(-1)!.body).toContain('is cancelled');
  });

  it('a confirmation due at night waits for the transactional window in the recipient zone', async () => {
    await start('2026-03-03T03:30:00Z'); // 22:30 in New York
    const customerId = await aCustomer(database.db, { email: null });
    const appointmentId = await anAppointment(database.db, { customerId, startAt: new Date('2026-03-05T15:00:00Z') });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    const [confirmation] = await messageRows(app);
    expect(confirmation!.run_at.toISOString()).toBe('2026-03-03T13:00:00.000Z'); // 08:00 EST
    await drain(app);
    expect(app.context.sandbox!.twilio.messages).toHaveLength(0);
  });
});
