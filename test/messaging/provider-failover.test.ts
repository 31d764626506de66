/**
 * Issue 19, provider chains: an office whose texts go Twilio → Telnyx and e-mails SMTP → SendGrid. Sends fail over
 * only when the first provider certainly never took the message; a recipient's problem is final; a lost answer is
 * reconciled at the provider that took it; a shared circuit breaker (5 failures in a row) sends traffic straight to
 * the secondary and probes the primary after 30 s. Real emulators, real SDKs, real signatures, test clock.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { ManualClock } from '../../src/core/clock.js';
import { composeMessage, resendMessage } from '../../src/messaging/api.js';
import { inboundReply } from '../../src/messaging/inbound.js';
import { createMessagingModule } from '../../src/messaging/module.js';
import { featureModules } from '../../src/modules.js';
import { aUser, signIn } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { CLIENT, shareMessagingDatabase } from './support.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const TELNYX_FROM = '+15125550177';
const PHONE = '+12125550123';
const EMAIL = 'dana@example.com';
const phoneOf = (n: number) => `+1212555${String(1000 + n).padStart(4, '0')}`;
/**
 * What these tests drain: the texts and e-mails under test. The database is shared by every test of a describe (and
 * by two instances below), so the other offices' housekeeping (calendar reconciles against Google and Microsoft
 * emulators whose grants an earlier app made) would otherwise run inside a drill; it has its own tests.
 */
const MESSAGE_KINDS = ['sms', 'email'] as const;
const TWILIO_503 = { code: 20500, message: 'Service Unavailable', more_info: 'https://www.twilio.com/docs/errors/20500', status: 503 };

/** The office with both chains and the demo credentials of the second providers. */
async function useChains(app: TestApp): Promise<void> {
  const runtime = app.context.clients.get(CLIENT)!;
  await app.context.clients.set({
    ...runtime,
    config: {
      ...runtime.config,
      providers: {
        sms: [{ provider: 'twilio' }, { provider: 'telnyx', from: TELNYX_FROM, apiKeyEnv: 'TELNYX_API_KEY', publicKeyEnv: 'TELNYX_PUBLIC_KEY' }],
        email: [{ provider: 'smtp' }, { provider: 'sendgrid', apiKeyEnv: 'SENDGRID_API_KEY', webhookKeyEnv: 'SENDGRID_WEBHOOK_KEY' }],
      },
    },
    secrets: {
      ...runtime.secrets,
      telnyxApiKey: DEMO_SECRETS.TELNYX_API_KEY,
      telnyxPublicKey: DEMO_SECRETS.TELNYX_PUBLIC_KEY,
      sendgridApiKey: DEMO_SECRETS.SENDGRID_API_KEY,
      sendgridWebhookKey: DEMO_SECRETS.SENDGRID_WEBHOOK_KEY,
      // Demo mode emulates the vendors an office's chain lists (resolved as config/secrets.ts would).
      emulatedVendors: [...runtime.secrets.emulatedVendors, 'telnyx', 'sendgrid'],
    },
  });
}

async function startChainApp(kind: Parameters<typeof startTestApp>[0], database: TestDatabase, clock: ManualClock) {
  // Pacing off (as in the burst suite): with it on, 1,000 texts from one sender take 1,000 s of turns.
  const modules = featureModules.map((module) => (module.name === 'messaging' ? createMessagingModule({ rateLimit: false }) : module));
  const app = await startTestApp(kind, { database, clock, modules });
  const alerts: AlertInput[] = [];
  app.context.alerts = { raise: async (alert) => void alerts.push(alert) };
  await useChains(app);
  return { app, alerts };
}

describe.each(BACKENDS)('provider chains on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  let alerts: AlertInput[];
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    await database.db.deleteFrom('provider_circuits').execute();
    await database.db.deleteFrom('message_provider_attempts').execute();
    clock = new ManualClock('2026-03-02T15:00:00Z');
    ({ app, alerts } = await startChainApp(kind, database, clock));
  });
  afterEach(async () => {
    await app?.close();
  });

  const twilio = () => app.context.sandbox!.twilio;
  const telnyx = () => app.context.sandbox!.telnyx;
  const twilioPosts = () => twilio().emulator.received('/Messages.json', 'POST').length;
  const circuit = async (provider: string) =>
    (await database.db.selectFrom('provider_circuits').select(['state']).where('provider', '=', provider).executeTakeFirst())?.state ?? 'closed';

  /** Opted out of every SMS purpose (consents stores 'all' as one row per purpose). */
  async function expectOptedOut(phone: string) {
    const consent = await database.db
      .selectFrom('consents')
      .select(['status', 'purpose'])
      .where('address', '=', phone)
      .where('channel', '=', 'sms')
      .orderBy('purpose')
      .execute();
    expect(consent).toEqual([
      { status: 'opted_out', purpose: 'marketing' },
      { status: 'opted_out', purpose: 'transactional' },
    ]);
  }

  async function flush() {
    await twilio().flushCallbacks();
    await telnyx().flushWebhooks();
  }

  async function drain() {
    const processed = await app.worker.drain({ kinds: MESSAGE_KINDS });
    await flush();
    return processed;
  }

  async function queueTexts(count: number, tag: string, firstPhone = 0) {
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select ${CLIENT}, 'sms', jsonb_build_object('to', '+1212555' || lpad((1000 + n)::text, 4, '0'), 'purpose', 'transactional',
        'template', 'confirmation', 'sequence', 'confirmation', 'body', ${`Smart Tax Nation: you are booked (${tag}).`}::text,
        'segments', 1, 'encoding', 'GSM-7'), ${tag} || '-' || n, ${clock.now()}, 3, 60000, ${clock.now()}, ${clock.now()}
      from generate_series(${firstPhone}::int, ${firstPhone + count - 1}::int) as n`.execute(database.db);
  }

  async function composeText(body: string, to = PHONE): Promise<number> {
    const composed = await composeMessage(app.context, { clientId: CLIENT, channel: 'sms', to, purpose: 'transactional', body, actor: 'staff@office' });
    if (!composed.ok) throw new Error(composed.message);
    return composed.id;
  }

  it('Twilio answering 503 for 10 minutes: 1,000 queued texts all go out through Telnyx once, the open circuit skips Twilio, and Twilio has the traffic again after its probe', async () => {
    twilio().faults.add({ type: 'fail', status: 503, body: TWILIO_503, match: '/Messages.json', method: 'POST' });
    await queueTexts(1000, 'outage');
    await drain();

    const rows = await database.db.selectFrom('outbox').select(['status']).where('kind', '=', 'sms').execute();
    expect(rows.filter((row) => row.status !== 'done')).toEqual([]);
    const viaTelnyx = telnyx()
      .outbound()
      .map((message) => message.to);
    expect(viaTelnyx).toHaveLength(1000);
    expect(new Set(viaTelnyx).size).toBe(1000);
    expect(twilio().messages.filter((message) => message.direction === 'outbound-api')).toHaveLength(0);
    // Only the sends that started before the fifth failure asked Twilio; every later one went straight to Telnyx.
    const asked = twilioPosts();
    expect(asked).toBeGreaterThanOrEqual(5);
    expect(asked).toBeLessThan(100);
    expect(await circuit('twilio')).toBe('open');
    const skipped = (await app.context.metrics.registry.getSingleMetric('switchboard_provider_sends_total')!.get()).values.find(
      (value) => value.labels.provider === 'twilio' && value.labels.outcome === 'skipped_open',
    );
    expect(skipped?.value).toBe(1000 - asked);
    const deliveries = await database.db.selectFrom('message_deliveries').select(['provider', 'sender', 'status']).where('channel', '=', 'sms').execute();
    expect(deliveries).toHaveLength(1000);
    expect(new Set(deliveries.map((delivery) => `${delivery.provider} ${delivery.sender} ${delivery.status}`))).toEqual(
      new Set([`telnyx ${TELNYX_FROM} delivered`]),
    );
    expect(alerts.filter((alert) => alert.fingerprint.startsWith('provider-circuit:twilio:'))).toHaveLength(1);

    // The rest of the 10 minutes: every 30 s one text probes Twilio (still 503) and goes on to Telnyx.
    for (let step = 1; step <= 19; step += 1) {
      clock.advance(30 * SECOND);
      await queueTexts(1, `minute-${step}`, 2000 + step);
      await drain();
    }
    expect(twilioPosts()).toBe(asked + 19);
    expect(telnyx().outbound()).toHaveLength(1019);
    expect(await circuit('twilio')).toBe('open');

    // Twilio recovers: within 60 s the probe closes the circuit and texts go through Twilio again.
    twilio().faults.clear();
    clock.advance(30 * SECOND);
    await queueTexts(1, 'probe', 3000);
    await drain();
    expect(await circuit('twilio')).toBe('closed');
    await queueTexts(3, 'recovered', 3001);
    await drain();
    expect(twilio().messages.filter((message) => message.direction === 'outbound-api')).toHaveLength(4);
    expect(telnyx().outbound()).toHaveLength(1019);
    const circuitAlerts = alerts.filter((alert) => alert.fingerprint.startsWith('provider-circuit:twilio:')).map((alert) => alert.details?.state);
    expect(circuitAlerts).toEqual(['open', 'closed']);
  }, 300_000);

  it('Twilio answering 21610 (the number replied STOP) is final: nothing is sent through Telnyx and the number is opted out', async () => {
    twilio().optOut(PHONE);
    const id = await composeText('Smart Tax Nation: your documents are ready.');
    await drain();

    const row = await database.db.selectFrom('outbox').select(['status']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(telnyx().outbound()).toHaveLength(0);
    await expectOptedOut(PHONE);
  });

  it('Twilio taking a text and losing its answer: it is found at Twilio and adopted, never sent through Telnyx', async () => {
    const body = 'Smart Tax Nation: your refund was filed.';
    twilio().faults.timeoutAfterCommit(1, { match: '/Messages.json', method: 'POST', hangMs: 20 });
    const id = await composeText(body);
    await drain();
    expect((await database.db.selectFrom('outbox').select(['status']).where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('failed');

    clock.advance(MINUTE);
    await drain();
    const row = await database.db.selectFrom('outbox').select(['status']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(twilio().messages.filter((message) => message.body === body)).toHaveLength(1);
    expect(telnyx().outbound()).toHaveLength(0);
  });

  it('Telnyx taking a text and losing its answer: reconciled from its own webhook and GET /messages/{id}, never sent twice', async () => {
    twilio().faults.add({ type: 'fail', status: 503, body: TWILIO_503, match: '/Messages.json', method: 'POST' });
    telnyx().faults.timeoutAfterCommit(1, { match: '/v2/messages', method: 'POST', hangMs: 20 });
    const id = await composeText('Smart Tax Nation: see you Tuesday.');
    await drain();
    expect((await database.db.selectFrom('outbox').select(['status']).where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('failed');
    const attempts = await database.db.selectFrom('message_provider_attempts').select(['provider']).where('outbox_id', '=', id).orderBy('id').execute();
    expect(attempts.map((attempt) => attempt.provider)).toEqual(['twilio', 'telnyx']);

    clock.advance(MINUTE);
    await drain();
    const row = await database.db.selectFrom('outbox').select(['status', 'result']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(row.result).toMatchObject({ adopted: true, provider: 'telnyx' });
    expect(telnyx().outbound()).toHaveLength(1);
    expect(telnyx().emulator.received('/v2/messages/', 'GET')).toHaveLength(1);
  });

  it('an inbound STOP on the Telnyx number (signed webhook) opts the caller out for every provider; a bad signature is 401', async () => {
    const url = `${app.url}/v1/telnyx/${CLIENT}/webhook`;
    // Queued before the STOP, while Twilio is down (so the chain would reach Telnyx): the opt-out cancels it, and no
    // provider is asked.
    const queued = await composeText('Smart Tax Nation: reminder.');
    twilio().faults.add({ type: 'fail', status: 503, body: TWILIO_503, match: '/Messages.json', method: 'POST' });
    const answer = await telnyx().sendInbound({ url, from: PHONE, to: TELNYX_FROM, text: 'STOP' });
    expect(answer.status).toBe(200);
    await expectOptedOut(PHONE);
    const inbound = await database.db.selectFrom('inbound_messages').select(['intent', 'to_number']).execute();
    expect(inbound).toEqual([{ intent: 'stop', to_number: TELNYX_FROM }]);

    await drain();
    expect((await database.db.selectFrom('outbox').select(['status', 'last_error']).where('id', '=', queued).executeTakeFirstOrThrow()).status).toBe(
      'cancelled',
    );
    expect(twilioPosts()).toBe(0);
    expect(telnyx().outbound()).toHaveLength(0);

    const body = JSON.stringify({
      data: {
        event_type: 'message.received',
        id: 'evt-1',
        payload: { id: 'm-1', text: 'START', from: { phone_number: PHONE }, to: [{ phone_number: TELNYX_FROM }] },
      },
    });
    const headers = telnyx().signedHeaders(body);
    const forged = await fetch(url, { method: 'POST', headers: { ...headers, 'telnyx-signature-ed25519': Buffer.alloc(64, 1).toString('base64') }, body });
    expect(forged.status).toBe(401);
    const tampered = await fetch(url, { method: 'POST', headers, body: body.replace('START', 'HELP') });
    expect(tampered.status).toBe(401);
    const stale = await fetch(url, { method: 'POST', headers: telnyx().signedHeaders(body, Math.floor(clock.now().getTime() / 1000) - 600), body });
    expect(stale.status).toBe(401);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect((await database.db.selectFrom('consents').select(['status']).where('address', '=', PHONE).executeTakeFirstOrThrow()).status).toBe('opted_out');
  });

  it('a keyword through Telnyx: ALTO and AYUDA are answered through Telnyx (at night too, to the opted-out number), STOP and HELP are left to Telnyx; consent recorded either way', async () => {
    const url = `${app.url}/v1/telnyx/${CLIENT}/webhook`;
    const config = app.context.clients.get(CLIENT)!.config;
    const fromUs = () =>
      telnyx()
        .outbound()
        .filter((message) => message.to === PHONE);
    const replyRows = () =>
      database.db
        .selectFrom('outbox')
        .select(['status', 'payload', 'result'])
        .where('kind', '=', 'sms')
        .where(sql<boolean>`payload->>'sequence' = 'keyword_reply'`)
        .orderBy('id')
        .execute();
    // 22:30 in New York: outside every window for texts, but an answer to a text just received goes at once.
    clock.set('2026-03-03T03:30:00Z');

    // ALTO is no Telnyx keyword: Telnyx neither blocks nor answers it. The number is opted out and our Spanish
    // confirmation goes back through Telnyx, from the number texted, although Twilio is first in the chain.
    const alto = await telnyx().sendInbound({ url, from: PHONE, to: TELNYX_FROM, text: 'ALTO' });
    expect([alto.status, JSON.parse(alto.body).reply]).toEqual([200, 'queued']);
    await expectOptedOut(PHONE);
    await drain();
    const confirmation = inboundReply(config, { intent: 'stop', language: 'es' })!;
    expect(confirmation).toContain('ALTA');
    expect(fromUs().map((message) => [message.from, message.text])).toEqual([[TELNYX_FROM, confirmation]]);
    expect(twilioPosts()).toBe(0);
    expect(
      (await replyRows()).map((row) => [row.status, (row.result as { provider: string }).provider, (row.payload as { language?: string }).language]),
    ).toEqual([['done', 'telnyx', 'es']]);

    // Telnyx repeating the same webhook (same message id): stored once, answered once.
    const repeat = JSON.stringify({
      data: {
        event_type: 'message.received',
        id: 'evt-repeat',
        payload: { id: 'm-ayuda', text: 'AYUDA', from: { phone_number: PHONE }, to: [{ phone_number: TELNYX_FROM }], autoresponse_type: null },
      },
    });
    for (let round = 0; round < 2; round += 1) {
      const answer = await fetch(url, { method: 'POST', headers: telnyx().signedHeaders(repeat), body: repeat });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { reply: string; duplicate: boolean }).duplicate).toBe(round === 1);
    }
    await drain();
    const help = inboundReply(config, { intent: 'help', language: 'es' })!;
    expect(fromUs().map((message) => message.text)).toEqual([confirmation, help]);

    // STOP and HELP in English: Telnyx answered them itself (autoresponse_type); a second answer from us would repeat
    // it. STOP still opts out on our side; Telnyx's block stays its own.
    await database.db.deleteFrom('consents').execute();
    for (const text of ['HELP', 'STOP']) {
      const answer = await telnyx().sendInbound({ url, from: PHONE, to: TELNYX_FROM, text });
      expect([answer.status, JSON.parse(answer.body).reply]).toEqual([200, 'provider_answered']);
    }
    await drain();
    expect(fromUs()).toHaveLength(2);
    expect(
      telnyx()
        .autoResponses.filter((answer) => answer.to === PHONE)
        .map((answer) => answer.type),
    ).toEqual(['HELP', 'STOP']);
    await expectOptedOut(PHONE);
    expect((await replyRows()).map((row) => row.status)).toEqual(['done', 'done']);
    const inbound = await database.db.selectFrom('inbound_messages').select(['intent']).orderBy('id').execute();
    expect(inbound.map((row) => row.intent)).toEqual(['stop', 'help', 'help', 'stop']);

    // Staff resending the ALTO confirmation from Messages: the copy is staff's text, so the opt-out holds it.
    const [first] = await database.db
      .selectFrom('outbox')
      .select('id')
      .where(sql<boolean>`payload->>'sequence' = 'keyword_reply'`)
      .orderBy('id')
      .execute();
    const resent = await resendMessage(app.context, first!.id, { actor: 'staff@office' });
    if (!resent.ok) throw new Error(resent.message);
    await drain();
    const copy = await database.db.selectFrom('outbox').select(['status', 'payload', 'last_error']).where('id', '=', resent.id).executeTakeFirstOrThrow();
    expect([copy.status, (copy.payload as { keywordReply: unknown }).keywordReply]).toEqual(['dead', null]);
    expect(copy.last_error).toContain('opted out');
    expect(fromUs()).toHaveLength(2);
  });

  it('e-mail: an SMTP 4xx fails over to SendGrid; a 550 for the recipient is final; a lost answer is never sent twice', async () => {
    const smtp = app.context.sandbox!.smtp;
    const sendgrid = app.context.sandbox!.sendgrid;
    const composeEmail = async (subject: string, to = EMAIL) => {
      const composed = await composeMessage(app.context, {
        clientId: CLIENT,
        channel: 'email',
        to,
        purpose: 'transactional',
        subject,
        text: 'Your documents are ready.',
        actor: 'staff@office',
      });
      if (!composed.ok) throw new Error(composed.message);
      return composed.id;
    };
    const statusOf = async (id: number) => (await database.db.selectFrom('outbox').select(['status']).where('id', '=', id).executeTakeFirstOrThrow()).status;

    // A 4xx after the data (the server is busy): never accepted → SendGrid sends it now; its signed events are recorded.
    smtp.deferNextData(1);
    const busy = await composeEmail('Busy server');
    await drain();
    await sendgrid.flushEvents();
    expect(await statusOf(busy)).toBe('done');
    expect(sendgrid.mailsTo(EMAIL).map((mail) => mail.subject)).toEqual(['Busy server']);
    expect(smtp.messagesTo(EMAIL)).toHaveLength(0);
    const delivery = await database.db.selectFrom('message_deliveries').select(['provider', 'status']).where('outbox_id', '=', busy).executeTakeFirstOrThrow();
    expect(delivery).toEqual({ provider: 'sendgrid', status: 'delivered' });

    // 550 for the recipient: final, never tried at SendGrid.
    smtp.rejectRecipient('nobody@example.com');
    const refused = await composeEmail('Refused', 'nobody@example.com');
    await drain();
    expect(await statusOf(refused)).toBe('dead');
    expect(sendgrid.mailsTo('nobody@example.com')).toHaveLength(0);

    // The server had all of it and the connection dropped: unknown for a person, not sent through SendGrid.
    smtp.dropAfterData(1);
    const lost = await composeEmail('Lost answer', 'lee@example.com');
    await drain();
    clock.advance(10 * MINUTE);
    await drain();
    expect(await statusOf(lost)).toBe('unknown');
    expect(smtp.messagesTo('lee@example.com')).toHaveLength(1);
    expect(sendgrid.mailsTo('lee@example.com')).toHaveLength(0);
  });

  it('e-mail: SMTP down opens its circuit after 5 failures, later mail goes straight to SendGrid, and SMTP is probed back after 30 s', async () => {
    const smtp = app.context.sandbox!.smtp;
    const sendgrid = app.context.sandbox!.sendgrid;
    smtp.goDown();
    const ids: number[] = [];
    for (let n = 0; n < 30; n += 1) {
      const composed = await composeMessage(app.context, {
        clientId: CLIENT,
        channel: 'email',
        to: `p${n}@example.com`,
        purpose: 'transactional',
        subject: `Outage ${n}`,
        text: 'Hello.',
        actor: 'staff@office',
      });
      if (!composed.ok) throw new Error(composed.message);
      ids.push(composed.id);
    }
    await drain();
    const rows = await database.db.selectFrom('outbox').select(['status']).where('id', 'in', ids).execute();
    expect(rows.every((row) => row.status === 'done')).toBe(true);
    expect(sendgrid.mails).toHaveLength(30);
    expect(new Set(sendgrid.mails.map((mail) => mail.to[0])).size).toBe(30);
    expect(await circuit('smtp')).toBe('open');
    const skipped = (await app.context.metrics.registry.getSingleMetric('switchboard_provider_sends_total')!.get()).values.find(
      (value) => value.labels.provider === 'smtp' && value.labels.outcome === 'skipped_open',
    );
    expect(skipped?.value).toBeGreaterThan(0);

    // The Connections screen shows each provider of the office's chains with its circuit state; metrics too.
    const staff = await signIn(app, await aUser(app, 'staff', [CLIENT]));
    const view = await staff.request('GET', `/v1/api/connections?client=${CLIENT}`);
    const providers = (view.body as { connections: Array<{ providers: Array<{ channel: string; provider: string; state: string }> }> }).connections[0]!
      .providers;
    expect(providers.map(({ channel, provider, state }) => `${channel} ${provider} ${state}`)).toEqual([
      'sms twilio closed',
      'sms telnyx closed',
      'email smtp open',
      'email sendgrid closed',
    ]);
    const metrics = await app.context.metrics.registry.getSingleMetric('switchboard_provider_circuit_state')!.get();
    expect(metrics.values.find((value) => value.labels.provider === 'smtp')?.value).toBe(2);

    smtp.restore();
    clock.advance(30 * SECOND);
    const composed = await composeMessage(app.context, {
      clientId: CLIENT,
      channel: 'email',
      to: EMAIL,
      purpose: 'transactional',
      subject: 'Back',
      text: 'Hello.',
      actor: 'staff@office',
    });
    if (!composed.ok) throw new Error(composed.message);
    await drain();
    expect(smtp.messagesTo(EMAIL)).toHaveLength(1);
    expect(await circuit('smtp')).toBe('closed');
    expect(sendgrid.mails).toHaveLength(30);
  });

  it('e-mail: SMTP refusing every connection for 10 minutes: 1,000 queued e-mails all go out through SendGrid once, one handler run each once the circuit is open, and SMTP has the traffic again within 60 s of recovering', async () => {
    const smtp = app.context.sandbox!.smtp;
    const sendgrid = app.context.sandbox!.sendgrid;
    const queueMails = async (count: number, tag: string, first = 0) => {
      await sql`
        insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
        select ${CLIENT}, 'email', jsonb_build_object('to', 'p' || n || '@example.com', 'purpose', 'transactional',
          'template', 'confirmation', 'sequence', 'confirmation', 'subject', ${`You are booked (${tag})`}::text,
          'text', 'Smart Tax Nation: you are booked.'), ${tag} || '-' || n, ${clock.now()}, 3, 60000, ${clock.now()}, ${clock.now()}
        from generate_series(${first}::int, ${first + count - 1}::int) as n`.execute(database.db);
    };
    smtp.goDown();
    // The first e-mails meet the refusing server and open the circuit; the send time is measured from then on.
    await queueMails(10, 'mail-opening', 5000);
    await drain();
    expect(await circuit('smtp')).toBe('open');
    app.context.metrics.handlerDuration.reset();
    await queueMails(1000, 'mail-outage');
    await drain();

    const rows = await database.db.selectFrom('outbox').select(['status']).where('kind', '=', 'email').execute();
    expect(rows.filter((row) => row.status !== 'done')).toEqual([]);
    const viaSendgrid = sendgrid.mails.map((mail) => mail.to[0]);
    expect(viaSendgrid).toHaveLength(1010);
    expect(new Set(viaSendgrid).size).toBe(1010);
    expect(smtp.messages).toHaveLength(0);
    expect(await circuit('smtp')).toBe('open');
    // With the circuit open, every send was one successful handler run (no retries). How long each took is a speed
    // figure, measured by `npm run bench -- failover` (p99 ≤ 1 s), not asserted here: a timed test fails on a busy box.
    const histogram = await app.context.metrics.handlerDuration.get();
    const ok = histogram.values.filter((value) => value.labels.kind === 'email' && value.labels.outcome === 'ok');
    const total = ok.find((value) => value.metricName?.endsWith('_count'))?.value ?? 0;
    expect(total).toBe(1000);

    // The rest of the 10 minutes: every 30 s one e-mail probes SMTP (still refusing) and goes on to SendGrid.
    for (let step = 1; step <= 19; step += 1) {
      clock.advance(30 * SECOND);
      await queueMails(1, `mail-minute-${step}`, 2000 + step);
      await drain();
    }
    expect(sendgrid.mails).toHaveLength(1029);
    expect(smtp.messages).toHaveLength(0);
    expect(await circuit('smtp')).toBe('open');

    // SMTP recovers: within 60 s the probe closes the circuit and mail goes through SMTP again.
    smtp.restore();
    clock.advance(30 * SECOND);
    await queueMails(1, 'mail-probe', 3000);
    await drain();
    expect(await circuit('smtp')).toBe('closed');
    await queueMails(3, 'mail-recovered', 3001);
    await drain();
    expect(smtp.messages).toHaveLength(4);
    expect(sendgrid.mails).toHaveLength(1029);
    expect(alerts.filter((alert) => alert.fingerprint.startsWith('provider-circuit:smtp:')).map((alert) => alert.details?.state)).toEqual(['open', 'closed']);
  }, 300_000);

  it('a SendGrid unsubscribe event (signed) opts the address out; a bad signature is 401', async () => {
    const sendgrid = app.context.sandbox!.sendgrid;
    const url = `${app.url}/v1/sendgrid/${CLIENT}/events`;
    const event = { email: EMAIL, timestamp: Math.floor(clock.now().getTime() / 1000), event: 'unsubscribe', sg_event_id: 'ev1', sg_message_id: 'abc.filter1' };
    const body = JSON.stringify([event]);
    const forged = await fetch(url, {
      method: 'POST',
      headers: { ...sendgrid.signedHeaders(body), 'x-twilio-email-event-webhook-signature': 'MEUCIQ==' },
      body,
    });
    expect(forged.status).toBe(401);
    const stale = await fetch(url, { method: 'POST', headers: sendgrid.signedHeaders(body, String(Math.floor(clock.now().getTime() / 1000) - 600)), body });
    expect(stale.status).toBe(401);
    expect(await database.db.selectFrom('consents').selectAll().where('address', '=', EMAIL).execute()).toEqual([]);

    expect((await sendgrid.postEvents(url, [event])).status).toBe(204);
    const consent = await database.db.selectFrom('consents').select(['channel', 'purpose', 'status']).where('address', '=', EMAIL).execute();
    expect(consent).toEqual([{ channel: 'email', purpose: 'marketing', status: 'opted_out' }]);
  });
});

// Two instances on one database: PostgreSQL only (a PGlite database belongs to one process).
describe('provider chains on two instances of one PostgreSQL database', () => {
  const kind = 'postgres' as const;
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    await database.db.deleteFrom('provider_circuits').execute();
    await database.db.deleteFrom('message_provider_attempts').execute();
    clock = new ManualClock('2026-03-02T15:00:00Z');
    ({ app } = await startChainApp(kind, database, clock));
  });
  afterEach(async () => {
    await app?.close();
  });

  const twilio = () => app.context.sandbox!.twilio;
  const twilioPosts = () => twilio().emulator.received('/Messages.json', 'POST').length;
  const circuit = async (provider: string) =>
    (await database.db.selectFrom('provider_circuits').select(['state']).where('provider', '=', provider).executeTakeFirst())?.state ?? 'closed';
  async function drain() {
    await app.worker.drain({ kinds: MESSAGE_KINDS });
    await twilio().flushCallbacks();
    await app.context.sandbox!.telnyx.flushWebhooks();
  }
  async function composeText(body: string, to: string): Promise<number> {
    const composed = await composeMessage(app.context, { clientId: CLIENT, channel: 'sms', to, purpose: 'transactional', body, actor: 'staff@office' });
    if (!composed.ok) throw new Error(composed.message);
    return composed.id;
  }

  it("the breaker is shared: circuits opened by one instance send the other instance's texts straight to Telnyx", async () => {
    twilio().faults.add({ type: 'fail', status: 503, body: TWILIO_503, match: '/Messages.json', method: 'POST' });
    for (let n = 0; n < 5; n += 1) {
      await composeText(`Smart Tax Nation: text ${n}.`, phoneOf(n));
      await drain();
    }
    expect(twilioPosts()).toBe(5);
    expect(await circuit('twilio')).toBe('open');

    // A second instance on the same database, whose own Twilio emulator would answer: it is not asked.
    const other = await startChainApp(kind, database, clock);
    try {
      await composeText('Smart Tax Nation: from the other instance.', phoneOf(9));
      await other.app.worker.drain({ kinds: MESSAGE_KINDS });
      expect(other.app.context.sandbox!.twilio.emulator.received('/Messages.json', 'POST')).toHaveLength(0);
      expect(other.app.context.sandbox!.telnyx.outbound().map((message) => message.to)).toEqual([phoneOf(9)]);
    } finally {
      await other.app.close();
    }
  });
});
