/**
 * End-to-end harness: a real `switchboard start` child process in demo mode with the test clock
 * (SWITCHBOARD_TEST_CLOCK=1), its emulators reached over their HTTP control endpoints, calls signed as Retell
 * signs them, a signed-in dashboard client, and a record of every answer the suite received (for the PII scan).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sign } from 'retell-sdk';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import type { DatabaseKind } from '../../src/db/database.js';
import { createPostgresDatabase } from '../support/databases.js';
import { startServerProcess, type RunningServer } from '../support/process.js';

export const CLIENT = 'smart-tax-nation';
export const AGENT = 'agent_stn_demo_0001';
export const OFFICE_NUMBER = '+12125550142';
export const SMS_SENDER = '+12125550199';

/** A demo office a call is placed to: its slug, the Retell agent that answers and the number callers dial. */
export interface E2eOffice {
  slug: string;
  agentId: string;
  number: string;
}

export const SMART_TAX_NATION: E2eOffice = { slug: CLIENT, agentId: AGENT, number: OFFICE_NUMBER };

export interface Answer {
  status: number;
  body: any;
  text: string;
}

export interface E2eServer {
  process: RunningServer;
  url: string;
  emulators: { twilio: string; smtp: string; smtpInbox: string; slack: string; zoho: string; google: string; microsoft: string; hubspot: string };
  adminPassword: string;
  /** The PostgreSQL database the process runs on (postgres kind only), for tests that read rows directly. */
  databaseUrl: string | undefined;
  /** Every response body the suite received from our server (not from emulators). */
  answers: string[];
  /** Our server's answers and emulator state, fetched as JSON. */
  get(path: string): Promise<Answer>;
  emulator(base: keyof E2eServer['emulators'], path: string, init?: { method?: string; body?: unknown }): Promise<any>;
  clock: { now(): Promise<string>; set(iso: string): Promise<void>; advance(ms: number): Promise<void> };
  /** Waits until the outbox has nothing due left (the process's worker ran it). */
  settle(): Promise<void>;
  /** A request signed as Retell signs it, to `office`'s Retell routes (Smart Tax Nation unless given). */
  retell(path: string, payload: unknown, office?: string): Promise<Answer>;
  dashboard(method: string, path: string, body?: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

function emulatorUrl(banner: string, name: string): string {
  const match = new RegExp(`^\\s+${name}\\s+(\\S+)$`, 'm').exec(banner);
  if (!match) throw new Error(`no ${name} emulator in the banner:\n${banner}`);
  return match[1]!;
}

async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // TwiML, HTML: keep the text
  }
  return { status: response.status, body, text };
}

export async function startE2eServer(kind: DatabaseKind, clockStart: string, logLevel = 'info'): Promise<E2eServer> {
  const postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const env: Record<string, string> = {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-e2e-')),
    LOG_LEVEL: logLevel,
    SWITCHBOARD_TEST_CLOCK: '1',
    SWITCHBOARD_TEST_CLOCK_START: clockStart,
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
  };
  const running = await startServerProcess(env, 90_000);
  const banner = running.output();
  const login = /Dashboard login \(shown once\): (\S+) \/ (\S+)/.exec(banner);
  if (!login) throw new Error(`no first-admin line in the banner:\n${banner}`);
  const answers: string[] = [];
  const url = running.url;
  let cookie: string | undefined;

  const ours = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const answer = await readAnswer(await fetch(`${url}${path}`, init));
    answers.push(answer.text);
    return answer;
  };

  // The session cookie comes from the sign-in answer's Set-Cookie header.
  const signIn = async (): Promise<string> => {
    const response = await fetch(`${url}/v1/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ email: login[1], password: login[2] }),
    });
    answers.push(await response.text());
    if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
    return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  };

  const server: E2eServer = {
    process: running,
    url,
    emulators: {
      twilio: emulatorUrl(banner, 'Twilio'),
      smtp: emulatorUrl(banner, 'SMTP'),
      smtpInbox: emulatorUrl(banner, 'SMTP inbox'),
      slack: emulatorUrl(banner, 'Slack'),
      zoho: emulatorUrl(banner, 'Zoho'),
      google: emulatorUrl(banner, 'Google'),
      microsoft: emulatorUrl(banner, 'Microsoft'),
      hubspot: emulatorUrl(banner, 'HubSpot'),
    },
    adminPassword: login[2]!,
    databaseUrl: postgres?.url,
    answers,
    get: (path) => ours(path),
    async emulator(base, path, init = {}) {
      const response = await fetch(`${server.emulators[base]}${path}`, {
        method: init.method ?? 'GET',
        headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      if (!response.ok) throw new Error(`${base} ${path} answered ${response.status}: ${await response.text()}`);
      return response.json();
    },
    clock: {
      async now() {
        return (await ours('/__test/clock')).body.now;
      },
      async set(iso) {
        const answer = await ours('/__test/clock', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: iso }) });
        if (answer.status !== 200) throw new Error(`clock set failed: ${answer.text}`);
      },
      async advance(ms) {
        const answer = await ours('/__test/clock', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ advanceMs: ms }),
        });
        if (answer.status !== 200) throw new Error(`clock advance failed: ${answer.text}`);
      },
    },
    async settle() {
      const answer = await ours('/__test/outbox/settle', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (answer.status !== 200) throw new Error(`outbox did not settle: ${answer.text}`);
    },
    async retell(path, payload, office = CLIENT) {
      const raw = JSON.stringify(payload);
      return ours(`/v1/retell/${office}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(raw, DEMO_SECRETS.RETELL_API_KEY) },
        body: raw,
      });
    },
    async dashboard(method, path, body) {
      // Days pass on the test clock, so a session can expire between steps: sign in again, as a person would.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        cookie ??= await signIn();
        const answer = await ours(path, {
          method,
          headers: { origin: url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (answer.status !== 401) return answer;
        cookie = undefined;
      }
      throw new Error(`dashboard ${method} ${path}: still 401 after signing in again`);
    },
    async stop() {
      await running.stop('SIGTERM');
      await postgres?.drop();
    },
  };
  return server;
}

export function aCallId(): string {
  return `call_e2e_${randomBytes(6).toString('hex')}`;
}

interface Turn {
  role: 'agent' | 'user';
  content: string;
}

/** One call driven step by step with signed requests, for scenarios the simulator's scripts do not cover. */
export class CallDriver {
  readonly callId = aCallId();
  private turns: Turn[] = [];

  constructor(
    private readonly server: E2eServer,
    readonly from: string,
    private readonly startAt: Date,
    private readonly office: E2eOffice = SMART_TAX_NATION,
  ) {}

  private base(status: string) {
    return {
      call_type: 'phone_call',
      call_id: this.callId,
      agent_id: this.office.agentId,
      agent_version: 1,
      direction: 'inbound',
      from_number: this.from,
      to_number: this.office.number,
      start_timestamp: this.startAt.getTime(),
      call_status: status,
      transcript: this.turns.map((turn) => `${turn.role === 'agent' ? 'Agent' : 'User'}: ${turn.content}`).join('\n'),
    };
  }

  inbound(): Promise<Answer> {
    return this.server.retell(
      '/inbound',
      {
        event: 'call_inbound',
        call_inbound: { agent_id: this.office.agentId, agent_version: 1, from_number: this.from, to_number: this.office.number, call_id: this.callId },
      },
      this.office.slug,
    );
  }

  started(): Promise<Answer> {
    return this.server.retell('/webhook', { event: 'call_started', call: this.base('ongoing') }, this.office.slug);
  }

  async say(role: Turn['role'], content: string): Promise<Answer> {
    this.turns.push({ role, content });
    return this.server.retell('/webhook', { event: 'transcript_updated', call: this.base('ongoing') }, this.office.slug);
  }

  fn(name: string, args: Record<string, unknown>): Promise<Answer> {
    return this.server.retell(`/functions/${name}`, { name, args, call: this.base('ongoing') }, this.office.slug);
  }

  async end(durationMs: number, analysis: Record<string, unknown>): Promise<void> {
    const finished = {
      ...this.base('ended'),
      end_timestamp: this.startAt.getTime() + durationMs,
      duration_ms: durationMs,
      disconnection_reason: 'agent_hangup',
    };
    for (const payload of [
      { event: 'call_ended', call: finished },
      { event: 'call_analyzed', call: { ...finished, call_analysis: analysis } },
    ]) {
      const answer = await this.server.retell('/webhook', payload, this.office.slug);
      if (answer.status >= 300) throw new Error(`${payload.event} answered ${answer.status}: ${answer.text}`);
    }
  }
}
