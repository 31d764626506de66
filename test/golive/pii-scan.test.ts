/**
 * Issue 9 "Security": the go-live day (e2e-scenarios.ts) played once more, on PostgreSQL this time, and everything
 * it produced scanned for personal data and secrets: the server process's stdout (every log line), every answer
 * our server gave, and the error-log rows as stored (read straight from the database, before any masking on the
 * way out). Known values are searched in every written form: the callers' numbers, their e-mail, the SSN spoken
 * in a call, the demo secrets, the admin's password and session, Zoho's OAuth tokens and the Slack hook token.
 *
 * Staff screens are meant to show a caller's number and e-mail to the office, so in API answers only secrets,
 * tokens and SSN-shaped numbers count as leaks; in logs and error rows every kind does.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { startE2eServer, type E2eServer } from './e2e-support.js';
import { DAY_START, PEOPLE, SPOKEN_SSN, playGoLiveDay, type GoLiveDay } from './e2e-scenarios.js';

interface Needle {
  kind: 'phone' | 'email' | 'ssn' | 'secret' | 'token';
  label: string;
  value: string;
}

/** A number in the ways people and systems write it: E.164, 10 digits, (212) 555-0101, 212-555-0101. */
function phoneForms(e164: string): string[] {
  const d = e164.replace(/\D/g, '').slice(-10);
  return [
    e164,
    d,
    `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`,
    `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`,
    `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`,
  ];
}

export function findLeaks(haystack: string, needles: Needle[], kinds: Needle['kind'][]): string[] {
  const lower = haystack.toLowerCase();
  return needles
    .filter((needle) => kinds.includes(needle.kind) && needle.value.length >= 6 && lower.includes(needle.value.toLowerCase()))
    .map((needle) => `${needle.kind} ${needle.label} (${needle.value.slice(0, 4)}…)`);
}

/** Any SSN-shaped number at all (ddd-dd-dddd), not only the one we planted. */
const SSN_SHAPE = /\b\d{3}-\d{2}-\d{4}\b/g;

describe('PII and secret scan of a whole go-live day (real process, PostgreSQL)', () => {
  let server: E2eServer;
  let day: GoLiveDay;
  const needles: Needle[] = [];
  let logs = '';
  let errorRows: string[] = [];

  beforeAll(async () => {
    server = await startE2eServer('postgres', DAY_START);
    day = await playGoLiveDay(server);

    const callers = Object.entries(PEOPLE);
    for (const [label, person] of callers) for (const form of phoneForms(person.phone)) needles.push({ kind: 'phone', label, value: form });
    needles.push({ kind: 'email', label: 'jordan', value: PEOPLE.jordan.email });
    needles.push({ kind: 'ssn', label: 'spoken', value: SPOKEN_SSN }, { kind: 'ssn', label: 'spoken digits', value: SPOKEN_SSN.replace(/-/g, '') });
    for (const [label, value] of Object.entries(DEMO_SECRETS))
      if (label !== 'TWILIO_ACCOUNT_SID' && label !== 'ZOHO_CLIENT_ID') needles.push({ kind: 'secret', label, value });
    needles.push({ kind: 'secret', label: 'admin password', value: server.adminPassword });

    // Tokens as the vendors saw them: Zoho's OAuth tokens and codes, the Slack hook's secret path part.
    const zoho = await server.emulator('zoho', '/__sandbox/requests');
    for (const request of zoho.requests as Array<{ headers: Record<string, string>; body: Record<string, string> | null }>) {
      const auth = /Zoho-oauthtoken (\S+)/.exec(request.headers.authorization ?? '');
      if (auth) needles.push({ kind: 'token', label: 'zoho access token', value: auth[1]! });
      for (const field of ['refresh_token', 'code'] as const) {
        const value = request.body && typeof request.body === 'object' ? request.body[field] : undefined;
        if (typeof value === 'string') needles.push({ kind: 'token', label: `zoho ${field}`, value });
      }
    }
    const slack = await server.emulator('slack', '/__sandbox/requests');
    for (const request of slack.requests as Array<{ path: string }>)
      needles.push({ kind: 'token', label: 'slack hook', value: request.path.split('/').at(-1)! });

    const output = server.process.output();
    // The banner prints the first admin's one-time password on purpose (the operator's terminal, once).
    logs = output.replace(/^\s+Switchboard — DEMO MODE[\s\S]*?Ready in \d+ ms\. Press Ctrl\+C to stop\.$/m, '');
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      const errors = await client.query('select source, fingerprint, message, details::text as details from errors');
      const attempts = await client.query('select error from outbox_attempts where error is not null');
      const outbox = await client.query('select last_error from outbox where last_error is not null');
      errorRows = [...errors.rows, ...attempts.rows, ...outbox.rows].map((row) => JSON.stringify(row));
    } finally {
      await client.end();
    }
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('the day produced something to scan: logs, answers, error rows and every kind of known value', () => {
    expect(logs).toContain('"msg":"Appointment booked"');
    expect(server.answers.length).toBeGreaterThan(100);
    expect(errorRows.some((row) => row.includes('crm.sync'))).toBe(true);
    expect(day.booking.booking.body.ok).toBe(true);
    expect(new Set(needles.map((needle) => needle.kind))).toEqual(new Set(['phone', 'email', 'ssn', 'secret', 'token']));
    // The scanner finds what it looks for: a planted line is reported.
    const planted = findLeaks(`{"to":"(212) 555-0103","key":"${DEMO_SECRETS.RETELL_API_KEY}"}`, needles, ['phone', 'secret']);
    expect(planted).toEqual(['phone casey ((212…)', 'secret RETELL_API_KEY (key_…)']);
    expect(findLeaks('{"to":"+1 ••• ••• 0103"}', needles, ['phone'])).toEqual([]);
  });

  it('the server log has no caller number, e-mail, SSN, secret or token, and no SSN-shaped number at all', () => {
    expect(findLeaks(logs, needles, ['phone', 'email', 'ssn', 'secret', 'token'])).toEqual([]);
    expect(logs.match(SSN_SHAPE) ?? []).toEqual([]);
  });

  it('error-log rows and outbox errors, as stored, have no caller number, e-mail, SSN, secret or token', () => {
    for (const row of errorRows) {
      expect(findLeaks(row, needles, ['phone', 'email', 'ssn', 'secret', 'token']), row).toEqual([]);
      expect(row.match(SSN_SHAPE) ?? [], row).toEqual([]);
    }
  });

  it('no answer of our server carries a secret, a token or the spoken SSN', () => {
    for (const answer of server.answers) {
      expect(findLeaks(answer, needles, ['ssn', 'secret', 'token']), answer.slice(0, 300)).toEqual([]);
    }
  });

  it('the CRM notes and calendar events written to Zoho carry no SSN', () => {
    const leads = JSON.stringify(day.crmDown.leadsAfter);
    expect(findLeaks(leads, needles, ['ssn'])).toEqual([]);
    expect(findLeaks(JSON.stringify(day.booking.events), needles, ['ssn', 'secret', 'token'])).toEqual([]);
  });
});
