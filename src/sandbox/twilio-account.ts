/**
 * The Twilio account's own resources, as the emulator plays them (reference/twilio-numbers.md §1–2): the Account
 * (fetched to validate credentials) and its IncomingPhoneNumbers (list with the `PhoneNumber` filter and 2010 paging
 * with `PageToken`, fetch, update with Twilio's PascalCase parameters). Mounted by the Twilio emulator (twilio.ts),
 * which owns authentication; numbers are seeded in memory, as the office bought them in Twilio's console.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';

const API_VERSION = '2010-04-01';

export interface TwilioErrorSpec {
  code: number;
  status: number;
  message: string;
}

const NUMBER_ERRORS = {
  notFound: { code: 20404, status: 404, message: 'The requested resource was not found' },
  invalidUrl: { code: 21502, status: 400, message: 'Invalid callback url' },
  invalidMethod: { code: 21403, status: 400, message: 'Invalid Method. Valid values are GET or POST.' },
  friendlyNameTooLong: { code: 21501, status: 400, message: 'FriendlyName must be 64 characters or fewer' },
} satisfies Record<string, TwilioErrorSpec>;

export type TwilioAccountStatus = 'active' | 'suspended' | 'closed';

/** A number the account owns; URL fields are '' when unset, as Twilio answers them. */
export interface EmulatedIncomingNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
  smsUrl: string;
  smsMethod: string;
  smsFallbackUrl: string;
  smsFallbackMethod: string;
  smsApplicationSid: string;
  statusCallback: string;
  statusCallbackMethod: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  voiceApplicationSid: string;
  trunkSid: string | null;
  origin: 'twilio' | 'hosted';
  dateCreated: Date;
  dateUpdated: Date;
}

export type IncomingNumberSeed = Pick<EmulatedIncomingNumber, 'phoneNumber'> &
  Partial<Omit<EmulatedIncomingNumber, 'phoneNumber' | 'dateCreated' | 'dateUpdated'>>;

/** What the account's routes need from the emulator that mounts them. */
export interface TwilioAccountFrame {
  accountSid: string;
  authToken: string;
  clock: Clock;
  /** Answers 401/404 itself and returns false when the credentials or the account in the path are wrong. */
  authorize(request: FastifyRequest, reply: FastifyReply): boolean;
  errorBody(spec: TwilioErrorSpec, message?: string): Record<string, unknown>;
  newSid(prefix: string): string;
  /** Twilio's RFC 2822 date form. */
  formatDate(date: Date): string;
}

/** The update parameters Twilio takes for a number's messaging and voice routing (form fields, PascalCase). */
const URL_FIELDS = ['SmsUrl', 'SmsFallbackUrl', 'StatusCallback', 'VoiceUrl', 'VoiceFallbackUrl'] as const;
const METHOD_FIELDS = ['SmsMethod', 'SmsFallbackMethod', 'StatusCallbackMethod', 'VoiceMethod', 'VoiceFallbackMethod'] as const;

const updateSchema = z.object({
  FriendlyName: z.string().optional(),
  SmsUrl: z.string().optional(),
  SmsMethod: z.string().optional(),
  SmsFallbackUrl: z.string().optional(),
  SmsFallbackMethod: z.string().optional(),
  SmsApplicationSid: z.string().optional(),
  StatusCallback: z.string().optional(),
  StatusCallbackMethod: z.string().optional(),
  VoiceUrl: z.string().optional(),
  VoiceMethod: z.string().optional(),
  VoiceFallbackUrl: z.string().optional(),
  VoiceFallbackMethod: z.string().optional(),
  VoiceApplicationSid: z.string().optional(),
  TrunkSid: z.string().optional(),
});

export class TwilioAccount {
  friendlyName = 'Switchboard demo account';
  status: TwilioAccountStatus = 'active';
  type: 'Full' | 'Trial' = 'Full';
  private readonly numbers = new Map<string, EmulatedIncomingNumber>();

  constructor(private readonly frame: TwilioAccountFrame) {}

  /** Adds a number the account owns (or returns the one it already has with that phone number). */
  addNumber(seed: IncomingNumberSeed): EmulatedIncomingNumber {
    const existing = this.findByPhoneNumber(seed.phoneNumber);
    if (existing) return existing;
    const now = this.frame.clock.now();
    const number: EmulatedIncomingNumber = {
      sid: seed.sid ?? this.frame.newSid('PN'),
      phoneNumber: seed.phoneNumber,
      friendlyName: seed.friendlyName ?? prettyNumber(seed.phoneNumber),
      capabilities: seed.capabilities ?? { voice: true, sms: true, mms: true, fax: false },
      smsUrl: seed.smsUrl ?? '',
      smsMethod: seed.smsMethod ?? 'POST',
      smsFallbackUrl: seed.smsFallbackUrl ?? '',
      smsFallbackMethod: seed.smsFallbackMethod ?? 'POST',
      smsApplicationSid: seed.smsApplicationSid ?? '',
      statusCallback: seed.statusCallback ?? '',
      statusCallbackMethod: seed.statusCallbackMethod ?? 'POST',
      voiceUrl: seed.voiceUrl ?? '',
      voiceMethod: seed.voiceMethod ?? 'POST',
      voiceFallbackUrl: seed.voiceFallbackUrl ?? '',
      voiceFallbackMethod: seed.voiceFallbackMethod ?? 'POST',
      voiceApplicationSid: seed.voiceApplicationSid ?? '',
      trunkSid: seed.trunkSid ?? null,
      origin: seed.origin ?? 'twilio',
      dateCreated: now,
      dateUpdated: now,
    };
    this.numbers.set(number.sid, number);
    return number;
  }

  number(sid: string): EmulatedIncomingNumber | undefined {
    return this.numbers.get(sid);
  }

  findByPhoneNumber(phoneNumber: string): EmulatedIncomingNumber | undefined {
    return [...this.numbers.values()].find((number) => number.phoneNumber === phoneNumber);
  }

  allNumbers(): EmulatedIncomingNumber[] {
    return [...this.numbers.values()];
  }

  clearNumbers(): void {
    this.numbers.clear();
  }

  registerRoutes(app: FastifyInstance): void {
    const base = `/${API_VERSION}/Accounts/:accountSid`;
    app.get(`${base}.json`, (request, reply) => this.fetchAccount(request, reply));
    app.get(`${base}/IncomingPhoneNumbers.json`, (request, reply) => this.listNumbers(request, reply));
    app.get(`${base}/IncomingPhoneNumbers/:sid.json`, (request, reply) => this.fetchNumber(request, reply));
    app.post(`${base}/IncomingPhoneNumbers/:sid.json`, (request, reply) => this.updateNumber(request, reply));

    // Seeding from another process (the CLI or an end-to-end test), as buying a number in the console would.
    app.post('/__sandbox/twilio/numbers', async (request, reply) => {
      const parsed = z
        .object({ phoneNumber: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be E.164'), friendlyName: z.string().max(64).optional() })
        .safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
      return this.resource(this.addNumber(parsed.data));
    });
    app.get('/__sandbox/twilio/numbers', async () => ({ numbers: this.allNumbers().map((number) => this.resource(number)) }));
  }

  private async fetchAccount(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.frame.authorize(request, reply)) return reply;
    const now = this.frame.formatDate(this.frame.clock.now());
    const uri = `/${API_VERSION}/Accounts/${this.frame.accountSid}`;
    // Twilio's Account resource does carry the auth token; clients must never pass it on.
    return {
      auth_token: this.frame.authToken,
      date_created: now,
      date_updated: now,
      friendly_name: this.friendlyName,
      owner_account_sid: this.frame.accountSid,
      sid: this.frame.accountSid,
      status: this.status,
      subresource_uris: {
        incoming_phone_numbers: `${uri}/IncomingPhoneNumbers.json`,
        messages: `${uri}/Messages.json`,
      },
      type: this.type,
      uri: `${uri}.json`,
    };
  }

  private async listNumbers(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.frame.authorize(request, reply)) return reply;
    const query = request.query as Record<string, string | undefined>;
    const pageSize = Math.min(Math.max(Number(query.PageSize ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(query.Page ?? 0) || 0, 0);
    const matches = phoneNumberFilter(query.PhoneNumber);
    const matching = this.allNumbers()
      .filter((number) => matches(number.phoneNumber))
      .filter((number) => query.FriendlyName === undefined || number.friendlyName === query.FriendlyName)
      .filter((number) => query.Origin === undefined || number.origin === query.Origin);
    // The page token names the last record of the previous page, so paging stays right while numbers are added.
    const after = query.PageToken?.startsWith('PA') ? matching.findIndex((number) => number.sid === query.PageToken!.slice(2)) : -1;
    const offset = after >= 0 ? after + 1 : page * pageSize;
    const slice = matching.slice(offset, offset + pageSize);
    const listUri = `/${API_VERSION}/Accounts/${this.frame.accountSid}/IncomingPhoneNumbers.json`;
    const pageUri = (pageNumber: number, token?: string) => {
      const params = new URLSearchParams();
      if (query.PhoneNumber !== undefined) params.set('PhoneNumber', query.PhoneNumber);
      if (query.FriendlyName !== undefined) params.set('FriendlyName', query.FriendlyName);
      if (query.Origin !== undefined) params.set('Origin', query.Origin);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(pageNumber));
      if (token) params.set('PageToken', token);
      return `${listUri}?${params.toString()}`;
    };
    const last = slice[slice.length - 1];
    const hasMore = offset + slice.length < matching.length;
    return {
      incoming_phone_numbers: slice.map((number) => this.resource(number)),
      end: slice.length === 0 ? offset : offset + slice.length - 1,
      first_page_uri: pageUri(0),
      next_page_uri: hasMore && last ? pageUri(page + 1, `PA${last.sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: offset,
      uri: pageUri(page, query.PageToken),
    };
  }

  private async fetchNumber(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.frame.authorize(request, reply)) return reply;
    const number = this.number((request.params as { sid: string }).sid);
    if (!number) return this.notFound(request, reply);
    return this.resource(number);
  }

  private async updateNumber(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.frame.authorize(request, reply)) return reply;
    const number = this.number((request.params as { sid: string }).sid);
    if (!number) return this.notFound(request, reply);
    const fail = (spec: TwilioErrorSpec, message?: string) => reply.code(spec.status).send(this.frame.errorBody(spec, message));
    const parsed = updateSchema.safeParse(request.body ?? {});
    if (!parsed.success) return fail(NUMBER_ERRORS.invalidUrl, 'Parameters must be form fields with string values');
    const input = parsed.data;
    // Everything is checked before anything changes: Twilio applies an update whole or not at all.
    for (const field of URL_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== '' && !isHttpUrl(value)) return fail(NUMBER_ERRORS.invalidUrl, `${field} is not a valid URL: ${value}`);
    }
    for (const field of METHOD_FIELDS) {
      const value = input[field];
      if (value !== undefined && !/^(GET|POST)$/i.test(value)) return fail(NUMBER_ERRORS.invalidMethod);
    }
    if (input.FriendlyName !== undefined && input.FriendlyName.length > 64) return fail(NUMBER_ERRORS.friendlyNameTooLong);

    const method = (value: string | undefined, current: string) => (value === undefined ? current : value.toUpperCase());
    number.friendlyName = input.FriendlyName ?? number.friendlyName;
    number.smsUrl = input.SmsUrl ?? number.smsUrl;
    number.smsMethod = method(input.SmsMethod, number.smsMethod);
    number.smsFallbackUrl = input.SmsFallbackUrl ?? number.smsFallbackUrl;
    number.smsFallbackMethod = method(input.SmsFallbackMethod, number.smsFallbackMethod);
    number.smsApplicationSid = input.SmsApplicationSid ?? number.smsApplicationSid;
    number.statusCallback = input.StatusCallback ?? number.statusCallback;
    number.statusCallbackMethod = method(input.StatusCallbackMethod, number.statusCallbackMethod);
    number.voiceUrl = input.VoiceUrl ?? number.voiceUrl;
    number.voiceMethod = method(input.VoiceMethod, number.voiceMethod);
    number.voiceFallbackUrl = input.VoiceFallbackUrl ?? number.voiceFallbackUrl;
    number.voiceFallbackMethod = method(input.VoiceFallbackMethod, number.voiceFallbackMethod);
    number.voiceApplicationSid = input.VoiceApplicationSid ?? number.voiceApplicationSid;
    if (input.TrunkSid !== undefined) number.trunkSid = input.TrunkSid === '' ? null : input.TrunkSid;
    number.dateUpdated = this.frame.clock.now();
    return this.resource(number);
  }

  private notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0];
    return reply.code(404).send(this.frame.errorBody(NUMBER_ERRORS.notFound, `The requested resource ${path} was not found`));
  }

  /** The snake_case IncomingPhoneNumber resource as Twilio answers it. */
  resource(number: EmulatedIncomingNumber): Record<string, unknown> {
    const uri = `/${API_VERSION}/Accounts/${this.frame.accountSid}/IncomingPhoneNumbers/${number.sid}.json`;
    return {
      account_sid: this.frame.accountSid,
      address_requirements: 'none',
      address_sid: null,
      api_version: API_VERSION,
      beta: false,
      bundle_sid: null,
      capabilities: { ...number.capabilities },
      date_created: this.frame.formatDate(number.dateCreated),
      date_updated: this.frame.formatDate(number.dateUpdated),
      emergency_address_sid: null,
      emergency_address_status: 'unregistered',
      emergency_status: 'Inactive',
      friendly_name: number.friendlyName,
      identity_sid: null,
      origin: number.origin,
      phone_number: number.phoneNumber,
      sid: number.sid,
      sms_application_sid: number.smsApplicationSid,
      sms_fallback_method: number.smsFallbackMethod,
      sms_fallback_url: number.smsFallbackUrl,
      sms_method: number.smsMethod,
      sms_url: number.smsUrl,
      status: 'in-use',
      status_callback: number.statusCallback,
      status_callback_method: number.statusCallbackMethod,
      subresource_uris: { assigned_add_ons: uri.replace(/\.json$/, '/AssignedAddOns.json') },
      trunk_sid: number.trunkSid,
      type: 'local',
      uri,
      voice_application_sid: number.voiceApplicationSid,
      voice_caller_id_lookup: false,
      voice_fallback_method: number.voiceFallbackMethod,
      voice_fallback_url: number.voiceFallbackUrl,
      voice_method: number.voiceMethod,
      voice_receive_mode: 'voice',
      voice_url: number.voiceUrl,
    };
  }
}

/**
 * Twilio's `PhoneNumber` filter: the number or a part of it, with `*` standing for any one digit. A `+` sent
 * unencoded arrives as a space (form decoding), exactly as at Twilio, and then matches nothing.
 */
export function phoneNumberFilter(filter: string | undefined): (phoneNumber: string) => boolean {
  if (filter === undefined || filter === '') return () => true;
  const pattern = new RegExp(filter.replace(/[.*+?^${}()|[\]\\]/g, (char) => (char === '*' ? '\\d' : `\\${char}`)));
  return (phoneNumber) => pattern.test(phoneNumber);
}

/** `(602) 555-0118` for North American numbers, as Twilio names a number it sells; else the number itself. */
function prettyNumber(phoneNumber: string): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phoneNumber);
  return match ? `(${match[1]}) ${match[2]}-${match[3]}` : phoneNumber;
}

/** Twilio accepts only http(s) callback URLs. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
