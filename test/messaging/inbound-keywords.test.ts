import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCustomer, anAppointment, drain, messageRows, planAppointment, shareMessagingDatabase, template } from './support.js';

const OFFICE_NUMBER = '+12125550199';
const MARIA = '+12125550131';
const DANA = '+12125550123';

describe.each(BACKENDS)('inbound keywords in English and Spanish, and 21610 status callbacks, on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    app = await startTestApp(kind, {
      database,
      clock: new ManualClock('2026-03-02T15:00:00Z'),
    });
  });
  afterEach(async () => {
    await app?.close();
  });

  /** Twilio's inbound webhook, signed by the emulator with getExpectedTwilioSignature. */
  const inbound = (from: string, body: string) =>
    app.context.sandbox!.twilio.sendInbound({
      url: `${app.url}/v1/twilio/smart-tax-nation/inbound`,
      from,
      to: OFFICE_NUMBER,
      body,
    });
  const consents = (address: string) =>
    database.db.selectFrom('consents').select(['purpose', 'status', 'source', 'actor']).where('address', '=', address).orderBy('purpose').execute();
  const message = (body: string) => /<Message>([^<]*)<\/Message>/.exec(body)?.[1];

  /** A customer with an appointment booked (confirmation and reminders planned, not sent yet); returns the customer id. */
  async function bookAppointmentFor(phone: string): Promise<number> {
    const customerId = await aCustomer(database.db, { phone });
    const appointmentId = await anAppointment(database.db, { customerId, startAt: new Date('2026-03-05T15:00:00Z') });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    return customerId;
  }

  it('"ALTO" opts the number out of every text and the answer is in Spanish; "SÍ" alone opts back in, "Sí, a las 3" does not', async () => {
    const reply = await inbound(MARIA, 'ALTO');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toContain('text/xml');
    expect(message(reply.body)).toBe(
      'Smart Tax Nation: Listo, ya no le enviaremos mensajes de texto. Para volver a recibirlos responda ALTA. ¿Preguntas? Llame al (212) 555-0142.',
    );
    expect(await consents(MARIA)).toEqual([
      {
        purpose: 'marketing',
        status: 'opted_out',
        source: 'sms_keyword',
        actor: null,
      },
      {
        purpose: 'transactional',
        status: 'opted_out',
        source: 'sms_keyword',
        actor: null,
      },
    ]);

    const answer = await inbound(MARIA, 'Sí, a las 3 está bien');
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect((await consents(MARIA)).map((row) => row.status)).toEqual(['opted_out', 'opted_out']);

    const again = await inbound(MARIA, 'Sí');
    expect(message(again.body)).toContain('volvera a recibir nuestros mensajes');
    expect((await consents(MARIA)).map((row) => row.status)).toEqual(['opted_in', 'opted_in']);

    const help = await inbound(MARIA, '¿Ayuda?');
    expect(message(help.body)).toBe(
      'Smart Tax Nation: Para ayuda llame al (212) 555-0142 o escriba a office@smarttaxnation.example. Responda ALTO para no recibir mas mensajes.',
    );
    const stored = await database.db.selectFrom('inbound_messages').select(['intent', 'body']).orderBy('id').execute();
    expect(stored).toEqual([
      { intent: 'stop', body: 'ALTO' },
      { intent: 'message', body: 'Sí, a las 3 está bien' },
      { intent: 'start', body: 'Sí' },
      { intent: 'help', body: '¿Ayuda?' },
    ]);
  });

  it('"Stop please" is a revocation: opted out, pending texts cancelled, answered in English', async () => {
    const customerId = await bookAppointmentFor(DANA);

    const reply = await inbound(DANA, 'Stop please');
    expect(message(reply.body)).toContain("Smart Tax Nation: You're unsubscribed");
    expect((await consents(DANA)).map((row) => row.status)).toEqual(['opted_out', 'opted_out']);
    const sms = (await messageRows(app)).filter((row) => row.kind === 'sms');
    expect(sms.map((row) => [template(row), row.status])).toEqual([
      ['confirmation', 'cancelled'],
      ['reminder_24h', 'cancelled'],
      ['reminder_1h', 'cancelled'],
    ]);
    const [stored] = await database.db.selectFrom('inbound_messages').select(['intent', 'customer_id']).execute();
    expect(stored).toEqual({ intent: 'revocation', customer_id: customerId });
    // Not one of Twilio's own keywords: Twilio does not block the number, our list is the only record.
    expect(app.context.sandbox!.twilio.isOptedOut(DANA, OFFICE_NUMBER)).toBe(false);
  });

  it('"I\'ll stop by at 3" is stored for staff, gets no reply, and opts nobody out', async () => {
    const reply = await inbound(DANA, "I'll stop by at 3");
    expect(reply.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(await database.db.selectFrom('inbound_messages').select(['intent', 'body']).execute()).toEqual([{ intent: 'message', body: "I'll stop by at 3" }]);
    expect(await consents(DANA)).toEqual([]);
    const alto = await inbound(MARIA, 'El precio es alto');
    expect(alto.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(await consents(MARIA)).toEqual([]);
  });

  it('a "failed" status callback with error 21610 opts the number out, as a 21610 at send time does', async () => {
    const twilio = app.context.sandbox!.twilio;
    twilio.setOutcome(DANA, 'failed', 21610);
    await bookAppointmentFor(DANA);
    await drain(app);

    const [sent] = twilio.messagesTo(DANA);
    const callback = twilio.callbacks.find((delivery) => delivery.messageSid === sent!.sid && delivery.status === 'failed')!;
    expect([callback.params.ErrorCode, callback.response?.status]).toEqual(['21610', 204]);
    expect(await consents(DANA)).toEqual([
      {
        purpose: 'marketing',
        status: 'opted_out',
        source: 'sms_keyword',
        actor: 'twilio:21610',
      },
      {
        purpose: 'transactional',
        status: 'opted_out',
        source: 'sms_keyword',
        actor: 'twilio:21610',
      },
    ]);
    const reminders = (await messageRows(app)).filter((row) => template(row).startsWith('reminder') && row.kind === 'sms');
    expect(reminders.map((row) => row.status)).toEqual(['cancelled', 'cancelled']);

    // Twilio repeats callbacks: a repeat answers 204 and changes nothing.
    const repeat = await twilio.sendStatusCallback(sent!.sid, 'failed', 21610);
    expect(repeat.response?.status).toBe(204);
    expect(await database.db.selectFrom('consent_history').select('purpose').where('address', '=', DANA).execute()).toHaveLength(2);
  });

  it('an "undelivered" callback with another error (30003) opts nobody out', async () => {
    app.context.sandbox!.twilio.setOutcome(DANA, 'undelivered', 30003);
    await bookAppointmentFor(DANA);
    await drain(app);
    expect((await database.db.selectFrom('message_deliveries').select('error_code').where('channel', '=', 'sms').executeTakeFirstOrThrow()).error_code).toBe(
      '30003',
    );
    expect(await consents(DANA)).toEqual([]);
  });
});
