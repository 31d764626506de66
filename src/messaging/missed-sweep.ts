/**
 * "Unmarked after N hours counts as missed" (`followUps.afterAppointment.unmarkedMissedAfterHours`): a recurring sweep
 * per office finds booked appointments still unmarked N hours after their end and plans the no-show rebook for each
 * (planAfterAppointment with `unmarked`), once. The sweep marks nothing: analytics still counts such an appointment
 * as unknown, and staff can mark it later (held → the thank-you path and a rebook not yet gone is cancelled; no-show →
 * the rebook on its way stays the only one).
 *
 * It recurs the way the weekly analytics digest does, with no timer of its own: one `missed_appointment_sweep` outbox
 * row per office and moment (its dedupe key), whose run plans the next. Every instance plans the same moments (the
 * next full hour, or sooner the moment an unmarked appointment falls due), so the dedupe key keeps one chain however
 * many instances run. Exactly once per appointment: the rebook offer's dedupe key (the one staff's no-show mark uses)
 * is inserted with ON CONFLICT DO NOTHING, whichever instance sweeps.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { DB, OutboxRow } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { perOffice } from '../offices/per-office.js';
import { planAfterAppointment, REBOOK_OFFER_KIND } from './plan-follow-ups.js';

export const MISSED_SWEEP_KIND = 'missed_appointment_sweep';

const HOUR_MS = 3_600_000;
/** The longest wait between two sweeps: an appointment booked after a sweep planned the next is found by then. */
const SWEEP_EVERY_MS = HOUR_MS;
/**
 * How far back a sweep looks past an appointment's due moment. An office that turns the setting on, or a worker that
 * was down for days, does not text everyone who went unmarked last month "we missed you today".
 */
const CATCH_UP_MS = 24 * HOUR_MS;
/** No appointment lasts longer; bounds the start so the sweep's query uses the (client_id, start_at) index. */
const LONGEST_APPOINTMENT_MS = 24 * HOUR_MS;
/** Appointments one sweep plans at most; the rest wait for the next sweep, planned a second later. */
const BATCH = 200;

/** N when the office counts unmarked appointments as missed (the rebook must be on; the schema requires it). */
export function unmarkedMissedAfterMs(config: ClientConfig): number | undefined {
  const settings = config.followUps.afterAppointment;
  return settings.rebook && settings.unmarkedMissedAfterHours !== undefined ? settings.unmarkedMissedAfterHours * HOUR_MS : undefined;
}

/** Plans the office's next sweep after `after` (a no-op when it is planned already or the office does not sweep). */
export async function scheduleMissedSweep(db: Kysely<DB>, context: AppContext, clientId: string, after: Date, soon = false): Promise<void> {
  const config = context.clients.get(clientId)?.config;
  const afterMs = config && unmarkedMissedAfterMs(config);
  if (afterMs === undefined) return;
  const at = soon ? after : await nextSweepMoment(db, clientId, afterMs, after);
  await enqueue(db, context.clock, {
    clientId,
    kind: MISSED_SWEEP_KIND,
    payload: {},
    dedupeKey: `${MISSED_SWEEP_KIND}:${clientId}:${at.toISOString()}`,
    runAt: at,
  });
}

/** The next full hour after `after`, or sooner when an unmarked appointment falls due (end + N) before it. */
async function nextSweepMoment(db: Kysely<DB>, clientId: string, afterMs: number, after: Date): Promise<Date> {
  const fullHour = new Date((Math.floor(after.getTime() / SWEEP_EVERY_MS) + 1) * SWEEP_EVERY_MS);
  const first = await db
    .selectFrom('appointments')
    .select('end_at')
    .where('client_id', '=', clientId)
    .where('status', '=', 'booked')
    .where('attendance', 'is', null)
    .where('start_at', '>', new Date(after.getTime() - afterMs - LONGEST_APPOINTMENT_MS))
    .where('start_at', '<', new Date(fullHour.getTime() - afterMs))
    .where('end_at', '>', new Date(after.getTime() - afterMs))
    .where('end_at', '<', new Date(fullHour.getTime() - afterMs))
    .orderBy('end_at')
    .limit(1)
    .executeTakeFirst();
  return first ? new Date(first.end_at.getTime() + afterMs) : fullHour;
}

/** Plans the rebook for every appointment of the office that fell due (unmarked N hours after its end). */
export async function sweepMissedAppointments(context: AppContext, clientId: string, afterMs: number, now: Date): Promise<{ found: number; more: boolean }> {
  const dueBy = new Date(now.getTime() - afterMs);
  const since = new Date(dueBy.getTime() - CATCH_UP_MS);
  const due = await context.db
    .selectFrom('appointments as a')
    .select('a.id')
    .where('a.client_id', '=', clientId)
    .where('a.status', '=', 'booked')
    .where('a.attendance', 'is', null)
    .where('a.start_at', '>', new Date(since.getTime() - LONGEST_APPOINTMENT_MS))
    .where('a.end_at', '<=', dueBy)
    .where('a.end_at', '>', since)
    // Already offered (by an earlier sweep, or staff marked no-show and cleared it since): the offer's dedupe key would
    // refuse a second one anyway; this keeps each sweep to the appointments it has not seen.
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('outbox as o').select('o.id').whereRef('o.appointment_id', '=', 'a.id').where('o.kind', '=', REBOOK_OFFER_KIND))),
    )
    .orderBy('a.end_at')
    .limit(BATCH + 1)
    .execute();
  for (const appointment of due.slice(0, BATCH)) {
    await context.db.transaction().execute(async (trx) => {
      // Locked like markAttendance locks it: a mark made meanwhile is either seen here or sees the offer.
      const current = await trx.selectFrom('appointments').select(['status', 'attendance']).where('id', '=', appointment.id).forUpdate().executeTakeFirst();
      if (current?.status !== 'booked' || current.attendance !== null) return;
      await planAfterAppointment(trx, context, { clientId, appointmentId: appointment.id, attendance: 'unmarked' });
    });
  }
  return { found: Math.min(due.length, BATCH), more: due.length > BATCH };
}

export function missedSweepHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    housekeeping: {},
    async run(row: OutboxRow) {
      const config = context.clients.get(row.client_id)?.config;
      const afterMs = config && unmarkedMissedAfterMs(config);
      // Turned off (or the office removed): the chain ends here; turning it on again plans a sweep (setUpMissedSweeps).
      if (afterMs === undefined) return { found: 0, reason: 'The office does not count unmarked appointments as missed.' };
      const now = context.clock.now();
      let more = false;
      try {
        const swept = await sweepMissedAppointments(context, row.client_id, afterMs, now);
        more = swept.more;
        return swept;
      } finally {
        // Planned from the clock, so a late run catches up in one go instead of one row per missed hour; planned even
        // when this sweep fails, so a bad hour does not end the chain (this row retries on its own).
        await scheduleMissedSweep(context.db, context, row.client_id, more ? new Date(now.getTime() + 1_000) : now, more);
      }
    },
  };
}

/** Registers the handler and plans a sweep for every office that asks for one, now and whenever an office changes. */
export async function setUpMissedSweeps(context: AppContext): Promise<void> {
  context.handlers.set(MISSED_SWEEP_KIND, missedSweepHandler(context));
  await perOffice(context, (runtime) => scheduleMissedSweep(context.db, context, runtime.config.slug, context.clock.now()));
}
