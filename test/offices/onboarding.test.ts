/**
 * Onboarding a second real office, OATH (a law office in Austin: another trade and zone than the shipped ones),
 * on a running demo server through the wizard's HTTP API only — no file edits, no restart — then a whole call
 * for it with `switchboard simulate-call --client oath` that books, confirms by text and e-mail, and makes the
 * CRM lead. And the same steps through `switchboard client add --answers`, on both databases.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { startE2eServer, type E2eServer } from '../golive/e2e-support.js';
import { twilioMessages } from '../golive/e2e-scenarios.js';
import { createPostgresDatabase } from '../support/databases.js';
import { runSwitchboard } from '../support/process.js';

const CALLER = '+15125550123';
const CALLER_EMAIL = 'jordan.rivera@example.com';

const switchboard = (args: string[], env: Record<string, string> = {}) => runSwitchboard(args, env, 120_000);

/** What a person types or picks: every leaf value in the bodies they send. */
function inputsIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + inputsIn(item), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + inputsIn(item), 0);
  return value === undefined ? 0 : 1;
}

/** The next weekday at 10:00 in Austin, so texts are inside legal hours whenever the suite runs. */
function nextWeekdayMorning(): string {
  let day = DateTime.now().setZone('America/Chicago').plus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.toUTC().toISO()!;
}

const BASICS = {
  name: 'OATH Legal',
  slug: 'oath',
  address: '500 Congress Ave, Suite 1200, Austin, TX 78701',
  officePhone: '+15125550140',
  officeEmail: 'hello@oath-legal.example',
  hoursPreset: 'mon-fri-9-5',
};

describe('onboarding OATH on a running demo server through the wizard API', () => {
  let server: E2eServer;
  beforeAll(async () => {
    server = await startE2eServer('pglite', nextWeekdayMorning(), 'warn');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('takes a new office from nothing to a booked, confirmed call in at most 40 typed inputs', async () => {
    const sent: unknown[] = [{ email: 'admin', password: 'shown once' }];
    const step = async (method: string, path: string, body?: unknown) => {
      if (body !== undefined) sent.push(body);
      const answer = await server.dashboard(method, path, body);
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBeLessThan(300);
      return answer.body;
    };

    const started = await step('POST', '/v1/api/onboarding', { basics: BASICS });
    const id = started.id as string;
    expect(started.results.basics).toMatchObject({ ok: true, timezone: 'America/Chicago' });
    expect(started.results.basics.timezoneProposal.reason).toMatch(/Texas|TX/);

    expect((await step('PUT', `/v1/api/onboarding/${id}/steps/pack`, { pack: 'legal' })).result).toMatchObject({ ok: true, version: 1 });
    const calendars = (await step('GET', `/v1/api/onboarding/${id}/calendars`)).calendars as Array<{ id: string }>;
    expect(calendars.length).toBeGreaterThan(0);
    const calendar = (await step('PUT', `/v1/api/onboarding/${id}/steps/calendar`, { calendarId: calendars[0]!.id })).result;
    expect(calendar.freeBusy).toMatchObject({ ok: true });

    const numbers = (await server.dashboard('PUT', `/v1/api/onboarding/${id}/steps/texting`, {})).body.result.numbers as Array<{ phoneNumber: string }>;
    const spare = numbers.find((number) => number.phoneNumber === '+15005550006');
    expect(spare).toBeDefined();
    const texting = (await step('PUT', `/v1/api/onboarding/${id}/steps/texting`, { phoneNumber: spare!.phoneNumber, testTo: '+15125550199' })).result;
    expect(texting).toMatchObject({ ok: true, testText: { ok: true } });
    expect(texting.a2p).toContain('A2P 10DLC');
    expect((await step('PUT', `/v1/api/onboarding/${id}/steps/email`, { testTo: 'installer@oath-legal.example' })).result).toMatchObject({
      ok: true,
      testEmail: { ok: true },
    });
    expect((await step('PUT', `/v1/api/onboarding/${id}/steps/alerts`, {})).result.ok).toBe(true);
    const retell = (await step('PUT', `/v1/api/onboarding/${id}/steps/retell`, {})).result;
    expect(retell).toMatchObject({ ok: true, agentId: 'agent_oath_demo' });
    expect(retell.tools.created).toContain('book_appointment');

    // Re-running a step is safe: no new version, no second set of tools.
    const again = (await step('PUT', `/v1/api/onboarding/${id}/steps/retell`, {})).result;
    expect(again.tools.created).toEqual([]);

    const report = await step('POST', `/v1/api/onboarding/${id}/golive`);
    expect(report.items.filter((item: { ok: boolean }) => !item.ok).map((item: { item: string }) => item.item)).toEqual(['A2P 10DLC campaign']);
    expect(report.ready).toBe(true);

    const typed = inputsIn(sent);
    expect(typed).toBeLessThanOrEqual(40);

    // The installer's test text and e-mail arrived.
    expect((await twilioMessages(server, '+15125550199')).map((message) => message.body)).toEqual([expect.stringContaining('OATH Legal')]);

    // A whole call for the new office, from the command line against the running server.
    const call = switchboard(['simulate-call', '--client', 'oath', '--from', CALLER, '--email', CALLER_EMAIL, '--url', server.url]);
    expect(call.out).not.toContain('Problems:');
    expect(call.out).toMatch(/200\s+function book_appointment/);
    await server.settle();
    for (let second = 0; second < 5; second += 1) {
      await server.clock.advance(1_000);
      await server.settle();
    }
    const texts = await twilioMessages(server, CALLER);
    expect(texts.map((text) => text.from)).toContain('+15005550006');
    expect(texts.some((text) => /OATH Legal/.test(text.body) && /consult/i.test(text.body))).toBe(true);
    const emails = (await server.emulator('smtpInbox', '/__sandbox/smtp/messages')).messages.filter((m: { to: string[] }) => m.to.includes(CALLER_EMAIL));
    expect(emails.length).toBeGreaterThanOrEqual(1);
    const leads = (await server.dashboard('GET', '/v1/sandbox/zoho/leads')).body.leads as Array<{ Phone?: string; Company?: string }>;
    expect(leads.some((lead) => lead.Phone === CALLER)).toBe(true);
    const appointments = await server.dashboard('GET', `/v1/api/calls?client=oath`);
    expect(appointments.body.calls[0]).toMatchObject({ outcome: 'booked' });
    mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true });
    writeFileSync(join(process.cwd(), 'test-artifacts', 'onboarding-inputs.txt'), `${typed}\n`);
  }, 180_000);
});

describe.each(['pglite', 'postgres'] as const)('switchboard client add --answers (%s)', (kind) => {
  it('onboards an office from a file of answers, and a second run changes nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-add-'));
    const postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(postgres ? { DATABASE_URL: postgres.url } : {}) };
    try {
      const file = join(dataDir, 'answers.json');
      writeFileSync(
        file,
        JSON.stringify({
          basics: { ...BASICS, slug: 'oath-cli' },
          pack: { pack: 'legal' },
          calendar: { calendarId: 'oath-cli-appointments' },
          texting: { phoneNumber: '+15005550006', testTo: '+15125550199' },
          email: { testTo: 'installer@oath-legal.example' },
          retell: {},
        }),
      );
      const first = switchboard(['client', 'add', '--answers', file], env);
      expect(first.out).toMatch(/ok\s+basics/);
      expect(first.out).toMatch(/ok\s+retell/);
      expect(first.out).toContain('oath-cli is ready.');
      expect(first.out).toMatch(/note\s+A2P 10DLC campaign/);
      expect(first.code).toBe(0);
      const second = switchboard(['client', 'add', '--answers', file], env);
      expect(second.code).toBe(0);

      // The embedded database allows one process at a time: read, close, run again, read again.
      const versionsOf = async () => {
        const database = await openDatabase(postgres ? { url: postgres.url } : { dataDir });
        try {
          const versions = await database.db
            .selectFrom('client_versions')
            .select(['version', 'source'])
            .where('client_id', '=', 'oath-cli')
            .orderBy('version')
            .execute();
          const onboardings = await database.db.selectFrom('onboardings').select('id').where('client_id', '=', 'oath-cli').execute();
          return { versions, onboardings: onboardings.length };
        } finally {
          await database.close();
        }
      };
      const before = await versionsOf();
      expect(before.versions.every((version) => version.source === 'wizard')).toBe(true);
      expect(before.versions.length).toBeGreaterThanOrEqual(2);
      expect(before.onboardings).toBe(1);
      const third = switchboard(['client', 'add', '--answers', file], env);
      expect(third.code).toBe(0);
      const after = await versionsOf();
      expect(after.versions).toHaveLength(before.versions.length);
      expect(after.onboardings).toBe(1);
      const exported = switchboard(['client', 'export', 'oath-cli'], env);
      expect(JSON.parse(exported.out)).toMatchObject({ slug: 'oath-cli', timezone: 'America/Chicago', retell: { agentIds: ['agent_oath_cli_demo'] } });
      expect(exported.out).not.toMatch(/key_|auth_token|password/i);
    } finally {
      await postgres?.drop();
    }
  }, 240_000);
});
