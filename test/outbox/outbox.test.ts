import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { PermanentError, VendorError } from '../../src/core/errors.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { OutcomeUnknown, Reschedule, type HandlerContext, type HandlerRegistry, type OutboxHandler } from '../../src/outbox/handlers.js';
import { cancelOutboxRow, listOutbox, outboxHistory, retryOutboxRow } from '../../src/outbox/manage.js';
import { OutboxWorker } from '../../src/outbox/worker.js';
import { silentLogger } from '../../src/log/logger.js';
import { openDatabase } from '../../src/db/database.js';
import { BACKENDS, openTestDatabase, seedClient, type TestDatabase } from '../support/databases.js';

const CLIENT = 'smart-tax-nation';
const MINUTE = 60_000;

function registry(entries: Record<string, OutboxHandler>): HandlerRegistry {
  return new Map(Object.entries(entries));
}

/** Resolves with where the idle loop goes to sleep next (each call waits for the next sleep). */
function sleepWatcher() {
  const waiting: Array<(until: Date) => void> = [];
  return {
    onSleep: (until: Date) => waiting.splice(0).forEach((resolve) => resolve(until)),
    next: () => new Promise<Date>((resolve) => waiting.push(resolve)),
  };
}

/** A handler that records the clock reading it ran at, and a promise per run. */
function recordingHandler(): { handler: OutboxHandler; runs: Array<{ id: number; at: string }>; next: () => Promise<{ id: number; at: string }> } {
  const runs: Array<{ id: number; at: string }> = [];
  const waiting: Array<(run: { id: number; at: string }) => void> = [];
  return {
    runs,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    handler: {
      safeToRepeat: false,
      async run(row, context) {
        const run = { id: row.id, at: context.clock.now().toISOString() };
        runs.push(run);
        waiting.splice(0).forEach((resolve) => resolve(run));
      },
    },
  };
}

describe.each(BACKENDS)('outbox on %s', (kind) => {
  let database: TestDatabase;
  let clock: ManualClock;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    await seedClient(database, CLIENT);
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T15:00:00Z');
    await database.db.deleteFrom('outbox_attempts').execute();
    await database.db.deleteFrom('outbox').execute();
  });

  function worker(handlers: HandlerRegistry, options: Partial<ConstructorParameters<typeof OutboxWorker>[0]> = {}) {
    return new OutboxWorker({ database, clock, logger: silentLogger(), handlers, ...options });
  }

  async function add(kindName: string, dedupeKey: string, payload: Record<string, unknown> = {}, retry = { maxAttempts: 3, intervalMs: MINUTE }) {
    return enqueue(database.db, clock, { clientId: CLIENT, kind: kindName, payload, dedupeKey, retry });
  }

  it('two worker loops in parallel run each of 1,000 due rows exactly once', async () => {
    const rows = Array.from({ length: 1000 }, (_, index) => ({
      client_id: CLIENT,
      kind: 'noop',
      payload: { index },
      dedupe_key: `bulk-${index}`,
      run_at: clock.now(),
      max_attempts: 3,
      retry_interval_ms: MINUTE,
      created_at: clock.now(),
      updated_at: clock.now(),
    }));
    for (let start = 0; start < rows.length; start += 250) {
      await database.db
        .insertInto('outbox')
        .values(rows.slice(start, start + 250).map((row) => ({ ...row, payload: JSON.stringify(row.payload) as never })))
        .execute();
    }
    const runs = new Map<number, number>();
    const ranBy = new Map<string, number>();
    const handlerFor = (name: string): OutboxHandler => ({
      safeToRepeat: false,
      async run(row) {
        runs.set(row.id, (runs.get(row.id) ?? 0) + 1);
        ranBy.set(name, (ranBy.get(name) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    const first = worker(registry({ noop: handlerFor('a') }), { batchSize: 25, concurrency: 5 });
    const second = worker(registry({ noop: handlerFor('b') }), { batchSize: 25, concurrency: 5 });
    const [a, b] = await Promise.all([first.drain(), second.drain()]);

    expect(a + b).toBe(1000);
    expect(runs.size).toBe(1000);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    const statuses = await database.db.selectFrom('outbox').select('status').distinct().execute();
    expect(statuses).toEqual([{ status: 'done' }]);
    const attempts = await database.db
      .selectFrom('outbox_attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(1000);
    if (kind === 'postgres') {
      // On a real server both loops really take part.
      expect(ranBy.get('a') ?? 0).toBeGreaterThan(0);
      expect(ranBy.get('b') ?? 0).toBeGreaterThan(0);
    }
  });

  it('hands a batching kind its rows in batches ordered by call then arrival, and records each row by its own outcome', async () => {
    const batches: Array<Array<{ call: string | null; n: unknown }>> = [];
    const handler: OutboxHandler = {
      safeToRepeat: true,
      batchSize: 3,
      async run() {
        throw new Error('run alone is not used when the batch answers');
      },
      async runBatch(rows) {
        batches.push(rows.map((row) => ({ call: row.call_id, n: row.payload.n })));
        return rows.map((row) =>
          row.payload.n === 3 ? { status: 'rejected', reason: new Error('refused') } : { status: 'fulfilled', value: { n: row.payload.n } },
        );
      },
    };
    // Arrival order interleaves two calls (as live calls' events do).
    const calls = ['call_b', 'call_a', 'call_b', 'call_a', 'call_b'];
    for (const [n, call] of calls.entries())
      await enqueue(database.db, clock, {
        clientId: CLIENT,
        kind: 'batched',
        payload: { n },
        dedupeKey: `batched-${n}`,
        callId: call,
        retry: { maxAttempts: 3, intervalMs: MINUTE },
      });
    await add('single', 'single-1');
    const singles: number[] = [];
    const done = await worker(registry({ batched: handler, single: { safeToRepeat: true, run: async (row) => void singles.push(row.id) } }), {
      concurrency: 1,
    }).drain();
    expect(done).toBe(6);
    expect(singles).toHaveLength(1);
    expect(batches).toEqual([
      // Three rows at most, but call_b's events are not split: its batch starts with its first row.
      [
        { call: 'call_a', n: 1 },
        { call: 'call_a', n: 3 },
      ],
      [
        { call: 'call_b', n: 0 },
        { call: 'call_b', n: 2 },
        { call: 'call_b', n: 4 },
      ],
    ]);
    const rows = await database.db.selectFrom('outbox').select(['status', 'payload', 'result', 'attempts']).where('kind', '=', 'batched').execute();
    const byN = new Map(rows.map((row) => [row.payload.n, row]));
    expect(byN.get(3)).toMatchObject({ status: 'failed', attempts: 1 });
    for (const n of [0, 1, 2, 4]) expect(byN.get(n)).toMatchObject({ status: 'done', result: { n } });
  });

  it('a handler failing twice then succeeding ends done after 3 attempts spaced by the configured interval', async () => {
    let calls = 0;
    const handlers = registry({
      flaky: {
        safeToRepeat: true,
        async run() {
          calls += 1;
          if (calls < 3) throw new Error(`vendor hiccup ${calls}`);
          return { delivered: true };
        },
      },
    });
    const loop = worker(handlers);
    const { id } = await add('flaky', 'flaky-1');

    expect(await loop.drain()).toBe(1);
    let row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toBe('vendor hiccup 1');
    expect(row.run_at.toISOString()).toBe('2026-03-02T15:01:00.000Z');

    clock.advance(MINUTE - 1);
    expect(await loop.drain()).toBe(0);
    clock.advance(1);
    expect(await loop.drain()).toBe(1);
    clock.advance(MINUTE);
    expect(await loop.drain()).toBe(1);

    row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(row.attempts).toBe(3);
    expect(row.result).toEqual({ delivered: true });
    const history = await outboxHistory(database.db, id);
    expect(history.map((entry) => [entry.attempt, entry.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'ok'],
    ]);
    const starts = history.map((entry) => entry.started_at.getTime());
    expect(starts[1]! - starts[0]!).toBe(MINUTE);
    expect(starts[2]! - starts[1]!).toBe(MINUTE);
  });

  it('a row whose attempts run out lands dead with the last error', async () => {
    const loop = worker(registry({ down: { safeToRepeat: true, run: async () => Promise.reject(new Error('503 from vendor')) } }));
    const { id } = await add('down', 'down-1');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await loop.drain();
      clock.advance(MINUTE);
    }
    const row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe(
      '503 from vendor. Gave up after 3 attempts. It will not be retried automatically; retry it from the dashboard once the cause is fixed.',
    );
    expect(await loop.drain()).toBe(0);
  });

  it('a dead row whose vendor error promised a retry says it will not be retried', async () => {
    const busy = new VendorError({ vendor: 'twilio', code: '503', retryable: true, message: 'Twilio is busy or failing (HTTP 503); will retry.' });
    const loop = worker(registry({ sms: { safeToRepeat: true, run: async () => Promise.reject(busy) } }));
    const { id } = await add('sms', 'sms-busy');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await loop.drain();
      clock.advance(MINUTE);
    }
    const row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(row.last_error).not.toMatch(/will retry/i);
    expect(row.last_error).toBe(
      'Twilio is busy or failing (HTTP 503). Gave up after 3 attempts. It will not be retried automatically; retry it from the dashboard once the cause is fixed.',
    );
    const history = await outboxHistory(database.db, id);
    // Attempts that were followed by another one keep the vendor's words; the last one reads like the row.
    expect(history.map((entry) => entry.error)).toEqual([busy.message, busy.message, row.last_error]);
  });

  it('a permanent error sends the row dead at once', async () => {
    const loop = worker(
      registry({ sms: { safeToRepeat: false, run: async () => Promise.reject(new PermanentError('21610: recipient unsubscribed', '21610')) } }),
    );
    const { id } = await add('sms', 'sms-1');
    await loop.drain();
    const row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('21610');
  });

  it('edit-and-retry runs the edited payload and keeps the old one in history', async () => {
    const seen: unknown[] = [];
    const loop = worker(
      registry({
        sms: {
          safeToRepeat: false,
          async run(row) {
            seen.push(row.payload);
            if (row.payload.body === 'bad') throw new PermanentError('content rejected');
          },
        },
      }),
    );
    const { id } = await add('sms', 'sms-edit', { body: 'bad' });
    await loop.drain();
    const edited = await retryOutboxRow(database.db, clock, id, { payload: { body: 'good' }, actor: 'staff@example.com' });
    expect(edited.ok).toBe(true);
    await loop.drain();

    const row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(row.payload).toEqual({ body: 'good' });
    expect(seen).toEqual([{ body: 'bad' }, { body: 'good' }]);
    const history = await outboxHistory(database.db, id);
    expect(history.map((entry) => entry.outcome)).toEqual(['permanent_error', 'edited', 'ok']);
    expect(history[1]!.payload).toEqual({ body: 'bad' });
    expect(history[1]!.actor).toBe('staff@example.com');
    expect(history[1]!.error).toBe('content rejected');
  });

  it('retry refuses a row that is still scheduled', async () => {
    const { id } = await add('sms', 'sms-scheduled');
    const result = await retryOutboxRow(database.db, clock, id);
    expect(result).toMatchObject({ ok: false, reason: 'wrong_status', status: 'scheduled' });
  });

  it('a killed run leaves unknown for unsafe kinds and runs safe kinds again', async () => {
    let release: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    const dying = worker(
      registry({
        sms: { safeToRepeat: false, run: () => hanging },
        crm_sync: { safeToRepeat: true, run: () => hanging },
      }),
      { leaseMs: 5 * MINUTE },
    );
    const sms = await add('sms', 'sms-killed');
    const crm = await add('crm_sync', 'crm-killed');
    const inFlight = dying.runOnce();
    // Wait until both rows are claimed (running) before the "crash".
    for (;;) {
      const running = await listOutbox(database.db, { statuses: ['running'] });
      if (running.length === 2) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    clock.advance(5 * MINUTE + 1);
    const crmRuns: number[] = [];
    const survivor = worker(
      registry({
        sms: { safeToRepeat: false, run: async () => undefined },
        crm_sync: { safeToRepeat: true, run: async (row) => void crmRuns.push(row.id) },
      }),
    );
    expect(await survivor.recoverExpiredLeases()).toBe(2);
    await survivor.drain();

    const smsRow = await database.db.selectFrom('outbox').selectAll().where('id', '=', sms.id).executeTakeFirstOrThrow();
    const crmRow = await database.db.selectFrom('outbox').selectAll().where('id', '=', crm.id).executeTakeFirstOrThrow();
    expect(smsRow.status).toBe('unknown');
    expect(crmRow.status).toBe('done');
    expect(crmRuns).toEqual([crm.id]);

    // The dead worker's late completion must not overwrite what happened since.
    release();
    await inFlight;
    const after = await database.db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute();
    expect(after).toEqual([
      { id: sms.id, status: 'unknown' },
      { id: crm.id, status: 'done' },
    ]);
  });

  it('an unknown outcome is reconciled on the next run by a kind that can, and left unknown by one that cannot', async () => {
    const seen: Array<{ attempt: number; unsettledSince: string | undefined }> = [];
    let answerLost = true;
    const handlers = registry({
      sms: {
        safeToRepeat: false,
        reconciles: true,
        async run(_row, run: HandlerContext) {
          seen.push({ attempt: run.attempt, unsettledSince: run.unsettledSince?.toISOString() });
          if (answerLost) {
            answerLost = false;
            throw new OutcomeUnknown('answer lost', 'reconcile');
          }
          return { adopted: run.unsettledSince !== undefined };
        },
      },
      email: { safeToRepeat: false, run: async () => Promise.reject(new OutcomeUnknown('answer lost', 'reconcile')) },
    });
    const loop = worker(handlers);
    const sms = await add('sms', 'sms-lost', {}, { maxAttempts: 1, intervalMs: MINUTE });
    const email = await add('email', 'email-lost');

    await loop.drain();
    const waiting = await database.db.selectFrom('outbox').selectAll().where('id', '=', sms.id).executeTakeFirstOrThrow();
    // Even with its one attempt used, the row runs again: that run only has to look.
    expect([waiting.status, waiting.attempts, waiting.run_at.toISOString(), waiting.unsettled_since?.toISOString()]).toEqual([
      'failed',
      1,
      '2026-03-02T15:01:00.000Z',
      '2026-03-02T15:00:00.000Z',
    ]);
    const emailRow = await database.db.selectFrom('outbox').selectAll().where('id', '=', email.id).executeTakeFirstOrThrow();
    expect([emailRow.status, emailRow.last_error, emailRow.finished_at?.toISOString()]).toEqual(['unknown', 'answer lost', '2026-03-02T15:00:00.000Z']);

    clock.advance(MINUTE);
    await loop.drain();
    const done = await database.db.selectFrom('outbox').selectAll().where('id', '=', sms.id).executeTakeFirstOrThrow();
    expect([done.status, done.unsettled_since, done.result]).toEqual(['done', null, { adopted: true }]);
    expect(seen).toEqual([
      { attempt: 1, unsettledSince: undefined },
      { attempt: 2, unsettledSince: '2026-03-02T15:00:00.000Z' },
    ]);
    expect((await outboxHistory(database.db, sms.id)).map((attempt) => attempt.outcome)).toEqual(['unsettled', 'ok']);
    expect((await outboxHistory(database.db, email.id)).map((attempt) => attempt.outcome)).toEqual(['unknown']);
  });

  it('a killed run of a reconciling kind runs again, told since when to look', async () => {
    const dying = worker(registry({ sms: { safeToRepeat: false, reconciles: true, run: () => new Promise(() => undefined) } }), { leaseMs: 5 * MINUTE });
    const sms = await add('sms', 'sms-killed-reconciling');
    void dying.runOnce();
    for (;;) {
      const running = await listOutbox(database.db, { statuses: ['running'] });
      if (running.length === 1) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    clock.advance(5 * MINUTE + 1);
    const told: Array<string | undefined> = [];
    const survivor = worker(
      registry({ sms: { safeToRepeat: false, reconciles: true, run: async (_row, run) => void told.push(run.unsettledSince?.toISOString()) } }),
    );
    expect(await survivor.recoverExpiredLeases()).toBe(1);
    expect(await database.db.selectFrom('outbox').select(['status', 'unsettled_since']).where('id', '=', sms.id).executeTakeFirstOrThrow()).toEqual({
      status: 'failed',
      unsettled_since: new Date('2026-03-02T15:00:00.000Z'),
    });
    await survivor.drain();
    expect(told).toEqual(['2026-03-02T15:00:00.000Z']);
    expect((await database.db.selectFrom('outbox').select('status').where('id', '=', sms.id).executeTakeFirstOrThrow()).status).toBe('done');
  });

  it('enqueueing the same dedupe key twice keeps one row', async () => {
    const first = await add('sms', 'confirmation:appt-1');
    const second = await add('sms', 'confirmation:appt-1');
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false, status: 'scheduled' });
    expect(await listOutbox(database.db)).toHaveLength(1);
  });

  it('a cancelled row never runs', async () => {
    const runs: number[] = [];
    const loop = worker(registry({ sms: { safeToRepeat: false, run: async (row) => void runs.push(row.id) } }));
    const { id } = await add('sms', 'sms-cancel');
    expect((await cancelOutboxRow(database.db, clock, id, { actor: 'staff', reason: 'customer called' })).ok).toBe(true);
    await loop.drain();
    expect(runs).toEqual([]);
    const history = await outboxHistory(database.db, id);
    expect(history.map((entry) => entry.outcome)).toEqual(['cancelled']);
  });

  it('a rescheduled row moves to its new time without spending an attempt', async () => {
    let first = true;
    const loop = worker(
      registry({
        nurture: {
          safeToRepeat: false,
          async run() {
            if (first) {
              first = false;
              throw new Reschedule(new Date('2026-03-03T13:00:00Z'), 'quiet hours');
            }
          },
        },
      }),
    );
    const { id } = await add('nurture', 'nurture-1');
    await loop.drain();
    let row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('scheduled');
    expect(row.attempts).toBe(0);
    expect(row.run_at.toISOString()).toBe('2026-03-03T13:00:00.000Z');
    clock.set('2026-03-03T13:00:00Z');
    await loop.drain();
    row = await database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(row.attempts).toBe(1);
  });

  it('an idle worker sleeps until the next due row and claims it at that moment, not at the next poll', async () => {
    const sleeps = sleepWatcher();
    const recorded = recordingHandler();
    const loop = worker(registry({ sms: recorded.handler }), { pollMs: 5_000, onSleep: sleeps.onSleep });
    let asleep = sleeps.next();
    await loop.start();
    try {
      // Nothing waits: the loop sleeps for the poll cap.
      expect((await asleep).toISOString()).toBe('2026-03-02T15:00:05.000Z');
      // A row for T = +1.5 s: the enqueue's NOTIFY wakes the loop, which now sleeps until T instead.
      asleep = sleeps.next();
      const { id } = await database.db
        .transaction()
        .execute((trx) =>
          enqueue(trx, clock, { clientId: CLIENT, kind: 'sms', payload: {}, dedupeKey: 'due-at-t', runAt: new Date('2026-03-02T15:00:01.500Z') }),
        );
      expect((await asleep).toISOString()).toBe('2026-03-02T15:00:01.500Z');
      const ran = recorded.next();
      clock.advance(1_000);
      clock.advance(500);
      expect(await ran).toEqual({ id, at: '2026-03-02T15:00:01.500Z' });
    } finally {
      await loop.stop();
    }
  });

  it('a row the handler reschedules to its turn (sender pacing) runs at that turn', async () => {
    const sleeps = sleepWatcher();
    let turns = 0;
    const runs: string[] = [];
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const loop = worker(
      registry({
        sms: {
          safeToRepeat: false,
          async run(_row, context) {
            runs.push(context.clock.now().toISOString());
            if (turns++ === 0) throw new Reschedule(new Date('2026-03-02T15:00:01.000Z'), 'sender pacing');
            resolveDone();
          },
        },
      }),
      { pollMs: 5_000, onSleep: sleeps.onSleep },
    );
    let asleep = sleeps.next();
    await loop.start();
    try {
      await asleep;
      asleep = sleeps.next();
      await add('sms', 'paced-1');
      // Claimed now, told to wait for its turn, and the loop sleeps exactly until that turn.
      expect((await asleep).toISOString()).toBe('2026-03-02T15:00:01.000Z');
      clock.advance(1_000);
      await done;
      expect(runs).toEqual(['2026-03-02T15:00:00.000Z', '2026-03-02T15:00:01.000Z']);
    } finally {
      await loop.stop();
    }
  });

  it('a running worker loop wakes on NOTIFY when a row is enqueued', async () => {
    let resolveRun: (id: number) => void = () => undefined;
    const ran = new Promise<number>((resolve) => {
      resolveRun = resolve;
    });
    const loop = worker(registry({ sms: { safeToRepeat: false, run: async (row) => resolveRun(row.id) } }), { pollMs: 600_000 });
    await loop.start();
    try {
      // Let the loop go idle (its first round finds nothing), then enqueue inside a transaction.
      await loop.drain();
      const { id } = await database.db.transaction().execute((trx) => enqueue(trx, clock, { clientId: CLIENT, kind: 'sms', payload: {}, dedupeKey: 'wake-1' }));
      expect(await ran).toBe(id);
    } finally {
      await loop.stop();
    }
  });
});

describe('outbox worker wake-ups across instances on postgres', () => {
  let database: TestDatabase;
  let clock: ManualClock;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    await seedClient(database, CLIENT);
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(() => {
    clock = new ManualClock('2026-03-02T15:00:00Z');
  });
  function worker(handlers: HandlerRegistry, options: Partial<ConstructorParameters<typeof OutboxWorker>[0]> = {}) {
    return new OutboxWorker({ database, clock, logger: silentLogger(), handlers, ...options });
  }

  it('a row enqueued by another instance wakes an idle worker at once, and one scheduled there is claimed at its time', async () => {
    // A second connection pool to the same database: nothing shared with the worker's process but PostgreSQL.
    const other = await openDatabase({ url: database.url!, poolSize: 2 });
    const sleeps = sleepWatcher();
    const recorded = recordingHandler();
    const loop = worker(registry({ sms: recorded.handler }), { pollMs: 600_000, onSleep: sleeps.onSleep });
    let asleep = sleeps.next();
    await loop.start();
    try {
      await asleep;
      let ran = recorded.next();
      const now = await other.db.transaction().execute((trx) => enqueue(trx, clock, { clientId: CLIENT, kind: 'sms', payload: {}, dedupeKey: 'other-now' }));
      // The clock has not moved and the poll is ten minutes: only the NOTIFY from the other instance can wake it.
      expect(await ran).toEqual({ id: now.id, at: '2026-03-02T15:00:00.000Z' });
      asleep = sleeps.next();
      const later = await other.db
        .transaction()
        .execute((trx) =>
          enqueue(trx, clock, { clientId: CLIENT, kind: 'sms', payload: {}, dedupeKey: 'other-later', runAt: new Date('2026-03-02T15:00:02.000Z') }),
        );
      // The first sleep after that run may still be the old one; wait for the one that knows the new row.
      let until = await asleep;
      while (until.toISOString() !== '2026-03-02T15:00:02.000Z') until = await sleeps.next();
      ran = recorded.next();
      clock.advance(2_000);
      expect(await ran).toEqual({ id: later.id, at: '2026-03-02T15:00:02.000Z' });
    } finally {
      await loop.stop();
      await other.close();
    }
  });
});
