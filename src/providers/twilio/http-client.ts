/**
 * An `httpClient` for twilio-node that sends every request to another base URL (the local emulator) instead of
 * https://api.twilio.com. twilio-node has no base-URL option, so this is how the real SDK talks to the sandbox.
 * It does what the SDK's own RequestClient does: Basic auth (or the auth strategy), form bodies with repeated keys,
 * query params with repeated keys, a timeout, and `{ statusCode, body, headers }` back. Requests to a plain-http
 * emulator go over an undici pool (sandbox/http1-client.ts, kept-alive sockets): under a burst of
 * texts fetch's per-request machinery, and after it node:http's ClientRequest, cost the sending process more than
 * the SDK itself. Anything else (https, a host that is not the emulator) uses node:http(s). Redirects are never
 * followed (the emulator sends none).
 */
import http from 'node:http';
import https from 'node:https';
import type twilio from 'twilio';
import { Http1Pool, type Http1Error } from '../../sandbox/http1-client.js';

type RequestOptions = twilio.RequestClient extends { request(opts: infer O): unknown } ? O : never;

export interface TwilioHttpResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface EmulatorHttpClientOptions {
  /** e.g. http://127.0.0.1:41234 (a path prefix is kept). */
  baseUrl: string;
  /** Used when the SDK passes no timeout (default 30 000 ms, like twilio-node's RequestClient). */
  timeoutMs?: number;
}

/** A network failure or timeout; `code` follows Node's names (ETIMEDOUT, ECONNREFUSED, ECONNRESET…). */
export class TwilioHttpError extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TwilioHttpError';
    this.code = code;
  }
}

export class EmulatorHttpClient {
  private readonly baseUrl: URL;
  private readonly defaultTimeoutMs: number;
  private readonly agent: http.Agent;
  /** The emulator over plain http: the fast path. */
  private readonly pool: Http1Pool | undefined;
  /** Base path prefix without a trailing slash ('' for none). */
  private readonly prefix: string;
  private lastCredentials: { username: string; password: string; header: string } | undefined;

  constructor(options: EmulatorHttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.defaultTimeoutMs = options.timeoutMs ?? 30_000;
    const Agent = this.baseUrl.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' });
    this.prefix = this.baseUrl.pathname.replace(/\/$/, '');
    if (this.baseUrl.protocol === 'http:') {
      const host = this.baseUrl.hostname.startsWith('[') ? this.baseUrl.hostname.slice(1, -1) : this.baseUrl.hostname;
      this.pool = new Http1Pool({ host, port: Number(this.baseUrl.port || 80), maxSockets: 64 });
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
    this.pool?.close();
  }

  /**
   * The SDK's option is typed as its concrete RequestClient class (private members included), so a structurally
   * compatible object needs this cast: `twilio(sid, token, { httpClient: client.asRequestClient() })`.
   */
  asRequestClient(): twilio.RequestClient {
    return this as unknown as twilio.RequestClient;
  }

  async request(opts: RequestOptions): Promise<TwilioHttpResponse> {
    if (!opts.method) throw new Error('http method is required');
    if (!opts.uri) throw new Error('uri is required');

    const headers: Record<string, string> = {};
    for (const name in opts.headers) {
      const value = (opts.headers as Record<string, unknown>)[name];
      if (value !== undefined && value !== null) headers[name] = String(value);
    }
    if (opts.username && opts.password) {
      headers.Authorization = this.basicAuth(opts.username, opts.password);
    } else if (opts.authStrategy) {
      headers.Authorization = await opts.authStrategy.getAuthString();
    }

    let body: string | undefined;
    const contentType = headerValue(headers, 'content-type');
    if (opts.data !== undefined && opts.data !== null) {
      if (contentType === 'application/json') {
        body = JSON.stringify(opts.data);
      } else {
        const form = new URLSearchParams();
        appendParams(form, opts.data);
        body = form.toString();
      }
    }

    const timeoutMs = opts.timeout || this.defaultTimeoutMs;
    const method = opts.method.toUpperCase();
    const path = this.pool && !hasParams(opts.params) ? emulatorPath(opts.uri, this.prefix) : undefined;
    if (path !== undefined) {
      try {
        const response = await this.pool!.request({ method, path, headers, body, timeoutMs });
        return { statusCode: response.status, body: parseBody(response.body.toString('utf8'), response.headers['content-type']), headers: response.headers };
      } catch (error) {
        const failure = error as Http1Error;
        const where = path.split('?')[0];
        throw failure.code === 'ETIMEDOUT'
          ? new TwilioHttpError(`Twilio request to ${where} timed out after ${timeoutMs} ms`, 'ETIMEDOUT', error)
          : new TwilioHttpError(`Twilio request to ${where} failed: ${failure.message}`, typeof failure.code === 'string' ? failure.code : 'ECONNRESET', error);
      }
    }

    const url = rewriteTwilioUrl(opts.uri, this.baseUrl);
    appendParams(url.searchParams, opts.params);
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const { statusCode, text, headers: responseHeaders } = await this.send(url, method, headers, body, timeoutMs);
    return { statusCode, body: parseBody(text, responseHeaders['content-type']), headers: responseHeaders };
  }

  private basicAuth(username: string, password: string): string {
    const last = this.lastCredentials;
    if (last && last.username === username && last.password === password) return last.header;
    const header = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.lastCredentials = { username, password, header };
    return header;
  }

  private send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<{ statusCode: number; text: string; headers: Record<string, string> }> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: TwilioHttpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      // One deadline for the whole exchange, as fetch's AbortSignal.timeout gave: connect, send, answer, body.
      const timer = setTimeout(() => fail(new TwilioHttpError(`Twilio request to ${url.pathname} timed out after ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
      const request = transport.request(url, { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail(toHttpError(error, url)));
        response.on('aborted', () => fail(new TwilioHttpError(`Twilio request to ${url.pathname} failed: connection closed mid-answer`, 'ECONNRESET')));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: responseHeaders });
        });
      });
      request.on('error', (error) => fail(toHttpError(error, url)));
      request.end(body);
    });
  }
}

/** Moves a `https://*.twilio.com/...` URI onto `baseUrl`, keeping path and query; other hosts are left alone. */
export function rewriteTwilioUrl(uri: string, baseUrl: URL | string): URL {
  const original = new URL(uri);
  if (original.hostname !== 'twilio.com' && !original.hostname.endsWith('.twilio.com')) return original;
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const rewritten = new URL(base.origin);
  rewritten.pathname = prefix + original.pathname;
  rewritten.search = original.search;
  return rewritten;
}

/**
 * The request target on the emulator for an SDK URI on a twilio.com host, without building URL objects: the SDK's
 * URIs are already encoded. Undefined (use rewriteTwilioUrl) for other hosts or anything unusual.
 */
function emulatorPath(uri: string, prefix: string): string | undefined {
  const match = /^https:\/\/([A-Za-z0-9.-]+)(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?$/.exec(uri);
  if (!match) return undefined;
  const host = match[1]!.toLowerCase();
  if (host !== 'twilio.com' && !host.endsWith('.twilio.com')) return undefined;
  const rest = match[2] ?? '/';
  if (rest.includes('/.') || /%(?![0-9A-Fa-f]{2})/.test(rest)) return undefined; // dot segments, stray '%': let URL normalize
  return prefix + rest;
}

function hasParams(values: unknown): boolean {
  if (!values || typeof values !== 'object') return false;
  for (const _ in values) return true;
  return false;
}

/** Form / query encoding with repeated keys for arrays (`MediaUrl=a&MediaUrl=b`), as twilio-node's `qs` call does. */
function appendParams(target: URLSearchParams, values: unknown): void {
  if (!values || typeof values !== 'object') return;
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      target.append(name, item instanceof Date ? item.toISOString() : String(item));
    }
  }
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Like axios (which the SDK's own client uses): JSON answers come back parsed, anything else as text. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '' || !contentType?.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toHttpError(error: Error, url: URL): TwilioHttpError {
  const code = (error as { code?: unknown }).code;
  return new TwilioHttpError(`Twilio request to ${url.pathname} failed: ${error.message}`, typeof code === 'string' ? code : 'ECONNRESET', error);
}
