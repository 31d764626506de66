/**
 * A local Slack incoming-webhook endpoint (reference/messaging.md §3): `200 ok` in plain text on success, Slack's
 * plain-text error strings otherwise, hooks that can be revoked or lose their channel, and scripted 429s with
 * Retry-After.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { EmulatedVendor, startVendor, waitForArrival, type Emulator } from './emulator.js';

export interface SlackWebhookMessage {
  at: Date;
  /** e.g. /services/T0001/B0001/abc… */
  path: string;
  /** The name given to `webhookUrl(name)`. */
  hook: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
  payload: Record<string, unknown>;
}

export type SlackHookState = 'active' | 'revoked' | 'channel_not_found' | 'invalid_token' | 'channel_is_archived';

export interface SlackEmulatorOptions {
  clock?: Clock;
  /** Accept posts to hook paths this emulator never issued (handy in demo mode with hand-written config). */
  acceptUnknownHooks?: boolean;
  port?: number;
}

/** Body that failed to parse as JSON; kept so the handler can answer Slack's `invalid_payload`. */
class UnparsableBody {
  constructor(readonly raw: string) {}
}

/** Status and body Slack answers for a hook in each state. */
const HOOK_ERRORS: Record<Exclude<SlackHookState, 'active'>, { status: number; body: string }> = {
  revoked: { status: 404, body: 'no_service' },
  channel_not_found: { status: 404, body: 'channel_not_found' },
  invalid_token: { status: 403, body: 'invalid_token' },
  channel_is_archived: { status: 410, body: 'channel_is_archived' },
};

const payloadSchema = z.looseObject({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  attachments: z.array(z.unknown()).optional(),
});

export class SlackEmulator extends EmulatedVendor {
  readonly messages: SlackWebhookMessage[] = [];
  private readonly clock: Clock;
  private readonly acceptUnknownHooks: boolean;
  private readonly hooks = new Map<string, { name: string; state: SlackHookState }>();
  private readonly teamId = 'T' + randomId(8);
  private readonly listeners = new Set<(message: SlackWebhookMessage) => void>();

  private constructor(emulator: Emulator, options: SlackEmulatorOptions) {
    super(emulator);
    this.clock = options.clock ?? systemClock;
    this.acceptUnknownHooks = options.acceptUnknownHooks ?? false;
  }

  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    return startVendor({ name: 'slack', port: options.port }, (emulator) => {
      const instance = new SlackEmulator(emulator, options);
      instance.registerRoutes();
      return instance;
    });
  }

  /** A fresh, valid incoming-webhook URL (`…/services/T…/B…/token`). */
  webhookUrl(name = 'alerts'): string {
    const path = `/services/${this.teamId}/B${randomId(8)}/${randomBytes(12).toString('base64url')}`;
    this.hooks.set(path, { name, state: 'active' });
    return this.url + path;
  }

  /** The hook was removed or its app uninstalled: 404 `no_service`. */
  revoke(urlOrPath: string): void {
    this.setState(urlOrPath, 'revoked');
  }

  /** The hook's channel was deleted: 404 `channel_not_found`. */
  channelNotFound(urlOrPath: string): void {
    this.setState(urlOrPath, 'channel_not_found');
  }

  /** The token part is no longer valid: 403 `invalid_token`. */
  invalidToken(urlOrPath: string): void {
    this.setState(urlOrPath, 'invalid_token');
  }

  setState(urlOrPath: string, state: SlackHookState): void {
    const path = toPath(urlOrPath);
    const hook = this.hooks.get(path) ?? { name: 'unknown', state };
    this.hooks.set(path, { ...hook, state });
  }

  /** The next `times` posts (to any hook) answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(times: number, retryAfterSeconds = 1): void {
    this.emulator.faults.failNext(times, 429, 'rate_limited', {
      match: '/services/',
      method: 'POST',
      headers: { 'retry-after': String(retryAfterSeconds), 'content-type': 'text/plain; charset=utf-8' },
    });
  }

  messagesTo(urlOrPath: string): SlackWebhookMessage[] {
    const path = toPath(urlOrPath);
    return this.messages.filter((message) => message.path === path);
  }

  /** Resolves with the first delivered message (already here or arriving) that satisfies `predicate`. */
  waitForMessage(predicate: (message: SlackWebhookMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SlackWebhookMessage> {
    return waitForArrival(this.messages, this.listeners, predicate, timeoutMs, 'slack emulator: no matching message');
  }

  reset(): void {
    this.emulator.reset();
    this.messages.length = 0;
    for (const hook of this.hooks.values()) hook.state = 'active';
  }

  close(): Promise<void> {
    return this.emulator.close();
  }

  private registerRoutes(): void {
    const app = this.emulator.app;
    // Slack answers malformed JSON with its own `invalid_payload`, so parse leniently and decide in the handler.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, new UnparsableBody(text));
      try {
        done(null, JSON.parse(text));
      } catch {
        done(null, new UnparsableBody(text));
      }
    });
    app.post('/services/:team/:bot/:token', (request, reply) => this.receive(request, reply));
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const path = request.url.split('?')[0] ?? request.url;
    const text = (status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').send(body);

    const hook = this.hooks.get(path);
    if (!hook && !this.acceptUnknownHooks) return text(403, 'invalid_token');
    if (hook && hook.state !== 'active') {
      const error = HOOK_ERRORS[hook.state];
      return text(error.status, error.body);
    }

    const payload = readPayload(request.body);
    if (!payload) return text(400, 'invalid_payload');
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) return text(400, 'invalid_payload');
    const { text: messageText, blocks, attachments } = parsed.data;
    if ((attachments?.length ?? 0) > 100) return text(400, 'too_many_attachments');
    if (!messageText && !blocks?.length && !attachments?.length) return text(400, 'no_text');

    const message: SlackWebhookMessage = {
      at: this.clock.now(),
      path,
      hook: hook?.name ?? 'unknown',
      text: messageText,
      blocks,
      attachments,
      payload: parsed.data,
    };
    this.messages.push(message);
    for (const listener of [...this.listeners]) listener(message);
    return text(200, 'ok');
  }
}

export function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  return SlackEmulator.start(options);
}

/** JSON body, or the legacy form post `payload=<json>`; undefined when neither parses to an object. */
function readPayload(body: unknown): Record<string, unknown> | undefined {
  if (body instanceof UnparsableBody) return undefined;
  let value = body;
  if (value && typeof value === 'object' && 'payload' in value && typeof value.payload === 'string') {
    try {
      value = JSON.parse((value as { payload: string }).payload);
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

function toPath(urlOrPath: string): string {
  return urlOrPath.startsWith('/') ? urlOrPath : new URL(urlOrPath).pathname;
}

function randomId(length: number): string {
  return randomBytes(length).toString('hex').toUpperCase().slice(0, length);
}
