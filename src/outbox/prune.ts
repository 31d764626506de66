/**
 * Outbox retention. Recurring kinds add rows for ever (an office's missed-appointment sweep 24 a day, its calendar
 * reconcile 96 a day, digests every period), so finished rows are deleted after a while, with their attempts (the
 * foreign key cascades):
 * - housekeeping kinds (handlers marked `housekeeping`: sweeps, reconciles, digests) after
 *   `OUTBOX_HOUSEKEEPING_RETENTION_DAYS` (default 30);
 * - every other kind no screen reads once finished (stored call events, calendar syncs, single alerts, invites) after
 *   `OUTBOX_RETENTION_DAYS`, only when it is set. Kinds marked `keepFinished` (texts, e-mails, rebook offers, CRM syncs:
 *   Messages, a call's and a customer's story, Connections, the one-rebook-per-appointment guard) are never deleted.
 * Only `done` and `cancelled` rows go: scheduled, running, failed (a retry is due), unknown and dead rows wait for the
 * worker or a person. A row an audit entry names (`outbox:<id>`, e.g. a retry from Dead letters) is kept, so the
 * Activity screen's entry still opens it.
 *
 * It recurs as the sweep and the digests do, with no timer of its own: one `outbox_prune` row per office and UTC day
 * (its dedupe key), whose run plans the next, so any number of instances prune each office once a day. A dedupe key
 * deleted here is never asked for again: every recurring kind keys its rows by a moment that is past by then.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB, OutboxRow } from '../db/schema.js';
import { perOffice } from '../offices/per-office.js';
import { enqueue } from './enqueue.js';
import type { HandlerRegistry, OutboxHandler } from './handlers.js';

export const OUTBOX_PRUNE_KIND = 'outbox_prune';

const DAY_MS = 86_400_000;

/**
 * How much one run deletes: `batch` rows a statement (each its own short statement, so the worker's claims never wait
 * long) and `maxRows` in all; a backlog beyond that (the first run on a years-old table) continues a minute later, in a
 * run well inside the worker's lease.
 */
export interface PruneLimits {
  batch: number;
  maxRows: number;
}
const DEFAULT_LIMITS: PruneLimits = { batch: 1_000, maxRows: 50_000 };
/** How soon a run that hit `maxRows` continues. */
const CONTINUE_AFTER_MS = 60_000;

export interface OutboxRetention {
  housekeepingDays: number;
  /** Unset: other kinds are kept. */
  otherDays: number | undefined;
}

export interface PruneReport {
  housekeeping: number;
  other: number;
  /** Rows past their retention are left for the next run (`maxRows` reached). */
  more: boolean;
}

/** The start of the next UTC day after `after`: every instance computes the same moment, so one row per day. */
export function nextPruneMoment(after: Date): Date {
  return new Date((Math.floor(after.getTime() / DAY_MS) + 1) * DAY_MS);
}

/** Plans the office's next prune after `after` (a no-op when it is planned already); `soon`: at `after` itself. */
export async function scheduleOutboxPrune(db: Kysely<DB>, context: AppContext, clientId: string, after: Date, soon = false): Promise<void> {
  const at = soon ? after : nextPruneMoment(after);
  await enqueue(db, context.clock, {
    clientId,
    kind: OUTBOX_PRUNE_KIND,
    payload: {},
    dedupeKey: `${OUTBOX_PRUNE_KIND}:${clientId}:${at.toISOString()}`,
    runAt: at,
  });
}

/** Which finished rows each rule covers, from what the registered handlers declare. */
function kindRules(handlers: HandlerRegistry) {
  const housekeepingKinds: string[] = [];
  const housekeepingWithKey: Array<{ kind: string; key: string }> = [];
  const otherKinds: string[] = [];
  for (const [kind, handler] of handlers) {
    const key = handler.housekeeping?.payloadKey;
    if (handler.housekeeping && key === undefined) {
      housekeepingKinds.push(kind);
      continue;
    }
    // A kind whose housekeeping rows are told apart by a payload key has ordinary rows too (single alerts).
    if (key !== undefined) housekeepingWithKey.push({ kind, key });
    if (!handler.keepFinished) otherKinds.push(kind);
  }
  return { housekeepingKinds, housekeepingWithKey, otherKinds };
}

interface Sweep {
  db: Kysely<DB>;
  clientId: string;
  keepId: number | undefined;
  limits: PruneLimits;
  /** Rows this run may still delete. */
  budget: number;
}

/** Deletes up to `limit` finished rows of the office matching `which`, finished before `before`; returns how many. */
async function deleteBatch(sweep: Sweep, before: Date, which: RawBuilder<boolean>, limit: number) {
  const { db, clientId, keepId } = sweep;
  const result = await sql`
    delete from outbox where id in (
      select o.id from outbox o
      where o.client_id = ${clientId}
        and o.status in ('done', 'cancelled')
        and coalesce(o.finished_at, o.updated_at) < ${before}
        and o.id <> ${keepId ?? 0}
        and (${which})
        -- One hashed set per statement (an office's audited queue items are few), not a probe of audit per row.
        and ('outbox:' || o.id::text) not in (select a.target from audit a where a.client_id = ${clientId} and a.target like 'outbox:%')
      limit ${limit}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Deletes batches until none is full or the run's budget is spent; returns how many and whether any may be left. */
async function deleteAll(sweep: Sweep, before: Date, which: RawBuilder<boolean>): Promise<{ deleted: number; more: boolean }> {
  let deleted = 0;
  while (sweep.budget > 0) {
    const limit = Math.min(sweep.limits.batch, sweep.budget);
    const count = await deleteBatch(sweep, before, which, limit);
    deleted += count;
    sweep.budget -= count;
    if (count < limit) return { deleted, more: false };
  }
  return { deleted, more: true };
}

/** Deletes the office's finished rows past their retention. `keepId`: the prune row running now. */
export async function pruneOutbox(
  context: AppContext,
  clientId: string,
  retention: OutboxRetention,
  now: Date,
  keepId?: number,
  limits: PruneLimits = DEFAULT_LIMITS,
): Promise<PruneReport> {
  const { housekeepingKinds, housekeepingWithKey, otherKinds } = kindRules(context.handlers);
  const housekeepingWhich = [
    ...(housekeepingKinds.length ? [sql<boolean>`o.kind in (${sql.join(housekeepingKinds)})`] : []),
    ...housekeepingWithKey.map(({ kind, key }) => sql<boolean>`(o.kind = ${kind} and o.payload ? ${key})`),
  ];
  const report: PruneReport = { housekeeping: 0, other: 0, more: false };
  const sweep: Sweep = { db: context.db, clientId, keepId, limits, budget: limits.maxRows };
  if (housekeepingWhich.length) {
    const before = new Date(now.getTime() - retention.housekeepingDays * DAY_MS);
    const done = await deleteAll(sweep, before, sql<boolean>`${sql.join(housekeepingWhich, sql` or `)}`);
    report.housekeeping = done.deleted;
    report.more = done.more;
  }
  if (retention.otherDays !== undefined && otherKinds.length && !report.more) {
    const before = new Date(now.getTime() - retention.otherDays * DAY_MS);
    // Kinds with a housekeeping payload key are in otherKinds too; their housekeeping rows went above or are younger.
    const keyed = housekeepingWithKey.map(({ kind, key }) => sql<boolean>`(o.kind = ${kind} and o.payload ? ${key})`);
    const which = keyed.length
      ? sql<boolean>`o.kind in (${sql.join(otherKinds)}) and not (${sql.join(keyed, sql` or `)})`
      : sql<boolean>`o.kind in (${sql.join(otherKinds)})`;
    const done = await deleteAll(sweep, before, which);
    report.other = done.deleted;
    report.more ||= done.more;
  }
  return report;
}

export function outboxPruneHandler(context: AppContext, retention: OutboxRetention, limits: PruneLimits = DEFAULT_LIMITS): OutboxHandler {
  return {
    // Deleting what is already deleted deletes nothing.
    safeToRepeat: true,
    housekeeping: {},
    async run(row: OutboxRow) {
      const now = context.clock.now();
      let more = false;
      try {
        const report = await pruneOutbox(context, row.client_id, retention, now, row.id, limits);
        more = report.more;
        return report;
      } finally {
        // Planned even when this run fails (the row retries on its own), so a bad day does not end the chain; from the
        // clock, so a late run does not leave one row per missed day; a minute later when rows were left.
        if (context.clients.get(row.client_id)) {
          if (more) await scheduleOutboxPrune(context.db, context, row.client_id, new Date(now.getTime() + CONTINUE_AFTER_MS), true);
          else await scheduleOutboxPrune(context.db, context, row.client_id, now);
        }
      }
    },
  };
}

/** Registers the handler and plans each office's next prune, now and for every office added later. */
export async function setUpOutboxPrune(context: AppContext): Promise<void> {
  const retention = context.env.outboxRetention;
  context.handlers.set(OUTBOX_PRUNE_KIND, outboxPruneHandler(context, retention));
  await perOffice(context, (runtime) => scheduleOutboxPrune(context.db, context, runtime.config.slug, context.clock.now()));
}
