/**
 * A faithful local Twilio Programmable Messaging API (reference/messaging.md §1): create / fetch / list messages
 * with Twilio's JSON shapes and error codes, the magic test numbers, opt-outs, signed status callbacks and signed
 * inbound-SMS webhooks. Signatures come from the twilio package itself, so what our webhook code accepts here is
 * exactly what it would accept from Twilio.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { EmulatedVendor, startVendor, type Emulator } from './emulator.js';
import { Http1Pools } from './http1-client.js';
import { TwilioAccount, type EmulatedIncomingNumber, type IncomingNumberSeed, type TwilioErrorSpec, isHttpUrl } from './twilio-account.js';

const API_VERSION = '2010-04-01';
/** Twilio's own "valid sender" test number; used as the sender a messaging service picks. */
const DEFAULT_SERVICE_SENDER = '+15005550006';
/** The number a demo account owns when nothing else is seeded (Twilio's own "valid sender" test number). */
export const DEFAULT_INCOMING_NUMBER = DEFAULT_SERVICE_SENDER;
const CALLBACK_TIMEOUT_MS = 15_000;

export type TwilioMessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'delivered'
  | 'undelivered'
  | 'receiving'
  | 'received'
  | 'accepted'
  | 'scheduled'
  | 'read'
  | 'partially_delivered'
  | 'canceled';

/** What happens to a message after it was accepted: the last status it reaches (and its error code). */
export type TwilioOutcome = 'delivered' | 'sent' | 'undelivered' | 'failed';

export interface TwilioStatusChange {
  status: TwilioMessageStatus;
  at: Date;
  errorCode: number | null;
}

export interface EmulatedTwilioMessage {
  sid: string;
  accountSid: string;
  messagingServiceSid: string | null;
  direction: 'outbound-api' | 'inbound';
  /** Null while a messaging service has not picked a sender yet. */
  from: string | null;
  to: string;
  body: string;
  mediaUrls: string[];
  numSegments: number;
  status: TwilioMessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  statusCallback: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  history: TwilioStatusChange[];
}

export interface StatusCallbackDelivery {
  at: Date;
  url: string;
  messageSid: string;
  status: TwilioMessageStatus;
  params: Record<string, string>;
  signature: string;
  /** Our server's answer; absent when the request failed (see `error`). */
  response?: { status: number; body: string };
  error?: string;
}

export interface InboundSmsResult {
  status: number;
  contentType: string | null;
  /** Our answer (TwiML). */
  body: string;
  messageSid: string;
  params: Record<string, string>;
  signature: string;
}

export interface TwilioEmulatorOptions {
  accountSid: string;
  authToken: string;
  /** Stamps date_created / date_updated / date_sent (default: system clock). */
  clock?: Clock;
  /** Wait before each status change after the 201 (default 0: right after the answer was sent). */
  statusCallbackDelayMs?: number;
  /** When given, `From` must be one of these (else 21606, like a number the account does not own). */
  ownedNumbers?: string[];
  /** Sender a messaging service picks, per service SID (default +15005550006). */
  messagingServiceSenders?: Record<string, string>;
  /** IncomingPhoneNumbers the account owns (default: one, +15005550006). */
  incomingNumbers?: IncomingNumberSeed[];
  port?: number;
}

const ERRORS = {
  auth: { code: 20003, status: 401, message: 'Authenticate' },
  notFound: { code: 20404, status: 404, message: 'The requested resource was not found' },
  rateLimited: { code: 20429, status: 429, message: 'Too Many Requests' },
  bodyRequired: { code: 21602, status: 400, message: 'Message body is required.' },
  fromRequired: { code: 21603, status: 400, message: "A 'From' phone number is required." },
  toRequired: { code: 21604, status: 400, message: "A 'To' phone number is required." },
  invalidTo: { code: 21211, status: 400, message: "Invalid 'To' Phone Number" },
  invalidFrom: { code: 21212, status: 400, message: "Invalid 'From' Phone Number" },
  regionNotEnabled: {
    code: 21408,
    status: 400,
    message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  },
  fromNotOwned: {
    code: 21606,
    status: 400,
    message: "The 'From' phone number provided is not a valid, SMS-capable inbound phone number or short code for your account.",
  },
  invalidStatusCallback: { code: 21609, status: 400, message: 'Invalid StatusCallback' },
  unsubscribed: { code: 21610, status: 400, message: 'Attempt to send to unsubscribed recipient' },
  fromQueueFull: {
    code: 21611,
    status: 400,
    message: "This 'From' number has exceeded the maximum number of queued messages",
  },
  unreachable: { code: 21612, status: 400, message: "The 'To' phone number is not currently reachable via SMS" },
  notMobile: { code: 21614, status: 400, message: "'To' number is not a valid mobile number" },
  bodyTooLong: {
    code: 21617,
    status: 400,
    message: 'The concatenated message body exceeds the 1600 character limit.',
  },
} satisfies Record<string, TwilioErrorSpec>;

/** Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials), as `To`. */
const MAGIC_TO: Record<string, TwilioErrorSpec> = {
  '+15005550001': ERRORS.invalidTo,
  '+15005550002': ERRORS.unreachable,
  '+15005550003': ERRORS.regionNotEnabled,
  '+15005550004': ERRORS.unsubscribed,
  '+15005550009': ERRORS.notMobile,
};

/** … and as `From`. */
const MAGIC_FROM: Record<string, TwilioErrorSpec> = {
  '+15005550001': ERRORS.invalidFrom,
  '+15005550007': ERRORS.fromNotOwned,
  '+15005550008': ERRORS.fromQueueFull,
};

const DELIVERY_ERRORS: Record<number, string> = {
  30003: 'Unreachable destination handset',
  30004: 'Message blocked',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
  30034: 'Message from an Unregistered Number',
};

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES']);

const createMessageSchema = z.object({
  To: z.string().optional(),
  From: z.string().optional(),
  MessagingServiceSid: z.string().optional(),
  Body: z.string().optional(),
  MediaUrl: z.union([z.string(), z.array(z.string())]).optional(),
  ContentSid: z.string().optional(),
  StatusCallback: z.string().optional(),
});

export class TwilioEmulator extends EmulatedVendor {
  readonly accountSid: string;
  readonly messages: EmulatedTwilioMessage[] = [];
  readonly callbacks: StatusCallbackDelivery[] = [];
  /** The account resource and its IncomingPhoneNumbers (twilio-account.ts). */
  readonly account: TwilioAccount;
  private readonly authToken: string;
  private readonly clock: Clock;
  private readonly callbackDelayMs: number;
  private readonly ownedNumbers: Set<string> | undefined;
  private readonly serviceSenders: Record<string, string>;
  /** `to` alone blocks every sender; `to|from` blocks one pair (what a STOP reply does). */
  private readonly optedOut = new Set<string>();
  private readonly outcomes = new Map<string, { status: TwilioOutcome; errorCode: number | null }>();
  private defaultOutcome: { status: TwilioOutcome; errorCode: number | null } = { status: 'delivered', errorCode: null };
  private readonly pending = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  /** Waiters released by close(); kept here rather than as listeners on `closing.signal`, whose listener list
   * would grow by one per message and make every later add slower (quadratic over a 10,000-text burst). */
  private readonly releaseOnClose = new Set<() => void>();
  // Callbacks reuse connections, as Twilio's callback fleet does; close() destroys them.
  private readonly callbackPools = new Http1Pools(32);

  private constructor(emulator: Emulator, options: TwilioEmulatorOptions) {
    super(emulator);
    this.accountSid = options.accountSid;
    this.authToken = options.authToken;
    this.clock = options.clock ?? systemClock;
    this.callbackDelayMs = options.statusCallbackDelayMs ?? 0;
    this.ownedNumbers = options.ownedNumbers ? new Set(options.ownedNumbers) : undefined;
    this.serviceSenders = options.messagingServiceSenders ?? {};
    this.account = new TwilioAccount({
      accountSid: this.accountSid,
      authToken: this.authToken,
      clock: this.clock,
      authorize: (request, reply) => this.authorize(request, reply),
      errorBody,
      newSid,
      formatDate: rfc2822,
    });
    for (const seed of options.incomingNumbers ?? [{ phoneNumber: DEFAULT_INCOMING_NUMBER }]) this.account.addNumber(seed);
  }

  static async start(options: TwilioEmulatorOptions): Promise<TwilioEmulator> {
    return startVendor({ name: 'twilio', port: options.port }, (emulator) => {
      const instance = new TwilioEmulator(emulator, options);
      instance.registerRoutes();
      return instance;
    });
  }

  /** Adds a number the account owns, as buying one in Twilio's console would (idempotent by phone number). */
  addIncomingNumber(seed: IncomingNumberSeed): EmulatedIncomingNumber {
    return this.account.addNumber(seed);
  }

  incomingNumber(phoneNumber: string): EmulatedIncomingNumber | undefined {
    return this.account.findByPhoneNumber(phoneNumber);
  }

  messagesTo(number: string): EmulatedTwilioMessage[] {
    return this.messages.filter((message) => message.to === number);
  }

  message(sid: string): EmulatedTwilioMessage | undefined {
    return this.messages.find((message) => message.sid === sid);
  }

  /** Later sends to `number` fail with 21610 (from every sender, or only from `from`). */
  optOut(number: string, from?: string): void {
    this.optedOut.add(from ? `${number}|${from}` : number);
  }

  /** Undoes `optOut` (and a STOP reply) for `number`, for every sender. */
  optIn(number: string): void {
    for (const key of [...this.optedOut]) {
      if (key === number || key.startsWith(`${number}|`)) this.optedOut.delete(key);
    }
  }

  isOptedOut(to: string, from: string | null): boolean {
    return this.optedOut.has(to) || (from !== null && this.optedOut.has(`${to}|${from}`));
  }

  /** Where messages to `to` end up: `undelivered` / `failed` carry `errorCode` (default 30003 / 30008). */
  setOutcome(to: string, status: TwilioOutcome, errorCode?: number): void {
    this.outcomes.set(to, { status, errorCode: resolveErrorCode(status, errorCode) });
  }

  setDefaultOutcome(status: TwilioOutcome, errorCode?: number): void {
    this.defaultOutcome = { status, errorCode: resolveErrorCode(status, errorCode) };
  }

  /** The next `times` API calls answer 429 / 20429, as Twilio does under load. */
  rateLimitNext(times = 1): void {
    this.emulator.faults.failNext(times, 429, errorBody(ERRORS.rateLimited), { match: '/Accounts/' });
  }

  /** Resolves once every scheduled status change and callback has happened (new ones included). */
  async flushCallbacks(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Posts one more signed callback for an existing message with any status, without changing the message:
   * for duplicated or out-of-order deliveries, which Twilio does produce.
   */
  async sendStatusCallback(sid: string, status: TwilioMessageStatus, errorCode?: number): Promise<StatusCallbackDelivery> {
    const message = this.message(sid);
    if (!message?.statusCallback) throw new Error(`twilio emulator: message ${sid} has no StatusCallback`);
    return this.postStatusCallback(message, status, errorCode ?? null);
  }

  /** Posts a signed inbound-SMS webhook, as Twilio does when a text arrives at our number, and returns our answer. */
  async sendInbound(input: { url: string; from: string; to: string; body: string; messagingServiceSid?: string }): Promise<InboundSmsResult> {
    const now = this.clock.now();
    const sid = newSid('SM');
    const numSegments = countSegments(input.body);
    this.messages.push({
      sid,
      accountSid: this.accountSid,
      messagingServiceSid: input.messagingServiceSid ?? null,
      direction: 'inbound',
      from: input.from,
      to: input.to,
      body: input.body,
      mediaUrls: [],
      numSegments,
      status: 'received',
      errorCode: null,
      errorMessage: null,
      statusCallback: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: now,
      history: [{ status: 'received', at: now, errorCode: null }],
    });
    // Twilio applies its default opt-out keywords itself (and still forwards the text to us).
    const keyword = input.body.trim().toUpperCase();
    if (STOP_WORDS.has(keyword)) this.optOut(input.from, input.to);
    if (START_WORDS.has(keyword)) this.optIn(input.from);

    const params: Record<string, string> = {
      ToCountry: countryOf(input.to),
      ToState: stateOf(input.to),
      SmsMessageSid: sid,
      NumMedia: '0',
      ToCity: '',
      FromZip: '',
      SmsSid: sid,
      FromState: stateOf(input.from),
      SmsStatus: 'received',
      FromCity: '',
      Body: input.body,
      FromCountry: countryOf(input.from),
      To: input.to,
      ToZip: '',
      NumSegments: String(numSegments),
      MessageSid: sid,
      AccountSid: this.accountSid,
      From: input.from,
      ApiVersion: API_VERSION,
    };
    if (input.messagingServiceSid) params.MessagingServiceSid = input.messagingServiceSid;
    const signature = twilio.getExpectedTwilioSignature(this.authToken, input.url, params);
    const response = await fetch(input.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: await response.text(),
      messageSid: sid,
      params,
      signature,
    };
  }

  /** Forgets messages, callbacks, opt-outs and outcomes; the account's numbers stay, like its configuration. */
  reset(): void {
    this.emulator.reset();
    this.messages.length = 0;
    this.callbacks.length = 0;
    this.optedOut.clear();
    this.outcomes.clear();
    this.defaultOutcome = { status: 'delivered', errorCode: null };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const release of this.releaseOnClose) release();
    this.releaseOnClose.clear();
    this.callbackPools.close();
    await Promise.allSettled([...this.pending]);
    await this.emulator.close();
  }

  private registerRoutes(): void {
    const app = this.emulator.app;
    const base = `/${API_VERSION}/Accounts/:accountSid`;
    app.post(`${base}/Messages.json`, (request, reply) => this.createMessage(request, reply));
    app.get(`${base}/Messages.json`, (request, reply) => this.listMessages(request, reply));
    app.get(`${base}/Messages/:sid.json`, (request, reply) => this.fetchMessage(request, reply));
    this.account.registerRoutes(app);

    // Control endpoints so another process (CLI, dashboard demo) can script the emulator.
    app.post('/__sandbox/twilio/opt-outs', async (request, reply) => {
      const parsed = z.object({ number: z.string(), from: z.string().optional() }).safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
      this.optOut(parsed.data.number, parsed.data.from);
      return { ok: true };
    });
    app.post('/__sandbox/twilio/outcomes', async (request, reply) => {
      const parsed = z
        .object({
          to: z.string().optional(),
          status: z.enum(['delivered', 'sent', 'undelivered', 'failed']),
          errorCode: z.number().int().optional(),
        })
        .safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
      const { to, status, errorCode } = parsed.data;
      if (to) this.setOutcome(to, status, errorCode);
      else this.setDefaultOutcome(status, errorCode);
      return { ok: true };
    });
    app.post('/__sandbox/twilio/inbound', async (request, reply) => {
      const parsed = z.object({ url: z.string().url(), from: z.string(), to: z.string(), body: z.string() }).safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
      const result = await this.sendInbound(parsed.data);
      return { status: result.status, contentType: result.contentType, body: result.body, messageSid: result.messageSid };
    });
    app.get('/__sandbox/twilio/messages', async () => ({
      messages: this.messages.map((message) => this.resource(message)),
      callbacks: this.callbacks,
    }));
  }

  /** Checks Basic auth and the account in the path; answers the error itself and returns false when wrong. */
  private authorize(request: FastifyRequest, reply: FastifyReply): boolean {
    const { accountSid } = request.params as { accountSid: string };
    const credentials = parseBasicAuth(request.headers.authorization);
    if (!credentials || credentials.username !== this.accountSid || credentials.password !== this.authToken) {
      void reply.code(401).header('www-authenticate', 'Basic realm="Twilio API"').send(errorBody(ERRORS.auth));
      return false;
    }
    if (accountSid !== this.accountSid) {
      void reply.code(404).send(errorBody(ERRORS.notFound, `The requested resource ${request.url.split('?')[0]} was not found`));
      return false;
    }
    return true;
  }

  private async createMessage(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.authorize(request, reply)) return reply;
    const fail = (spec: TwilioErrorSpec, message?: string) => reply.code(spec.status).send(errorBody(spec, message));
    const parsed = createMessageSchema.safeParse(request.body ?? {});
    if (!parsed.success) return fail(ERRORS.toRequired);
    const input = parsed.data;
    const mediaUrls = input.MediaUrl === undefined ? [] : ([] as string[]).concat(input.MediaUrl);

    if (!input.To) return fail(ERRORS.toRequired);
    if (!isE164(input.To)) return fail(ERRORS.invalidTo, `Invalid 'To' Phone Number: ${input.To}`);
    if (!input.From && !input.MessagingServiceSid) return fail(ERRORS.fromRequired);
    if (!input.Body && mediaUrls.length === 0 && !input.ContentSid) return fail(ERRORS.bodyRequired);
    if (input.Body && input.Body.length > 1600) return fail(ERRORS.bodyTooLong);
    if (input.StatusCallback !== undefined && !isHttpUrl(input.StatusCallback)) return fail(ERRORS.invalidStatusCallback);
    if (input.From) {
      const magic = MAGIC_FROM[input.From];
      if (magic) return fail(magic, magic === ERRORS.invalidFrom ? `Invalid 'From' Phone Number: ${input.From}` : undefined);
      if (!isSender(input.From)) return fail(ERRORS.invalidFrom, `Invalid 'From' Phone Number: ${input.From}`);
      if (this.ownedNumbers && !this.ownedNumbers.has(input.From)) return fail(ERRORS.fromNotOwned);
    }
    const magicTo = MAGIC_TO[input.To];
    if (magicTo) return fail(magicTo, magicTo === ERRORS.invalidTo ? `Invalid 'To' Phone Number: ${input.To}` : undefined);
    const sender = input.From ?? this.serviceSender(input.MessagingServiceSid);
    if (this.isOptedOut(input.To, sender)) return fail(ERRORS.unsubscribed);

    const now = this.clock.now();
    const status: TwilioMessageStatus = input.MessagingServiceSid ? 'accepted' : 'queued';
    const message: EmulatedTwilioMessage = {
      sid: newSid('SM'),
      accountSid: this.accountSid,
      messagingServiceSid: input.MessagingServiceSid ?? null,
      direction: 'outbound-api',
      from: input.From ?? null,
      to: input.To,
      body: input.Body ?? '',
      mediaUrls,
      numSegments: countSegments(input.Body ?? ''),
      status,
      errorCode: null,
      errorMessage: null,
      statusCallback: input.StatusCallback ?? null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
      history: [{ status, at: now, errorCode: null }],
    };
    this.messages.push(message);
    const body = this.resource(message);
    // Status changes start once the answer is out (or the caller hung up), as Twilio's own queue would; the
    // work is tracked from now on so flushCallbacks() right after the 201 cannot miss it.
    this.track(
      new Promise<void>((resolve) => {
        const done = () => {
          this.releaseOnClose.delete(done);
          resolve();
        };
        this.releaseOnClose.add(done);
        reply.raw.once('close', () => void this.progress(message).then(done, done));
      }),
    );
    return reply.code(201).send(body);
  }

  private async fetchMessage(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.authorize(request, reply)) return reply;
    const { sid } = request.params as { sid: string };
    const message = this.message(sid);
    if (!message) {
      return reply.code(404).send(errorBody(ERRORS.notFound, `The requested resource ${request.url.split('?')[0]} was not found`));
    }
    return this.resource(message);
  }

  /**
   * The list with Twilio's filters (reference/twilio-numbers.md §3): `To`, `From`, and `DateSent` (that UTC day),
   * `DateSent<` (on or before, the URL reads `DateSent<=`) and `DateSent>` (on or after, `DateSent>=`). Twilio documents
   * the date filters as GMT days, so the time part of a value is ignored, and a message not sent yet (no date_sent)
   * never matches one. Newest first.
   */
  private async listMessages(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.authorize(request, reply)) return reply;
    const query = request.query as Record<string, string | undefined>;
    const pageSize = Math.min(Math.max(Number(query.PageSize ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(query.Page ?? 0) || 0, 0);
    const days: Record<'on' | 'before' | 'after', string | undefined> = {
      on: utcDay(query.DateSent),
      before: utcDay(query['DateSent<']),
      after: utcDay(query['DateSent>']),
    };
    for (const [name, value] of [
      ['DateSent', query.DateSent],
      ['DateSent<', query['DateSent<']],
      ['DateSent>', query['DateSent>']],
    ] as const) {
      if (value !== undefined && utcDay(value) === undefined) {
        return reply.code(400).send({ code: 20001, message: `Invalid ${name}: ${value}`, more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 });
      }
    }
    const dated = days.on !== undefined || days.before !== undefined || days.after !== undefined;
    const matching = this.messages
      .filter((message) => {
        if (query.To && message.to !== query.To) return false;
        if (query.From && message.from !== query.From) return false;
        if (!dated) return true;
        if (!message.dateSent) return false;
        const sentDay = message.dateSent.toISOString().slice(0, 10);
        return (!days.on || sentDay === days.on) && (!days.before || sentDay <= days.before) && (!days.after || sentDay >= days.after);
      })
      .reverse();
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const listUri = `/${API_VERSION}/Accounts/${this.accountSid}/Messages.json`;
    const pageUri = (pageNumber: number) => {
      const params = new URLSearchParams();
      for (const name of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']) {
        const value = query[name];
        if (value !== undefined) params.set(name, value);
      }
      params.set('PageSize', String(pageSize));
      params.set('Page', String(pageNumber));
      return `${listUri}?${params.toString()}`;
    };
    const start = page * pageSize;
    return {
      messages: slice.map((message) => this.resource(message)),
      end: slice.length === 0 ? start : start + slice.length - 1,
      first_page_uri: pageUri(0),
      next_page_uri: (page + 1) * pageSize < matching.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start,
      uri: pageUri(page),
    };
  }

  /** The snake_case message resource exactly as Twilio's API answers it. */
  private resource(message: EmulatedTwilioMessage): Record<string, unknown> {
    const uri = `/${API_VERSION}/Accounts/${message.accountSid}/Messages/${message.sid}.json`;
    const assignedBySevice = message.messagingServiceSid !== null && message.from === null;
    return {
      account_sid: message.accountSid,
      api_version: API_VERSION,
      body: message.body,
      date_created: rfc2822(message.dateCreated),
      date_sent: message.dateSent ? rfc2822(message.dateSent) : null,
      date_updated: rfc2822(message.dateUpdated),
      direction: message.direction,
      error_code: message.errorCode,
      error_message: message.errorMessage,
      from: message.from,
      messaging_service_sid: message.messagingServiceSid,
      num_media: String(message.mediaUrls.length),
      num_segments: assignedBySevice ? '0' : String(message.numSegments),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: message.status,
      subresource_uris: {
        media: uri.replace(/\.json$/, '/Media.json'),
        feedback: uri.replace(/\.json$/, '/Feedback.json'),
      },
      to: message.to,
      uri,
    };
  }

  private serviceSender(serviceSid: string | undefined): string | null {
    if (!serviceSid) return null;
    return this.serviceSenders[serviceSid] ?? DEFAULT_SERVICE_SENDER;
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Walks a message through its later statuses; only those after the initial one produce callbacks. */
  private async progress(message: EmulatedTwilioMessage): Promise<void> {
    const outcome = this.outcomes.get(message.to) ?? this.defaultOutcome;
    const steps: Array<{ status: TwilioMessageStatus; errorCode: number | null; callback: boolean }> = [];
    if (message.messagingServiceSid) steps.push({ status: 'queued', errorCode: null, callback: false });
    if (outcome.status === 'failed') {
      steps.push({ status: 'failed', errorCode: outcome.errorCode, callback: true });
    } else {
      steps.push({ status: 'sent', errorCode: null, callback: true });
      if (outcome.status !== 'sent') steps.push({ status: outcome.status, errorCode: outcome.errorCode, callback: true });
    }
    try {
      for (const step of steps) {
        if (this.callbackDelayMs > 0) await delay(this.callbackDelayMs);
        if (this.closing.signal.aborted) return;
        this.changeStatus(message, step.status, step.errorCode);
        if (step.callback && message.statusCallback) await this.postStatusCallback(message, step.status, step.errorCode);
      }
    } catch {
      // Aborted by close(): the remaining changes never happen, as when Twilio's side goes away.
    }
  }

  private changeStatus(message: EmulatedTwilioMessage, status: TwilioMessageStatus, errorCode: number | null): void {
    const now = this.clock.now();
    if (message.from === null) message.from = this.serviceSender(message.messagingServiceSid ?? undefined);
    message.status = status;
    message.dateUpdated = now;
    if (status === 'sent') message.dateSent = now;
    if (errorCode !== null) {
      message.errorCode = errorCode;
      message.errorMessage = DELIVERY_ERRORS[errorCode] ?? null;
    }
    message.history.push({ status, at: now, errorCode });
  }

  private async postStatusCallback(message: EmulatedTwilioMessage, status: TwilioMessageStatus, errorCode: number | null): Promise<StatusCallbackDelivery> {
    // Twilio reads connection overrides from the fragment (#ct=…&rc=…) and never sends the fragment itself.
    const url = (message.statusCallback ?? '').split('#')[0] ?? '';
    const params: Record<string, string> = {
      SmsSid: message.sid,
      SmsStatus: status,
      MessageStatus: status,
      To: message.to,
      MessageSid: message.sid,
      AccountSid: message.accountSid,
      From: message.from ?? '',
      ApiVersion: API_VERSION,
    };
    if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
    if (errorCode !== null && (status === 'failed' || status === 'undelivered')) {
      params.ErrorCode = String(errorCode);
      const errorMessage = DELIVERY_ERRORS[errorCode];
      if (errorMessage) params.ErrorMessage = errorMessage;
    }
    if (status === 'delivered') params.RawDlrDoneDate = rawDlrDate(this.clock.now());
    const signature = twilio.getExpectedTwilioSignature(this.authToken, url, params);
    const delivery: StatusCallbackDelivery = {
      at: this.clock.now(),
      url,
      messageSid: message.sid,
      status,
      params,
      signature,
    };
    this.callbacks.push(delivery);
    try {
      delivery.response = await postForm(url, { 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' }, formEncode(params), this.callbackPools);
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    return delivery;
  }
}

/** application/x-www-form-urlencoded, byte for byte what URLSearchParams writes, without building one per callback. */
export function formEncode(params: Record<string, string>): string {
  let body = '';
  for (const name in params) {
    body += `${body === '' ? '' : '&'}${formComponent(name)}=${formComponent(params[name]!)}`;
  }
  return body;
}

function formComponent(value: string): string {
  if (FORM_SAFE.test(value)) return value;
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    return new URLSearchParams([['', value]]).toString().slice(1); // a lone surrogate: URLSearchParams writes U+FFFD
  }
  // encodeURIComponent leaves !'()~ alone and writes a space as %20; the form encoding escapes those and uses '+'.
  return FORM_FIXUP.test(encoded) ? encoded.replace(FORM_FIXUPS, (char) => FORM_ESCAPES[char]!) : encoded;
}

const FORM_SAFE = /^[A-Za-z0-9*\-._]*$/;
const FORM_FIXUP = /[!'()~]|%20/;
const FORM_FIXUPS = /[!'()~]|%20/g;
const FORM_ESCAPES: Record<string, string> = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' };

/** Posts a form over a kept-alive connection; gives up after CALLBACK_TIMEOUT_MS, as Twilio does. */
async function postForm(url: string, headers: Record<string, string>, body: string, pools: Http1Pools): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  if (target.protocol !== 'http:') {
    // Real deployments use https callback URLs; the emulator only ever calls local apps, but stay correct.
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
    return { status: response.status, body: await response.text() };
  }
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const response = await pools.for(host, Number(target.port || 80)).request({
    method: 'POST',
    path: `${target.pathname}${target.search}`,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body,
    timeoutMs: CALLBACK_TIMEOUT_MS,
  });
  return { status: response.status, body: response.body.toString('utf8') };
}

export function startTwilioEmulator(options: TwilioEmulatorOptions): Promise<TwilioEmulator> {
  return TwilioEmulator.start(options);
}

function resolveErrorCode(status: TwilioOutcome, errorCode: number | undefined): number | null {
  if (errorCode !== undefined) return errorCode;
  if (status === 'undelivered') return 30003;
  if (status === 'failed') return 30008;
  return null;
}

function errorBody(spec: TwilioErrorSpec, message?: string): Record<string, unknown> {
  return {
    code: spec.code,
    message: message ?? spec.message,
    more_info: `https://www.twilio.com/docs/errors/${spec.code}`,
    status: spec.status,
  };
}

function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Random bytes drawn from a 4 KB pool: one call into the CSPRNG per 256 SIDs instead of one per SID. */
let entropy = Buffer.alloc(0);
let entropyAt = 0;

function newSid(prefix: string): string {
  if (entropyAt + 16 > entropy.length) {
    entropy = randomBytes(4096);
    entropyAt = 0;
  }
  entropyAt += 16;
  return prefix + entropy.toString('hex', entropyAt - 16, entropyAt);
}

/** E.164; North American numbers must also have a valid area code and exchange (NXX-NXX-XXXX). */
export function isE164(number: string): boolean {
  if (!/^\+[1-9]\d{1,14}$/.test(number)) return false;
  if (number.startsWith('+1')) return /^\+1[2-9]\d{2}[2-9]\d{6}$/.test(number);
  return true;
}

/** A phone number, a short code, or an alphanumeric sender ID (≤ 11 characters, at least one letter). */
function isSender(from: string): boolean {
  return isE164(from) || /^\d{5,6}$/.test(from) || /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(from);
}

/** `YYYY-MM-DD` of a date filter's value (a day, or a full ISO 8601 time as twilio-node sends), else undefined. */
function utcDay(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString().slice(0, 10);
}

/** Twilio's date format: `Thu, 15 Jan 2026 15:00:00 +0000`. */
function rfc2822(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastRfc2822.second) lastRfc2822 = { second, text: date.toUTCString().replace('GMT', '+0000') };
  return lastRfc2822.text;
}
/** A burst stamps thousands of resources within one second. */
let lastRfc2822 = { second: Number.NaN, text: '' };

/** Carriers report the delivery time as YYMMDDhhmm. */
function rawDlrDate(date: Date): string {
  const minute = Math.floor(date.getTime() / 60_000);
  if (minute !== lastRawDlr.minute) lastRawDlr = { minute, text: date.toISOString().replace(/[-T:]/g, '').slice(2, 12) };
  return lastRawDlr.text;
}
let lastRawDlr = { minute: Number.NaN, text: '' };

const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const GSM_BASIC_SET = new Set(GSM_BASIC);
const GSM_EXTENDED_SET = new Set(GSM_EXTENDED);

/** SMS segments the way carriers count them: GSM-7 160 / 153 per part (extension characters count twice), else UCS-2 70 / 67. */
export function countSegments(body: string): number {
  let septets = 0;
  let gsm = true;
  for (const char of body) {
    if (GSM_BASIC_SET.has(char)) septets += 1;
    else if (GSM_EXTENDED_SET.has(char)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = body.length;
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

function countryOf(number: string): string {
  return number.startsWith('+1') ? 'US' : '';
}

const AREA_CODES_BY_STATE: Record<string, string> = {
  AZ: '480 520 602 623 928',
  CA: '209 213 279 310 323 341 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 747 760 805 818 820 831 858 909 916 925 949 951',
  CO: '303 719 720 970',
  DC: '202',
  FL: '239 305 321 352 386 407 448 561 656 689 727 754 772 786 813 850 863 904 941 954',
  GA: '229 404 470 478 678 706 762 770 912',
  IL: '217 224 309 312 331 618 630 708 773 779 815 847 872',
  MA: '339 351 413 508 617 774 781 857 978',
  MI: '231 248 269 313 517 586 616 734 810 906 947 989',
  NC: '252 336 704 743 828 910 919 980 984',
  NJ: '201 551 609 640 732 848 856 862 908 973',
  NV: '702 725 775',
  NY: '212 315 332 347 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934',
  OH: '216 220 234 326 330 380 419 440 513 567 614 740 937',
  OK: '405 539 572 580 918',
  PA: '215 223 267 272 412 445 484 570 610 717 724 814 878',
  TX: '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 915 936 940 945 956 972 979',
  VA: '276 434 540 571 703 757 804',
  WA: '206 253 360 425 509 564',
};

const STATE_BY_AREA_CODE = new Map(Object.entries(AREA_CODES_BY_STATE).flatMap(([state, codes]) => codes.split(' ').map((code) => [code, state] as const)));

/** Twilio derives From/To state from the number; this covers the common US area codes and leaves others empty. */
function stateOf(number: string): string {
  if (!number.startsWith('+1')) return '';
  return STATE_BY_AREA_CODE.get(number.slice(2, 5)) ?? '';
}
