/**
 * Issues 9 and 14: property-based fuzzing (fast-check) of every public endpoint. Whatever arrives — random JSON,
 * vendor-shaped payloads with wrong types, NUL characters and lone surrogates in any string or key, nesting up to
 * 10,000 levels, timestamps like 1e308, raw bytes, odd content types — the answer is never a 5xx (a 503 would make
 * Retell retry forever), and a Retell event that was accepted is applied by the worker (none ends failed because
 * of its content). Bodies are signed with the vendors' own code (retell-sdk, twilio) so they reach the schemas and
 * handlers behind the signature checks, and the dashboard routes are called signed in as an admin. Both backends:
 * PostgreSQL is where a NUL breaks a statement. `FUZZ_RUNS` scales the runs per endpoint.
 */
import fc from 'fast-check';
import { sign } from 'retell-sdk';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { SECRET_KEYS } from '../../src/config/secrets.js';
import { retellFunctions } from '../../src/functions/registry.js';
import { signState } from '../../src/zoho/oauth-state.js';
import { signConnectState } from '../../src/oauth/signed-state.js';
import { aUser, seedClientData, signIn, type Api, type Seeded } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';

const CLIENT = 'smart-tax-nation';
const AGENT = 'agent_stn_demo_0001';
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const MARCH_2026 = Date.parse('2026-03-02T15:00:00Z');

/** A piece of JSON text put into a body as is: nesting too deep to build as a value, or numbers JSON.stringify cannot write. */
class Raw {
  constructor(readonly json: string) {}
}

/** JSON text with every `Raw` spliced in (JSON.stringify writes a marker, replaced afterwards). */
function serialize(value: unknown): string {
  const raws: Raw[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => (item instanceof Raw ? `\u0001raw${raws.push(item) - 1}\u0001` : item)) ?? 'null';
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_match, index: string) => raws[Number(index)]!.json);
}

/** The characters PostgreSQL refuses (NUL; lone surrogates in jsonb) mixed with ordinary text and valid pairs. */
const hostilePiece = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud83d\ude00',
  '\u0000\u0000',
  'a',
  ' ',
  '5550177',
  '\\',
  '"',
  '\u2028',
  'é',
);
const hostile = fc.array(fc.oneof(hostilePiece, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join(''));
/** `prefix` with hostile characters inserted somewhere: still recognisable once they are stripped. */
const spiked = (prefix: string) =>
  fc
    .tuple(fc.nat({ max: prefix.length }), fc.array(hostilePiece, { maxLength: 3 }))
    .map(([at, pieces]) => prefix.slice(0, at) + pieces.join('') + prefix.slice(at));

const deep = fc
  .record({
    levels: fc.oneof(fc.constantFrom(2, 63, 64, 65, 66, 5_000, 10_000), fc.integer({ min: 1, max: 10_000 })),
    shape: fc.constantFrom('array', 'object'),
    leaf: hostile,
  })
  .map(
    ({ levels, shape, leaf }) =>
      new Raw(
        shape === 'array'
          ? `${'['.repeat(levels)}${JSON.stringify(leaf)}${']'.repeat(levels)}`
          : `${'{"a":'.repeat(levels)}${JSON.stringify(leaf)}${'}'.repeat(levels)}`,
      ),
  );
const oddNumber = fc.constantFrom('1e308', '1e400', '-1e400', '-0', '1e-400', '123456789012345678901234567890', '-1').map((text) => new Raw(text));

/** Values of every JSON type, including the awkward ones (huge numbers, deep nesting, NUL, lone surrogates, empty). */
const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  hostile,
  fc.constantFrom('', ' ', '\u0000', '9'.repeat(400), '-1', '1e309', 'null', '../../etc/passwd', '<script>', "'; drop table calls; --"),
);
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostile,
    fc.integer(),
    fc.boolean(),
    oddNumber,
    deep,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostile, tie('value'), { maxKeys: 3 }),
  ),
})).value;
const loose = fc.oneof(json, text, hostileJson, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const phone = fc.oneof(fc.constantFrom('+12125550177', '+13055550123', '2125550177', '+1', '+442079460000', ''), spiked('+12125550177'), text);
const callTime = fc.integer({ min: MARCH_2026 - 86_400_000, max: MARCH_2026 + 86_400_000 });
const timestamp = fc.oneof(callTime, fc.integer({ min: -1e15, max: 1e16 }), fc.double(), oddNumber, text);
const dictionaryOf = (value: fc.Arbitrary<unknown>) => fc.dictionary(fc.oneof(hostile, fc.string({ maxLength: 12 })), value, { maxKeys: 4 });

/** A Retell call object whose fields have the right types, with hostile strings and nesting inside: Retell could send it. */
const plausibleCall = fc.record(
  {
    // Mostly new calls (a repeated (event, call) is a duplicate, not stored again); a few shared ones get many events.
    call_id: fc.oneof(
      { weight: 3, arbitrary: fc.nat({ max: 1e9 }).chain((n) => spiked(`call_fuzz_${n}`)) },
      { weight: 1, arbitrary: fc.constantFrom('call_fuzz_1', 'call_fuzz_2') },
      { weight: 1, arbitrary: hostile },
    ),
    agent_id: fc.oneof(fc.constant(AGENT), spiked(AGENT)),
    agent_version: fc.integer({ min: 0, max: 2_147_483_647 }),
    call_type: fc.oneof(fc.constantFrom('phone_call', 'web_call'), hostile),
    direction: fc.oneof(fc.constantFrom('inbound', 'outbound'), spiked('inbound')),
    from_number: phone,
    to_number: phone,
    call_status: fc.oneof(fc.constantFrom('registered', 'ongoing', 'ended', 'error'), hostile),
    start_timestamp: callTime,
    end_timestamp: callTime,
    duration_ms: fc.integer({ min: 0, max: 3_600_000 }),
    transcript: hostile,
    transcript_object: fc.array(
      fc.record(
        {
          role: fc.oneof(fc.constantFrom('agent', 'user'), hostile),
          content: hostile,
          words: fc.oneof(loose, fc.array(fc.record({ word: hostile, start: fc.double(), end: fc.double() }), { maxLength: 3 })),
        },
        { requiredKeys: ['role'] },
      ),
      { maxLength: 3 },
    ),
    disconnection_reason: fc.oneof(fc.constantFrom('user_hangup', 'agent_hangup', 'voicemail_reached'), hostile),
    recording_url: spiked('https://example.invalid/r.wav'),
    call_analysis: fc.record(
      {
        call_summary: hostile,
        user_sentiment: fc.oneof(fc.constantFrom('Positive', 'Neutral'), hostile),
        in_voicemail: fc.boolean(),
        call_successful: fc.boolean(),
        custom_analysis_data: dictionaryOf(loose),
      },
      { requiredKeys: [] },
    ),
    metadata: loose,
    retell_llm_dynamic_variables: dictionaryOf(loose),
  },
  { requiredKeys: ['call_id', 'agent_id'] },
);

/** A Retell call object with any subset of its fields, each of the right or a wrong type. */
const anyCall = fc.record(
  {
    call_id: fc.oneof(fc.constantFrom('call_fuzz_1', 'call_fuzz_2'), text, fc.integer()),
    agent_id: fc.oneof(fc.constant(AGENT), text),
    call_type: fc.oneof(fc.constantFrom('phone_call', 'web_call'), text),
    direction: fc.oneof(fc.constantFrom('inbound', 'outbound'), text),
    from_number: phone,
    to_number: phone,
    call_status: fc.oneof(fc.constantFrom('registered', 'ongoing', 'ended', 'error'), text),
    start_timestamp: timestamp,
    end_timestamp: timestamp,
    duration_ms: fc.oneof(fc.integer(), fc.double(), oddNumber, text),
    transcript: fc.oneof(text, loose),
    transcript_object: fc.oneof(
      fc.array(fc.record({ role: fc.constantFrom('agent', 'user', 'x'), content: loose, words: loose }, { requiredKeys: [] }), { maxLength: 3 }),
      loose,
    ),
    disconnection_reason: fc.oneof(fc.constantFrom('user_hangup', 'agent_hangup', 'voicemail_reached'), text),
    call_analysis: fc.oneof(
      fc.record({ call_summary: loose, user_sentiment: loose, in_voicemail: loose, call_successful: loose, custom_analysis_data: loose }, { requiredKeys: [] }),
      loose,
    ),
    metadata: loose,
    retell_llm_dynamic_variables: loose,
  },
  { requiredKeys: [] },
);

const callEvents = ['call_started', 'call_ended', 'call_analyzed', 'transcript_updated', 'transfer_started'] as const;
const retellEvent = fc.oneof(
  { weight: 5, arbitrary: fc.record({ event: fc.constantFrom(...callEvents), call: plausibleCall }) },
  {
    weight: 1,
    arbitrary: fc.record({ event: fc.oneof(fc.constantFrom(...callEvents, 'call_inbound'), text), call: fc.oneof(anyCall, loose) }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: loose },
);

const inboundEvent = fc.oneof(
  fc.record(
    {
      event: fc.oneof(fc.constant('call_inbound'), text),
      call_inbound: fc.oneof(
        fc.record(
          {
            agent_id: fc.oneof(fc.constant(AGENT), spiked(AGENT), text),
            agent_version: fc.oneof(fc.nat(), oddNumber),
            from_number: phone,
            to_number: phone,
            call_id: fc.oneof(text, spiked('call_fuzz_in')),
          },
          { requiredKeys: [] },
        ),
        loose,
      ),
    },
    { requiredKeys: [] },
  ),
  loose,
);

const argValue = fc.oneof(
  loose,
  hostile,
  fc.constantFrom(
    '2026-03-04',
    '2026-03-04T09:00:00-05:00',
    '2026-02-30T25:61:00Z',
    'individual-return',
    'tax consultation',
    'someone@example.com',
    'all',
    'sms',
    'email',
  ),
  spiked('Dana Ellis'),
  spiked('someone@example.com'),
);
const functionArgs = fc.oneof(
  fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'name',
        'email',
        'notes',
        'preferred_language',
        'date',
        'appointment_type',
        'start',
        'new_start',
        'booking_id',
        'phone',
        'channel',
        'reason',
        'time_preference',
        'after',
      ),
      hostile,
    ),
    argValue,
    { maxKeys: 6 },
  ),
  loose,
);
const functionCall = fc.oneof(
  fc.record(
    { name: fc.oneof(fc.constantFrom(...retellFunctions.map((fn) => fn.name)), text), args: functionArgs, call: fc.oneof(plausibleCall, anyCall, loose) },
    { requiredKeys: [] },
  ),
  loose,
);

const twilioKeys = ['MessageSid', 'SmsSid', 'AccountSid', 'From', 'To', 'Body', 'MessageStatus', 'ErrorCode', 'ErrorMessage', 'NumSegments', 'OptOutType'];
const twilioValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  hostile,
  fc.constantFrom(
    'STOP',
    'stop texting me',
    'START',
    'HELP',
    'ALTO',
    'Stop please',
    'Sí',
    'delivered',
    'undelivered',
    'failed',
    '30007',
    '21610',
    '+12125550177',
    DEMO_SECRETS.TWILIO_ACCOUNT_SID,
    'SM' + '0'.repeat(32),
  ),
  spiked('STOP'),
  spiked('+12125550177'),
);
/** Form fields as Twilio posts them (the ones a handler needs, usually), plus junk. */
const twilioForm = fc
  .tuple(
    fc.record(
      {
        MessageSid: fc.oneof(spiked('SM' + 'a'.repeat(32)), twilioValue),
        From: fc.oneof(spiked('+12125550177'), twilioValue),
        MessageStatus: fc.oneof(fc.constantFrom('sent', 'delivered', 'undelivered', 'failed'), twilioValue),
        Body: twilioValue,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof(fc.constantFrom(...twilioKeys), fc.string({ maxLength: 12 }), hostile), twilioValue, { maxKeys: 6 }),
  )
  .map(([known, junk]) => ({ ...junk, ...known }));

type Sent = { status: number; text: string };

describe.each(BACKENDS)('fuzzing every public endpoint: never a 5xx, and what is accepted can be processed (%s)', (kind) => {
  let app: TestApp;
  let admin: Api;
  let url: string;
  let seeded: Seeded;

  beforeAll(async () => {
    app = await startTestApp(kind);
    url = app.url!;
    admin = await signIn(app, await aUser(app, 'admin'));
    seeded = await seedClientData(app, CLIENT, '+12125550142');
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
  });

  async function send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<Sent> {
    const response = await fetch(`${url}${path}`, { method, headers, body });
    return { status: response.status, text: await response.text() };
  }

  async function signedRetell(path: string, raw: string): Promise<Sent> {
    return send('POST', `/v1/retell/${CLIENT}${path}`, raw, {
      'content-type': 'application/json',
      'x-retell-signature': await sign(raw, DEMO_SECRETS.RETELL_API_KEY),
    });
  }

  async function signedTwilio(path: string, form: Record<string, string>): Promise<Sent> {
    const target = `/v1/twilio/${CLIENT}/${path}`;
    const signature = twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, `${url}${target}`, form);
    return send('POST', target, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });
  }

  async function asAdmin(method: string, path: string, raw?: string): Promise<Sent> {
    return send(method, path, raw, { origin: url, cookie: admin.cookie!, ...(raw === undefined ? {} : { 'content-type': 'application/json' }) });
  }

  /** Any 5xx fails: a 500 is a crash, and a 503 tells Retell and Twilio to send the same thing again forever. */
  function expectNo5xx(sent: Sent, what: string): void {
    if (sent.status >= 500) throw new Error(`${what.slice(0, 400)} answered ${sent.status}: ${sent.text.slice(0, 300)}`);
  }

  /** Runs the worker over the stored Retell events; every one must end processed, whatever it carried. */
  async function expectStoredEventsApplied(what: string): Promise<void> {
    await app.applyCallEvents();
    const stuck = await app.context.db.selectFrom('webhook_events').select(['event_type', 'status', 'error']).where('status', '!=', 'processed').execute();
    const retries = await app.context.db
      .selectFrom('outbox')
      .select(['status', 'last_error'])
      .where('kind', '=', 'retell_event')
      .where('status', '!=', 'done')
      .execute();
    if (stuck.length > 0 || retries.length > 0)
      throw new Error(`${what.slice(0, 400)} was accepted but not applied: ${JSON.stringify({ stuck, retries }).slice(0, 600)}`);
  }

  describe('what the probe found (issue 14, item 6)', () => {
    const functionBody = (args: unknown) => ({
      name: 'save_caller_details',
      args,
      call: { call_id: 'call_probe_fn', agent_id: AGENT, from_number: '+12125550166', to_number: '+12125550199' },
    });

    it('a NUL or a lone surrogate in function arguments is stripped and the function answers', async () => {
      const sent = await signedRetell('/functions', JSON.stringify(functionBody({ name: 'Da\u0000na \ud800Ellis', notes: 'call back\u0000 after 5' })));
      expect([sent.status, JSON.parse(sent.text).ok]).toEqual([200, true]);
      const customer = await app.context.db
        .selectFrom('customers')
        .select(['name', 'notes'])
        .where('client_id', '=', CLIENT)
        .where('phone', '=', '+12125550166')
        .executeTakeFirstOrThrow();
      expect(customer).toEqual({ name: 'Dana Ellis', notes: 'call back after 5' });
    });

    it('a NUL in a call id or a transcript is stripped, stored, and applied by the worker', async () => {
      const call = {
        call_id: 'call_probe_\u0000nul',
        agent_id: AGENT,
        from_number: '+12125550167',
        start_timestamp: MARCH_2026,
        end_timestamp: MARCH_2026 + 60_000,
        transcript: 'Agent: Hello\u0000\nUser: hi \udc00there',
        metadata: { 'k\u0000': 'v\ud800' },
      };
      const sent = await signedRetell('/webhook', JSON.stringify({ event: 'call_ended', call }));
      expect([sent.status, JSON.parse(sent.text).status]).toEqual([200, 'accepted']);
      await expectStoredEventsApplied('call_ended with NUL');
      const row = await app.context.db
        .selectFrom('calls')
        .select(['transcript', 'metadata', 'status'])
        .where('id', '=', 'call_probe_nul')
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ transcript: 'Agent: Hello\nUser: hi there', metadata: { k: 'v' }, status: 'ended' });
    });

    it('nesting deeper than 64 levels is a 400 naming the problem, on every JSON route, even 10,000 levels down', async () => {
      const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
      const webhook = (levels: number) => `{"event":"call_ended","call":{"call_id":"call_probe_deep","agent_id":"${AGENT}","metadata":${nested(levels)}}}`;
      for (const levels of [62, 5_000, 10_000]) {
        const sent = await signedRetell('/webhook', webhook(levels));
        expect([levels, sent.status]).toEqual([levels, levels === 62 ? 200 : 400]);
        if (levels > 62) expect(JSON.parse(sent.text)).toMatchObject({ error: 'BODY_TOO_DEEP', message: expect.stringContaining('64 levels') });
      }
      const args = `{"name":"save_caller_details","args":${nested(10_000)},"call":{"call_id":"call_probe_deep","agent_id":"${AGENT}"}}`;
      expect((await signedRetell('/functions', args)).status).toBe(400);
      expect((await asAdmin('PATCH', `/v1/api/customers/${seeded.customerId}`, `{"notes":${nested(10_000)}}`)).status).toBe(400);
      expect((await send('POST', '/v1/api/session', `{"email":${nested(10_000)}}`, { 'content-type': 'application/json', origin: url })).status).toBe(400);
      await expectStoredEventsApplied('a webhook 62 levels deep');
    });

    it('a timestamp or duration no call can have is a 400 naming the field, not an event that fails in the worker', async () => {
      const base = { call_id: 'call_probe_time', agent_id: AGENT, from_number: '+12125550168' };
      const cases: Array<[string, string]> = [
        ['"start_timestamp":1e308', 'call.start_timestamp'],
        ['"end_timestamp":-1', 'call.end_timestamp'],
        ['"start_timestamp":1772463600000.5', 'call.start_timestamp'],
        ['"duration_ms":1e10', 'call.duration_ms'],
        [`"start_timestamp":${MARCH_2026},"end_timestamp":4000000000000`, 'call.end_timestamp'],
      ];
      for (const [fields, field] of cases) {
        const sent = await signedRetell('/webhook', `{"event":"call_ended","call":${JSON.stringify(base).slice(0, -1)},${fields}}}`);
        expect([fields, sent.status, JSON.parse(sent.text).message]).toEqual([fields, 400, expect.stringContaining(field)]);
      }
      await expectStoredEventsApplied('timestamps');
    });

    it('Twilio texts and status callbacks carrying a NUL pass the signature check, are stored clean, and are answered', async () => {
      const inbound = await signedTwilio('inbound', {
        MessageSid: 'SM' + 'b'.repeat(32),
        From: '+12125550169',
        To: '+12125550199',
        Body: 'Is my return\u0000 ready?',
      });
      expect(inbound.status).toBe(200);
      const stored = await app.context.db
        .selectFrom('inbound_messages')
        .select('body')
        .where('provider_id', '=', 'SM' + 'b'.repeat(32))
        .executeTakeFirstOrThrow();
      expect(stored.body).toBe('Is my return ready?');
      const status = await signedTwilio('status', {
        MessageSid: 'SM' + 'c'.repeat(31) + '\u0000',
        MessageStatus: 'undelivered',
        ErrorCode: '30007',
        ErrorMessage: 'filtered\u0000',
      });
      expect(status.status).toBe(204);
      // The signature is over the form as sent: the same body signed without its NUL is refused.
      const form = { MessageSid: 'SM' + 'd'.repeat(32), From: '+12125550169', Body: 'hi\u0000' };
      const forged = await send('POST', `/v1/twilio/${CLIENT}/inbound`, new URLSearchParams(form).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, `${url}/v1/twilio/${CLIENT}/inbound`, { ...form, Body: 'hi' }),
      });
      expect(forged.status).toBe(401);
    });

    it('names that are properties of every JavaScript object ("toString", "__proto__") are unknown names, not a 5xx or a failed event', async () => {
      // Found by this fuzzing: `event in table` and `table[status]` saw Object.prototype's members.
      for (const event of ['toString', '__proto__', 'constructor']) {
        const sent = await signedRetell('/webhook', JSON.stringify({ event, call: { call_id: 'call_probe_proto', agent_id: AGENT } }));
        expect([event, sent.status, JSON.parse(sent.text)]).toEqual([event, 200, { ok: true, ignored: true }]);
      }
      await expectStoredEventsApplied('events named after Object.prototype members');
      for (const status of ['toString', 'constructor', 'hasOwnProperty']) {
        const sent = await signedTwilio('status', { MessageSid: 'SM' + 'e'.repeat(32), MessageStatus: status });
        expect([status, sent.status]).toEqual([status, 204]);
      }
    });

    it('dashboard searches, customer edits and the sign-in e-mail with a NUL get a 4xx or are stored clean', async () => {
      for (const path of ['/v1/api/customers?q=%00', '/v1/api/calls?q=a%00b', '/v1/api/calls/%00', '/v1/api/audit?actor=%00']) {
        const sent = await asAdmin('GET', path);
        expect([path, sent.status, JSON.parse(sent.text).error]).toEqual([path, 400, 'invalid_url']);
      }
      const edit = await asAdmin(
        'PATCH',
        `/v1/api/customers/${seeded.customerId}`,
        JSON.stringify({ name: 'Mor\u0000gan', notes: 'prefers \ud83d\ude00 texts\udfff' }),
      );
      expect([edit.status, JSON.parse(edit.text).customer]).toEqual([200, expect.objectContaining({ name: 'Morgan', notes: 'prefers \ud83d\ude00 texts' })]);
      const search = await asAdmin('GET', `/v1/api/customers?q=${encodeURIComponent('Mor\ud83d\ude00')}`);
      expect(search.status).toBe(200);
      const login = await send('POST', '/v1/api/session', JSON.stringify({ email: 'admin\u0000@example.com', password: 'x\ud800' }), {
        'content-type': 'application/json',
        origin: url,
      });
      expect(login.status).toBe(401);
    });
  });

  const rawBody = (value: unknown, asText: boolean) => (asText && typeof value === 'string' ? value : serialize(value));

  it('Retell webhook, inbound and function bodies (signed and unsigned) never get a 5xx, and accepted events are applied', async () => {
    const cases: Array<[string, fc.Arbitrary<unknown>]> = [
      ['/webhook', retellEvent],
      ['/inbound', inboundEvent],
      ['/functions', functionCall],
    ];
    let accepted = 0;
    for (const [path, arbitrary] of cases) {
      await fc.assert(
        fc.asyncProperty(
          arbitrary,
          fc.boolean(),
          fc.constantFrom('signed', 'signed', 'signed', 'unsigned', 'garbage'),
          fc.constantFrom(...retellFunctions.map((fn) => fn.name), 'no_such_function'),
          async (payload, asText, signing, name) => {
            const raw = rawBody(payload, asText);
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (signing === 'signed') headers['x-retell-signature'] = await sign(raw, DEMO_SECRETS.RETELL_API_KEY);
            if (signing === 'garbage') headers['x-retell-signature'] = `v=${Date.now()},d=${Buffer.from(raw).toString('hex').slice(0, 64)}`;
            const target = path === '/functions' && asText ? `/functions/${name}` : path;
            const sent = await send('POST', `/v1/retell/${CLIENT}${target}`, raw, headers);
            expectNo5xx(sent, `retell ${target} ${raw.slice(0, 300)}`);
            if (path === '/webhook' && sent.status === 200 && JSON.parse(sent.text).status === 'accepted') {
              accepted += 1;
              await expectStoredEventsApplied(`retell ${target} ${raw.slice(0, 300)}`);
            }
          },
        ),
        { numRuns: path === '/webhook' ? RUNS * 2 : RUNS },
      );
    }
    // The property reached the worker: plausible events (hostile strings and nesting inside) pass the schema.
    expect(accepted).toBeGreaterThan(RUNS / 5);
  }, 180_000);

  it('Twilio inbound SMS and status callbacks with valid signatures never get a 5xx', async () => {
    for (const path of ['inbound', 'status']) {
      await fc.assert(
        fc.asyncProperty(twilioForm, fc.boolean(), async (generated, signed) => {
          // Twilio sends UTF-8, which cannot carry a lone surrogate; NUL it can.
          const form = Object.fromEntries(Object.entries(generated).map(([key, value]) => [key.toWellFormed(), value.toWellFormed()]));
          const target = `${url}/v1/twilio/${CLIENT}/${path}`;
          const body = new URLSearchParams(form).toString();
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (signed) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, target, form);
          expectNo5xx(await send('POST', `/v1/twilio/${CLIENT}/${path}`, body, headers), `twilio ${path} ${body}`);
        }),
        { numRuns: RUNS },
      );
      // Bytes no encoder would produce: a lone surrogate's UTF-8, a bare %, a NUL byte, raw binary.
      for (const body of ['Body=%ED%A0%80&From=%2B1212&MessageSid=SM1', 'Body=%&From=%zz', 'From=%00&MessageSid=%00', '\u0000\u0001\u00ff', 'a=1&a=2&a=%00']) {
        expectNo5xx(
          await send('POST', `/v1/twilio/${CLIENT}/${path}`, body, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }),
          `twilio ${path} ${body}`,
        );
      }
    }
  }, 120_000);

  it('unsubscribe links and their one-click POST never get a 5xx, whatever the token or body', async () => {
    // Found by this fuzzing: an empty or over-long token threw a schema error (500) instead of the invalid-link page.
    for (const token of ['', 'x'.repeat(3000)]) {
      for (const method of ['GET', 'POST']) {
        const sent = await send(
          method,
          `/v1/unsubscribe/${token}`,
          method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined,
          method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        );
        expect([method, sent.status, sent.text.includes('not valid')]).toEqual([method, 404, true]);
      }
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.base64String({ maxLength: 300 }), fc.webSegment(), text),
        loose,
        fc.constantFrom('GET', 'POST'),
        async (token, payload, method) => {
          const path = `/v1/unsubscribe/${encodeURIComponent(token.toWellFormed())}`;
          const sent =
            method === 'GET'
              ? await send('GET', path, undefined)
              : await send(
                  'POST',
                  path,
                  new URLSearchParams({ 'List-Unsubscribe': typeof payload === 'string' ? payload.toWellFormed() : serialize(payload) }).toString(),
                  { 'content-type': 'application/x-www-form-urlencoded' },
                );
          expectNo5xx(sent, `unsubscribe ${method} ${path}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each(['google', 'microsoft'] as const)('the %s connect start and callback never get a 5xx, with a valid state or without', async (provider) => {
    const office = provider === 'google' ? 'riverside-physio' : 'harbor-law';
    await fc.assert(
      fc.asyncProperty(
        fc.record({ code: text, error: text, scope: text, client: fc.oneof(fc.constant(office), spiked(office), text), ticket: text }, { requiredKeys: [] }),
        fc.boolean(),
        async (query, validState) => {
          const params = new URLSearchParams(query);
          // With a valid state the code is really exchanged at the emulator (and refused).
          if (validState) params.set('state', signConnectState(app.context.secretBox, provider, office, app.clock.now().getTime()));
          expectNo5xx(await send('GET', `/v1/oauth/${provider}/callback?${params}`, undefined), `${provider} callback ${params}`);
          expectNo5xx(await send('GET', `/v1/oauth/${provider}/start?${params}`, undefined), `${provider} start ${params}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the Zoho OAuth start and callback never get a 5xx, with a valid state or without', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            code: text,
            error: text,
            location: fc.oneof(fc.constantFrom('us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'cn'), text),
            'accounts-server': fc.oneof(fc.constantFrom('zoho-emulator', 'https://evil.example', 'http://127.0.0.1:1'), text),
            client: fc.oneof(fc.constant(CLIENT), spiked(CLIENT), text),
            ticket: text,
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        async (query, validState) => {
          const params = new URLSearchParams(query);
          // The emulator is a trusted accounts server in demo mode: codes are really exchanged (and refused).
          if (params.get('accounts-server') === 'zoho-emulator') params.set('accounts-server', app.context.sandbox!.zoho.url);
          if (validState) params.set('state', signState(app.context.secretBox, CLIENT, app.clock.now().getTime()));
          expectNo5xx(await send('GET', `/v1/oauth/zoho/callback?${params}`, undefined), `oauth callback ${params}`);
          expectNo5xx(await send('GET', `/v1/oauth/zoho/start?${params}`, undefined), `oauth start ${params}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('sign-in never gets a 5xx, whatever the body or content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ email: fc.oneof(spiked('admin@switchboard.local'), loose), password: fc.oneof(hostile, loose) }, { requiredKeys: [] }), loose),
        fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (payload, type) => {
          const sent = await send('POST', '/v1/api/session', serialize(payload), {
            'content-type': type,
            origin: url,
            'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.1`,
          });
          expectNo5xx(sent, `session ${serialize(payload)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('invitation links and accepting them never get a 5xx, whatever the token or body', async () => {
    const token = fc.oneof(fc.base64String({ maxLength: 300 }), fc.webSegment(), text, fc.constant('A'.repeat(43)));
    await fc.assert(
      fc.asyncProperty(token, fc.oneof(fc.record({ token: fc.oneof(token, loose), password: loose }, { requiredKeys: [] }), loose), async (value, payload) => {
        expectNo5xx(await send('GET', `/v1/api/invites/${encodeURIComponent(value.toWellFormed())}`, undefined), `invite GET ${value}`);
        expectNo5xx(
          await send('POST', '/v1/api/invites/accept', serialize(payload), { 'content-type': 'application/json', origin: url }),
          `invite accept ${serialize(payload)}`,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('every dashboard API route, signed in as an admin, never gets a 5xx for any id, query or body', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/v1/api/me'],
      ['GET', '/v1/api/live-calls'],
      ['GET', '/v1/api/calls'],
      ['GET', '/v1/api/calls/:id'],
      ['GET', '/v1/api/messages'],
      ['GET', '/v1/api/messages/:id'],
      ['POST', '/v1/api/messages'],
      ['POST', '/v1/api/messages/:id/retry'],
      ['POST', '/v1/api/messages/:id/cancel'],
      ['GET', '/v1/api/dead-letters'],
      ['GET', '/v1/api/outbox/:id'],
      ['POST', '/v1/api/outbox/:id/retry'],
      ['GET', '/v1/api/errors'],
      ['POST', '/v1/api/errors/:id/resolve'],
      ['GET', '/v1/api/callbacks'],
      ['POST', '/v1/api/callbacks/:id/done'],
      ['GET', '/v1/api/inbound-messages'],
      ['GET', '/v1/api/customers'],
      ['GET', '/v1/api/customers/:id'],
      ['PATCH', '/v1/api/customers/:id'],
      ['POST', '/v1/api/customers/:id/consent'],
      ['GET', '/v1/api/appointments'],
      ['POST', '/v1/api/appointments/:id/cancel'],
      ['POST', '/v1/api/appointments/:id/reschedule'],
      ['GET', '/v1/api/connections'],
      ['POST', '/v1/api/connections/:client/alert-test'],
      ['GET', '/v1/api/audit'],
      ['POST', '/v1/api/simulate'],
      ['GET', '/v1/api/users'],
      ['POST', '/v1/api/users/invite'],
      ['PATCH', '/v1/api/users/:id'],
      ['POST', '/v1/api/users/:id/reset-password'],
      ['POST', '/v1/api/users/invites/:id/revoke'],
      // Last: it signs the admin out.
      ['DELETE', '/v1/api/session'],
    ];
    const realIds = [seeded.customerId, seeded.messageId, seeded.deadLetterId, seeded.errorId, seeded.callbackId].map(String);
    const id = fc.oneof(
      fc.constantFrom(
        ...realIds,
        seeded.callId,
        '1',
        '0',
        '-1',
        '1.5',
        '9007199254740993',
        '99999999999999999999',
        'smart-tax-nation',
        'desert-bookkeeping',
        '%00',
        'call_x',
      ),
      fc.webSegment(),
      hostile,
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'client',
        'q',
        'outcome',
        'limit',
        'before',
        'beforeId',
        'status',
        'channel',
        'customer',
        'kind',
        'source',
        'state',
        'date',
        'days',
        'actor',
        'action',
        'from',
        'to',
        'zone',
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        hostile,
        fc.constantFrom('smart-tax-nation', '2026-02-30', '0', '-5', '1e3', 'open', 'sms', '%', '_', '\\', 'America/New_York'),
      ),
      { maxKeys: 4 },
    );
    const body = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'client',
              'channel',
              'customerId',
              'to',
              'subject',
              'body',
              'purpose',
              'sendAt',
              'override',
              'overrideConsent',
              'name',
              'email',
              'notes',
              'preferredLanguage',
              'status',
              'newStart',
              'scenario',
              'from',
              'consent',
              'sms',
              'marketing',
              'role',
              'clientIds',
              'disabled',
            ),
            hostile,
          ),
          fc.oneof(
            loose,
            hostile,
            fc.constantFrom(
              'smart-tax-nation',
              'sms',
              'email',
              '+12125550177',
              'a@example.com',
              '2026-03-04T14:30',
              'marketing',
              'transactional',
              'opted_out',
              'all',
              'new-caller-books',
              'staff',
              'admin',
            ),
            fc.constant(seeded.customerId),
            spiked('a@example.com'),
          ),
          { maxKeys: 6 },
        ),
      },
      { weight: 1, arbitrary: loose },
    );
    for (const [method, template] of routes) {
      await fc.assert(
        fc.asyncProperty(id, query, body, async (idValue, queryValue, bodyValue) => {
          // The simulator plays a whole call when its body is valid; fuzz only its validation.
          if (template === '/v1/api/simulate' && bodyValue && typeof bodyValue === 'object' && 'scenario' in bodyValue) return;
          const search = new URLSearchParams(Object.entries(queryValue).map(([key, value]) => [key, value.toWellFormed()]));
          const path = template.replace(/:id|:client/, encodeURIComponent(idValue.toWellFormed())) + (method === 'GET' ? `?${search}` : '');
          const withBody = method !== 'GET' && method !== 'DELETE';
          const sent = await asAdmin(method, path, withBody ? serialize(bodyValue ?? null) : undefined);
          expectNo5xx(sent, `${method} ${path} ${serialize(bodyValue)}`);
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
      // Still signed in, so every route's handler (not only the 401 guard) was fuzzed.
      if (method !== 'DELETE') expect([template, (await admin.request('GET', '/v1/api/me')).status]).toEqual([template, 200]);
    }
  }, 240_000);

  it('the office routes, on an office made for the run, never get a 5xx, with hostile text in any field of a valid document', async () => {
    const office = 'fuzz-office';
    // The dashboard routes' run ended by signing the admin out.
    admin = await signIn(app, await aUser(app, 'admin'));
    const base = JSON.parse((await asAdmin('GET', `/v1/api/offices/${CLIENT}`)).text).document as Record<string, any>;
    const document = { ...base, slug: office, name: 'Fuzz Office', retell: { ...base.retell, agentIds: ['agent_fuzz_office'] } };
    expect((await asAdmin('POST', '/v1/api/offices', JSON.stringify({ document }))).status).toBe(201);
    /** The document with hostile text added to some of its strings (a template, a sender, the zone…). */
    const spikedDocument = fc.array(fc.tuple(fc.nat(), hostile), { minLength: 1, maxLength: 3 }).map((edits) => {
      const copy = structuredClone(document);
      const strings: Array<[Record<string, unknown>, string]> = [];
      const collect = (node: unknown) => {
        if (node && typeof node === 'object') {
          for (const [key, value] of Object.entries(node)) {
            if (typeof value === 'string' && key !== 'slug') strings.push([node as Record<string, unknown>, key]);
            else collect(value);
          }
        }
      };
      collect(copy);
      for (const [at, text] of edits) {
        const [holder, key] = strings[at % strings.length]!;
        holder[key] = `${holder[key] as string}${text}`;
      }
      return copy;
    });
    const routes: Array<[string, string]> = [
      ['GET', '/v1/api/offices'],
      ['GET', '/v1/api/offices/:slug'],
      ['POST', '/v1/api/offices'],
      ['PUT', '/v1/api/offices/:slug'],
      ['GET', '/v1/api/offices/:slug/versions'],
      ['GET', '/v1/api/offices/:slug/versions/:id'],
      ['POST', '/v1/api/offices/:slug/rollback'],
      ['PUT', '/v1/api/offices/:slug/secrets/:name'],
      ['DELETE', '/v1/api/offices/:slug/secrets/:name'],
      ['DELETE', '/v1/api/offices/:slug'],
    ];
    // Never an office other tests use: a saved document or a changed credential would change how they are answered.
    const slug = fc.oneof({ weight: 4, arbitrary: fc.constant(office) }, { weight: 1, arbitrary: fc.oneof(spiked(office), hostile, fc.webSegment()) });
    // Mostly the body each route takes, so handlers (not only the schemas) see the hostile text.
    const bodyFor = (template: string) =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: template.endsWith('/rollback')
            ? fc.record({ version: fc.oneof(fc.integer({ min: 0, max: 5 }), oddNumber, hostile) })
            : template.includes('/secrets/')
              ? fc.record({ value: fc.oneof(hostile, spiked('sk_test_value')) })
              : fc.record({ document: spikedDocument, expectedVersion: fc.oneof(fc.nat({ max: 5 }), oddNumber) }, { requiredKeys: ['document'] }),
        },
        { weight: 1, arbitrary: fc.oneof(fc.record({ document: dictionaryOf(loose) }), loose) },
      );
    for (const [method, template] of routes) {
      await fc.assert(
        fc.asyncProperty(
          slug,
          fc.oneof(fc.constantFrom('1', '2', '0', '-1', 'x'), hostile),
          fc.oneof(fc.constantFrom(...SECRET_KEYS), hostile),
          bodyFor(template),
          async (slugValue, idValue, nameValue, bodyValue) => {
            const path = template
              .replace(':slug', encodeURIComponent(slugValue.toWellFormed()))
              .replace(':id', encodeURIComponent(idValue.toWellFormed()))
              .replace(':name', encodeURIComponent(nameValue.toWellFormed()));
            const withBody = method === 'POST' || method === 'PUT';
            const sent = await asAdmin(method, path, withBody ? serialize(bodyValue ?? null) : undefined);
            expectNo5xx(sent, `${method} ${path} ${withBody ? serialize(bodyValue) : ''}`);
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    }
    // The offices the other tests use are still served.
    expect((await admin.request('GET', `/v1/api/offices/${CLIENT}`)).status).toBe(200);
  }, 240_000);

  it('the onboarding wizard and its helpers never get a 5xx, with hostile text in every answer', async () => {
    const basics = {
      name: 'Fuzz Onboarded',
      slug: 'fuzz-onboarded',
      address: '1 Main Street, Springfield, IL 62701',
      officePhone: '+12175550100',
      officeEmail: 'office@example.com',
    };
    const started = await asAdmin('POST', '/v1/api/onboarding', JSON.stringify({ basics }));
    expect(started.status).toBe(201);
    const onboardingId = JSON.parse(started.text).id as string;
    const packs = (JSON.parse((await asAdmin('GET', '/v1/api/packs')).text).packs as Array<{ id: string }>).map((pack) => pack.id);
    // The office exists from here on, so the later steps run against it rather than stopping at "finish basics first".
    expect((await asAdmin('PUT', `/v1/api/onboarding/${onboardingId}/steps/pack`, JSON.stringify({ pack: packs[0] }))).status).toBe(200);
    // Found by this fuzzing: a key with a character no HTTP header can carry (U+2028) failed at the vendor call, a 503.
    for (const [step, answers] of [
      ['retell', { apiKey: 'key_fuzz\u2028onboarding' }],
      ['texting', { accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID, authToken: `${DEMO_SECRETS.TWILIO_AUTH_TOKEN}\u00e9\u2028` }],
    ] as const) {
      const sent = await asAdmin('PUT', `/v1/api/onboarding/${onboardingId}/steps/${step}`, JSON.stringify(answers));
      expect([step, sent.status, JSON.parse(sent.text).error]).toEqual([step, 400, 'invalid_answers']);
    }
    const spikedValues = (answers: Record<string, string>) =>
      fc.record(
        Object.fromEntries(
          Object.entries(answers).map(([key, value]) => [
            key,
            fc.oneof({ weight: 2, arbitrary: fc.constant(value) }, { weight: 2, arbitrary: spiked(value) }, { weight: 1, arbitrary: hostile }),
          ]),
        ),
      );
    const answersFor: Record<string, fc.Arbitrary<unknown>> = {
      basics: fc.oneof(
        spikedValues({ ...basics, slug: 'fuzz-onboarded' }),
        fc.record({ ...Object.fromEntries(Object.keys(basics).map((key) => [key, loose])) }, { requiredKeys: [] }),
      ),
      pack: fc.record(
        {
          pack: fc.oneof(fc.constantFrom(...packs), hostile),
          templates: fc.oneof(fc.record({ sms: dictionaryOf(fc.oneof(hostile, loose)), email: dictionaryOf(loose) }, { requiredKeys: [] }), loose),
        },
        { requiredKeys: [] },
      ),
      calendar: spikedValues({ calendarId: 'primary' }),
      texting: spikedValues({ accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID, authToken: DEMO_SECRETS.TWILIO_AUTH_TOKEN, number: '+12175550101' }),
      email: spikedValues({ smtpUrl: 'smtp://user:pass@127.0.0.1:2525', from: 'office@example.com', testTo: 'owner@example.com' }),
      alerts: fc.record(
        { slackWebhookUrl: fc.oneof(spiked('https://hooks.slack.com/services/T0/B0/x'), hostile), test: fc.oneof(fc.boolean(), loose) },
        { requiredKeys: [] },
      ),
      retell: spikedValues({ apiKey: 'key_fuzz_onboarding', agentId: 'agent_fuzz_onboarding' }),
    };
    /** A step's name with answers for that step (spiked valid ones, mostly), or a name that is no step. */
    const stepAnswers = fc.oneof(
      { weight: 4, arbitrary: fc.oneof(...Object.entries(answersFor).map(([name, answers]) => fc.tuple(fc.constant(name), answers))) },
      { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constant('golive'), hostile), loose) },
    );
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.constant(onboardingId) },
      { weight: 1, arbitrary: fc.oneof(spiked(onboardingId), hostile, fc.constant('onb_missing')) },
    );
    const routes: Array<[string, string, fc.Arbitrary<unknown>]> = [
      ['GET', '/v1/api/onboarding', fc.constant(undefined)],
      ['GET', '/v1/api/onboarding/:id', fc.constant(undefined)],
      ['GET', '/v1/api/onboarding/:id/calendars', fc.constant(undefined)],
      ['GET', '/v1/api/packs/:pack', fc.constant(undefined)],
      ['GET', '/v1/api/hours-presets', fc.constant(undefined)],
      ['GET', `/v1/api/offices/:slug/retell-tools`, fc.constant(undefined)],
      ['POST', '/v1/api/timezone-proposal', fc.oneof(spikedValues({ address: '1 Main Street, Springfield, IL', phone: '+12175550100' }), loose)],
      [
        'POST',
        '/v1/api/templates/preview',
        fc.oneof(
          fc.record(
            {
              client: fc.oneof(fc.constant(CLIENT), spiked(CLIENT)),
              pack: fc.oneof(fc.constantFrom(...packs), hostile),
              channel: fc.constantFrom('sms', 'email'),
              kind: fc.oneof(fc.constantFrom('confirmation', 'reminder24h', 'nurtureDay1'), hostile),
              text: fc.oneof(hostile, spiked('Hi {{firstName}}, see you {{when}}')),
              subject: hostile,
              html: hostile,
              language: fc.oneof(fc.constant('en'), hostile),
            },
            { requiredKeys: ['channel', 'kind', 'text'] },
          ),
          loose,
        ),
      ],
      ['POST', '/v1/api/onboarding', fc.oneof(fc.record({ basics: answersFor.basics! }), loose)],
      ['PUT', '/v1/api/onboarding/:id/steps/:step', fc.constant('by-step')],
      ['POST', '/v1/api/onboarding/:id/golive', fc.constant(undefined)],
      ['DELETE', '/v1/api/onboarding/:id', fc.constant(undefined)],
    ];
    for (const [method, template, bodyArbitrary] of routes) {
      const runs = template.endsWith('/golive') || method === 'DELETE' ? 3 : Math.ceil(RUNS / 2);
      await fc.assert(
        fc.asyncProperty(
          id,
          stepAnswers,
          fc.oneof(fc.constantFrom(...packs), hostile),
          fc.oneof(fc.constantFrom(CLIENT, 'fuzz-onboarded'), hostile),
          bodyArbitrary,
          async (idValue, [stepValue, answers], packValue, slugValue, bodyValue) => {
            const path = template
              .replace(':id', encodeURIComponent(idValue.toWellFormed()))
              .replace(':step', encodeURIComponent(stepValue.toWellFormed()))
              .replace(':pack', encodeURIComponent(packValue.toWellFormed()))
              .replace(':slug', encodeURIComponent(slugValue.toWellFormed()));
            const body = bodyValue === 'by-step' ? answers : bodyValue;
            const sent = await asAdmin(method, path, body === undefined ? undefined : serialize(body));
            expectNo5xx(sent, `${method} ${path} ${body === undefined ? '' : serialize(body)}`);
          },
        ),
        { numRuns: runs },
      );
    }
  }, 240_000);

  it('any other address, method or query never gets a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.oneof(
          fc.array(
            fc.oneof(
              fc.constantFrom('v1', 'api', 'retell', 'twilio', CLIENT, 'functions', 'healthz', 'metrics', '%00', '..', '%ED%A0%80', '%'),
              fc.webSegment(),
            ),
            { maxLength: 5 },
          ),
          fc.constantFrom(
            '/healthz',
            '/metrics',
            '/v1/sandbox/zoho/leads',
            '/v1/api/live',
            '/v1/api/offices/smart-tax-nation/retell-tools',
            '/index.html',
            '/calls/x',
          ),
        ),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(hostile, fc.string({ maxLength: 8 })), { maxKeys: 3 }),
        async (method, segments, queryValue) => {
          const search = new URLSearchParams(Object.entries(queryValue).map(([key, value]) => [key.toWellFormed(), value.toWellFormed()]));
          const path = `${typeof segments === 'string' ? segments : `/${segments.join('/')}`}?${search}`;
          // /readyz may answer 503 by design when a dependency is down; it takes no input.
          if (path.startsWith('/readyz')) return;
          expectNo5xx(
            await send(method, path, method === 'GET' || method === 'OPTIONS' ? undefined : '{}', { 'content-type': 'application/json' }),
            `${method} ${path}`,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the process still serves after all of it, and every accepted event was applied', async () => {
    expect((await send('GET', '/healthz', undefined)).status).toBe(200);
    await expectStoredEventsApplied('the whole run');
  });
});
