/**
 * Issue 14, item 1: a send whose answer is lost is never repeated blindly. A text is looked up at Twilio (the
 * emulator's Messages list, through the twilio SDK) and adopted when found, sent again only when Twilio does not
 * have it, and left `unknown` for a person when Twilio cannot be asked. An e-mail whose connection dropped after
 * the server had all of it cannot be looked up (SMTP has no such command): it is `unknown`, never sent twice.
 */
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import type { ManualClock } from '../../src/core/clock.js';
import { composeMessage, editAndRetryMessage } from '../../src/messaging/api.js';
import { outboxHistory } from '../../src/outbox/manage.js';
import { EmulatorHttpClient } from '../../src/providers/twilio/http-client.js';
import type { TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { CLIENT, drain, useMessagingApp } from './support.js';

const MINUTE = 60_000;
const PHONE = '+12125550123';
const EMAIL = 'dana@example.com';
const SENDER = '+12125550199';

describe.each(BACKENDS)('a lost vendor answer on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  let alerts: AlertInput[];
  useMessagingApp(kind, (started) => ({ database, app, clock, alerts } = started));

  const twilioEmulator = () => app.context.sandbox!.twilio;
  const smtp = () => app.context.sandbox!.smtp;
  const row = (id: number) => database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const outcomes = async (id: number) => (await outboxHistory(database.db, id)).map((attempt) => attempt.outcome);
  const textsWith = (body: string) => twilioEmulator().messages.filter((message) => message.direction === 'outbound-api' && message.body === body);

  async function composeText(body: string): Promise<number> {
    const composed = await composeMessage(app.context, { clientId: CLIENT, channel: 'sms', to: PHONE, purpose: 'transactional', body, actor: 'staff@office' });
    if (!composed.ok) throw new Error(composed.message);
    return composed.id;
  }

  async function composeEmail(subject: string): Promise<number> {
    const composed = await composeMessage(app.context, {
      clientId: CLIENT,
      channel: 'email',
      to: EMAIL,
      purpose: 'transactional',
      subject,
      text: 'Your documents are ready.',
      actor: 'staff@office',
    });
    if (!composed.ok) throw new Error(composed.message);
    return composed.id;
  }

  /** Twilio took the text, then the connection dropped before its answer reached us. */
  function loseNextTextAnswer() {
    twilioEmulator().faults.timeoutAfterCommit(1, { match: '/Messages.json', method: 'POST', hangMs: 20 });
  }

  it('a text whose answer was lost is found at Twilio and adopted, not sent again', async () => {
    const body = 'Smart Tax Nation: your documents are ready.';
    const id = await composeText(body);
    loseNextTextAnswer();

    await drain(app);
    const waiting = await row(id);
    expect(waiting.status).toBe('failed');
    expect(textsWith(body)).toHaveLength(1);

    clock.advance(MINUTE);
    await drain(app);
    const [sent] = textsWith(body);
    expect(textsWith(body)).toHaveLength(1);
    // It waited one retry interval, knowing since when to look.
    expect(waiting.unsettled_since?.toISOString()).toBe('2026-03-02T15:00:00.000Z');
    expect(waiting.run_at.toISOString()).toBe('2026-03-02T15:01:00.000Z');
    expect(waiting.last_error).toContain('looked up at Twilio');
    const settled = await row(id);
    expect(settled).toMatchObject({ status: 'done', attempts: 2, unsettled_since: null, last_error: null });
    expect(settled.result).toMatchObject({ providerId: sent!.sid, adopted: true });
    expect(await outcomes(id)).toEqual(['unsettled', 'ok']);
    const delivery = await database.db.selectFrom('message_deliveries').selectAll().where('outbox_id', '=', id).executeTakeFirstOrThrow();
    expect([delivery.provider_id, delivery.status]).toEqual([sent!.sid, 'delivered']);
    // The look-up used Twilio's own filters, through the twilio SDK.
    const lookup = twilioEmulator().emulator.received('/Messages.json', 'GET')[0]!;
    expect(lookup.query).toMatchObject({ To: PHONE, From: SENDER, 'DateSent>': '2026-03-02T14:59:00Z' });
    expect(alerts).toEqual([]);
  });

  it('when Twilio cannot be asked, the text stays unknown for a person and is not sent again', async () => {
    const body = 'Smart Tax Nation: please call us back.';
    const id = await composeText(body);
    loseNextTextAnswer();
    await drain(app);
    twilioEmulator().faults.failNext(5, 503, { code: 20500, message: 'Service Unavailable', status: 503 }, { match: '/Messages.json', method: 'GET' });

    clock.advance(MINUTE);
    await drain(app);
    const unknown = await row(id);
    expect(unknown.status).toBe('unknown');
    expect(unknown.last_error).toContain('may or may not have been sent');
    expect(await outcomes(id)).toEqual(['unsettled', 'unknown']);
    expect(alerts.map((alert) => alert.fingerprint)).toEqual([`messaging.sms:unknown:${CLIENT}`]);
    expect(JSON.stringify(alerts)).not.toContain('5550123');

    clock.advance(10 * MINUTE);
    await drain(app);
    expect((await row(id)).status).toBe('unknown');
    expect(textsWith(body)).toHaveLength(1);
    expect(twilioEmulator().emulator.received('/Messages.json', 'POST')).toHaveLength(1);

    // A person decides to send it again: that is a plain send, not another look-up.
    expect(await editAndRetryMessage(app.context, id, { actor: 'staff@office' })).toMatchObject({ ok: true });
    expect((await row(id)).unsettled_since).toBeNull();
    clock.advance(1000);
    await drain(app);
    expect((await row(id)).status).toBe('done');
    expect(textsWith(body)).toHaveLength(2);
  });

  it('a text that never reached Twilio (connection refused) is sent again once, without a look-up', async () => {
    const body = 'Smart Tax Nation: see you tomorrow.';
    const id = await composeText(body);
    await twilioEmulator().emulator.refuseConnections();
    try {
      await drain(app);
    } finally {
      await twilioEmulator().emulator.acceptConnections();
    }
    const refused = await row(id);
    expect(refused).toMatchObject({ status: 'failed', attempts: 1, unsettled_since: null });
    expect(refused.last_error).toContain('Could not reach Twilio');
    expect(textsWith(body)).toHaveLength(0);

    clock.advance(MINUTE);
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(textsWith(body)).toHaveLength(1);
    expect(twilioEmulator().emulator.received('/Messages.json', 'GET')).toHaveLength(0);
    expect(await outcomes(id)).toEqual(['error', 'ok']);
  });

  it('a connection reset before Twilio took the text: looked up, not found, sent once', async () => {
    const body = 'Smart Tax Nation: your appointment is confirmed.';
    const id = await composeText(body);
    twilioEmulator().faults.add({ type: 'reset', match: '/Messages.json', method: 'POST', times: 1 });
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'failed' });
    expect(textsWith(body)).toHaveLength(0);

    clock.advance(MINUTE);
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'done', attempts: 2, unsettled_since: null });
    expect((await row(id)).result).not.toMatchObject({ adopted: true });
    expect(textsWith(body)).toHaveLength(1);
    expect(twilioEmulator().emulator.received('/Messages.json', 'GET').length).toBeGreaterThan(0);
  });

  it('the same words already sent to the same number by another queue item are not taken for this one', async () => {
    const body = 'Smart Tax Nation: we are open until 7 pm today.';
    const first = await composeText(body);
    await drain(app);
    expect(await row(first)).toMatchObject({ status: 'done' });

    clock.advance(1000);
    const second = await composeText(body);
    twilioEmulator().faults.add({ type: 'reset', match: '/Messages.json', method: 'POST', times: 1 });
    await drain(app);
    clock.advance(MINUTE);
    await drain(app);
    const texts = textsWith(body);
    expect(texts).toHaveLength(2);
    expect((await row(second)).result).toMatchObject({ providerId: texts[1]!.sid });
    expect((await row(second)).result).not.toMatchObject({ adopted: true });
  });

  it('a text the dead worker was sending is looked up when its lease is recovered: found → adopted, not found → sent', async () => {
    const sentBody = 'Smart Tax Nation: the dead worker sent this one.';
    const unsentBody = 'Smart Tax Nation: the dead worker never got to this one.';
    const sentId = await composeText(sentBody);
    const unsentId = await composeText(unsentBody);
    // Another worker claimed both and died; it had reached Twilio for the first.
    const claimedAt = clock.now();
    await database.db
      .updateTable('outbox')
      .set({ status: 'running', attempts: 1, locked_by: 'worker-dead', lease_until: new Date(claimedAt.getTime() + 5 * MINUTE), updated_at: claimedAt })
      .where('id', 'in', [sentId, unsentId])
      .execute();
    const deadWorkersClient = twilio(DEMO_SECRETS.TWILIO_ACCOUNT_SID, DEMO_SECRETS.TWILIO_AUTH_TOKEN, {
      httpClient: new EmulatorHttpClient({ baseUrl: twilioEmulator().url }).asRequestClient(),
    });
    await deadWorkersClient.messages.create({ to: PHONE, from: SENDER, body: sentBody });
    await twilioEmulator().flushCallbacks();

    clock.advance(6 * MINUTE);
    await drain(app);
    expect(await row(sentId)).toMatchObject({ status: 'done', unsettled_since: null });
    expect((await row(sentId)).result).toMatchObject({ adopted: true, providerId: textsWith(sentBody)[0]!.sid });
    expect(await row(unsentId)).toMatchObject({ status: 'done' });
    expect(textsWith(sentBody)).toHaveLength(1);
    expect(textsWith(unsentBody)).toHaveLength(1);
    expect(await outcomes(sentId)).toEqual(['lease_expired', 'ok']);
  });

  it('a lost answer on the last attempt is still looked up, and goes dead with an alert when Twilio has nothing', async () => {
    const body = 'Smart Tax Nation: last try.';
    const id = await composeText(body);
    await database.db.updateTable('outbox').set({ max_attempts: 1 }).where('id', '=', id).execute();
    twilioEmulator().faults.add({ type: 'reset', match: '/Messages.json', method: 'POST', times: 1 });
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1 });

    clock.advance(MINUTE);
    await drain(app);
    const dead = await row(id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 2 });
    expect(dead.last_error).toContain('Twilio has no record');
    expect(textsWith(body)).toHaveLength(0);
    expect(alerts.map((alert) => alert.fingerprint)).toEqual([`messaging.sms:gave_up:${CLIENT}`]);
  });

  it('an e-mail whose connection dropped after the server had all of it is unknown, never sent twice', async () => {
    const id = await composeEmail('Your documents');
    smtp().dropAfterData(1);
    await drain(app);
    const unknown = await row(id);
    expect(unknown.status).toBe('unknown');
    expect(smtp().messagesTo(EMAIL)).toHaveLength(1);
    const [received] = smtp().messagesTo(EMAIL);
    // Our own Message-ID, named in the row so staff can find the message in the provider's log.
    expect(received!.messageId).toMatch(new RegExp(`^<sb\\.${id}\\.[0-9a-f]{16}@smarttaxnation\\.example>$`));
    expect(unknown.last_error).toContain(received!.messageId!);
    expect(await outcomes(id)).toEqual(['unknown']);
    expect(alerts.map((alert) => alert.fingerprint)).toEqual([`messaging.email:unknown:${CLIENT}`]);
    expect(JSON.stringify(alerts)).not.toContain(EMAIL);

    clock.advance(10 * MINUTE);
    await drain(app);
    expect((await row(id)).status).toBe('unknown');
    expect(smtp().messagesTo(EMAIL)).toHaveLength(1);
  });

  it('an e-mail that never reached the mail server (connection refused) is sent again once', async () => {
    const id = await composeEmail('Your appointment');
    await smtp().refuseConnections();
    try {
      await drain(app);
    } finally {
      await smtp().acceptConnections();
    }
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1, unsettled_since: null });
    expect(smtp().messagesTo(EMAIL)).toHaveLength(0);

    clock.advance(MINUTE);
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(smtp().messagesTo(EMAIL)).toHaveLength(1);
  });

  it('an e-mail the server refused after the data (a 4xx reply) is retried: the reply says it was not taken', async () => {
    const id = await composeEmail('Your receipt');
    smtp().deferNextData(1);
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1 });
    clock.advance(MINUTE);
    await drain(app);
    expect(await row(id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(smtp().messagesTo(EMAIL)).toHaveLength(1);
  });
});
