/**
 * SendGrid v3 Mail Send emulator (reference/sms-email-providers.md §3), for `@sendgrid/mail` pointed at it with the
 * client's `baseUrl`: `POST /v3/mail/send` (Bearer key; 202, empty body, `X-Message-Id`), error bodies
 * `{ errors: [{ message, field }] }`, and the signed event webhook: a JSON array of events (`processed`, then
 * `delivered`, `bounce` or `dropped`; custom_args as top-level keys) signed with ECDSA P-256 over
 * `timestamp + body` (`X-Twilio-Email-Event-Webhook-Signature`, base64 DER; `…-Timestamp`). Addresses on the
 * suppression list are dropped ("Unsubscribed Address"), as SendGrid does. Faults come from the emulator frame.
 */
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../core/clock.js';
import { DEMO_SIGNING_KEYS } from './demo-keys.js';
import { EmulatedVendor, startVendor, type Emulator } from './emulator.js';

export interface EmulatedSendgridMail {
  messageId: string;
  apiKey: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  customArgs: Record<string, string>;
  at: Date;
}

export type SendgridOutcome = 'delivered' | 'bounce' | 'deferred';

export interface SendgridEmulatorOptions {
  apiKey: string;
  /** PKCS#8 DER base64 of the P-256 event-webhook signing key (default: the published demo key). */
  signingKey?: string;
  clock?: Clock;
  port?: number;
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export class SendgridEmulator extends EmulatedVendor {
  readonly mails: EmulatedSendgridMail[] = [];
  readonly events: Array<{ url: string; status: number; events: Array<Record<string, unknown>> }> = [];
  private readonly apiKeys: Set<string>;
  private readonly key: KeyObject;
  private readonly clock: Clock;
  private readonly webhooks = new Map<string, string>();
  private readonly suppressed = new Map<string, string>();
  private readonly outcomes = new Map<string, SendgridOutcome>();
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(emulator: Emulator, options: SendgridEmulatorOptions) {
    super(emulator);
    this.apiKeys = new Set([options.apiKey]);
    this.key = createPrivateKey({ key: Buffer.from(options.signingKey ?? DEMO_SIGNING_KEYS.sendgridP256, 'base64'), format: 'der', type: 'pkcs8' });
    this.clock = options.clock ?? systemClock;
  }

  static async start(options: SendgridEmulatorOptions): Promise<SendgridEmulator> {
    return startVendor({ name: 'sendgrid', port: options.port }, (emulator) => {
      const instance = new SendgridEmulator(emulator, options);
      emulator.app.post('/v3/mail/send', (request, reply) => instance.send(request, reply));
      return instance;
    });
  }

  /** Where the account's event webhook posts (Settings → Mail Settings → Event Webhook), per API key. */
  setEventWebhook(apiKey: string, url: string): void {
    this.apiKeys.add(apiKey);
    this.webhooks.set(apiKey, url);
  }

  /** Later mail to `email` is dropped with `reason` (an unsubscribe, a bounce, a spam report). */
  suppress(email: string, reason = 'Unsubscribed Address'): void {
    this.suppressed.set(email.toLowerCase(), reason);
  }

  setOutcome(email: string, outcome: SendgridOutcome): void {
    this.outcomes.set(email.toLowerCase(), outcome);
  }

  mailsTo(email: string): EmulatedSendgridMail[] {
    return this.mails.filter((mail) => mail.to.includes(email));
  }

  async flushEvents(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }

  /** Signs `body` as SendGrid's signed event webhook does: the headers to send with it. */
  signedHeaders(body: string, timestamp = String(Math.floor(this.clock.now().getTime() / 1000))): Record<string, string> {
    const signature = sign('sha256', Buffer.from(timestamp + body), this.key).toString('base64');
    return {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    };
  }

  /** Posts `events` (one signed array) to `url` now, e.g. an `unsubscribe` a recipient clicked. */
  postEvents(url: string, events: Array<Record<string, unknown>>): Promise<{ status: number }> {
    const body = JSON.stringify(events);
    const post = (async () => {
      let status = 0;
      try {
        const response = await fetch(url, { method: 'POST', headers: this.signedHeaders(body), body });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0;
      }
      this.events.push({ url, status, events });
      return { status };
    })();
    this.pending.add(post);
    void post.finally(() => this.pending.delete(post));
    return post;
  }

  /** An event as SendGrid shapes it for a mail already sent. */
  eventFor(mail: EmulatedSendgridMail, event: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      email: mail.to[0],
      timestamp: Math.floor(this.clock.now().getTime() / 1000),
      event,
      sg_event_id: randomBytes(16).toString('base64url'),
      sg_message_id: `${mail.messageId}.filterdrecv-emulated-1-${randomBytes(4).toString('hex')}`,
      'smtp-id': `<${mail.messageId}@emulated.sendgrid.net>`,
      ...mail.customArgs,
      ...extra,
    };
  }

  private async send(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const auth = request.headers.authorization ?? '';
    const apiKey = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.apiKeys.has(apiKey)) {
      return reply.code(401).send({ errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] });
    }
    const body = (typeof request.body === 'object' && request.body ? request.body : {}) as Record<string, unknown>;
    const personalizations = Array.isArray(body.personalizations) ? (body.personalizations as Array<Record<string, unknown>>) : [];
    const to = personalizations.flatMap((p) => (Array.isArray(p.to) ? (p.to as Array<{ email?: unknown }>) : [])).map((r) => String(r.email ?? ''));
    if (to.length === 0)
      return reply.code(400).send({
        errors: [
          {
            message: 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
            field: 'personalizations.0.to',
            help: null,
          },
        ],
      });
    const invalid = to.findIndex((address) => !ADDRESS.test(address));
    if (invalid >= 0)
      return reply.code(400).send({ errors: [{ message: 'Does not contain a valid address.', field: `personalizations.0.to.${invalid}.email`, help: null }] });
    const from = (body.from as { email?: unknown } | undefined)?.email;
    if (typeof from !== 'string' || !ADDRESS.test(from))
      return reply.code(400).send({ errors: [{ message: 'The from email does not contain a valid address.', field: 'from.email', help: null }] });
    const content = Array.isArray(body.content) ? (body.content as Array<{ type?: unknown; value?: unknown }>) : [];
    const customArgs = Object.fromEntries(
      Object.entries({
        ...((personalizations[0]?.custom_args as Record<string, unknown>) ?? {}),
        ...((body.custom_args as Record<string, unknown>) ?? {}),
      }).map(([k, v]) => [k, String(v)]),
    );
    const mail: EmulatedSendgridMail = {
      messageId: randomUUID().replace(/-/g, '').slice(0, 22),
      apiKey,
      from,
      to,
      subject: String(body.subject ?? personalizations[0]?.subject ?? ''),
      text: String(content.find((c) => c.type === 'text/plain')?.value ?? ''),
      html: (content.find((c) => c.type === 'text/html')?.value as string | undefined) ?? null,
      headers: (body.headers as Record<string, string>) ?? {},
      customArgs,
      at: this.clock.now(),
    };
    this.mails.push(mail);
    const url = this.webhooks.get(apiKey);
    if (url) {
      const progressed = new Promise<void>((resolve) =>
        reply.raw.once('close', () => {
          const address = to[0]!.toLowerCase();
          const suppressed = this.suppressed.get(address);
          const outcome = this.outcomes.get(address) ?? 'delivered';
          const events = suppressed
            ? [this.eventFor(mail, 'dropped', { reason: suppressed })]
            : [
                this.eventFor(mail, 'processed'),
                outcome === 'bounce'
                  ? this.eventFor(mail, 'bounce', {
                      type: 'bounce',
                      status: '5.1.1',
                      reason: '550 5.1.1 The email account does not exist.',
                      bounce_classification: 'Invalid Address',
                    })
                  : this.eventFor(mail, outcome, outcome === 'deferred' ? { response: '451 try later', attempt: '1' } : { response: '250 OK' }),
              ];
          void this.postEvents(url, events).then(
            () => resolve(),
            () => resolve(),
          );
        }),
      );
      this.pending.add(progressed);
      void progressed.finally(() => this.pending.delete(progressed));
    }
    return reply.code(202).header('x-message-id', mail.messageId).send('');
  }
}

export function startSendgridEmulator(options: SendgridEmulatorOptions): Promise<SendgridEmulator> {
  return SendgridEmulator.start(options);
}
