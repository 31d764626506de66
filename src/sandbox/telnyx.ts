/**
 * Telnyx Messaging emulator (reference/sms-email-providers.md §1), for the official `telnyx` SDK pointed at it with
 * `baseURL`: `POST /v2/messages` (Bearer API key; 200 `{ data: message }`), `GET /v2/messages/{id}`, error bodies
 * `{ errors: [{ code, title, detail }] }` with Telnyx's codes (10009 auth, 10016 not E.164, 40300 STOP block, 40310
 * invalid `to`), and Ed25519-signed webhooks (`telnyx-signature-ed25519` over `${telnyx-timestamp}|${body}`):
 * `message.sent` and `message.finalized` to the message's `webhook_url`, `message.received` for inbound texts. A
 * STOP keyword from a number blocks that pair, as Telnyx's own opt-out handling does, and later sends to it fail
 * with 40300; STOP, START and HELP (English only) get Telnyx's own auto-response (`autoResponses`, with
 * `autoresponse_type` on the webhook). Faults come from the emulator frame.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../core/clock.js';
import { DEMO_SIGNING_KEYS } from './demo-keys.js';
import { EmulatedVendor, startVendor, type Emulator } from './emulator.js';

export type TelnyxRecipientStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'sending_failed' | 'delivery_failed' | 'delivery_unconfirmed';

export interface EmulatedTelnyxMessage {
  id: string;
  direction: 'outbound' | 'inbound';
  from: string;
  to: string;
  text: string;
  status: TelnyxRecipientStatus;
  errors: Array<{ code: string; title: string; detail?: string }>;
  webhookUrl: string | null;
  messagingProfileId: string | null;
  createdAt: Date;
  parts: number;
}

export interface TelnyxWebhookDelivery {
  url: string;
  eventType: string;
  status: number;
  at: Date;
}

export interface TelnyxEmulatorOptions {
  apiKey: string;
  /** PKCS#8 DER base64 of the Ed25519 signing key (default: the published demo key). */
  signingKey?: string;
  clock?: Clock;
  /** Numbers on the account's messaging profile (default: any `from` is accepted). */
  numbers?: string[];
  port?: number;
}

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START_WORDS = new Set(['START', 'UNSTOP']);
/** Stand-ins for a messaging profile's auto-response texts (an account sets its own in Advanced Opt-In/Out). */
const AUTO_RESPONSE_TEXT = {
  STOP: 'You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
  START: 'You have been resubscribed. Reply STOP to unsubscribe.',
  HELP: 'Reply STOP to unsubscribe. Msg&Data rates may apply.',
} as const;
const E164 = /^\+[1-9]\d{6,14}$/;

export class TelnyxEmulator extends EmulatedVendor {
  readonly messages: EmulatedTelnyxMessage[] = [];
  readonly webhooks: TelnyxWebhookDelivery[] = [];
  /** The answers Telnyx's keyword handling sent on its own (the messaging profile's auto-response texts). */
  readonly autoResponses: Array<{ to: string; from: string; type: 'STOP' | 'START' | 'HELP'; text: string }> = [];
  private readonly apiKey: string;
  private readonly key: KeyObject;
  private readonly clock: Clock;
  private readonly numbers: Set<string> | undefined;
  /** `to|from` pairs blocked by a STOP (Telnyx applies block rules per messaging profile; per sender here). */
  private readonly blocked = new Set<string>();
  private readonly outcomes = new Map<string, { status: TelnyxRecipientStatus; code?: string }>();
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(emulator: Emulator, options: TelnyxEmulatorOptions) {
    super(emulator);
    this.apiKey = options.apiKey;
    this.key = createPrivateKey({ key: Buffer.from(options.signingKey ?? DEMO_SIGNING_KEYS.telnyxEd25519, 'base64'), format: 'der', type: 'pkcs8' });
    this.clock = options.clock ?? systemClock;
    this.numbers = options.numbers ? new Set(options.numbers) : undefined;
  }

  static async start(options: TelnyxEmulatorOptions): Promise<TelnyxEmulator> {
    return startVendor({ name: 'telnyx', port: options.port }, (emulator) => {
      const instance = new TelnyxEmulator(emulator, options);
      emulator.app.post('/v2/messages', (request, reply) => instance.send(request, reply));
      emulator.app.get('/v2/messages/:id', (request, reply) => instance.retrieve(request, reply));
      return instance;
    });
  }

  addNumber(phoneNumber: string): void {
    this.numbers?.add(phoneNumber);
  }

  /** Later sends from `from` to `to` fail with 40300, as after a STOP. */
  block(to: string, from: string): void {
    this.blocked.add(`${to}|${from}`);
  }

  /** How texts to `to` end (`delivery_failed` with 40008 by default for a failure). */
  setOutcome(to: string, status: TelnyxRecipientStatus, code?: string): void {
    this.outcomes.set(to, { status, code });
  }

  message(id: string): EmulatedTelnyxMessage | undefined {
    return this.messages.find((message) => message.id === id);
  }

  outbound(): EmulatedTelnyxMessage[] {
    return this.messages.filter((message) => message.direction === 'outbound');
  }

  /** Resolves once every webhook scheduled so far (and any they schedule) has been posted. */
  async flushWebhooks(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }

  /** Signs `body` as Telnyx does: the headers to send with it. */
  signedHeaders(body: string, timestamp = Math.floor(this.clock.now().getTime() / 1000)): Record<string, string> {
    const signature = sign(null, Buffer.from(`${timestamp}|${body}`), this.key).toString('base64');
    return { 'content-type': 'application/json', 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': String(timestamp) };
  }

  /** A text arrives at our Telnyx number: posts the signed `message.received` webhook to `url`; returns our answer. */
  async sendInbound(input: { url: string; from: string; to: string; text: string }): Promise<{ status: number; body: string; id: string }> {
    const keyword = input.text.trim().toUpperCase();
    const autoresponse = STOP_WORDS.has(keyword) ? 'STOP' : START_WORDS.has(keyword) ? 'START' : keyword === 'HELP' ? 'HELP' : null;
    // Telnyx applies its own block rule before telling us.
    if (autoresponse === 'STOP') this.block(input.from, input.to);
    if (autoresponse === 'START') this.blocked.delete(`${input.from}|${input.to}`);
    if (autoresponse) this.autoResponses.push({ to: input.from, from: input.to, type: autoresponse, text: AUTO_RESPONSE_TEXT[autoresponse] });
    const message: EmulatedTelnyxMessage = {
      id: randomUUID(),
      direction: 'inbound',
      from: input.from,
      to: input.to,
      text: input.text,
      status: 'delivered',
      errors: [],
      webhookUrl: input.url,
      messagingProfileId: null,
      createdAt: this.clock.now(),
      parts: 1,
    };
    this.messages.push(message);
    const answer = await this.postEvent(input.url, 'message.received', { ...this.payload(message), autoresponse_type: autoresponse });
    return { ...answer, id: message.id };
  }

  private authorized(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.headers.authorization === `Bearer ${this.apiKey}`) return true;
    void reply.code(401).send(errors('10009', 'Authentication failed', 'The API key is missing or invalid.'));
    return false;
  }

  private async send(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.authorized(request, reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const from = typeof body.from === 'string' ? body.from : '';
    const to = typeof body.to === 'string' ? body.to : '';
    const text = typeof body.text === 'string' ? body.text : '';
    if (!to) return reply.code(422).send(errors('10004', 'Missing required parameter', 'The `to` parameter is required.', 'to'));
    if (!E164.test(to)) return reply.code(400).send(errors('40310', "Invalid 'to' address", `'${to}' is not a valid phone number.`, 'to'));
    if (!E164.test(from) || (this.numbers && !this.numbers.has(from))) {
      return reply.code(400).send(errors('40305', "Invalid 'from' address", `'${from}' is not on a messaging profile of this account.`, 'from'));
    }
    if (!text) return reply.code(400).send(errors('40316', 'No content', 'The message has no text.'));
    if (this.blocked.has(`${to}|${from}`)) {
      return reply
        .code(400)
        .send(errors('40300', 'Blocked due to STOP message', `Messages cannot be sent from '${from}' to '${to}' due to an existing block rule.`));
    }
    const message: EmulatedTelnyxMessage = {
      id: randomUUID(),
      direction: 'outbound',
      from,
      to,
      text,
      status: 'queued',
      errors: [],
      webhookUrl: typeof body.webhook_url === 'string' ? body.webhook_url : null,
      messagingProfileId: typeof body.messaging_profile_id === 'string' ? body.messaging_profile_id : null,
      createdAt: this.clock.now(),
      parts: Math.max(1, Math.ceil(text.length / 160)),
    };
    this.messages.push(message);
    // Progress once the answer is out (or the caller hung up), tracked from now so flushWebhooks() cannot miss it.
    const progressed = new Promise<void>((resolve) => reply.raw.once('close', () => void this.progress(message).then(resolve, resolve)));
    this.track(progressed);
    return reply.code(200).send({ data: this.payload(message) });
  }

  private async retrieve(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!this.authorized(request, reply)) return reply;
    const message = this.message((request.params as { id: string }).id);
    if (!message) return reply.code(404).send(errors('10005', 'Resource not found', 'The requested message does not exist.'));
    return { data: this.payload(message) };
  }

  private async progress(message: EmulatedTelnyxMessage): Promise<void> {
    const outcome = this.outcomes.get(message.to) ?? { status: 'delivered' as const };
    message.status = 'sent';
    if (message.webhookUrl) await this.postEvent(message.webhookUrl, 'message.sent', this.payload(message));
    message.status = outcome.status;
    if (outcome.status !== 'delivered' && outcome.status !== 'sent') {
      const code = outcome.code ?? '40008';
      message.errors = [
        { code, title: code === '40300' ? 'Blocked due to STOP message' : 'Undeliverable', detail: 'The carrier could not deliver the message.' },
      ];
    }
    if (message.webhookUrl) await this.postEvent(message.webhookUrl, 'message.finalized', this.payload(message));
  }

  private payload(message: EmulatedTelnyxMessage): Record<string, unknown> {
    return {
      record_type: 'message',
      id: message.id,
      direction: message.direction,
      type: 'SMS',
      from: { phone_number: message.from, carrier: 'Telnyx', line_type: 'Wireless' },
      to: [{ phone_number: message.to, status: message.status, carrier: 'Emulated', line_type: 'Wireless' }],
      text: message.text,
      parts: message.parts,
      encoding: 'GSM-7',
      errors: message.errors,
      messaging_profile_id: message.messagingProfileId,
      webhook_url: message.webhookUrl,
      received_at: message.createdAt.toISOString(),
      sent_at: message.status === 'queued' ? null : message.createdAt.toISOString(),
      completed_at: ['delivered', 'delivery_failed', 'sending_failed', 'delivery_unconfirmed'].includes(message.status) ? this.clock.now().toISOString() : null,
    };
  }

  private async postEvent(url: string, eventType: string, payload: Record<string, unknown>): Promise<{ status: number; body: string }> {
    const body = JSON.stringify({
      data: { event_type: eventType, id: randomUUID(), occurred_at: this.clock.now().toISOString(), payload, record_type: 'event' },
      meta: { attempt: 1, delivered_to: url },
    });
    const post = (async () => {
      try {
        const response = await fetch(url, { method: 'POST', headers: this.signedHeaders(body), body });
        const text = await response.text();
        this.webhooks.push({ url, eventType, status: response.status, at: this.clock.now() });
        return { status: response.status, body: text };
      } catch (error) {
        this.webhooks.push({ url, eventType, status: 0, at: this.clock.now() });
        return { status: 0, body: String(error) };
      }
    })();
    this.track(post);
    return post;
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}

function errors(code: string, title: string, detail: string, parameter?: string) {
  return { errors: [{ code, title, detail, ...(parameter ? { source: { parameter } } : {}) }] };
}

export function startTelnyxEmulator(options: TelnyxEmulatorOptions): Promise<TelnyxEmulator> {
  return TelnyxEmulator.start(options);
}
