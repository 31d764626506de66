/**
 * The weekly digest on PostgreSQL with two instances (two in-process Switchboards, each with its own worker,
 * sharing one database and one test clock): it arrives at the SMTP emulator on Monday 08:00 office time and not
 * before, once per recipient and week although both workers drain at the same moment, to every user with access
 * to the office except the one who opted out (audited), with the week's headline figures and its folded alerts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headlineRows } from '../../src/analytics/figures.js';
import { DIGEST_EMAIL_KIND, DIGEST_KIND } from '../../src/analytics/digest.js';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, signIn } from '../dashboard/support.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';

/** The two shipped offices this story is about (New York and Phoenix), without the other demo offices. */
const twoOffices = () => aConfigDir(Object.fromEntries([CLIENT_A, CLIENT_B].map((slug) => [slug, readFileSync(`config/clients/${slug}.json`, 'utf8')])));

describe('weekly analytics digest (postgres, two instances)', () => {
  const clock = new ManualClock('2026-03-04T12:00:00Z'); // a Wednesday
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;
  let adminEmail: string;
  let staffAEmail: string;
  let staffBEmail: string;
  let optedOutEmail: string;

  const mailsTo = (address: string) => [first, second].flatMap((app) => app.context.sandbox!.smtp.messagesTo(address));
  const drainBoth = () => Promise.all([first.worker.drain(), second.worker.drain()]);

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const other = await openDatabase({ url: database.url!, poolSize: 4 });
    const env = { ANALYTICS_DIGEST: '1', CONFIG_DIR: twoOffices() };
    first = await startTestApp('postgres', { clock, database, env });
    second = await startTestApp('postgres', { clock, database: Object.assign(other, { dispose: () => other.close() }), env });
    adminEmail = await aUser(first, 'admin');
    staffAEmail = await aUser(first, 'staff', [CLIENT_A]);
    staffBEmail = await aUser(first, 'staff', [CLIENT_B]);
    optedOutEmail = await aUser(first, 'staff', [CLIENT_A]);
    const optedOut = await signIn(second, optedOutEmail);
    expect((await optedOut.request('PUT', '/v1/api/me/digest', { enabled: false })).status).toBe(200);

    const db = first.context.db;
    // The week being reported on (Monday 2 to Sunday 8 March, New York): three calls, one booked; one before it.
    for (const [id, at, outcome] of [
      ['call_digest_1', '2026-03-02T15:00:00Z', 'booked'],
      ['call_digest_2', '2026-03-05T15:00:00Z', 'info_only'],
      ['call_digest_3', '2026-03-08T23:00:00Z', 'abandoned'],
      ['call_digest_old', '2026-02-25T15:00:00Z', 'info_only'],
    ] as const) {
      await db
        .insertInto('calls')
        .values({
          id,
          client_id: CLIENT_A,
          status: 'analyzed',
          started_at: new Date(at),
          outcome,
          duration_ms: 60_000,
          created_at: new Date(at),
          updated_at: new Date(at),
        })
        .execute();
    }
    await db
      .insertInto('appointments')
      .values({
        booking_id: 'bk_digest_1',
        client_id: CLIENT_A,
        call_id: 'call_digest_1',
        appointment_type: 'individual-return',
        start_at: new Date('2026-03-03T15:00:00Z'),
        end_at: new Date('2026-03-03T16:00:00Z'),
        block_end_at: new Date('2026-03-03T16:00:00Z'),
        status: 'booked',
        created_at: clock.now(),
        updated_at: clock.now(),
        booked_at: clock.now(),
        attendance: 'attended',
      })
      .execute();
    await db
      .insertInto('errors')
      .values([
        {
          client_id: CLIENT_A,
          source: 'sms',
          fingerprint: 'sms:gave_up:a',
          message: 'Texts to ***4567 failed after 3 attempts',
          count: 4,
          first_seen_at: new Date('2026-03-03T10:00:00Z'),
          last_seen_at: new Date('2026-03-03T11:00:00Z'),
        },
        {
          client_id: CLIENT_A,
          source: 'crm.sync',
          fingerprint: 'crm:a',
          message: 'Zoho CRM refused a lead',
          count: 1,
          first_seen_at: new Date('2026-03-04T10:00:00Z'),
          last_seen_at: new Date('2026-03-04T10:00:00Z'),
          resolved_at: new Date('2026-03-04T12:00:00Z'),
        },
        {
          client_id: CLIENT_B,
          source: 'sms',
          fingerprint: 'sms:gave_up:b',
          message: 'Office B problem',
          count: 2,
          first_seen_at: new Date('2026-03-03T10:00:00Z'),
          last_seen_at: new Date('2026-03-03T10:00:00Z'),
        },
      ])
      .execute();
  }, 120_000);

  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
    await database?.dispose();
  });

  it('plans one digest per office and week although both instances started', async () => {
    const rows = await first.context.db
      .selectFrom('outbox')
      .select(['client_id', 'run_at', 'dedupe_key'])
      .where('kind', '=', DIGEST_KIND)
      .orderBy('client_id')
      .execute();
    expect(rows.map((row) => [row.client_id, row.run_at.toISOString()])).toEqual([
      [CLIENT_B, '2026-03-09T15:00:00.000Z'], // 08:00 in Phoenix (no DST)
      [CLIENT_A, '2026-03-09T12:00:00.000Z'], // 08:00 in New York, daylight time since the 8th
    ]);
  });

  it('sends nothing before Monday 08:00 office time', async () => {
    clock.set('2026-03-09T11:59:00Z');
    await drainBoth();
    await drainBoth();
    expect(mailsTo(adminEmail)).toEqual([]);
  });

  it("arrives at 08:00 New York time, once per recipient with access to the office, with the week's figures and alerts", async () => {
    clock.set('2026-03-09T12:00:00Z');
    await drainBoth();
    await drainBoth();
    await drainBoth();
    const toAdmin = mailsTo(adminEmail);
    const toStaffA = mailsTo(staffAEmail);
    expect(toAdmin).toHaveLength(1);
    expect(toStaffA).toHaveLength(1);
    expect(mailsTo(staffBEmail)).toEqual([]); // B's digest is due at 08:00 Phoenix time
    expect(mailsTo(optedOutEmail)).toEqual([]);

    const text = toAdmin[0]!.text ?? '';
    expect(toAdmin[0]!.subject).toContain('2026-03-02 to 2026-03-08');
    const [expected] = await headlineRows({ db: first.context.db, clients: first.context.clients, clock }, [CLIENT_A], {
      from: '2026-03-02',
      to: '2026-03-08',
    });
    expect(expected!.figures.calls).toBe(3);
    expect(text).toContain('Calls: 3 (+2 vs the week before)');
    expect(text).toContain('Booked: 1 (+1 vs the week before)');
    expect(text).toContain('Show rate: 100.0%');
    expect(text).toContain('Alerts this week: 2 (repeats folded), 1 still unresolved.');
    expect(text).toContain('- [unresolved] sms: Texts to ***4567 failed after 3 attempts (×4)');
    expect(text).toContain('- [resolved] crm.sync: Zoho CRM refused a lead');
    expect(text).not.toContain('Office B problem');
  });

  it("Phoenix's digest follows at its own 08:00, and each office's next week is planned once", async () => {
    clock.set('2026-03-09T15:00:00Z');
    await drainBoth();
    await drainBoth();
    await drainBoth();
    expect(mailsTo(staffBEmail)).toHaveLength(1);
    expect(mailsTo(adminEmail)).toHaveLength(2);
    expect(mailsTo(staffAEmail)).toHaveLength(1);
    const emails = await first.context.db.selectFrom('outbox').select('status').where('kind', '=', DIGEST_EMAIL_KIND).execute();
    expect(emails.every((row) => row.status === 'done')).toBe(true);
    const next = await first.context.db
      .selectFrom('outbox')
      .select(['client_id', 'run_at'])
      .where('kind', '=', DIGEST_KIND)
      .where('status', '=', 'scheduled')
      .orderBy('client_id')
      .execute();
    expect(next.map((row) => [row.client_id, row.run_at.toISOString()])).toEqual([
      [CLIENT_B, '2026-03-16T15:00:00.000Z'],
      [CLIENT_A, '2026-03-16T12:00:00.000Z'],
    ]);
  });

  it('the opt-out is audited and can be undone', async () => {
    const audit = await first.context.db.selectFrom('audit').selectAll().where('action', '=', 'user.digest').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: optedOutEmail, before: { digest: true }, after: { digest: false } });
    const api = await signIn(first, optedOutEmail);
    expect((await api.request('GET', '/v1/api/me/digest')).body).toEqual({ enabled: false });
    expect((await api.request('PUT', '/v1/api/me/digest', { enabled: 'yes' })).status).toBe(400);
    expect((await api.request('PUT', '/v1/api/me/digest', { enabled: true })).body).toEqual({ enabled: true });
  });
});
