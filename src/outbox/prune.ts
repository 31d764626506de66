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
/** Rows one statement deletes at most: each batch is its own short statement, so the worker's claims never wait long. */
const BATCH = 1_000;

export interface OutboxRetention {
  housekeepingDays: number;
  /** Unset: other kinds are kept. */
  otherDays: number | undefined;
}

export interface PruneReport {
  housekeeping: number;
  other: number;
}

/** The start of the next UTC day after `after`: every instance computes the same moment, so one row per day. */
export function nextPruneMoment(after: Date): Date {
  return new Date((Math.floor(after.getTime() / DAY_MS) + 1) * DAY_MS);
}

/** Plans the office's next prune after `after` (a no-op when it is planned already). */
export async function scheduleOutboxPrune(db: Kysely<DB>, context: AppContext, clientId: string, after: Date): Promise<void> {
  const at = nextPruneMoment(after);
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

/** Deletes up to BATCH finished rows of the office matching `which`, finished before `before`; returns how many. */
async function deleteBatch(db: Kysely<DB>, clientId: string, before: Date, which: RawBuilder<boolean>, keepId: number | undefined) {
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
      limit ${BATCH}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

async function deleteAll(db: Kysely<DB>, clientId: string, before: Date, which: RawBuilder<boolean>, keepId: number | undefined) {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(db, clientId, before, which, keepId);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

/** Deletes the office's finished rows past their retention. `keepId`: the prune row running now. */
export async function pruneOutbox(context: AppContext, clientId: string, retention: OutboxRetention, now: Date, keepId?: number): Promise<PruneReport> {
  const { housekeepingKinds, housekeepingWithKey, otherKinds } = kindRules(context.handlers);
  const housekeepingWhich = [
    ...(housekeepingKinds.length ? [sql<boolean>`o.kind in (${sql.join(housekeepingKinds)})`] : []),
    ...housekeepingWithKey.map(({ kind, key }) => sql<boolean>`(o.kind = ${kind} and o.payload ? ${key})`),
  ];
  const report: PruneReport = { housekeeping: 0, other: 0 };
  if (housekeepingWhich.length) {
    const before = new Date(now.getTime() - retention.housekeepingDays * DAY_MS);
    report.housekeeping = await deleteAll(context.db, clientId, before, sql<boolean>`${sql.join(housekeepingWhich, sql` or `)}`, keepId);
  }
  if (retention.otherDays !== undefined && otherKinds.length) {
    const before = new Date(now.getTime() - retention.otherDays * DAY_MS);
    // Kinds with a housekeeping payload key are in otherKinds too; their housekeeping rows went above or are younger.
    const keyed = housekeepingWithKey.map(({ kind, key }) => sql<boolean>`(o.kind = ${kind} and o.payload ? ${key})`);
    const which = keyed.length
      ? sql<boolean>`o.kind in (${sql.join(otherKinds)}) and not (${sql.join(keyed, sql` or `)})`
      : sql<boolean>`o.kind in (${sql.join(otherKinds)})`;
    report.other = await deleteAll(context.db, clientId, before, which, keepId);
  }
  return report;
}

export function outboxPruneHandler(context: AppContext, retention: OutboxRetention): OutboxHandler {
  return {
    // Deleting what is already deleted deletes nothing.
    safeToRepeat: true,
    housekeeping: {},
    async run(row: OutboxRow) {
      const now = context.clock.now();
      try {
        return await pruneOutbox(context, row.client_id, retention, now, row.id);
      } finally {
        // Planned even when this run fails (the row retries on its own), so a bad day does not end the chain; from the
        // clock, so a late run does not leave one row per missed day.
        if (context.clients.get(row.client_id)) await scheduleOutboxPrune(context.db, context, row.client_id, now);
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
