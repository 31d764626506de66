/**
 * Session 10: stored call events applied in two batches at once (two worker lanes, or two instances) must not
 * deadlock on PostgreSQL. The cycle found by the memory bench: every write of a call row marks the call's day in
 * `analytics_dirty` (a trigger), and the transaction that inserts that mark holds it until it commits; a batch that
 * had marked the day and then wanted a call row another batch had already locked, while that batch waited for the
 * mark, deadlocked. Here the interleaving is forced: a staff edit holds the first batch's returning caller (so that
 * batch stops after its first call), the second batch starts with a call the first one also has, then the edit ends.
 * Both backends (PGlite has one connection, so there the batches only run side by side).
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshRollups } from '../../src/analytics/rollup.js';
import type { OutboxRow } from '../../src/db/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { RETELL_EVENT_KIND } from '../../src/webhooks/intake.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { aCall, anEndedCall, signedPost, webhookPath } from './support.js';

const RETURNING_CALLER = '+12125550131';
const NEW_CALLER = '+12125550132';
const THIRD_CALLER = '+12125550133';

describe.each(BACKENDS)('call events applied in concurrent batches (%s)', (kind) => {
  let app: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    app = await startTestApp(kind, { logger: createLogger({ level: 'info', destination }) });
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  const post = async (event: string, call: Record<string, unknown>) => {
    const response = await signedPost(app.url!, webhookPath(), { event, call });
    expect(response.status).toBe(200);
  };

  /** The stored events' outbox rows, as the worker claims them, by "<call id>:<event>". */
  const storedRows = async (): Promise<Map<string, OutboxRow>> => {
    const rows = await app.context.db.selectFrom('outbox').selectAll().where('kind', '=', RETELL_EVENT_KIND).where('status', '=', 'scheduled').execute();
    const events = await app.context.db.selectFrom('webhook_events').select(['id', 'event_type']).execute();
    const eventType = new Map(events.map((event) => [Number(event.id), event.event_type]));
    return new Map(rows.map((row) => [`${row.call_id}:${eventType.get(Number(row.payload.webhookEventId))}`, row]));
  };

  it('applies two batches sharing a call once each, without a deadlock, while a staff edit holds a caller', async () => {
    const call = (suffix: string) => `call_lock_${kind}_${suffix}`;
    const startedAt = Date.parse('2026-03-02T14:58:00Z');
    // The returning caller's first call, applied: their customer row exists.
    await post('call_started', aCall({ call_id: call('0'), from_number: RETURNING_CALLER, start_timestamp: startedAt - 3_600_000 }));
    await app.applyCallEvents();
    // The rollup refresh has just taken the day's analytics mark: the next call write inserts it again.
    await refreshRollups(app.context.db, app.context.clients);

    await post('call_started', aCall({ call_id: call('a'), from_number: RETURNING_CALLER, start_timestamp: startedAt }));
    await post('call_started', aCall({ call_id: call('b'), from_number: NEW_CALLER, start_timestamp: startedAt }));
    await post('call_ended', anEndedCall({ call_id: call('b'), from_number: NEW_CALLER, start_timestamp: startedAt }));
    await post('call_started', aCall({ call_id: call('c'), from_number: THIRD_CALLER, start_timestamp: startedAt }));
    const rows = await storedRows();
    const first = [rows.get(`${call('a')}:call_started`)!, rows.get(`${call('b')}:call_started`)!];
    const second = [rows.get(`${call('b')}:call_ended`)!, rows.get(`${call('c')}:call_started`)!];
    expect([...first, ...second].every(Boolean)).toBe(true);

    const handler = app.context.handlers.get(RETELL_EVENT_KIND)!;
    const runBatch = (batch: OutboxRow[]) => handler.runBatch!(batch, { clock: app.clock, logger: app.context.logger });
    let outcomes: Array<Array<PromiseSettledResult<unknown>>>;
    if (kind === 'postgres') {
      const staff = new pg.Client({ connectionString: app.database.url });
      await staff.connect();
      const waiting = async () => {
        const result = await staff.query<{ waiting: number }>(
          `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return result.rows[0]!.waiting;
      };
      try {
        await staff.query('begin');
        await staff.query('select id from customers where phone = $1 for update', [RETURNING_CALLER]);
        const firstBatch = runBatch(first);
        await expect.poll(waiting, { timeout: 10_000, interval: 10 }).toBe(1);
        const secondBatch = runBatch(second);
        await expect.poll(waiting, { timeout: 10_000, interval: 10 }).toBe(2);
        await staff.query('commit');
        outcomes = await Promise.all([firstBatch, secondBatch]);
      } finally {
        await staff.end();
      }
    } else {
      outcomes = await Promise.all([runBatch(first), runBatch(second)]);
    }

    expect(outcomes).toEqual([first, second].map((batch) => batch.map(() => ({ status: 'fulfilled', value: { result: 'processed' } }))));
    // A batch that failed (the deadlock) would have been applied one event at a time, and said so.
    const records = logLines.map((line) => JSON.parse(line) as { msg: string; err?: { message?: string } });
    expect(records.filter((record) => record.msg.includes('as a batch') || record.err?.message?.includes('deadlock'))).toEqual([]);

    // The worker finds every event applied: each row is done on its first attempt, none failed.
    await app.applyCallEvents();
    const outbox = await app.context.db
      .selectFrom('outbox')
      .select(['status', 'attempts', 'last_error'])
      .where('kind', '=', RETELL_EVENT_KIND)
      .where('call_id', 'like', `call_lock_${kind}_%`)
      .execute();
    expect(outbox).toHaveLength(5);
    expect(outbox.every((row) => row.status === 'done' && row.attempts === 1 && row.last_error === null)).toBe(true);

    const calls = await app.context.db
      .selectFrom('calls')
      .select(['id', 'status', 'customer_id'])
      .where('id', 'in', [call('a'), call('b'), call('c')])
      .orderBy('id')
      .execute();
    expect(calls.map((row) => [row.id, row.status])).toEqual([
      [call('a'), 'in_progress'],
      [call('b'), 'ended'],
      [call('c'), 'in_progress'],
    ]);
    // Each call counted once in its caller's memory.
    const customers = await app.context.db
      .selectFrom('customers')
      .select(['phone', 'call_count'])
      .where('phone', 'in', [RETURNING_CALLER, NEW_CALLER, THIRD_CALLER])
      .orderBy('phone')
      .execute();
    expect(customers).toEqual([
      { phone: RETURNING_CALLER, call_count: 2 },
      { phone: NEW_CALLER, call_count: 1 },
      { phone: THIRD_CALLER, call_count: 1 },
    ]);
  }, 60_000);
});
