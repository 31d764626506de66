/**
 * The "this day changed" marks the analytics rollups are refreshed from (`analytics_dirty`, written by triggers;
 * migration 0031). Every change adds its own mark, so a refresh that runs while a change is still open leaves that
 * change's mark for the next refresh (before, a change that found the day's mark standing added none, and a refresh
 * that took that mark before the change committed left the day's figures without it for good), and inserting a mark
 * never waits for another transaction (before, two transactions marking two days in opposite orders deadlocked on
 * PostgreSQL). The interleavings need two connections, so they run on PostgreSQL; the refresh itself on both.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshRollups } from '../../src/analytics/rollup.js';
import { json } from '../../src/db/json.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A } from '../dashboard/support.js';

describe.each(BACKENDS)('analytics day marks (%s)', (backend) => {
  let app: TestApp;
  let calls = 0;

  beforeAll(async () => {
    app = await startTestApp(backend);
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  /** A call row on `day` (noon in New York, so its office-local day is that day too), written as the worker would. */
  const callRow = (day: string) => {
    calls += 1;
    const at = new Date(`${day}T17:00:00Z`);
    return {
      id: `call_mark_${backend}_${calls}`,
      client_id: CLIENT_A,
      status: 'ended' as const,
      stage: 3,
      events: json({}),
      created_at: at,
      updated_at: at,
      started_at: at,
    };
  };
  const insertCall = (day: string) => app.context.db.insertInto('calls').values(callRow(day)).execute();
  const callsOn = async (day: string) => {
    const row = await app.context.db
      .selectFrom('analytics_daily')
      .select('value')
      .where('client_id', '=', CLIENT_A)
      .where('day', '=', day as never)
      .where('metric', '=', 'calls.total')
      .executeTakeFirst();
    return row?.value ?? 0;
  };
  const marks = async () => (await app.context.db.selectFrom('analytics_dirty').select('day_utc').where('client_id', '=', CLIENT_A).execute()).length;

  it('a day changed twice is marked twice and recomputed once; no mark is left', async () => {
    await refreshRollups(app.context.db, app.context.clients);
    await insertCall('2026-02-10');
    await insertCall('2026-02-10');
    expect(await marks()).toBe(2);
    await refreshRollups(app.context.db, app.context.clients);
    expect(await marks()).toBe(0);
    expect(await callsOn('2026-02-10')).toBe(2);
  });

  // Two connections interleaved: PGlite has one, so these are defined for PostgreSQL only (nothing skipped).
  if (backend !== 'postgres') return;

  it('a change still open while a refresh runs is counted by the next refresh', async () => {
    const day = '2026-02-11';
    await insertCall(day);
    await refreshRollups(app.context.db, app.context.clients);
    expect(await callsOn(day)).toBe(1);
    // The day's mark stands (committed) when the open change writes its call.
    await insertCall(day);
    const open = new pg.Client({ connectionString: app.database.url });
    await open.connect();
    try {
      await open.query('begin');
      const late = callRow(day);
      await open.query(
        `insert into calls (id, client_id, status, stage, events, created_at, updated_at, started_at) values ($1, $2, 'ended', 3, '{}', $3, $3, $3)`,
        [late.id, late.client_id, late.started_at],
      );
      // The refresh takes the standing mark and recomputes the day without the open change.
      await refreshRollups(app.context.db, app.context.clients);
      expect(await callsOn(day)).toBe(2);
      await open.query('commit');
    } finally {
      await open.end();
    }
    await refreshRollups(app.context.db, app.context.clients);
    expect(await callsOn(day)).toBe(3);
  });

  it.runIf(backend === 'postgres')(
    'two transactions marking two days in opposite orders both commit (no deadlock)',
    async () => {
      const [first, second] = [new pg.Client({ connectionString: app.database.url }), new pg.Client({ connectionString: app.database.url })];
      await Promise.all([first.connect(), second.connect()]);
      const insert = (client: pg.Client, day: string) => {
        const row = callRow(day);
        return client.query(
          `insert into calls (id, client_id, status, stage, events, created_at, updated_at, started_at) values ($1, $2, 'ended', 3, '{}', $3, $3, $3)`,
          [row.id, row.client_id, row.started_at],
        );
      };
      try {
        // Both days' marks were taken by a refresh, so each transaction inserts a fresh mark.
        await refreshRollups(app.context.db, app.context.clients);
        await Promise.all([first.query('begin'), second.query('begin')]);
        await insert(first, '2026-02-12');
        await insert(second, '2026-02-13');
        const crossed = await Promise.allSettled([insert(first, '2026-02-13'), insert(second, '2026-02-12')]);
        expect(crossed.map((result) => (result.status === 'rejected' ? String(result.reason) : 'inserted'))).toEqual(['inserted', 'inserted']);
        await Promise.all([first.query('commit'), second.query('commit')]);
      } finally {
        await Promise.all([first.end(), second.end()]);
      }
      await refreshRollups(app.context.db, app.context.clients);
      expect([await callsOn('2026-02-12'), await callsOn('2026-02-13')]).toEqual([2, 2]);
    },
    30_000,
  );
});
