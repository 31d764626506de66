import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VendorError } from '../../src/core/errors.js';
import { EmulatorHttpClient } from '../../src/providers/twilio/http-client.js';
import { createTwilioNumbers } from '../../src/providers/twilio/numbers.js';
import { DEFAULT_INCOMING_NUMBER, startTwilioEmulator, type TwilioEmulator } from '../../src/sandbox/twilio.js';

const accountSid = 'AC' + '0123456789abcdef'.repeat(2);
const authToken = 'test-auth-token-0123456789abcdef';
const officeNumber = '+16025550118';
const smsUrl = 'https://switchboard.example/v1/twilio/desert-bookkeeping/inbound';
const statusUrl = 'https://switchboard.example/v1/twilio/desert-bookkeeping/status';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function anEmulator(options: Partial<Parameters<typeof startTwilioEmulator>[0]> = {}): Promise<TwilioEmulator> {
  const emulator = await startTwilioEmulator({ accountSid, authToken, clock: new ManualClock('2026-03-02T15:00:00Z'), ...options });
  cleanups.push(() => emulator.close());
  return emulator;
}

function aClient(emulator: TwilioEmulator, overrides: { authToken?: string; timeoutMs?: number } = {}) {
  const httpClient = new EmulatorHttpClient({ baseUrl: emulator.url });
  cleanups.push(() => httpClient.close());
  return createTwilioNumbers({
    accountSid,
    authToken: overrides.authToken ?? authToken,
    httpClient: httpClient.asRequestClient(),
    timeoutMs: overrides.timeoutMs,
  });
}

function basicAuth(password = authToken): string {
  return 'Basic ' + Buffer.from(`${accountSid}:${password}`).toString('base64');
}

async function getJson(emulator: TwilioEmulator, path: string, password?: string) {
  const response = await fetch(emulator.url + path, { headers: { authorization: basicAuth(password) } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const numbersPath = `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json`;

describe('Twilio emulator: the account and its numbers', () => {
  it('owns the default demo number unless told otherwise', async () => {
    const emulator = await anEmulator();
    const { status, body } = await getJson(emulator, numbersPath);
    expect(status).toBe(200);
    const numbers = body.incoming_phone_numbers as Array<Record<string, unknown>>;
    expect(numbers.map((number) => number.phone_number)).toEqual([DEFAULT_INCOMING_NUMBER]);
    expect(numbers[0]).toMatchObject({
      sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      account_sid: accountSid,
      sms_url: '',
      sms_method: 'POST',
      status_callback: '',
      capabilities: { sms: true, voice: true, mms: true, fax: false },
      date_created: 'Mon, 02 Mar 2026 15:00:00 +0000',
    });
  });

  it('filters by PhoneNumber (encoded +, partial, * per digit) and pages with a PageToken in next_page_uri', async () => {
    const emulator = await anEmulator({
      incomingNumbers: [{ phoneNumber: officeNumber }, { phoneNumber: '+16025550119' }, { phoneNumber: '+12125550199' }],
    });
    const exact = await getJson(emulator, `${numbersPath}?PhoneNumber=%2B16025550118`);
    expect((exact.body.incoming_phone_numbers as Array<{ phone_number: string }>).map((number) => number.phone_number)).toEqual([officeNumber]);
    // An unencoded + arrives as a space, as at Twilio, and matches nothing.
    const unencoded = await getJson(emulator, `${numbersPath}?PhoneNumber=+16025550118`);
    expect(unencoded.body.incoming_phone_numbers).toEqual([]);
    const wildcard = await getJson(emulator, `${numbersPath}?PhoneNumber=602555011*`);
    expect((wildcard.body.incoming_phone_numbers as unknown[]).length).toBe(2);

    const first = await getJson(emulator, `${numbersPath}?PageSize=2`);
    expect(first.body).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(first.body.next_page_uri).toMatch(/PageSize=2&Page=1&PageToken=PAPN[0-9a-f]{32}$/);
    const second = await getJson(emulator, String(first.body.next_page_uri));
    expect(second.body).toMatchObject({ page: 1, start: 2, end: 2, next_page_uri: null });
    expect((second.body.incoming_phone_numbers as Array<{ phone_number: string }>)[0]!.phone_number).toBe('+12125550199');
  });

  it('answers a wrong token with 401 and Twilio error 20003, and an unknown number with 404 / 20404', async () => {
    const emulator = await anEmulator();
    const account = await getJson(emulator, `/2010-04-01/Accounts/${accountSid}.json`, 'wrong-token');
    expect(account.status).toBe(401);
    expect(account.body).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    const missing = await getJson(emulator, `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/PN${'0'.repeat(32)}.json`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
  });

  it('refuses an invalid SmsUrl (21502) or SmsMethod (21403) and changes nothing', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber }] });
    const number = emulator.incomingNumber(officeNumber)!;
    const post = (fields: Record<string, string>) =>
      fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${number.sid}.json`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

    expect(await post({ SmsUrl: 'not a url', StatusCallback: statusUrl })).toMatchObject({ status: 400, body: { code: 21502 } });
    expect(await post({ SmsUrl: smsUrl, SmsMethod: 'PUT' })).toMatchObject({ status: 400, body: { code: 21403 } });
    expect(emulator.incomingNumber(officeNumber)).toMatchObject({ smsUrl: '', statusCallback: '', smsMethod: 'POST' });
    expect(await post({ SmsUrl: smsUrl, SmsMethod: 'get' })).toMatchObject({ status: 200, body: { sms_url: smsUrl, sms_method: 'GET' } });
  });
  it('takes numbers seeded over HTTP by another process, once per phone number', async () => {
    const emulator = await anEmulator();
    const seed = (body: unknown) =>
      fetch(`${emulator.url}/__sandbox/twilio/numbers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = (await (await seed({ phoneNumber: officeNumber, friendlyName: 'Front desk' })).json()) as Record<string, unknown>;
    const again = (await (await seed({ phoneNumber: officeNumber })).json()) as Record<string, unknown>;
    expect(again.sid).toBe(first.sid);
    expect((await seed({ phoneNumber: '602-555-0118' })).status).toBe(400);
    const listed = await getJson(emulator, `${numbersPath}?PhoneNumber=%2B16025550118`);
    expect(listed.body.incoming_phone_numbers).toEqual([expect.objectContaining({ sid: first.sid, friendly_name: 'Front desk' })]);
  });
});

describe('Twilio numbers client (official SDK against the emulator)', () => {
  it('validates credentials without handing back the auth token', async () => {
    const emulator = await anEmulator();
    const check = await aClient(emulator).validateCredentials();
    expect(check).toEqual({ ok: true, account: { sid: accountSid, friendlyName: 'Switchboard demo account', type: 'Full' } });
    expect(JSON.stringify(check)).not.toContain(authToken);
  });

  it('says plainly when the token is wrong or the account is suspended', async () => {
    const emulator = await anEmulator();
    expect(await aClient(emulator, { authToken: 'not-the-token' }).validateCredentials()).toMatchObject({
      ok: false,
      reason: 'invalid_credentials',
      message: expect.stringContaining('Account SID and Auth Token'),
    });
    emulator.account.status = 'suspended';
    expect(await aClient(emulator).validateCredentials()).toMatchObject({ ok: false, reason: 'account_not_active' });
  });

  it('lists every number across pages and by PhoneNumber filter', async () => {
    const seeds = Array.from({ length: 105 }, (_, index) => ({ phoneNumber: `+1602555${String(1000 + index).padStart(4, '0')}` }));
    const emulator = await anEmulator({ incomingNumbers: seeds });
    const client = aClient(emulator);
    const all = await client.listNumbers();
    expect(all).toHaveLength(105);
    expect(new Set(all.map((number) => number.sid)).size).toBe(105);
    expect(emulator.emulator.received('/IncomingPhoneNumbers.json', 'GET')).toHaveLength(2);
    expect(await client.listNumbers({ phoneNumber: '+16025551004' })).toEqual([
      expect.objectContaining({ phoneNumber: '+16025551004', smsUrl: null, smsMethod: 'POST', capabilities: { sms: true, mms: true, voice: true } }),
    ]);
  });

  it('configures a number once: a second run finds it right and writes nothing', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber }] });
    const client = aClient(emulator);
    const { sid } = emulator.incomingNumber(officeNumber)!;

    const first = await client.configureNumber(sid, { smsUrl, statusCallback: statusUrl });
    expect(first).toMatchObject({ ok: true, changed: true, number: { sid, smsUrl, statusCallback: statusUrl, smsMethod: 'POST' } });
    const again = await client.configureNumber(sid, { smsUrl, statusCallback: statusUrl });
    expect(again).toMatchObject({ ok: true, changed: false, number: { smsUrl, statusCallback: statusUrl } });

    const updates = emulator.emulator.received(`/IncomingPhoneNumbers/${sid}.json`, 'POST');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body).toEqual({ SmsUrl: smsUrl, StatusCallback: statusUrl });
    expect(emulator.incomingNumber(officeNumber)).toMatchObject({ smsUrl, smsMethod: 'POST', statusCallback: statusUrl, statusCallbackMethod: 'POST' });
  });

  it('puts back what someone changed in the console, and leaves the rest alone', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber, voiceUrl: 'https://voice.example/answer' }] });
    const client = aClient(emulator);
    const { sid } = emulator.incomingNumber(officeNumber)!;
    await client.configureNumber(sid, { smsUrl });
    Object.assign(emulator.incomingNumber(officeNumber)!, { smsUrl: 'https://old.example/sms', smsMethod: 'GET' });

    const result = await client.configureNumber(sid, { smsUrl });
    expect(result).toMatchObject({ ok: true, changed: true });
    expect(emulator.emulator.received(`/IncomingPhoneNumbers/${sid}.json`, 'POST').at(-1)!.body).toEqual({ SmsUrl: smsUrl, SmsMethod: 'POST' });
    expect(emulator.incomingNumber(officeNumber)).toMatchObject({ smsUrl, smsMethod: 'POST', voiceUrl: 'https://voice.example/answer', statusCallback: '' });
  });

  it('answers a value for an unknown number and for an SMS application that would win over the URL', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber, smsApplicationSid: 'AP' + 'b'.repeat(32) }] });
    const client = aClient(emulator);
    expect(await client.configureNumber(`PN${'0'.repeat(32)}`, { smsUrl })).toMatchObject({ ok: false, reason: 'number_not_found' });
    const { sid } = emulator.incomingNumber(officeNumber)!;
    expect(await client.configureNumber(sid, { smsUrl })).toMatchObject({ ok: false, reason: 'sms_application_overrides' });
    expect(emulator.emulator.received(`/IncomingPhoneNumbers/${sid}.json`, 'POST')).toHaveLength(0);
    expect(await client.configureNumber(sid, { smsUrl, replaceSmsApplication: true })).toMatchObject({
      ok: true,
      changed: true,
      number: { smsApplicationSid: null, smsUrl },
    });
  });

  it('after an update whose answer was lost, throws a retryable error and the re-run finds the work done', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber }] });
    const client = aClient(emulator, { timeoutMs: 300 });
    const { sid } = emulator.incomingNumber(officeNumber)!;
    emulator.faults.timeoutAfterCommit(1, { match: `/IncomingPhoneNumbers/${sid}.json`, method: 'POST', hangMs: 1_000 });

    const lost = await client.configureNumber(sid, { smsUrl }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(VendorError);
    expect(lost).toMatchObject({ vendor: 'twilio', retryable: true });
    expect(emulator.incomingNumber(officeNumber)!.smsUrl).toBe(smsUrl);

    expect(await client.configureNumber(sid, { smsUrl })).toMatchObject({ ok: true, changed: false });
    expect(emulator.emulator.received(`/IncomingPhoneNumbers/${sid}.json`, 'POST')).toHaveLength(1);
  });

  it('classifies a transient 503 as retryable and a wrong token while configuring as not', async () => {
    const emulator = await anEmulator({ incomingNumbers: [{ phoneNumber: officeNumber }] });
    const { sid } = emulator.incomingNumber(officeNumber)!;
    emulator.faults.failNext(1, 503, { code: 20500, message: 'Service Unavailable', status: 503 }, { match: '/IncomingPhoneNumbers/' });
    await expect(aClient(emulator).configureNumber(sid, { smsUrl })).rejects.toMatchObject({ retryable: true, status: 503 });
    await expect(aClient(emulator, { authToken: 'nope' }).configureNumber(sid, { smsUrl })).rejects.toMatchObject({ retryable: false, code: '20003' });
    expect(await aClient(emulator).configureNumber(sid, { smsUrl })).toMatchObject({ ok: true, changed: true });
  });
});
