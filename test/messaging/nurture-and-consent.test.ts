import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { composeMessage } from '../../src/messaging/api.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCall, aCustomer, anAppointment, drain, messageRows, planAppointment, planNurtureFor, shareMessagingDatabase, template } from './support.js';

const OFFICE_NUMBER = '+12125550199';
const FLORIDA_PANHANDLE = '+18505550123'; // 850: Florida, Central time
const SAN_FRANCISCO = '+14155550123';
// Monday 2026-03-02 19:30 in Pensacola (Central) = 20:30 in New York, after the office closed at 19:00.
const ENDED_AT = new Date('2026-03-03T01:30:00Z');

describe.each(BACKENDS)('nurture, quiet hours and consent on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    clock = new ManualClock('2026-03-03T01:31:00Z');
    app = await startTestApp(kind, { database, clock });
  });
  afterEach(async () => {
    await app?.close();
  });

  async function nurtured(phone: string, email: string | null = null, callId = `call_${phone.slice(1)}`) {
    const customerId = await aCustomer(database.db, { phone, email });
    await aCall(database.db, { id: callId, customerId, endedAt: ENDED_AT });
    await planNurtureFor(app, { customerId, callId, endedAt: ENDED_AT });
    return customerId;
  }

  const inbound = (from: string, body: string) =>
    app.context.sandbox!.twilio.sendInbound({ url: `${app.url}/v1/twilio/smart-tax-nation/inbound`, from, to: OFFICE_NUMBER, body });

  it('Day 1 and Day 4 move into business hours and the recipient-zone window (Florida and California numbers)', async () => {
    await nurtured(FLORIDA_PANHANDLE);
    await nurtured(SAN_FRANCISCO);
    const rows = await messageRows(app);
    const plan = rows.map((row) => [(row.payload as { to: string }).to, template(row), row.run_at.toISOString()]);
    expect(plan).toEqual([
      // Day 1 due Tuesday 19:30 Central / 17:30 Pacific, when the office (New York) is closed: Wednesday 09:00
      // New York is 08:00 in Pensacola (inside Florida's 08:00-20:00) …
      [FLORIDA_PANHANDLE, 'nurture_day1', '2026-03-04T14:00:00.000Z'],
      // … but 06:00 in San Francisco, so 08:00 Pacific.
      [SAN_FRANCISCO, 'nurture_day1', '2026-03-04T16:00:00.000Z'],
      // Day 4 due Friday evening: next open is Saturday 10:00 New York.
      [FLORIDA_PANHANDLE, 'nurture_day4', '2026-03-07T15:00:00.000Z'],
      [SAN_FRANCISCO, 'nurture_day4', '2026-03-07T16:00:00.000Z'],
    ]);
    expect((rows[0]!.payload as { body: string }).body).toContain('Reply STOP to opt out');

    clock.set('2026-03-04T14:00:00Z');
    await drain(app);
    expect(app.context.sandbox!.twilio.messages.map((message) => message.to)).toEqual([FLORIDA_PANHANDLE]);
  });

  it('no nurture for a voicemail or a caller who has an appointment', async () => {
    const voicemail = await aCustomer(database.db, { phone: '+12125550111' });
    await aCall(database.db, { id: 'call_vm', customerId: voicemail, endedAt: ENDED_AT, inVoicemail: true });
    await planNurtureFor(app, { customerId: voicemail, callId: 'call_vm', endedAt: ENDED_AT });
    const booker = await aCustomer(database.db, { phone: '+12125550112' });
    await aCall(database.db, { id: 'call_bk', customerId: booker, endedAt: ENDED_AT });
    await anAppointment(database.db, { customerId: booker, startAt: new Date('2026-03-05T15:00:00Z') });
    await planNurtureFor(app, { customerId: booker, callId: 'call_bk', endedAt: ENDED_AT });
    expect(await messageRows(app)).toEqual([]);
  });

  it('booking after Day 1 cancels Day 4', async () => {
    const customerId = await nurtured(FLORIDA_PANHANDLE);
    clock.set('2026-03-04T14:00:00Z');
    await drain(app);
    const appointmentId = await anAppointment(database.db, { customerId, startAt: new Date('2026-03-10T15:00:00Z') });
    await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    const nurture = (await messageRows(app)).filter((row) => template(row).startsWith('nurture'));
    expect(nurture.map((row) => [template(row), row.status])).toEqual([
      ['nurture_day1', 'done'],
      ['nurture_day4', 'cancelled'],
    ]);
  });

  it('STOP mid-sequence opts the number out, answers once, and stops the rest', async () => {
    await nurtured(FLORIDA_PANHANDLE);
    clock.set('2026-03-04T14:00:00Z');
    await drain(app);
    const reply = await inbound(FLORIDA_PANHANDLE, ' stop ');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toContain('text/xml');
    expect(reply.body).toContain("<Message>Smart Tax Nation: You're unsubscribed");

    const day4 = (await messageRows(app)).find((row) => template(row) === 'nurture_day4')!;
    expect(day4.status).toBe('cancelled');
    clock.set('2026-03-08T15:00:00Z');
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo(FLORIDA_PANHANDLE).filter((message) => message.direction === 'outbound-api')).toHaveLength(1);
    const stored = await database.db.selectFrom('inbound_messages').select(['intent', 'body']).execute();
    expect(stored).toEqual([{ intent: 'stop', body: ' stop ' }]);

    const started = await inbound(FLORIDA_PANHANDLE, 'START');
    expect(started.body).toContain('subscribed to our texts again');
    const consent = await database.db.selectFrom('consents').select('status').where('address', '=', FLORIDA_PANHANDLE).distinct().execute();
    expect(consent).toEqual([{ status: 'opted_in' }]);
  });

  it('HELP answers with the office contact line; other texts are stored for staff without a reply', async () => {
    const help = await inbound(SAN_FRANCISCO, 'help');
    expect(help.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Smart Tax Nation: For help call (212) 555-0142 or e-mail office@smarttaxnation.example. Reply STOP to opt out.</Message></Response>',
    );
    const other = await inbound(SAN_FRANCISCO, 'Can I bring my kids?');
    expect(other.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const revoked = await inbound('+12125550177', 'please stop texting me');
    expect(revoked.body).toContain("You're unsubscribed");
    const stored = await database.db.selectFrom('inbound_messages').select(['intent', 'from_number']).orderBy('id').execute();
    expect(stored.map((row) => row.intent)).toEqual(['help', 'message', 'revocation']);
    expect(await database.db.selectFrom('consents').select('address').distinct().execute()).toEqual([{ address: '+12125550177' }]);
  });

  it('an inbound text with a forged signature is refused with 401 and nothing is stored', async () => {
    const response = await fetch(`${app.url}/v1/twilio/smart-tax-nation/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'Zm9yZ2Vk' },
      body: new URLSearchParams({ MessageSid: 'SMforged', From: FLORIDA_PANHANDLE, To: OFFICE_NUMBER, Body: 'STOP' }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await database.db.selectFrom('inbound_messages').selectAll().execute()).toEqual([]);
  });

  it('marketing e-mail carries a one-click unsubscribe link that works', async () => {
    await nurtured(SAN_FRANCISCO, 'sam@example.com');
    clock.set('2026-03-04T16:00:00Z');
    await drain(app);
    const [mail] = app.context.sandbox!.smtp.messagesTo('sam@example.com');
    expect(mail!.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
    const link = /<(http[^>]+)>/.exec(mail!.listUnsubscribe ?? '')![1]!;
    expect(mail!.text).toContain(link);
    expect(link).not.toContain('sam');

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect(await database.db.selectFrom('consents').selectAll().execute()).toEqual([]);

    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    const consent = await database.db.selectFrom('consents').select(['channel', 'address', 'purpose', 'status', 'source']).execute();
    expect(consent).toEqual([{ channel: 'email', address: 'sam@example.com', purpose: 'marketing', status: 'opted_out', source: 'email_link' }]);
    const pending = (await messageRows(app)).filter((row) => template(row) === 'nurture_day4').map((row) => [row.kind, row.status]);
    expect(pending).toEqual([
      ['sms', 'scheduled'],
      ['email', 'cancelled'],
    ]);
    expect((await fetch(`${app.url}/v1/unsubscribe/not-a-token`)).status).toBe(404);
  });

  it('a Florida number gets at most 3 marketing texts in 24 hours; the 4th waits', async () => {
    clock.set('2026-03-04T15:00:00Z'); // Wednesday 10:00 New York, 09:00 Pensacola
    for (let index = 0; index < 4; index += 1) {
      const result = await composeMessage(app.context, {
        clientId: 'smart-tax-nation',
        channel: 'sms',
        to: FLORIDA_PANHANDLE,
        purpose: 'marketing',
        body: `Smart Tax Nation: offer ${index + 1}. Reply STOP to opt out`,
        actor: 'staff@office',
      });
      expect(result.ok).toBe(true);
      clock.advance(1000);
      await drain(app);
    }
    expect(app.context.sandbox!.twilio.messagesTo(FLORIDA_PANHANDLE)).toHaveLength(3);
    const fourth = (await messageRows(app)).at(-1)!;
    expect([fourth.status, fourth.run_at.toISOString()]).toEqual(['scheduled', '2026-03-05T15:00:02.000Z']);
  });

  it("a Vancouver (604) number's text due at 07:00 Pacific waits for 08:00 Pacific, not the office's Eastern hours", async () => {
    const vancouver = '+16045550123';
    clock.set('2026-03-04T15:00:00Z'); // Wednesday 07:00 in Vancouver, 10:00 at the office in New York
    const result = await composeMessage(app.context, {
      clientId: 'smart-tax-nation',
      channel: 'sms',
      to: vancouver,
      purpose: 'transactional',
      body: 'Your documents are ready.',
      actor: 'staff@office',
    });
    expect(result.ok).toBe(true);
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo(vancouver)).toHaveLength(0);
    const row = (await messageRows(app)).at(-1)!;
    expect([row.status, row.run_at.toISOString()]).toEqual(['scheduled', '2026-03-04T16:00:00.000Z']);

    clock.set('2026-03-04T16:00:00Z');
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo(vancouver).map((message) => message.body)).toEqual(['Your documents are ready.']);
  });

  it('a 208 (Idaho) number is texted only when it is past 08:00 in the Pacific north and before 21:00 in Boise', async () => {
    const idaho = '+12085550123';
    clock.set('2026-03-04T15:30:00Z'); // 08:30 in Boise, 07:30 in Coeur d'Alene
    expect(
      (
        await composeMessage(app.context, {
          clientId: 'smart-tax-nation',
          channel: 'sms',
          to: idaho,
          purpose: 'transactional',
          body: 'Your return is filed.',
          actor: 'staff@office',
        })
      ).ok,
    ).toBe(true);
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo(idaho)).toHaveLength(0);
    expect((await messageRows(app)).at(-1)!.run_at.toISOString()).toBe('2026-03-04T16:00:00.000Z');
    clock.set('2026-03-04T16:00:00Z');
    await drain(app);
    expect(app.context.sandbox!.twilio.messagesTo(idaho)).toHaveLength(1);
  });

  it('staff can text an opted-out number only with an explicit override, which is audited', async () => {
    await inbound(SAN_FRANCISCO, 'STOP');
    app.context.sandbox!.twilio.optIn(SAN_FRANCISCO);
    clock.set('2026-03-04T18:00:00Z');
    const input = {
      clientId: 'smart-tax-nation',
      channel: 'sms' as const,
      to: '(415) 555-0123',
      purpose: 'transactional' as const,
      body: 'Your documents are ready.',
      actor: 'staff@office',
    };
    const refused = await composeMessage(app.context, input);
    expect(refused).toMatchObject({ ok: false, reason: 'opted_out' });
    const marketing = await composeMessage(app.context, { ...input, purpose: 'marketing', override: true });
    expect(marketing).toMatchObject({ ok: false, reason: 'opted_out' });
    const sent = await composeMessage(app.context, { ...input, override: true });
    expect(sent.ok).toBe(true);
    await drain(app);
    expect(
      app.context
        .sandbox!.twilio.messagesTo(SAN_FRANCISCO)
        .filter((message) => message.direction === 'outbound-api')
        .map((message) => message.body),
    ).toEqual(['Your documents are ready.']);
    const audit = await database.db.selectFrom('audit').select(['actor', 'action']).execute();
    expect(audit).toEqual([{ actor: 'staff@office', action: 'message.compose_consent_override' }]);
  });
});
