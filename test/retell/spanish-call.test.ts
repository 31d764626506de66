/**
 * Issue 18 "Spanish-speaking callers, end to end": a new caller rings the office's Spanish agent (es-419) and books.
 * The greeting variables, the availability and booking answers, the confirmation text and e-mail (as the Twilio and
 * SMTP emulators received them), a reminder a day later and the "ALTO" reply are all in Spanish, and the office
 * remembers the caller's language. The English twin is simulator.test.ts's "new caller who books".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { simulateCall, type SimulationResult } from '../../src/sandbox/call-simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { drain } from '../messaging/support.js';
import { createUnsubscribeToken, unsubscribeUrl } from '../../src/messaging/unsubscribe-token.js';
import { CLIENT } from './support.js';

const CARMEN = '+12125550188';
const CARMEN_EMAIL = 'carmen.rivera@example.com';
const OFFICE_NUMBER = '+12125550199';

describe.each(BACKENDS)('a Spanish-speaking caller books, end to end, on %s', (kind) => {
  let app: TestApp;
  let call: SimulationResult;
  const step = (name: string) => call.steps.find((candidate) => candidate.name === name)!.body as Record<string, unknown>;
  const textsTo = (phone: string) => app.context.sandbox!.twilio.messages.filter((message) => message.to === phone && message.direction === 'outbound-api');
  const emailsTo = (address: string) => app.context.sandbox!.smtp.messages.filter((message) => message.to.includes(address));

  beforeAll(async () => {
    // Monday 10:00 in New York; the scenario asks for Wednesday March 4.
    app = await startTestApp(kind, { clock: new ManualClock('2026-03-02T15:00:00Z') });
    call = await simulateCall({
      baseUrl: app.url!,
      client: CLIENT,
      from: CARMEN,
      scenario: 'new-caller-books-es',
      callerEmail: CARMEN_EMAIL,
      startAt: app.clock.now(),
    });
    await app.applyCallEvents();
    await drain(app);
  }, 180_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('rings the Spanish agent and greets in Spanish (call_inbound variables)', () => {
    expect(call.problems).toEqual([]);
    const inbound = call.steps[0]!.body as { call_inbound: { dynamic_variables: Record<string, string> } };
    expect(inbound.call_inbound.dynamic_variables).toMatchObject({
      caller_language: 'es',
      greeting: 'Gracias por llamar a Smart Tax Nation.',
      is_returning_caller: 'false',
      // Monday 2 March in New York: the office's hours as the agent reads them, in Spanish.
      office_hours_today: 'de las nueve de la mañana a las doce del mediodía y de la una de la tarde a las siete de la tarde',
    });
  });

  it('answers availability and the booking in natural Spanish', () => {
    const availability = step('check_calendar_availability');
    expect(availability.message).toBe(
      'Para la cita de declaración de impuestos individual, tengo el miércoles 4 de marzo a las nueve de la mañana, ' +
        'el miércoles 4 de marzo a las diez de la mañana o el miércoles 4 de marzo a las once de la mañana. ¿Cuál le conviene más?',
    );
    expect(step('save_caller_details').message).toBe('Guardé el nombre y el correo electrónico de la persona que llama.');
    expect(step('book_appointment')).toMatchObject({
      ok: true,
      start: '2026-03-04T09:00:00-05:00',
      spoken: 'el miércoles 4 de marzo a las nueve de la mañana',
      message:
        'Listo, su cita de declaración de impuestos individual queda para el miércoles 4 de marzo a las nueve de la mañana. ' +
        'Por favor traiga sus formularios W-2 y 1099, la declaración del año pasado, una identificación con foto y las tarjetas del Seguro Social de todas las personas en la declaración. ' +
        'Le enviaremos la confirmación por mensaje de texto.',
    });
  });

  it('remembers the caller speaks Spanish, learned from the call', async () => {
    const customer = await app.context.db.selectFrom('customers').selectAll().where('phone', '=', CARMEN).executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ name: 'Carmen Rivera', preferred_language: 'es', preferred_language_source: 'call' });
  });

  it('sends the confirmation text and e-mail in Spanish (Twilio and SMTP emulators), the text in GSM-7', async () => {
    const texts = textsTo(CARMEN);
    expect(texts.map((text) => text.body)).toEqual([
      'Smart Tax Nation: Hola, Carmen. Su cita de Declaracion de impuestos individual es el mié 4/3 9:00. ' +
        'Por favor traiga sus formularios W-2 y 1099, la declaracion del año pasado, una identificacion con foto y las tarjetas del Seguro Social de todas las personas en la declaracion. ' +
        'Para cambiar o cancelar su cita, llamenos al (212) 555-0142.',
    ]);
    const confirmation = await app.context.db
      .selectFrom('outbox')
      .select('payload')
      .where('kind', '=', 'sms')
      .where('customer_id', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    expect(confirmation.payload).toMatchObject({ template: 'confirmation', language: 'es', encoding: 'GSM-7' });
    const emails = emailsTo(CARMEN_EMAIL);
    expect(emails.map((email) => email.subject)).toEqual(['Su cita de Declaración de impuestos individual con Smart Tax Nation está confirmada']);
    expect(emails[0]!.text).toContain('Su cita de Declaración de impuestos individual queda para el miércoles 4 de marzo a las nueve de la mañana.');
  });

  it('reminds a day ahead in Spanish (test clock), then "ALTO" by text opts out with a Spanish reply and stops the last reminder', async () => {
    app.clock.set('2026-03-03T14:00:00Z');
    await drain(app);
    expect(textsTo(CARMEN).at(-1)?.body).toBe(
      'Smart Tax Nation: Recordatorio, Carmen: su cita de Declaracion de impuestos individual es manana, mié 4/3 9:00. Para cambiar o cancelar su cita, llamenos al (212) 555-0142.',
    );
    expect(emailsTo(CARMEN_EMAIL).at(-1)?.subject).toBe('Recordatorio: su cita de Declaración de impuestos individual es mañana en Smart Tax Nation');

    const reply = await app.context.sandbox!.twilio.sendInbound({
      url: `${app.url}/v1/twilio/${CLIENT}/inbound`,
      from: CARMEN,
      to: OFFICE_NUMBER,
      body: 'ALTO',
    });
    expect(/<Message>([^<]*)<\/Message>/.exec(reply.body)?.[1]).toBe(
      'Smart Tax Nation: Listo, ya no le enviaremos mensajes de texto. Para volver a recibirlos responda ALTA. ¿Preguntas? Llame al (212) 555-0142.',
    );
    const lastReminder = await app.context.db
      .selectFrom('outbox')
      .select(['status'])
      .where('kind', '=', 'sms')
      .where(({ ref }) => ref('payload', '->>').key('template'), '=', 'reminder_1h')
      .executeTakeFirstOrThrow();
    expect(lastReminder.status).toBe('cancelled');
  });

  it('opens the e-mail unsubscribe page in Spanish for her address', async () => {
    const token = createUnsubscribeToken(app.context.secretBox, { clientId: CLIENT, channel: 'email', address: CARMEN_EMAIL });
    const url = new URL(unsubscribeUrl(app.context.publicBaseUrl, token));
    const page = await fetch(`${app.url}${url.pathname}`);
    const html = await page.text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('¿Dejar de recibir correos promocionales de Smart Tax Nation?');
    expect(html).toContain('<button type="submit">Cancelar la suscripción</button>');
  });
});
