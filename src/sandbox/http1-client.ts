/**
 * Kept-alive HTTP/1.1 pools for traffic between our process and an emulator on loopback: the Twilio emulator's
 * signed status callbacks and the Twilio SDK's emulator transport (providers/twilio/http-client.ts). Under a
 * burst of texts fetch's per-request machinery (web streams, abort signals) and node:http's ClientRequest cost
 * the sending process more than the exchange itself; undici's `Pool.request` (the engine under Node's fetch,
 * without the web-streams layer) does not. Plain http only (callers use node:https or fetch for https URLs);
 * redirects are not followed; no request is retried (a POST may have been acted on).
 */
import { Pool, errors } from 'undici';

export interface Http1Request {
  method: string;
  /** Path and query, already encoded, e.g. `/v1/status?outbox=12`. */
  path: string;
  /** Header names as they should be sent; Host and Content-Length are added by the pool. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole exchange (connect, send, answer, body). */
  timeoutMs: number;
}

export interface Http1Response {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** A network failure or timeout; `code` follows Node's names (ETIMEDOUT, ECONNREFUSED, ECONNRESET, …). */
export class Http1Error extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Http1Error';
    this.code = code;
  }
}

export interface Http1PoolOptions {
  host: string;
  port: number;
  /** Connections kept at most; requests beyond wait for one. */
  maxSockets: number;
}

function codeOf(error: unknown): string {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError)
    return 'ETIMEDOUT';
  if (error instanceof errors.RequestAbortedError) return 'ETIMEDOUT';
  if (error instanceof errors.SocketError) return 'ECONNRESET';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ECONNRESET';
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export class Http1Pool {
  private readonly pool: Pool;

  constructor(options: Http1PoolOptions) {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    this.pool = new Pool(`http://${host}:${options.port}`, { connections: options.maxSockets, pipelining: 1 });
  }

  async request(request: Http1Request): Promise<Http1Response> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await this.pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: flatten(response.headers), body };
    } catch (error) {
      const code = signal.aborted ? 'ETIMEDOUT' : codeOf(error);
      const message = code === 'ETIMEDOUT' ? `no answer within ${request.timeoutMs} ms` : (error as Error).message;
      throw new Http1Error(message, code, error);
    }
  }

  close(): void {
    void this.pool.destroy().catch(() => undefined);
  }
}

/** One pool per host:port. */
export class Http1Pools {
  private readonly pools = new Map<string, Http1Pool>();
  constructor(private readonly maxSockets = 32) {}

  for(host: string, port: number): Http1Pool {
    const key = `${host}:${port}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Http1Pool({ host, port, maxSockets: this.maxSockets });
      this.pools.set(key, pool);
    }
    return pool;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}
