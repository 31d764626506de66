/**
 * Outbox retention (issue 19): each office's daily `outbox_prune` row deletes finished housekeeping rows (sweeps,
 * reconciles, digests) after the housekeeping retention, and finished rows of other kinds no screen reads only when
 * OUTBOX_RETENTION_DAYS is set; texts, e-mails, CRM syncs and rebook offers stay, as do rows that are not finished and
 * rows an audit entry names. Once a day per office with two instances on one database. Test clock, both databases.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { json } from '../../src/db/json.js';
import type { OutboxStatus } from '../../src/db/schema.js';
import { OUTBOX_PRUNE_KIND, outboxPruneHandler } from '../../src/outbox/prune.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';

const OFFICE = 'smart-tax-nation';
const OTHER_OFFICE = 'desert-bookkeeping';
const START = '2026-03-02T15:00:00Z';
const DAY = 86_400_000;

describe.each(BACKENDS)('outbox retention, on %s', (kind) => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.dispose();
    await database.dispose();
  });

  async function start(env: Record<string, string> = {}, clock = new ManualClock(START)): Promise<TestApp> {
    const app = await startTestApp(kind, { database, clock, env });
    apps.push(app);
    return app;
  }

  /** A row as the worker leaves it, `daysAgo` days before the clock, with one attempt in its history. */
  async function aRow(
    rowKind: string,
    options: { status?: OutboxStatus; daysAgo: number; payload?: Record<string, unknown>; client?: string; now: Date },
  ): Promise<number> {
    const at = new Date(options.now.getTime() - options.daysAgo * DAY);
    const status = options.status ?? 'done';
    const finished = ['done', 'cancelled', 'dead', 'unknown'].includes(status);
    const row = await database.db
      .insertInto('outbox')
      .values({
        client_id: options.client ?? OFFICE,
        kind: rowKind,
        payload: json(options.payload ?? {}),
        status,
        run_at: at,
        attempts: 1,
        max_attempts: 3,
        retry_interval_ms: 60_000,
        dedupe_key: `${rowKind}:test:${randomUUID()}`,
        created_at: at,
        updated_at: at,
        finished_at: finished ? at : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('outbox_attempts')
      .values({ outbox_id: row.id, attempt: 1, outcome: status === 'done' ? 'ok' : 'error', started_at: at, finished_at: at })
      .execute();
    return row.id;
  }

  const remaining = async (ids: number[]) =>
    (await database.db.selectFrom('outbox').select('id').where('id', 'in', ids).orderBy('id').execute()).map((row) => row.id);
  const prunes = () =>
    database.db
      .selectFrom('outbox')
      .select(['client_id', 'run_at', 'status', 'attempts', 'result'])
      .where('kind', '=', OUTBOX_PRUNE_KIND)
      .orderBy('client_id')
      .orderBy('run_at')
      .execute();

  it('deletes finished housekeeping rows past 30 days with their attempts, and keeps everything else', async () => {
    database = await openTestDatabase(kind);
    const app = await start();
    const now = app.clock.now();
    // Each office's first prune is planned at the next UTC midnight.
    const planned = await prunes();
    expect(planned.filter((row) => row.client_id === OFFICE).map((row) => [row.run_at.toISOString(), row.status])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'scheduled'],
    ]);
    expect(new Set(planned.map((row) => row.client_id))).toEqual(new Set(app.context.clients.slugs()));

    const gone = [
      await aRow('missed_appointment_sweep', { daysAgo: 31, now }),
      await aRow('booking_reconcile', { daysAgo: 45, now }),
      await aRow('analytics_digest', { status: 'cancelled', daysAgo: 40, now }),
      await aRow('analytics_digest_email', { daysAgo: 40, now }),
      await aRow('alert_slack', { daysAgo: 40, now, payload: { digest: { from: 'a', to: 'b' } } }),
      await aRow('alert_email', { daysAgo: 40, now, payload: { digest: { from: 'a', to: 'b' } } }),
      await aRow(OUTBOX_PRUNE_KIND, { daysAgo: 35, now }),
      await aRow('missed_appointment_sweep', { daysAgo: 31, now, client: OTHER_OFFICE }),
    ];
    const kept = [
      // Younger than 30 days (30 days before the prune's midnight run is 1 February 00:00).
      await aRow('missed_appointment_sweep', { daysAgo: 20, now }),
      // Not finished: waiting for the worker or a person.
      await aRow('missed_appointment_sweep', { status: 'dead', daysAgo: 60, now }),
      await aRow('booking_reconcile', { status: 'unknown', daysAgo: 60, now }),
      await aRow('booking_reconcile', { status: 'failed', daysAgo: 60, now }),
      await aRow('missed_appointment_sweep', { status: 'scheduled', daysAgo: 60, now }),
      // Not housekeeping, and OUTBOX_RETENTION_DAYS is unset.
      await aRow('alert_slack', { daysAgo: 400, now, payload: { errorId: 1 } }),
      await aRow('retell_event', { daysAgo: 400, now }),
      await aRow('sms', { daysAgo: 400, now }),
      await aRow('crm_sync', { daysAgo: 400, now }),
    ];
    // A dead sweep retried from Dead letters and done since: the Activity entry still opens it.
    const audited = await aRow('missed_appointment_sweep', { daysAgo: 50, now });
    await database.db
      .insertInto('audit')
      .values({ at: now, actor: 'admin@example.com', client_id: OFFICE, action: 'outbox.retry', target: `outbox:${audited}` })
      .execute();

    app.clock.set('2026-03-03T00:00:00Z');
    await app.worker.drain({ kinds: [OUTBOX_PRUNE_KIND] });

    expect(await remaining(gone)).toEqual([]);
    expect(await database.db.selectFrom('outbox_attempts').select('id').where('outbox_id', 'in', gone).execute()).toEqual([]);
    expect(await remaining([...kept, audited])).toEqual([...kept, audited]);
    const after = (await prunes()).filter((row) => row.client_id === OFFICE);
    expect(after.map((row) => [row.run_at.toISOString(), row.status, row.result])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'done', { housekeeping: 7, other: 0, more: false }],
      ['2026-03-04T00:00:00.000Z', 'scheduled', null],
    ]);
  });

  it('with OUTBOX_RETENTION_DAYS set, also deletes finished rows of kinds no screen reads, never texts, e-mails, CRM syncs or rebook offers', async () => {
    database = await openTestDatabase(kind);
    const app = await start({ OUTBOX_RETENTION_DAYS: '60', OUTBOX_HOUSEKEEPING_RETENTION_DAYS: '7' });
    const now = app.clock.now();
    const gone = [
      await aRow('missed_appointment_sweep', { daysAgo: 8, now }),
      await aRow('retell_event', { daysAgo: 90, now }),
      await aRow('booking_calendar_sync', { status: 'cancelled', daysAgo: 90, now }),
      await aRow('alert_email', { daysAgo: 90, now, payload: { errorId: 7 } }),
    ];
    const kept = [
      await aRow('missed_appointment_sweep', { daysAgo: 5, now }),
      await aRow('retell_event', { daysAgo: 30, now }),
      await aRow('retell_event', { status: 'dead', daysAgo: 90, now }),
      await aRow('sms', { daysAgo: 900, now }),
      await aRow('email', { status: 'cancelled', daysAgo: 900, now }),
      await aRow('crm_sync', { daysAgo: 900, now }),
      await aRow('rebook_offer', { daysAgo: 900, now }),
    ];
    app.clock.set('2026-03-03T00:00:00Z');
    await app.worker.drain({ kinds: [OUTBOX_PRUNE_KIND] });
    expect(await remaining(gone)).toEqual([]);
    expect(await remaining(kept)).toEqual(kept);
  });

  it('a backlog larger than one run continues a minute later until it is gone, then the daily row is planned', async () => {
    database = await openTestDatabase(kind);
    const app = await start();
    // Small limits stand in for 1,000 a statement and 50,000 a run.
    app.context.handlers.set(OUTBOX_PRUNE_KIND, outboxPruneHandler(app.context, app.context.env.outboxRetention, { batch: 4, maxRows: 10 }));
    const now = app.clock.now();
    const old = [];
    for (let index = 0; index < 25; index += 1) old.push(await aRow('missed_appointment_sweep', { daysAgo: 40, now }));
    for (const at of ['2026-03-03T00:00:00Z', '2026-03-03T00:01:00Z', '2026-03-03T00:02:00Z']) {
      app.clock.set(at);
      await app.worker.drain({ kinds: [OUTBOX_PRUNE_KIND] });
    }
    expect(await remaining(old)).toEqual([]);
    const runs = (await prunes()).filter((row) => row.client_id === OFFICE);
    expect(runs.map((row) => [row.run_at.toISOString(), row.status, row.result])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'done', { housekeeping: 10, other: 0, more: true }],
      ['2026-03-03T00:01:00.000Z', 'done', { housekeeping: 10, other: 0, more: true }],
      ['2026-03-03T00:02:00.000Z', 'done', { housekeeping: 5, other: 0, more: false }],
      ['2026-03-04T00:00:00.000Z', 'scheduled', null],
    ]);
  });

  it('two instances on one database prune each office once a day', async () => {
    database = await openTestDatabase(kind);
    const clock = new ManualClock(START);
    const instances = [await start({}, clock), await start({}, clock)];
    const now = clock.now();
    const old = [];
    for (let index = 0; index < 30; index += 1) old.push(await aRow('booking_reconcile', { daysAgo: 31 + index / 100, now }));

    // Both planned the same moment; the dedupe key keeps one row per office.
    expect((await prunes()).filter((row) => row.client_id === OFFICE)).toHaveLength(1);
    clock.set('2026-03-03T00:00:00Z');
    await Promise.all(instances.map((instance) => instance.worker.drain({ kinds: [OUTBOX_PRUNE_KIND] })));
    expect(await remaining(old)).toEqual([]);
    const runs = (await prunes()).filter((row) => row.client_id === OFFICE);
    expect(runs.map((row) => [row.run_at.toISOString(), row.status, row.attempts])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'done', 1],
      ['2026-03-04T00:00:00.000Z', 'scheduled', 0],
    ]);
    expect(runs[0]!.result).toEqual({ housekeeping: 30, other: 0, more: false });

    // A day later, still one more run per office.
    clock.set('2026-03-04T00:00:00Z');
    await Promise.all(instances.map((instance) => instance.worker.drain({ kinds: [OUTBOX_PRUNE_KIND] })));
    const later = (await prunes()).filter((row) => row.client_id === OFFICE);
    expect(later.map((row) => [row.run_at.toISOString(), row.status])).toEqual([
      ['2026-03-03T00:00:00.000Z', 'done'],
      ['2026-03-04T00:00:00.000Z', 'done'],
      ['2026-03-05T00:00:00.000Z', 'scheduled'],
    ]);
    // The other offices' runs: one per day each, on either instance.
    const perOffice = new Map<string, number>();
    for (const row of await prunes()) if (row.status === 'done') perOffice.set(row.client_id, (perOffice.get(row.client_id) ?? 0) + 1);
    expect([...perOffice.values()].every((count) => count === 2)).toBe(true);
  });
});
