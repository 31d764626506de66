/**
 * The outbox worker: claims due rows with FOR UPDATE SKIP LOCKED (so any number of workers and instances
 * can share one PostgreSQL), runs each row's handler under a lease, and records the outcome and the attempt
 * in bulk. An idle worker wakes for the next due row, on NOTIFY, and on a slow poll as a safety net (`wakeup.ts`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Clock } from '../core/clock.js';
import { errorMessage, isRetryable } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { OutboxRow, OutboxStatus } from '../db/schema.js';
import type { Logger } from '../log/logger.js';
import { OUTBOX_CHANNEL } from './enqueue.js';
import { OutcomeUnknown, Reschedule, type HandlerRegistry, type OutboxHandler } from './handlers.js';
import { Wakeup } from './wakeup.js';

/** Tries to record a batch's outcomes before leaving the rows to lease recovery (waits 0.5 + 1 + 2 + 4 s). */
const COMPLETE_ATTEMPTS = 5;

export interface OutboxChange {
  id: number;
  clientId: string;
  kind: string;
  status: OutboxStatus;
}

export interface WorkerOptions {
  database: Database;
  clock: Clock;
  logger: Logger;
  handlers: HandlerRegistry;
  workerId?: string;
  /** Rows claimed per round trip. */
  batchSize?: number;
  /** Handlers running at once. */
  concurrency?: number;
  /** How long a claimed row belongs to this worker before another may recover it. */
  leaseMs?: number;
  /** Longest idle sleep: the safety net when a NOTIFY is lost (an idle worker otherwise wakes for the next due row). */
  pollMs?: number;
  /**
   * No other process can hold rows of this database (PGlite, guarded by the data directory's lock file): a row
   * still `running` when the worker starts was left by a process that died, and is recovered at once instead of
   * waiting out its lease.
   */
  exclusive?: boolean;
  onHandlerDone?: (kind: string, outcome: string, seconds: number) => void;
  /** The idle loop goes to sleep until this moment (on the worker's clock) unless rung first. */
  onSleep?: (until: Date) => void;
  onChange?: (changes: OutboxChange[]) => void;
}

interface Completion {
  id: number;
  attempt: number;
  status: OutboxStatus;
  run_at: string | null;
  last_error: string | null;
  result: unknown;
  started_at: string;
  finished_at: string;
  outcome: string;
  /** What `outbox.unsettled_since` becomes: kept while an unknown outcome awaits reconciling, else cleared. */
  unsettled_since: string | null;
}

export class OutboxWorker {
  readonly workerId: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private running = false;
  private loopPromise: Promise<void> | undefined;
  private readonly wakeup: Wakeup;
  private unsubscribers: Array<() => unknown> = [];

  constructor(private readonly options: WorkerOptions) {
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? 100;
    this.concurrency = options.concurrency ?? 20;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.wakeup = new Wakeup(options.clock, this.pollMs);
  }

  private get db() {
    return this.options.database.db;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribers.push(await this.options.database.listen(OUTBOX_CHANNEL, () => this.wake()));
    if (this.options.exclusive) await this.recoverExpiredLeases({ ignoreLeases: true });
    this.loopPromise = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopPromise;
    for (const unsubscribe of this.unsubscribers.splice(0)) await unsubscribe();
  }

  wake(): void {
    this.wakeup.ring();
  }

  /**
   * Runs rounds until nothing is due (tests and the CLI use this with an injected clock). `kinds` limits it to
   * those kinds, e.g. a test that wants stored call events applied without sending the texts they plan.
   */
  async drain(options: { kinds?: readonly string[]; maxRounds?: number } = {}): Promise<number> {
    let total = 0;
    await this.recoverExpiredLeases();
    for (let round = 0; round < (options.maxRounds ?? 10_000); round += 1) {
      const processed = await this.runOnce(options.kinds);
      total += processed;
      if (processed === 0) break;
    }
    return total;
  }

  /** Claims one batch, runs it and records the outcomes. Returns how many rows were processed. */
  async runOnce(kinds?: readonly string[]): Promise<number> {
    const rows = await this.claim(kinds);
    if (rows.length === 0) return 0;
    const completions = await this.runAll(rows);
    await this.completeWithRetry(completions);
    return rows.length;
  }

  /**
   * The handlers have run (texts may have left): losing their outcomes to a dropped database connection would
   * leave the rows `running` until the lease ends and then call sent texts `unknown`. The pool reconnects within
   * moments, so the outcomes are written again a few times; a retry first drops rows that are no longer ours
   * (the failed commit may have landed with only its answer lost), so no outcome or history row is written twice.
   */
  private async completeWithRetry(completions: Completion[]): Promise<void> {
    let pending = completions;
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (attempt > 1) pending = await this.stillOurs(pending);
        await this.complete(pending);
        return;
      } catch (error) {
        if (attempt >= COMPLETE_ATTEMPTS) throw error;
        this.options.logger.warn({ err: error, rows: pending.length, attempt }, 'Could not record outbox outcomes; retrying');
        await delay(250 * 2 ** attempt);
      }
    }
  }

  private async stillOurs(completions: Completion[]): Promise<Completion[]> {
    if (completions.length === 0) return completions;
    const rows = await this.db
      .selectFrom('outbox')
      .select('id')
      .where(
        'id',
        'in',
        completions.map((completion) => completion.id),
      )
      .where('status', '=', 'running')
      .where('locked_by', '=', this.workerId)
      .execute();
    const ours = new Set(rows.map((row) => Number(row.id)));
    return completions.filter((completion) => ours.has(completion.id));
  }

  /**
   * A row still `running` after its lease ended belongs to a worker that died. Safe kinds run again; unsafe kinds
   * that reconcile run again too, but look first for what the dead attempt did (from the moment it was claimed,
   * after the row's retry interval); other unsafe kinds (an e-mail may already have left) become `unknown` for a
   * person to decide.
   */
  async recoverExpiredLeases(options: { ignoreLeases?: boolean } = {}): Promise<number> {
    // ignoreLeases: every row another worker id left running, whatever its lease (an exclusive database at start).
    const anyLease = options.ignoreLeases === true;
    const now = this.options.clock.now();
    const safeKinds = [...this.options.handlers].filter(([, handler]) => handler.safeToRepeat).map(([kind]) => kind);
    const reconcilingKinds = [...this.options.handlers].filter(([, handler]) => !handler.safeToRepeat && handler.reconciles).map(([kind]) => kind);
    // A running row's updated_at is the moment it was claimed: the dead attempt started then or later.
    const recovered = await sql<{ id: number; client_id: string; kind: string; status: OutboxStatus; attempts: number; payload: unknown }>`
      update outbox set
        status = case
          when kind = any(${reconcilingKinds}::text[]) then 'failed'
          when not (kind = any(${safeKinds}::text[])) then 'unknown'
          when attempts >= max_attempts then 'dead'
          else 'failed' end,
        last_error = ${anyLease ? 'The process running this stopped before finishing (found running at start).' : 'The worker running this stopped before finishing (lease expired).'},
        unsettled_since = case when kind = any(${reconcilingKinds}::text[]) then coalesce(unsettled_since, updated_at) else unsettled_since end,
        run_at = case when kind = any(${reconcilingKinds}::text[])
          then greatest(${now}::timestamptz, updated_at + retry_interval_ms * interval '1 millisecond') else ${now}::timestamptz end,
        locked_by = null, lease_until = null, updated_at = ${now},
        finished_at = case when kind = any(${reconcilingKinds}::text[]) or (kind = any(${safeKinds}::text[]) and attempts < max_attempts)
          then null else ${now}::timestamptz end
      where status = 'running' and (lease_until < ${now} or (${anyLease}::boolean and locked_by is distinct from ${this.workerId}))
      returning id, client_id, kind, status, attempts, payload`.execute(this.db);
    if (recovered.rows.length === 0) return 0;
    await sql`
      insert into outbox_attempts (outbox_id, attempt, outcome, started_at, finished_at, error, payload)
      select r.id, r.attempts, 'lease_expired', ${now}, ${now}, 'lease expired', r.payload
      from jsonb_to_recordset(${JSON.stringify(recovered.rows)}::jsonb) as r(id bigint, attempts int, payload jsonb)`.execute(this.db);
    this.options.logger.warn(
      { rows: recovered.rows.map((row) => ({ id: row.id, kind: row.kind, status: row.status })) },
      'Recovered outbox rows with expired leases',
    );
    this.options.onChange?.(recovered.rows.map((row) => ({ id: row.id, clientId: row.client_id, kind: row.kind, status: row.status })));
    return recovered.rows.length;
  }

  private async loop(): Promise<void> {
    let lastLeaseCheck = 0;
    while (this.running) {
      try {
        const nowMs = Date.now();
        if (nowMs - lastLeaseCheck > Math.min(this.leaseMs / 2, 30_000)) {
          lastLeaseCheck = nowMs;
          await this.recoverExpiredLeases();
        }
        this.wakeup.reset();
        const processed = await this.runOnce();
        if (processed > 0) continue;
        const nextDue = await this.nextDue();
        this.options.onSleep?.(new Date(this.wakeup.target(nextDue)));
        await this.wakeup.sleep(nextDue);
      } catch (error) {
        this.options.logger.error({ err: error }, 'Outbox worker round failed; retrying shortly');
        await delay(1_000);
      }
    }
  }

  /** The earliest moment a row this worker can run becomes due (undefined when none waits). */
  async nextDue(): Promise<Date | undefined> {
    const kinds = [...this.options.handlers.keys()];
    if (kinds.length === 0) return undefined;
    const row = await sql<{ run_at: Date | string }>`
      select run_at from outbox
      where status in ('scheduled', 'failed') and kind = any(${kinds}::text[])
      order by run_at limit 1`.execute(this.db);
    const runAt = row.rows[0]?.run_at;
    return runAt === undefined ? undefined : new Date(runAt);
  }

  private async claim(only?: readonly string[]): Promise<OutboxRow[]> {
    const kinds = [...this.options.handlers.keys()].filter((kind) => !only || only.includes(kind));
    if (kinds.length === 0) return [];
    const now = this.options.clock.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const result = await sql<OutboxRow>`
      update outbox set status = 'running', attempts = attempts + 1, locked_by = ${this.workerId},
        lease_until = ${leaseUntil}, updated_at = ${now}
      where id in (
        select id from outbox
        where status in ('scheduled', 'failed') and run_at <= ${now} and kind = any(${kinds}::text[])
        order by run_at, id
        limit ${this.batchSize}
        for update skip locked)
      returning *`.execute(this.db);
    return result.rows;
  }

  /**
   * Runs the claimed rows in `concurrency` lanes. A lane's unit of work is one row, or for a kind with `runBatch`
   * up to its `batchSize` rows of that kind (ordered by call, then id, so one call's events share a batch and run
   * in the order they arrived; a call's events are never split between two batches).
   */
  private async runAll(rows: OutboxRow[]): Promise<Completion[]> {
    const units: OutboxRow[][] = [];
    const batched = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const handler = this.options.handlers.get(row.kind)!;
      if (!handler.runBatch || (handler.batchSize ?? 1) <= 1) units.push([row]);
      else if (batched.has(row.kind)) batched.get(row.kind)!.push(row);
      else batched.set(row.kind, [row]);
    }
    for (const [kind, group] of batched) {
      const size = this.options.handlers.get(kind)!.batchSize!;
      group.sort((a, b) => (a.call_id ?? '').localeCompare(b.call_id ?? '') || a.id - b.id);
      // A call's events stay in one unit: two lanes holding one call each would only wait for each other. A unit
      // that would end inside a call ends before it instead, or, when that call fills the unit, grows to its end.
      const sameCall = (index: number) => group[index]!.call_id !== null && group[index]!.call_id === group[index - 1]!.call_id;
      for (let start = 0; start < group.length;) {
        let end = Math.min(start + size, group.length);
        if (end < group.length && sameCall(end)) {
          let callStart = end - 1;
          while (callStart > start && sameCall(callStart)) callStart -= 1;
          if (callStart > start) end = callStart;
          else while (end < group.length && sameCall(end)) end += 1;
        }
        units.push(group.slice(start, end));
        start = end;
      }
    }
    const completions: Completion[] = [];
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.concurrency, units.length) }, async () => {
      while (next < units.length) {
        const unit = units[next++]!;
        if (unit.length === 1) completions.push(await this.runOne(unit[0]!));
        else completions.push(...(await this.runBatch(unit)));
      }
    });
    await Promise.all(lanes);
    return completions;
  }

  private async runBatch(rows: OutboxRow[]): Promise<Completion[]> {
    const { clock, logger } = this.options;
    const handler = this.options.handlers.get(rows[0]!.kind)!;
    const started = clock.now();
    const startedHr = process.hrtime.bigint();
    let outcomes: Array<PromiseSettledResult<unknown>>;
    try {
      outcomes = await handler.runBatch!(rows, { clock, logger });
      if (outcomes.length !== rows.length) throw new Error(`The ${rows[0]!.kind} batch answered ${outcomes.length} outcomes for ${rows.length} rows.`);
    } catch (error) {
      outcomes = rows.map(() => ({ status: 'rejected', reason: error }));
    }
    return rows.map((row, index) => this.settle(row, handler, started, startedHr, outcomes[index]!));
  }

  private async runOne(row: OutboxRow): Promise<Completion> {
    const { clock, logger } = this.options;
    const handler = this.options.handlers.get(row.kind)!;
    const started = clock.now();
    const startedHr = process.hrtime.bigint();
    const unsettledSince = row.unsettled_since === null ? undefined : new Date(row.unsettled_since);
    let outcome: PromiseSettledResult<unknown>;
    try {
      // The row's child logger is built on first use: most runs log nothing, and a (masked) child costs more than
      // some handlers' own work.
      const handlerContext = {
        clock,
        attempt: row.attempts,
        unsettledSince: handler.reconciles ? unsettledSince : undefined,
        get logger(): Logger {
          const child = logger.child({ outboxId: row.id, kind: row.kind });
          Object.defineProperty(this, 'logger', { value: child });
          return child;
        },
      };
      outcome = { status: 'fulfilled', value: await handler.run(row, handlerContext) };
    } catch (error) {
      outcome = { status: 'rejected', reason: error };
    }
    return this.settle(row, handler, started, startedHr, outcome);
  }

  /** The completion a row's run (alone or in a batch) leads to. */
  private settle(row: OutboxRow, handler: OutboxHandler, started: Date, startedHr: bigint, outcome: PromiseSettledResult<unknown>): Completion {
    const { clock, logger } = this.options;
    const base = { id: row.id, attempt: row.attempts, started_at: started.toISOString() };
    const unsettledSince = row.unsettled_since === null ? undefined : new Date(row.unsettled_since);
    let completion: Completion;
    if (outcome.status === 'fulfilled') {
      completion = {
        ...base,
        status: 'done',
        run_at: null,
        last_error: null,
        result: outcome.value ?? null,
        outcome: 'ok',
        finished_at: clock.now().toISOString(),
        unsettled_since: null,
      };
    } else {
      const error: unknown = outcome.reason;
      const finished = clock.now();
      const stillUnsettled = unsettledSince?.toISOString() ?? null;
      if (error instanceof Reschedule) {
        completion = {
          ...base,
          attempt: row.attempts - 1,
          status: 'scheduled',
          run_at: error.runAt.toISOString(),
          last_error: null,
          result: null,
          outcome: 'rescheduled',
          finished_at: finished.toISOString(),
          unsettled_since: stillUnsettled,
        };
        completion.result = { reason: error.reason };
      } else if (error instanceof OutcomeUnknown) {
        // Never retried blindly: either the next run reconciles first (even past max_attempts: it may only look),
        // or a person decides. The window to look in starts at the first attempt whose outcome was lost.
        const reconcile = error.next === 'reconcile' && handler.reconciles === true;
        completion = {
          ...base,
          status: reconcile ? 'failed' : 'unknown',
          run_at: reconcile ? new Date(finished.getTime() + row.retry_interval_ms).toISOString() : null,
          last_error: error.message,
          result: (error.cause as { response?: unknown } | undefined)?.response ?? null,
          outcome: reconcile ? 'unsettled' : 'unknown',
          finished_at: finished.toISOString(),
          unsettled_since: stillUnsettled ?? started.toISOString(),
        };
        logger.warn(
          { outboxId: row.id, kind: row.kind, attempt: row.attempts, err: error, next: completion.status },
          'Outbox handler could not tell whether its effect happened',
        );
      } else {
        const retryable = isRetryable(error);
        const exhausted = row.attempts >= row.max_attempts;
        const willRetry = retryable && !exhausted;
        const message = errorMessage(error);
        const response = (error as { response?: unknown })?.response ?? null;
        completion = {
          ...base,
          status: willRetry ? 'failed' : 'dead',
          run_at: willRetry ? new Date(finished.getTime() + row.retry_interval_ms).toISOString() : null,
          last_error: willRetry ? message : deadLetterText(message, retryable ? row.attempts : undefined),
          result: response,
          outcome: retryable ? 'error' : 'permanent_error',
          finished_at: finished.toISOString(),
          unsettled_since: null,
        };
        logger.warn({ outboxId: row.id, kind: row.kind, attempt: row.attempts, err: error, next: completion.status }, 'Outbox handler failed');
      }
    }
    const seconds = Number(process.hrtime.bigint() - startedHr) / 1e9;
    this.options.onHandlerDone?.(row.kind, completion.outcome, seconds);
    return completion;
  }

  private async complete(completions: Completion[]): Promise<void> {
    if (completions.length === 0) return;
    const now = this.options.clock.now();
    // The payload is not repeated into every attempt's history row: it only changes through an edit, whose
    // history entry keeps the payload it replaced.
    const data = JSON.stringify(completions);
    // One statement (one round trip, one JSON parse): the outcome update and the attempt rows together. The update
    // is guarded by locked_by and status: if our lease expired and another worker took the row, its newer state
    // stays.
    const { rows: changed } = await sql<{ id: number; client_id: string; kind: string; status: OutboxStatus }>`
      with c as (
        select * from jsonb_to_recordset(${data}::jsonb) as c(id bigint, attempt int, status text, run_at timestamptz,
          last_error text, result jsonb, outcome text, started_at timestamptz, finished_at timestamptz,
          unsettled_since timestamptz)
      ),
      updated as (
        update outbox o set
          status = c.status,
          attempts = c.attempt,
          run_at = coalesce(c.run_at, o.run_at),
          last_error = c.last_error,
          result = case when c.status = 'done' then c.result else o.result end,
          unsettled_since = c.unsettled_since,
          locked_by = null, lease_until = null, updated_at = ${now},
          finished_at = case when c.status in ('done', 'dead', 'unknown') then c.finished_at else null end
        from c
        where o.id = c.id and o.status = 'running' and o.locked_by = ${this.workerId}
        returning o.id, o.client_id, o.kind, o.status
      ),
      history as (
        insert into outbox_attempts (outbox_id, attempt, outcome, started_at, finished_at, error, response)
        select c.id, c.attempt + case when c.outcome = 'rescheduled' then 1 else 0 end, c.outcome, c.started_at,
          c.finished_at, c.last_error, c.result
        from c
      )
      select * from updated`.execute(this.db);
    if (changed.length > 0) {
      this.options.onChange?.(changed.map((row) => ({ id: row.id, clientId: row.client_id, kind: row.kind, status: row.status })));
    }
  }
}

/**
 * The error a dead row shows. Vendor errors are written for the attempt that failed ("…; will retry."), which is
 * untrue once the row is dead, so that promise is dropped and the row says it will not run again by itself.
 */
export function deadLetterText(message: string, attemptsSpent: number | undefined): string {
  const promise = /[\s;,.:—-]*(?:we |it )?will retry\.?\s*$/i;
  // A permanent error's text already says why it stopped; only a stray "will retry" needs correcting.
  if (attemptsSpent === undefined && !promise.test(message)) return message;
  const base = message.replace(promise, '').trim();
  const sentence = base === '' || /[.!?]$/.test(base) ? base : `${base}.`;
  const why = attemptsSpent === undefined ? '' : ` Gave up after ${attemptsSpent} attempt${attemptsSpent === 1 ? '' : 's'}.`;
  return `${sentence}${why} It will not be retried automatically; retry it from the dashboard once the cause is fixed.`.trim();
}
