/**
 * An `httpClient` for twilio-node that sends every request to another base URL (the local emulator) instead of
 * https://api.twilio.com. twilio-node has no base-URL option, so this is how the real SDK talks to the sandbox.
 * It does what the SDK's own RequestClient does: Basic auth (or the auth strategy), form bodies with repeated keys,
 * query params with repeated keys, a timeout, and `{ statusCode, body, headers }` back.
 */
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

  constructor(options: EmulatorHttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.defaultTimeoutMs = options.timeoutMs ?? 30_000;
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
    let response: Response;
    try {
      response = await fetch(url, {
        method: opts.method.toUpperCase(),
        headers,
        body,
        redirect: opts.allowRedirects ? 'follow' : 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw toHttpError(error, url, timeoutMs);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw toHttpError(error, url, timeoutMs);
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    return { statusCode: response.status, body: parseBody(text, responseHeaders['content-type']), headers: responseHeaders };
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

function toHttpError(error: unknown, url: URL, timeoutMs: number): TwilioHttpError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TwilioHttpError(`Twilio request to ${url.pathname} timed out after ${timeoutMs} ms`, 'ETIMEDOUT', error);
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : 'ECONNRESET';
  const detail = error instanceof Error ? (cause instanceof Error ? cause.message : error.message) : String(error);
  return new TwilioHttpError(`Twilio request to ${url.pathname} failed: ${detail}`, code, error);
}
