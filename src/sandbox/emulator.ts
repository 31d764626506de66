/**
 * The frame every vendor emulator stands in: a Fastify server on an ephemeral loopback port that records
 * what it received and can be told to misbehave (fail the next N calls, add latency, commit then time out).
 * Faults are set from code (`emulator.faults`) or over HTTP (`POST /__sandbox/faults`) so a CLI or another
 * process can script an outage.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { closeConnectionsAfterAnswer } from '../http/close-promptly.js';

export interface RecordedRequest {
  at: Date;
  method: string;
  /** Path and query as requested. */
  url: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Status the emulator answered with (undefined when it hung up or timed out on purpose). */
  status?: number;
}

export const faultSchema = z.object({
  /** Only requests whose path contains this text are affected (default: all, except /__sandbox). */
  match: z.string().optional(),
  /** HTTP method to match (default: any). */
  method: z.string().optional(),
  /**
   * fail: answer `status` + `body` without running the handler (nothing is committed);
   * timeout_after_commit: run the handler (the effect happens), then never answer and close the socket after `hangMs`;
   * reset: destroy the connection without an answer and without running the handler;
   * latency: wait `latencyMs` then run normally;
   * commit_after_hangup: destroy the connection without an answer, then run the handler `latencyMs` later (the
   * effect lands after the caller stopped listening, as when a vendor is slower than the caller's time-out).
   */
  type: z.enum(['fail', 'timeout_after_commit', 'reset', 'latency', 'commit_after_hangup']),
  /** How many matching requests this fault applies to; omitted or 0 = until cleared. */
  times: z.number().int().min(0).optional(),
  /** Only every Nth matching request (the Nth, 2Nth, …) is affected, e.g. a vendor that loses one answer in 40. */
  every: z.number().int().min(1).optional(),
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  latencyMs: z.number().int().min(0).optional(),
  hangMs: z.number().int().min(0).optional(),
});
export type Fault = z.infer<typeof faultSchema>;

interface ActiveFault extends Fault {
  remaining: number | undefined;
  /** Matching requests seen so far (for `every`). */
  seen: number;
}

export class FaultPlan {
  private faults: ActiveFault[] = [];

  add(fault: Fault): void {
    const parsed = faultSchema.parse(fault);
    this.faults.push({ ...parsed, remaining: parsed.times ? parsed.times : undefined, seen: 0 });
  }

  /** Shorthand: the next `times` matching requests answer `status` with `body`. */
  failNext(times: number, status: number, body?: unknown, options: { match?: string; method?: string; headers?: Record<string, string> } = {}): void {
    this.add({ type: 'fail', times, status, body, ...options });
  }

  latency(latencyMs: number, options: { match?: string; times?: number } = {}): void {
    this.add({ type: 'latency', latencyMs, ...options });
  }

  timeoutAfterCommit(times: number, options: { match?: string; method?: string; hangMs?: number } = {}): void {
    this.add({ type: 'timeout_after_commit', times, ...options });
  }

  commitAfterHangup(times: number, latencyMs: number, options: { match?: string; method?: string } = {}): void {
    this.add({ type: 'commit_after_hangup', times, latencyMs, ...options });
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map(({ remaining, seen: _seen, ...fault }) => ({ ...fault, times: remaining }));
  }

  /** Takes the faults that apply to this request (consuming one use of each counted fault). */
  take(method: string, path: string): Fault[] {
    const hits: Fault[] = [];
    for (const fault of this.faults) {
      if (fault.match && !path.includes(fault.match)) continue;
      if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) continue;
      fault.seen += 1;
      if (fault.every !== undefined && fault.seen % fault.every !== 0) continue;
      if (fault.remaining !== undefined) {
        if (fault.remaining <= 0) continue;
        fault.remaining -= 1;
      }
      hits.push(fault);
    }
    this.faults = this.faults.filter((fault) => fault.remaining === undefined || fault.remaining > 0);
    return hits;
  }
}

/**
 * Resolves with the first item (already in `items` or arriving through `listeners`) that satisfies `predicate`:
 * how tests wait on an emulator's requests, messages and e-mails instead of sleeping.
 */
export function waitForArrival<T>(
  items: readonly T[],
  listeners: Set<(item: T) => void>,
  predicate: (item: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const existing = items.find(predicate);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (item: T) => {
      if (!predicate(item)) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(item);
    };
    listeners.add(listener);
  });
}

export interface EmulatorOptions {
  name: string;
  /** Registers the vendor's routes. Runs inside the emulator's Fastify instance. */
  routes: (app: FastifyInstance, emulator: Emulator) => void | Promise<void>;
  /** Body limit for the emulator (default 10 MB). */
  bodyLimit?: number;
  port?: number;
  host?: string;
}

export class Emulator {
  readonly name: string;
  readonly faults = new FaultPlan();
  readonly requests: RecordedRequest[] = [];
  readonly app: FastifyInstance;
  private listeners = new Set<(request: RecordedRequest) => void>();
  private baseUrl = '';

  private constructor(options: EmulatorOptions) {
    this.name = options.name;
    this.app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024 });
  }

  static async start(options: EmulatorOptions): Promise<Emulator> {
    const emulator = new Emulator(options);
    await emulator.setUp(options);
    return emulator;
  }

  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  get url(): string {
    return this.baseUrl;
  }

  get port(): number {
    return Number(new URL(this.baseUrl).port);
  }

  /** Requests received so far whose path contains `pathPart` (all when omitted). */
  received(pathPart?: string, method?: string): RecordedRequest[] {
    return this.requests.filter((request) => (!pathPart || request.path.includes(pathPart)) && (!method || request.method === method.toUpperCase()));
  }

  /** Resolves with the next recorded request that satisfies `predicate` (or one already recorded). */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return waitForArrival(this.requests, this.listeners, predicate, timeoutMs, `${this.name} emulator: no matching request`);
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.clear();
  }

  /**
   * Stops listening and cuts every open connection, so new requests fail with ECONNREFUSED: a vendor that is
   * unreachable, where a request cannot have been received. `acceptConnections` listens on the same port again.
   */
  async refuseConnections(): Promise<void> {
    const server = this.app.server;
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async acceptConnections(): Promise<void> {
    const server = this.app.server;
    if (server.listening) return;
    const { hostname, port } = new URL(this.baseUrl);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(port), hostname, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private async setUp(options: EmulatorOptions): Promise<void> {
    const app = this.app;
    closeConnectionsAfterAnswer(app);
    await app.register(formbody);
    // Keep raw text bodies for content types vendors send that Fastify does not parse by default.
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    app.addHook('preHandler', async (request, reply) => {
      const path = request.url.split('?')[0] ?? request.url;
      if (path.startsWith('/__sandbox')) return;
      const record: RecordedRequest = {
        at: new Date(),
        method: request.method,
        url: request.url,
        path,
        query: { ...(request.query as Record<string, unknown>) },
        headers: { ...request.headers },
        body: request.body,
      };
      this.requests.push(record);
      (request as FastifyRequest & { sandboxRecord?: RecordedRequest }).sandboxRecord = record;
      for (const listener of this.listeners) listener(record);

      for (const fault of this.faults.take(request.method, path)) {
        if (fault.type === 'latency') {
          await delay(fault.latencyMs ?? 0);
        } else if (fault.type === 'reset') {
          record.status = undefined;
          request.raw.socket.destroy();
          return reply.hijack();
        } else if (fault.type === 'fail') {
          record.status = fault.status ?? 500;
          reply.code(fault.status ?? 500);
          if (fault.headers) reply.headers(fault.headers);
          return reply.send(fault.body ?? { error: 'sandbox_injected_failure' });
        } else if (fault.type === 'timeout_after_commit') {
          (request as FastifyRequest & { hangMs?: number }).hangMs = fault.hangMs ?? 30_000;
        } else if (fault.type === 'commit_after_hangup') {
          (request as FastifyRequest & { hungUp?: boolean }).hungUp = true;
          request.raw.socket.destroy();
          await delay(fault.latencyMs ?? 0);
        }
      }
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const record = (request as FastifyRequest & { sandboxRecord?: RecordedRequest }).sandboxRecord;
      const hangMs = (request as FastifyRequest & { hangMs?: number }).hangMs;
      if (hangMs !== undefined) {
        if (record) record.status = undefined;
        // The handler has committed its effect; the caller never hears back, as with a vendor timeout.
        const socket = request.raw.socket;
        const timer = setTimeout(() => socket.destroy(), hangMs);
        timer.unref();
        socket.once('close', () => clearTimeout(timer));
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
        return payload;
      }
      // Nobody heard this answer (commit_after_hangup).
      if ((request as FastifyRequest & { hungUp?: boolean }).hungUp) return payload;
      if (record && record.status === undefined) record.status = reply.statusCode;
      return payload;
    });

    app.get('/__sandbox/requests', async () => ({ name: this.name, requests: this.requests }));
    app.get('/__sandbox/faults', async () => ({ faults: this.faults.list() }));
    app.post('/__sandbox/faults', async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = faultSchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
      this.faults.add(parsed.data);
      return { ok: true, faults: this.faults.list() };
    });
    app.delete('/__sandbox/faults', async () => {
      this.faults.clear();
      return { ok: true };
    });
    app.post('/__sandbox/reset', async () => {
      this.reset();
      return { ok: true };
    });

    await options.routes(app, this);
    const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    this.baseUrl = address.replace('[::1]', '127.0.0.1');
  }
}

/**
 * The vendor-facing object of an emulator (Twilio, Slack): wraps its frame and exposes the frame's URL,
 * fault plan and recorded requests.
 */
export abstract class EmulatedVendor {
  constructor(readonly emulator: Emulator) {}

  /** Base URL that stands in for the vendor's API. */
  get url(): string {
    return this.emulator.url;
  }

  get faults(): FaultPlan {
    return this.emulator.faults;
  }

  get requests(): RecordedRequest[] {
    return this.emulator.requests;
  }
}

/** Starts a frame whose vendor object is built, and registers its routes, inside the frame's set-up. */
export async function startVendor<T>(options: { name: string; port?: number }, build: (emulator: Emulator) => T): Promise<T> {
  let vendor: T | undefined;
  await Emulator.start({ name: options.name, port: options.port, routes: (_app, emulator) => void (vendor = build(emulator)) });
  if (vendor === undefined) throw new Error(`${options.name} emulator: routes were not registered`);
  return vendor;
}
