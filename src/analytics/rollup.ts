/**
 * Daily rollups: `analytics_daily` holds every figure of `facts.ts` per office-local day. Triggers mark the
 * (office, UTC day) of each changed row in `analytics_dirty` in the changing transaction (one mark per change, never
 * waiting for another transaction's: migration 0031); `refreshRollups`
 * recomputes the local days those marks touch from the raw rows — readers call it before reading (so a figure
 * is never older than the last committed change) and the worker every few seconds. `rebuildRollups` recomputes
 * an office's whole history (after a change of zone, hours or appointment values, or to repair).
 */
import { sql, type Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { ClientRegistry } from '../config/registry.js';
import type { DB } from '../db/schema.js';
import { figureRows } from './facts.js';
import { dayRangeMoments, officeWindow, officeZone, type OfficeWindow } from './offices.js';

/**
 * Runs analytics statements with PostgreSQL's JIT off: the planner cannot tell how few offices a window
 * holds (the JSON parameter), so it prices these statements high enough to JIT-compile them, which costs about
 * a second each time and saves nothing on windows this size.
 */
export function withoutJit<T>(db: Kysely<DB>, run: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return run(trx);
  });
}

/** One lock for every rollup writer, so two instances never interleave deleting and inserting a day's rows. */
const ROLLUP_LOCK = 160_016;

/** Local days [from, to] whose rows are recomputed, per office. */
interface DayRun {
  clientId: string;
  from: string;
  to: string;
}

/** The local days a UTC day overlaps in `zone` (one or two). */
function localDaysOf(dayUtc: string, zone: string): string[] {
  const start = DateTime.fromISO(dayUtc, { zone: 'utc' });
  const first = start.setZone(zone).toISODate()!;
  const last = start.plus({ days: 1 }).minus({ milliseconds: 1 }).setZone(zone).toISODate()!;
  return first === last ? [first] : [first, last];
}

function runsOf(clientId: string, days: Iterable<string>): DayRun[] {
  const sorted = [...new Set(days)].sort();
  const runs: DayRun[] = [];
  for (const day of sorted) {
    const last = runs.at(-1);
    if (last && DateTime.fromISO(last.to).plus({ days: 1 }).toISODate() === day) last.to = day;
    else runs.push({ clientId, from: day, to: day });
  }
  return runs;
}

async function writeRuns(db: Kysely<DB>, registry: ClientRegistry, runs: DayRun[]): Promise<void> {
  if (runs.length === 0) return;
  const windows: OfficeWindow[] = runs.map((run) => {
    const moments = dayRangeMoments(officeZone(registry, run.clientId), run.from, run.to);
    return officeWindow(registry, run.clientId, moments.from, moments.to);
  });
  for (const run of runs) {
    await db.deleteFrom('analytics_daily').where('client_id', '=', run.clientId).where('day', '>=', run.from).where('day', '<=', run.to).execute();
  }
  await sql`insert into analytics_daily (client_id, day, metric, value)
    select client_id, bucket::date, metric, value from (${figureRows(windows, 'day')}) f`.execute(db);
}

/** Recomputes the days marked changed for these offices (all offices when omitted); how many days were redone. */
export async function refreshRollups(db: Kysely<DB>, registry: ClientRegistry, clientIds?: string[]): Promise<number> {
  if (clientIds && clientIds.length === 0) return 0;
  const pending = await db
    .selectFrom('analytics_dirty')
    .select('client_id')
    .$if(clientIds !== undefined, (query) => query.where('client_id', 'in', clientIds!))
    .limit(1)
    .executeTakeFirst();
  if (!pending) return 0;
  return withoutJit(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${ROLLUP_LOCK})`.execute(trx);
    // A day is marked once per change (migration 0031): every mark goes, each (office, day) comes back once.
    const marks = await trx
      .with('gone', (db) =>
        db
          .deleteFrom('analytics_dirty')
          .$if(clientIds !== undefined, (query) => query.where('client_id', 'in', clientIds!))
          .returning(['client_id', 'day_utc']),
      )
      .selectFrom('gone')
      .select(['client_id', sql<string>`day_utc::text`.as('day_utc')])
      .distinct()
      .execute();
    const daysByClient = new Map<string, string[]>();
    for (const mark of marks) {
      if (!registry.get(mark.client_id)) continue; // an office no longer served keeps its last rollups
      const days = daysByClient.get(mark.client_id) ?? [];
      days.push(...localDaysOf(mark.day_utc, officeZone(registry, mark.client_id)));
      daysByClient.set(mark.client_id, days);
    }
    const runs = [...daysByClient].flatMap(([clientId, days]) => runsOf(clientId, days));
    await writeRuns(trx, registry, runs);
    return runs.reduce((sum, run) => sum + DateTime.fromISO(run.to).diff(DateTime.fromISO(run.from), 'days').days + 1, 0);
  });
}

/** Recomputes every day of each office from its raw rows; returns the days written per office. */
export async function rebuildRollups(
  db: Kysely<DB>,
  registry: ClientRegistry,
  clientIds: string[],
  onOffice?: (clientId: string, days: number) => void,
): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  for (const clientId of clientIds) {
    await withoutJit(db, async (trx) => {
      await sql`select pg_advisory_xact_lock(${ROLLUP_LOCK})`.execute(trx);
      await trx.deleteFrom('analytics_dirty').where('client_id', '=', clientId).execute();
      await trx.deleteFrom('analytics_daily').where('client_id', '=', clientId).execute();
      // Every row the office has: the facts' own ranges bound the scan, so a wide window costs nothing extra.
      const window = officeWindow(registry, clientId, new Date('1970-01-01T00:00:00Z'), new Date('9999-01-01T00:00:00Z'));
      await sql`insert into analytics_daily (client_id, day, metric, value)
        select client_id, bucket::date, metric, value from (${figureRows([window], 'day')}) f`.execute(trx);
      const days = await trx
        .selectFrom('analytics_daily')
        .select(sql<number>`count(distinct day)::int`.as('days'))
        .where('client_id', '=', clientId)
        .executeTakeFirstOrThrow();
      written.set(clientId, days.days);
      onOffice?.(clientId, days.days);
    });
  }
  return written;
}

/** Every few seconds, turns the marks of changed days into fresh rollups (readers refresh too; this keeps reads cheap). */
export function scheduleRollupRefresh(
  deps: { db: Kysely<DB>; clients: ClientRegistry; logger: { warn(object: unknown, message: string): void } },
  intervalMs = 5_000,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    refreshRollups(deps.db, deps.clients)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'Analytics rollups could not be refreshed; the next run tries again'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
