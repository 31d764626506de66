/**
 * An `httpClient` for twilio-node that sends every request to another base URL (the local emulator) instead of
 * https://api.twilio.com. twilio-node has no base-URL option, so this is how the real SDK talks to the sandbox.
 * It does what the SDK's own RequestClient does: Basic auth (or the auth strategy), form bodies with repeated keys,
 * query params with repeated keys, a timeout, and `{ statusCode, body, headers }` back. It speaks node:http over
 * keep-alive sockets rather than fetch: under a burst of texts fetch's per-request machinery (web streams, abort
 * signals) cost the sending process more than the SDK itself. Redirects are never followed (the emulator sends none).
 */
import http from 'node:http';
import https from 'node:https';
import type twilio from 'twilio';

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

  constructor(options: EmulatorHttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.defaultTimeoutMs = options.timeoutMs ?? 30_000;
    const Agent = this.baseUrl.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
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
    const url = rewriteTwilioUrl(opts.uri, this.baseUrl);
    appendParams(url.searchParams, opts.params);

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (value !== undefined && value !== null) headers[name] = String(value);
    }
    if (opts.username && opts.password) {
      headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
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
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const { statusCode, text, headers: responseHeaders } = await this.send(url, opts.method.toUpperCase(), headers, body, timeoutMs);
    return { statusCode, body: parseBody(text, responseHeaders['content-type']), headers: responseHeaders };
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
      const timer = setTimeout(
        () => fail(new TwilioHttpError(`Twilio request to ${url.pathname} timed out after ${timeoutMs} ms`, 'ETIMEDOUT')),
        timeoutMs,
      );
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
