import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { EmulatorHttpClient, rewriteTwilioUrl } from '../../src/providers/twilio/http-client.js';
import { countSegments, startTwilioEmulator, type TwilioEmulator } from '../../src/sandbox/twilio.js';

const accountSid = 'AC' + '0123456789abcdef'.repeat(2);
const authToken = 'test-auth-token-0123456789abcdef';
const ourNumber = '+15005550006';
const customer = '+14155550123';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function anEmulator(options: Partial<Parameters<typeof startTwilioEmulator>[0]> = {}): Promise<TwilioEmulator> {
  const emulator = await startTwilioEmulator({ accountSid, authToken, ...options });
  cleanups.push(() => emulator.close());
  return emulator;
}

/** A stand-in for our webhook server: checks signatures with the SDK's validateRequest and records what came. */
async function aWebhookReceiver(answer: (params: Record<string, string>) => { status?: number; type?: string; body: string } = () => ({ body: '' })) {
  const app: FastifyInstance = Fastify();
  await app.register(formbody);
  const received: Array<{ path: string; params: Record<string, string>; signatureValid: boolean }> = [];
  let base = '';
  app.post('/*', async (request, reply) => {
    const params = { ...(request.body as Record<string, string>) };
    const signature = String(request.headers['x-twilio-signature'] ?? '');
    const signatureValid = twilio.validateRequest(authToken, signature, base + request.url, params);
    received.push({ path: request.url, params, signatureValid });
    const { status = 200, type = 'text/xml', body } = answer(params);
    return reply.code(status).type(type).send(body);
  });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
  cleanups.push(() => app.close());
  return { url: (path: string) => base + path, received };
}

function basicAuth(user = accountSid, password = authToken): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

async function postMessage(emulator: TwilioEmulator, fields: Record<string, string>, auth = basicAuth()) {
  const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Twilio emulator: sending', () => {
  it('answers a valid send with 201 and the full snake_case message resource', async () => {
    const clock = new ManualClock('2026-01-15T15:00:00Z');
    const emulator = await anEmulator({ clock });
    const { status, body } = await postMessage(emulator, { To: customer, From: ourNumber, Body: 'Your appointment is confirmed.' });

    expect(status).toBe(201);
    expect(body.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(body).toMatchObject({
      account_sid: accountSid,
      to: customer,
      from: ourNumber,
      body: 'Your appointment is confirmed.',
      status: 'queued',
      direction: 'outbound-api',
      num_segments: '1',
      num_media: '0',
      price: null,
      error_code: null,
      error_message: null,
      messaging_service_sid: null,
      api_version: '2010-04-01',
      date_created: 'Thu, 15 Jan 2026 15:00:00 +0000',
      date_sent: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${String(body.sid)}.json`,
    });
    expect(emulator.messagesTo(customer)).toHaveLength(1);
  });

  it('rejects wrong credentials with 401 and code 20003, creating nothing', async () => {
    const emulator = await anEmulator();
    const { status, body } = await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' }, basicAuth(accountSid, 'wrong'));
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 20003, status: 401, more_info: 'https://www.twilio.com/docs/errors/20003' });
    expect(emulator.messages).toHaveLength(0);
  });

  it('validates To, From and Body with Twilio error codes', async () => {
    const emulator = await anEmulator();
    const cases: Array<[Record<string, string>, number]> = [
      [{ From: ourNumber, Body: 'hi' }, 21604],
      [{ To: '+1555', From: ourNumber, Body: 'hi' }, 21211],
      [{ To: '4155550123', From: ourNumber, Body: 'hi' }, 21211],
      [{ To: customer, Body: 'hi' }, 21603],
      [{ To: customer, From: ourNumber }, 21602],
      [{ To: customer, From: ourNumber, Body: 'x'.repeat(1601) }, 21617],
      [{ To: customer, From: 'not a number!', Body: 'hi' }, 21212],
      [{ To: customer, From: ourNumber, Body: 'hi', StatusCallback: 'not a url' }, 21609],
    ];
    for (const [fields, code] of cases) {
      const { status, body } = await postMessage(emulator, fields);
      expect({ fields, status, code: body.code }).toEqual({ fields, status: 400, code });
      expect(body.message).toEqual(expect.any(String));
    }
    expect(emulator.messages).toHaveLength(0);
  });

  it('fails the magic test numbers the way real Twilio does', async () => {
    const emulator = await anEmulator();
    const expected: Record<string, number> = {
      '+15005550001': 21211,
      '+15005550002': 21612,
      '+15005550003': 21408,
      '+15005550004': 21610,
      '+15005550009': 21614,
    };
    for (const [to, code] of Object.entries(expected)) {
      const { status, body } = await postMessage(emulator, { To: to, From: ourNumber, Body: 'hi' });
      expect({ to, status, code: body.code }).toEqual({ to, status: 400, code });
    }
  });

  it('answers 21610 for a number marked as opted out, and sends again after opt-in', async () => {
    const emulator = await anEmulator();
    emulator.optOut(customer);
    expect((await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' })).body.code).toBe(21610);
    emulator.optIn(customer);
    expect((await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' })).status).toBe(201);
  });

  it('accepts a messaging service send with status accepted and no sender yet', async () => {
    const emulator = await anEmulator();
    const service = 'MG' + 'a'.repeat(32);
    const { status, body } = await postMessage(emulator, { To: customer, MessagingServiceSid: service, Body: 'hi' });
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: 'accepted', messaging_service_sid: service, from: null, num_segments: '0' });
    await emulator.flushCallbacks();
    expect(emulator.messagesTo(customer)[0]).toMatchObject({ status: 'delivered', from: ourNumber });
  });

  it('answers 429 / 20429 while rate limited, which the SDK surfaces as a RestException', async () => {
    const emulator = await anEmulator();
    emulator.rateLimitNext(1);
    const client = twilio(accountSid, authToken, { httpClient: new EmulatorHttpClient({ baseUrl: emulator.url }).asRequestClient() });
    await expect(client.messages.create({ to: customer, from: ourNumber, body: 'hi' })).rejects.toMatchObject({ status: 429, code: 20429 });
    await expect(client.messages.create({ to: customer, from: ourNumber, body: 'hi' })).resolves.toMatchObject({ status: 'queued' });
    expect(emulator.messages).toHaveLength(1);
  });

  it('can be scripted over HTTP by another process', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver(() => ({ body: '<Response/>' }));
    const control = (path: string, body: unknown) =>
      fetch(`${emulator.url}/__sandbox/twilio/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await control('opt-outs', { number: customer })).status).toBe(200);
    expect((await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' })).body.code).toBe(21610);

    expect((await control('outcomes', { status: 'undelivered', errorCode: 30005 })).status).toBe(200);
    await postMessage(emulator, { To: '+12125550199', From: ourNumber, Body: 'hi', StatusCallback: receiver.url('/status') });
    await emulator.flushCallbacks();
    expect(receiver.received.at(-1)?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30005' });

    const inbound = await control('inbound', { url: receiver.url('/in'), from: customer, to: ourNumber, body: 'HELP' });
    expect(await inbound.json()).toMatchObject({ status: 200, body: '<Response/>' });
    expect(receiver.received.at(-1)?.params).toMatchObject({ Body: 'HELP', From: customer });
  });

  it('counts segments as GSM-7 or UCS-2', () => {
    expect(countSegments('a'.repeat(160))).toBe(1);
    expect(countSegments('a'.repeat(161))).toBe(2);
    expect(countSegments('a'.repeat(306))).toBe(2);
    expect(countSegments('a'.repeat(307))).toBe(3);
    expect(countSegments('€'.repeat(80))).toBe(1);
    expect(countSegments('€'.repeat(81))).toBe(2);
    expect(countSegments('Thanks 🙂')).toBe(1);
    expect(countSegments('’'.repeat(71))).toBe(2);
  });
});

describe('Twilio emulator: fetch and list', () => {
  it('fetches a message by sid and lists with To filters in Twilio page shape', async () => {
    const emulator = await anEmulator();
    const first = await postMessage(emulator, { To: customer, From: ourNumber, Body: 'one' });
    await postMessage(emulator, { To: '+12125550199', From: ourNumber, Body: 'two' });
    await postMessage(emulator, { To: customer, From: ourNumber, Body: 'three' });
    const headers = { authorization: basicAuth() };
    const base = `${emulator.url}/2010-04-01/Accounts/${accountSid}`;

    const fetched = await fetch(`${base}/Messages/${String(first.body.sid)}.json`, { headers });
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toMatchObject({ sid: first.body.sid, body: 'one' });

    const missing = await fetch(`${base}/Messages/SM${'0'.repeat(32)}.json`, { headers });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 20404, status: 404 });

    const list = (await (await fetch(`${base}/Messages.json?To=${encodeURIComponent(customer)}&PageSize=1`, { headers })).json()) as {
      messages: Array<{ body: string }>;
      page: number;
      page_size: number;
      next_page_uri: string | null;
      first_page_uri: string;
      start: number;
      end: number;
    };
    expect(list.messages.map((message) => message.body)).toEqual(['three']);
    expect(list).toMatchObject({ page: 0, page_size: 1, start: 0, end: 0 });
    expect(list.next_page_uri).toContain('Page=1');
    const next = (await (await fetch(emulator.url + String(list.next_page_uri), { headers })).json()) as typeof list;
    expect(next.messages.map((message) => message.body)).toEqual(['one']);
    expect(next.next_page_uri).toBeNull();
  });
});

describe('Twilio emulator: status callbacks', () => {
  it('posts signed sent then delivered callbacks after the 201 and records our answers', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver();
    const { body } = await postMessage(emulator, {
      To: customer,
      From: ourNumber,
      Body: 'hi',
      StatusCallback: receiver.url('/twilio/status?client=smart-tax-nation'),
    });
    await emulator.flushCallbacks();

    expect(receiver.received.map((request) => request.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const request of receiver.received) {
      expect(request.signatureValid).toBe(true);
      expect(request.path).toBe('/twilio/status?client=smart-tax-nation');
      expect(request.params).toMatchObject({
        MessageSid: body.sid,
        SmsSid: body.sid,
        SmsStatus: request.params.MessageStatus,
        AccountSid: accountSid,
        From: ourNumber,
        To: customer,
        ApiVersion: '2010-04-01',
      });
      expect(request.params.ErrorCode).toBeUndefined();
    }
    expect(emulator.callbacks.map((callback) => [callback.status, callback.response?.status])).toEqual([
      ['sent', 200],
      ['delivered', 200],
    ]);
    const message = emulator.messagesTo(customer)[0];
    expect(message?.history.map((change) => change.status)).toEqual(['queued', 'sent', 'delivered']);
    expect(message?.dateSent).toBeInstanceOf(Date);
  });

  it('reports the configured outcome with its error code', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver();
    emulator.setOutcome(customer, 'undelivered', 30003);
    emulator.setDefaultOutcome('failed', 30007);
    await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi', StatusCallback: receiver.url('/status') });
    await postMessage(emulator, { To: '+12125550199', From: ourNumber, Body: 'hi', StatusCallback: receiver.url('/status') });
    await emulator.flushCallbacks();

    const byRecipient = (to: string) =>
      receiver.received.filter((request) => request.params.To === to).map((request) => [request.params.MessageStatus, request.params.ErrorCode]);
    expect(byRecipient(customer)).toEqual([
      ['sent', undefined],
      ['undelivered', '30003'],
    ]);
    expect(byRecipient('+12125550199')).toEqual([['failed', '30007']]);
    expect(receiver.received.every((request) => request.signatureValid)).toBe(true);

    const fetched = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages/${emulator.messagesTo(customer)[0]?.sid}.json`, {
      headers: { authorization: basicAuth() },
    });
    expect(await fetched.json()).toMatchObject({ status: 'undelivered', error_code: 30003 });
  });

  it('records a callback our server refused, and can replay a duplicate callback', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver(() => ({ status: 500, body: 'boom' }));
    const { body } = await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi', StatusCallback: receiver.url('/status') });
    await emulator.flushCallbacks();
    expect(emulator.callbacks.map((callback) => callback.response)).toEqual([
      { status: 500, body: 'boom' },
      { status: 500, body: 'boom' },
    ]);

    const duplicate = await emulator.sendStatusCallback(String(body.sid), 'sent');
    expect(duplicate.response?.status).toBe(500);
    expect(receiver.received.map((request) => request.params.MessageStatus)).toEqual(['sent', 'delivered', 'sent']);
  });
});

describe('Twilio emulator: inbound SMS', () => {
  it('posts a signed inbound webhook and returns our TwiML answer', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver(() => ({
      body: '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it.</Message></Response>',
    }));
    const result = await emulator.sendInbound({
      url: receiver.url('/twilio/inbound'),
      from: '+13055550142',
      to: ourNumber,
      body: 'Can I move my appointment?',
    });

    expect(result.status).toBe(200);
    expect(result.contentType).toContain('text/xml');
    expect(result.body).toContain('<Message>Thanks, got it.</Message>');
    const [request] = receiver.received;
    expect(request?.signatureValid).toBe(true);
    expect(request?.params).toMatchObject({
      MessageSid: result.messageSid,
      SmsSid: result.messageSid,
      SmsMessageSid: result.messageSid,
      AccountSid: accountSid,
      From: '+13055550142',
      To: ourNumber,
      Body: 'Can I move my appointment?',
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
      FromState: 'FL',
    });
  });

  it('blocks later sends to a number that texted STOP until it texts START', async () => {
    const emulator = await anEmulator();
    const receiver = await aWebhookReceiver(() => ({ body: '<Response/>' }));
    await emulator.sendInbound({ url: receiver.url('/in'), from: customer, to: ourNumber, body: ' stop ' });
    expect((await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' })).body.code).toBe(21610);
    await emulator.sendInbound({ url: receiver.url('/in'), from: customer, to: ourNumber, body: 'START' });
    expect((await postMessage(emulator, { To: customer, From: ourNumber, Body: 'hi' })).status).toBe(201);
  });
});

describe('EmulatorHttpClient with the real twilio SDK', () => {
  function aClient(emulator: TwilioEmulator, timeoutMs?: number) {
    const httpClient = new EmulatorHttpClient({ baseUrl: emulator.url, timeoutMs });
    return twilio(accountSid, authToken, { httpClient: httpClient.asRequestClient() });
  }

  it('creates and fetches a message through the SDK', async () => {
    const emulator = await anEmulator();
    const client = aClient(emulator);
    const created = await client.messages.create({
      to: customer,
      from: ourNumber,
      body: 'Reminder: tomorrow 10:00',
      mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'],
    });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created.status).toBe('queued');
    expect(created.numMedia).toBe('2');
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(emulator.messages[0]?.mediaUrls).toEqual(['https://example.com/a.png', 'https://example.com/b.png']);

    await emulator.flushCallbacks();
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.body).toBe('Reminder: tomorrow 10:00');

    const listed = await client.messages.list({ to: customer });
    expect(listed.map((message) => message.sid)).toEqual([created.sid]);
  });

  it('lists by To, From and DateSent>= (a UTC day) through the SDK; a message not sent yet matches no date filter', async () => {
    const clock = new ManualClock('2026-03-02T23:30:00Z');
    const emulator = await anEmulator({ clock });
    const client = aClient(emulator);
    const monday = await client.messages.create({ to: customer, from: ourNumber, body: 'monday' });
    await emulator.flushCallbacks(); // sent (date_sent set) at Monday 23:30 UTC
    clock.set('2026-03-03T08:00:00Z');
    const tuesday = await client.messages.create({ to: customer, from: ourNumber, body: 'tuesday' });
    await emulator.flushCallbacks();
    await client.messages.create({ to: customer, from: '+15005550010', body: 'other sender' });
    await emulator.flushCallbacks();
    emulator.setDefaultOutcome('sent');
    const queued = await client.messages.create({ to: customer, from: ourNumber, body: 'still queued' });
    emulator.message(queued.sid)!.dateSent = null; // as if Twilio had not sent it yet

    const sids = (messages: Array<{ sid: string }>) => messages.map((message) => message.sid);
    // Twilio reads the filter as a day: Monday 23:59 still means "sent on or after Monday".
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, dateSentAfter: new Date('2026-03-02T23:59:00Z') }))).toEqual([
      tuesday.sid,
      monday.sid,
    ]);
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, dateSentAfter: new Date('2026-03-03T00:00:00Z') }))).toEqual([tuesday.sid]);
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, dateSentBefore: new Date('2026-03-02T12:00:00Z') }))).toEqual([monday.sid]);
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, dateSent: new Date('2026-03-03T00:00:00Z') }))).toEqual([tuesday.sid]);
    // Without a date filter the queued one is there too, newest first; paging keeps the filters.
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, pageSize: 1 }))).toEqual([queued.sid, tuesday.sid, monday.sid]);
    expect(sids(await client.messages.list({ to: customer, from: ourNumber, dateSentAfter: new Date('2026-03-02T00:00:00Z'), pageSize: 1 }))).toEqual([
      tuesday.sid,
      monday.sid,
    ]);
    const bad = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages.json?DateSent%3E=soon`, { headers: { authorization: basicAuth() } });
    expect(bad.status).toBe(400);
  });

  it('surfaces a 21211 as the SDK RestException with code and status', async () => {
    const emulator = await anEmulator();
    const client = aClient(emulator);
    const error = await client.messages.create({ to: '+15005550001', from: ourNumber, body: 'hi' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ code: 21211, status: 400, moreInfo: 'https://www.twilio.com/docs/errors/21211' });
  });

  it('surfaces bad credentials as a 20003 RestException', async () => {
    const emulator = await anEmulator();
    const client = twilio(accountSid, 'wrong-token', { httpClient: new EmulatorHttpClient({ baseUrl: emulator.url }).asRequestClient() });
    await expect(client.messages.create({ to: customer, from: ourNumber, body: 'hi' })).rejects.toMatchObject({ code: 20003, status: 401 });
  });

  it('times out with ETIMEDOUT when the emulator commits but never answers', async () => {
    const emulator = await anEmulator();
    emulator.faults.timeoutAfterCommit(1, { match: '/Messages.json', hangMs: 5_000 });
    const client = aClient(emulator, 200);
    await expect(client.messages.create({ to: customer, from: ourNumber, body: 'hi' })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // The message exists although we never heard back: the reason senders need idempotency.
    expect(emulator.messagesTo(customer)).toHaveLength(1);
  });

  it('rewrites any twilio.com host onto the base URL and leaves other hosts alone', () => {
    expect(rewriteTwilioUrl('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1', 'http://127.0.0.1:9/tw/').href).toBe(
      'http://127.0.0.1:9/tw/2010-04-01/Accounts/AC1/Messages.json?To=%2B1',
    );
    expect(rewriteTwilioUrl('https://messaging.twilio.com/v1/Services', 'http://127.0.0.1:9').href).toBe('http://127.0.0.1:9/v1/Services');
    expect(rewriteTwilioUrl('https://example.com/x', 'http://127.0.0.1:9').href).toBe('https://example.com/x');
  });
});
