/** Builders shared by the Zoho emulator tests: a started emulator on a ManualClock and small fetch helpers. */
import { afterEach } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { startZohoEmulator, type StartZohoEmulatorOptions, type ZohoEmulator } from '../../../src/sandbox/zoho/index.js';

export const CLIENT_ID = '1000.TESTCLIENT';
export const CLIENT_SECRET = 'test-client-secret';
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/zoho/callback';

const started: ZohoEmulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((zoho) => zoho.close()));
});

/** Starts an emulator that the surrounding test file closes after each test. */
export async function aZohoEmulator(options: Partial<StartZohoEmulatorOptions> = {}): Promise<{ zoho: ZohoEmulator; clock: ManualClock }> {
  const clock = new ManualClock('2026-10-20T12:00:00Z');
  const zoho = await startZohoEmulator({
    clock,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT_URI],
    ...options,
  });
  started.push(zoho);
  return { zoho, clock };
}

export interface Answer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

export function postForm(url: string, params: Record<string, string>): Promise<Answer> {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

/** Calls an API path with `Authorization: Zoho-oauthtoken <token>` and an optional JSON body. */
export function api(zoho: ZohoEmulator, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return call(`${zoho.url}${path}`, {
    method,
    headers: {
      authorization: `Zoho-oauthtoken ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
