/**
 * Issue 9 "Security": property-based fuzzing (fast-check) of every public endpoint body. Whatever arrives — random
 * JSON, vendor-shaped payloads with wrong types, raw bytes, odd content types — the answer is never a 500 and the
 * process keeps serving. Bodies are signed with the vendors' own code (retell-sdk, twilio) so they reach the
 * schemas and handlers behind the signature checks, and the dashboard routes are called signed in as an admin.
 * One backend (PGlite) keeps it fast; runs are bounded per endpoint.
 */
import fc from 'fast-check';
import { sign } from 'retell-sdk';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { retellFunctions } from '../../src/functions/registry.js';
import { signState } from '../../src/zoho/oauth-state.js';
import { aUser, signIn, type Api } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';

const CLIENT = 'smart-tax-nation';
const AGENT = 'agent_stn_demo_0001';
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Values of every JSON type, including the awkward ones (huge numbers, deep nesting, unicode, empty). */
const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', ' ', '\u0000', '9'.repeat(400), '-1', '1e309', 'null', '../../etc/passwd', '<script>', "'; drop table calls; --"));
const loose = fc.oneof(json, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const phone = fc.oneof(fc.constantFrom('+12125550177', '+13055550123', '2125550177', '+1', '+442079460000', ''), text);

/** A Retell call object with any subset of its fields, each of the right or a wrong type. */
const retellCall = fc.record(
  {
    call_id: fc.oneof(fc.constantFrom('call_fuzz_1', 'call_fuzz_2'), text, fc.integer()),
    agent_id: fc.oneof(fc.constant(AGENT), text),
    call_type: fc.oneof(fc.constantFrom('phone_call', 'web_call'), text),
    direction: fc.oneof(fc.constantFrom('inbound', 'outbound'), text),
    from_number: phone,
    to_number: phone,
    call_status: fc.oneof(fc.constantFrom('registered', 'ongoing', 'ended', 'error'), text),
    start_timestamp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double(), text),
    end_timestamp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), text),
    duration_ms: fc.oneof(fc.integer(), fc.double(), text),
    transcript: fc.oneof(text, loose),
    transcript_object: fc.oneof(fc.array(fc.record({ role: fc.constantFrom('agent', 'user', 'x'), content: loose, words: loose }, { requiredKeys: [] }), { maxLength: 3 }), loose),
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

const retellEvent = fc.oneof(
  fc.record(
    { event: fc.oneof(fc.constantFrom('call_started', 'call_ended', 'call_analyzed', 'transcript_updated', 'transfer_started', 'call_inbound'), text), call: fc.oneof(retellCall, loose) },
    { requiredKeys: [] },
  ),
  loose,
);

const inboundEvent = fc.oneof(
  fc.record(
    {
      event: fc.oneof(fc.constant('call_inbound'), text),
      call_inbound: fc.oneof(fc.record({ agent_id: fc.oneof(fc.constant(AGENT), text), from_number: phone, to_number: phone, call_id: fc.oneof(text, fc.constant('call_fuzz_in')) }, { requiredKeys: [] }), loose),
    },
    { requiredKeys: [] },
  ),
  loose,
);

const argValue = fc.oneof(loose, fc.constantFrom('2026-03-04', '2026-03-04T09:00:00-05:00', '2026-02-30T25:61:00Z', 'individual-return', 'tax consultation', 'someone@example.com', 'all', 'sms', 'email'));
const functionArgs = fc.oneof(
  fc.dictionary(
    fc.constantFrom('name', 'email', 'notes', 'preferred_language', 'date', 'appointment_type', 'start', 'new_start', 'booking_id', 'phone', 'channel', 'reason', 'time_preference', 'after'),
    argValue,
    { maxKeys: 6 },
  ),
  loose,
);
const functionCall = fc.oneof(
  fc.record({ name: fc.oneof(fc.constantFrom(...retellFunctions.map((fn) => fn.name)), text), args: functionArgs, call: fc.oneof(retellCall, loose) }, { requiredKeys: [] }),
  loose,
);

/** Form fields as Twilio posts them, plus junk. */
const twilioForm = fc.dictionary(
  fc.oneof(fc.constantFrom('MessageSid', 'SmsSid', 'AccountSid', 'From', 'To', 'Body', 'MessageStatus', 'ErrorCode', 'NumSegments', 'OptOutType'), fc.string({ maxLength: 12 })),
  fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('STOP', 'stop texting me', 'START', 'HELP', 'ALTO', 'Stop please', 'Sí', 'delivered', 'undelivered', 'failed', '30007', '21610', '+12125550177', DEMO_SECRETS.TWILIO_ACCOUNT_SID, 'SM' + '0'.repeat(32))),
  { maxKeys: 8 },
);

type Sent = { status: number; text: string };

describe('fuzzing every public endpoint: never a 500, never a crash (PGlite)', () => {
  let app: TestApp;
  let admin: Api;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp('pglite');
    url = app.url!;
    admin = await signIn(app, await aUser(app, 'admin'));
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
  });

  async function send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<Sent> {
    const response = await fetch(`${url}${path}`, { method, headers, body });
    return { status: response.status, text: await response.text() };
  }

  /** 500 is what the app answers for an unhandled error; a deliberate 502 ("Zoho could not be reached") is an answer. */
  function expectNo500(sent: Sent, what: string): void {
    if (sent.status === 500) throw new Error(`${what} answered ${sent.status}: ${sent.text.slice(0, 300)}`);
  }

  const rawBody = (value: unknown, asText: boolean) => (asText && typeof value === 'string' ? value : JSON.stringify(value) ?? 'null');

  it('Retell webhook, inbound and function bodies (signed and unsigned) never get a 500', async () => {
    const cases: Array<[string, fc.Arbitrary<unknown>]> = [
      ['/webhook', retellEvent],
      ['/inbound', inboundEvent],
      ['/functions', functionCall],
    ];
    for (const [path, arbitrary] of cases) {
      await fc.assert(
        fc.asyncProperty(arbitrary, fc.boolean(), fc.constantFrom('signed', 'unsigned', 'garbage'), fc.constantFrom(...retellFunctions.map((fn) => fn.name), 'no_such_function'), async (payload, asText, signing, name) => {
          const raw = rawBody(payload, asText);
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (signing === 'signed') headers['x-retell-signature'] = await sign(raw, DEMO_SECRETS.RETELL_API_KEY);
          if (signing === 'garbage') headers['x-retell-signature'] = `v=${Date.now()},d=${Buffer.from(raw).toString('hex').slice(0, 64)}`;
          const target = path === '/functions' && asText ? `/functions/${name}` : path;
          expectNo500(await send('POST', `/v1/retell/${CLIENT}${target}`, raw, headers), `retell ${target} ${raw.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
    }
  }, 120_000);

  it('Twilio inbound SMS and status callbacks with valid signatures never get a 500', async () => {
    for (const path of ['inbound', 'status']) {
      await fc.assert(
        fc.asyncProperty(twilioForm, fc.boolean(), async (form, signed) => {
          const target = `${url}/v1/twilio/${CLIENT}/${path}`;
          const body = new URLSearchParams(form).toString();
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (signed) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(DEMO_SECRETS.TWILIO_AUTH_TOKEN, target, form);
          expectNo500(await send('POST', `/v1/twilio/${CLIENT}/${path}`, body, headers), `twilio ${path} ${body}`);
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('unsubscribe links and their one-click POST never get a 500, whatever the token or body', async () => {
    // Found by this fuzzing: an empty or over-long token threw a schema error (500) instead of the invalid-link page.
    for (const token of ['', 'x'.repeat(3000)]) {
      for (const method of ['GET', 'POST']) {
        const sent = await send(method, `/v1/unsubscribe/${token}`, method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined, method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {});
        expect([method, sent.status, sent.text.includes('not valid')]).toEqual([method, 404, true]);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.base64String({ maxLength: 300 }), fc.webSegment(), text), loose, fc.constantFrom('GET', 'POST'), async (token, payload, method) => {
        const path = `/v1/unsubscribe/${encodeURIComponent(token)}`;
        const sent =
          method === 'GET'
            ? await send('GET', path, undefined)
            : await send('POST', path, new URLSearchParams({ 'List-Unsubscribe': typeof payload === 'string' ? payload : JSON.stringify(payload) }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
        expectNo500(sent, `unsubscribe ${method} ${path}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('the Zoho OAuth start and callback never get a 500, with a valid state or without', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ code: text, error: text, location: fc.oneof(fc.constantFrom('us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'cn'), text), 'accounts-server': fc.oneof(fc.constantFrom('zoho-emulator', 'https://evil.example', 'http://127.0.0.1:1'), text), client: fc.oneof(fc.constant(CLIENT), text), ticket: text }, { requiredKeys: [] }),
        fc.boolean(),
        async (query, validState) => {
          const params = new URLSearchParams(query as Record<string, string>);
          // The emulator is a trusted accounts server in demo mode: codes are really exchanged (and refused).
          if (params.get('accounts-server') === 'zoho-emulator') params.set('accounts-server', app.context.sandbox!.zoho.url);
          if (validState) params.set('state', signState(app.context.secretBox, CLIENT, app.clock.now().getTime()));
          expectNo500(await send('GET', `/v1/oauth/zoho/callback?${params}`, undefined), `oauth callback ${params}`);
          expectNo500(await send('GET', `/v1/oauth/zoho/start?${params}`, undefined), `oauth start ${params}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('sign-in never gets a 500, whatever the body or content type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ email: loose, password: loose }, { requiredKeys: [] }), loose), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (payload, type) => {
        const sent = await send('POST', '/v1/api/session', rawBody(payload, false), { 'content-type': type, origin: url, 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.1` });
        expectNo500(sent, `session ${JSON.stringify(payload)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('invitation links and accepting them never get a 500, whatever the token or body', async () => {
    const token = fc.oneof(fc.base64String({ maxLength: 300 }), fc.webSegment(), text, fc.constant('A'.repeat(43)));
    await fc.assert(
      fc.asyncProperty(token, fc.oneof(fc.record({ token: fc.oneof(token, loose), password: loose }, { requiredKeys: [] }), loose), async (value, payload) => {
        expectNo500(await send('GET', `/v1/api/invites/${encodeURIComponent(value)}`, undefined), `invite GET ${value}`);
        expectNo500(await send('POST', '/v1/api/invites/accept', rawBody(payload, false), { 'content-type': 'application/json', origin: url }), `invite accept ${JSON.stringify(payload)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('every dashboard API route, signed in as an admin, never gets a 500 for any id, query or body', async () => {
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
      ['POST', '/v1/api/simulate'],
      ['GET', '/v1/api/users'],
      ['POST', '/v1/api/users/invite'],
      ['PATCH', '/v1/api/users/:id'],
      ['POST', '/v1/api/users/:id/reset-password'],
      ['POST', '/v1/api/users/invites/:id/revoke'],
      // Last: it signs the admin out.
      ['DELETE', '/v1/api/session'],
    ];
    const id = fc.oneof(fc.constantFrom('1', '0', '-1', '1.5', '9007199254740993', '99999999999999999999', 'smart-tax-nation', 'desert-bookkeeping', '%00', 'call_x'), fc.webSegment());
    const query = fc.dictionary(
      fc.constantFrom('client', 'q', 'outcome', 'limit', 'before', 'status', 'channel', 'customer', 'kind', 'source', 'state', 'date', 'days'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('smart-tax-nation', '2026-02-30', '0', '-5', '1e3', 'open', 'sms', '%', '_', '\\')),
      { maxKeys: 4 },
    );
    const body = fc.oneof(
      fc.dictionary(
        fc.constantFrom('client', 'channel', 'customerId', 'to', 'subject', 'body', 'purpose', 'sendAt', 'overrideConsent', 'name', 'email', 'notes', 'status', 'newStart', 'scenario', 'from', 'consent', 'sms', 'marketing', 'role', 'clientIds', 'disabled'),
        fc.oneof(loose, fc.constantFrom('smart-tax-nation', 'sms', 'email', '+12125550177', 'a@example.com', '2026-03-04T14:30', 'marketing', 'transactional', 'opted_out', 'new-caller-books', 'staff', 'admin')),
        { maxKeys: 6 },
      ),
      loose,
    );
    for (const [method, template] of routes) {
      await fc.assert(
        fc.asyncProperty(id, query, body, async (idValue, queryValue, bodyValue) => {
          // The simulator plays a whole call when its body is valid; fuzz only its validation.
          if (template === '/v1/api/simulate' && bodyValue && typeof bodyValue === 'object' && 'scenario' in bodyValue) return;
          const path = template.replace(/:id|:client/, encodeURIComponent(idValue)) + (method === 'GET' ? `?${new URLSearchParams(queryValue)}` : '');
          const withBody = method !== 'GET' && method !== 'DELETE';
          const sent = await admin.request(method, path, withBody ? bodyValue ?? null : undefined);
          if (sent.status === 500) throw new Error(`${method} ${path} ${JSON.stringify(bodyValue)} answered ${sent.status}: ${JSON.stringify(sent.body).slice(0, 300)}`);
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
      // Still signed in, so every route's handler (not only the 401 guard) was fuzzed.
      if (method !== 'DELETE') expect([template, (await admin.request('GET', '/v1/api/me')).status]).toEqual([template, 200]);
    }
  }, 180_000);

  it('the process still serves after all of it', async () => {
    expect((await send('GET', '/healthz', undefined)).status).toBe(200);
  });
});
