/**
 * Harness for the several-instances and crash drills (task C; the end-to-end suite's harness is e2e-support.ts):
 * real `switchboard start` processes sharing one out-of-process Twilio emulator (this test process's, handed to
 * them as SANDBOX_TWILIO_URL) so texts are counted in one place even when a process is killed, and a client
 * config with an always-open text window and a fast sender so a burst is neither paced nor held for the morning.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/sandbox/twilio.js';
import { startServerProcess, type RunningServer } from '../support/process.js';

export const CLIENT = 'smart-tax-nation';
export const ADMIN_EMAIL = 'admin@switchboard.local';
/** SOAK=1 (npm run test:soak) repeats each drill; `npm test` runs each once. */
export const SOAK = process.env.SOAK === '1';

/** smart-tax-nation as shipped, except texts may go at any hour and 100 a second, and retries come 1 s apart. */
export function goLiveConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-golive-config-'));
  const config = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
  config.senders.sms.ratePerSecond = 100;
  config.quietHours.transactional = { start: '00:00', end: '24:00' };
  // Retries a second apart (not a minute), so a drill sees a retried event or text land without waiting.
  config.retry.intervalSeconds = 1;
  writeFileSync(join(dir, 'smart-tax-nation.json'), JSON.stringify(config, null, 2));
  return dir;
}

export function startSharedTwilio(): Promise<TwilioEmulator> {
  return startTwilioEmulator({ accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID, authToken: DEMO_SECRETS.TWILIO_AUTH_TOKEN });
}

/**
 * How many texts with exactly this body the emulator holds: every accepted send, including one whose answer it
 * dropped (a `timeout_after_commit` fault), which counting its 201 answers would miss.
 */
export function sentCount(twilio: TwilioEmulator, body: string): number {
  return twilio.messages.filter((message) => message.direction === 'outbound-api' && message.body === body).length;
}

export interface InstanceOptions {
  configDir: string;
  twilio: TwilioEmulator;
  secretKey: string;
  databaseUrl?: string;
  dataDir?: string;
  extra?: Record<string, string>;
}

export function aSecretKey(): string {
  return randomBytes(32).toString('base64');
}

export function aDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sb-golive-data-'));
}

export function startInstance(options: InstanceOptions): Promise<RunningServer> {
  const env: Record<string, string> = {
    SWITCHBOARD_MODE: 'demo',
    CONFIG_DIR: options.configDir,
    SANDBOX_TWILIO_URL: options.twilio.url,
    SWITCHBOARD_SECRET_KEY: options.secretKey,
    DATA_DIR: options.dataDir ?? aDataDir(),
    LOG_LEVEL: 'error',
    ...(options.extra ?? {}),
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  return startServerProcess(env);
}

/** The first admin's one-time password from a demo start's banner. */
export function firstAdminPassword(server: RunningServer): string {
  const match = /Dashboard login \(shown once\): \S+ \/ (\S+)/.exec(server.output());
  if (!match) throw new Error(`no first-admin password in the banner:\n${server.output()}`);
  return match[1]!;
}

export interface Session {
  baseUrl: string;
  cookie: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<Session> {
  const response = await fetch(`${baseUrl}/v1/api/session`, {
    method: 'POST',
    headers: { origin: baseUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  return {
    baseUrl,
    cookie,
    async request(method, path, body) {
      const answer = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { origin: baseUrl, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await answer.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text for the failure message
      }
      return { status: answer.status, body: parsed };
    },
  };
}

/** Composes a text through the dashboard API (due now). Answers the outbox id, or only the HTTP status. */
export async function composeText(session: Session, to: string, body: string): Promise<{ id?: number; status: number }> {
  const answer = await session.request('POST', '/v1/api/messages', { client: CLIENT, channel: 'sms', to, body });
  return { status: answer.status, id: answer.body?.message?.id };
}

/** Another process's state can only be watched: polls `check` every 100 ms until it answers, else fails. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
