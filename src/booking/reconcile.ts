/**
 * Reconcile: compares upcoming booked appointments with their Zoho events and flags drift to staff (an event
 * deleted or moved in Zoho directly), and removes events of ours whose appointment is not booked that nothing else
 * caught (a create that landed after the caller had been offered a callback is normally settled within a minute
 * by `late-event.ts`). Runs as the self-rescheduling outbox kind `booking_reconcile`, one chain per client, so any
 * number of instances run it once per period.
 */
import type { AppContext } from '../app-context.js';
import { maskText } from '../log/mask.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { enqueue } from '../outbox/enqueue.js';
import { calendarPortOf } from './deps.js';
import { hasStaff, staffOf } from './staff.js';
import { spokenTime } from './local-time.js';
import { CALENDAR_SYNC_KIND } from './calendar-sync.js';
import { bookingIdIn, type CalendarEvent } from './calendar-port.js';
import { removeLateEvent } from './late-event.js';

export const RECONCILE_KIND = 'booking_reconcile';
export const RECONCILE_EVERY_MS = 15 * 60_000;

export interface ReconcileReport {
  checked: number;
  missing: string[];
  moved: string[];
  /** Booking ids whose leftover Zoho event is queued for deletion. */
  orphans: string[];
}

export async function reconcileAppointments(context: AppContext, clientId: string): Promise<ReconcileReport> {
  const config = context.clients.get(clientId)!.config;
  const now = context.clock.now();
  const horizonEnd = new Date(now.getTime() + (config.booking.horizonDays + 1) * 24 * 60 * 60_000);
  const pendingSync = context.db
    .selectFrom('outbox')
    .select('appointment_id')
    .where('kind', '=', CALENDAR_SYNC_KIND)
    .where('status', 'in', ['scheduled', 'running', 'failed'])
    .where('appointment_id', 'is not', null);
  const rows = await context.db
    .selectFrom('appointments')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('status', '=', 'booked')
    .where('calendar_event_id', 'is not', null)
    .where('start_at', '>=', now)
    .where('start_at', '<=', horizonEnd)
    // A change we have not pushed to Zoho yet is not drift.
    .where('id', 'not in', pendingSync as never)
    .orderBy('start_at')
    .execute();
  const report: ReconcileReport = { checked: rows.length, missing: [], moved: [], orphans: [] };
  // One read per calendar: the office's, or with staff each person's (and any a booking's event still lives in).
  const calendarIds = hasStaff(config)
    ? [...new Set([...staffOf(config).map((person) => person.calendarId), ...rows.flatMap((row) => (row.calendar_id ? [row.calendar_id] : []))])]
    : [undefined];
  for (const calendarId of calendarIds) {
    const calendar = calendarPortOf(context, calendarId);
    const view = await calendar.view(clientId, now.getTime(), horizonEnd.getTime());
    await removeOrphanEvents(context, clientId, view.events, report);
    for (const row of rows.filter((candidate) => (candidate.calendar_id ?? undefined) === calendarId)) {
      const event = view.events.find((candidate) => candidate.id === row.calendar_event_id) ?? (await calendar.get(clientId, row.calendar_event_id!));
      const startMs = new Date(row.start_at).getTime();
      const endMs = new Date(row.end_at).getTime();
      const drift = !event ? 'event_missing' : event.startMs !== startMs || event.endMs !== endMs ? 'event_moved' : null;
      if (drift === 'event_missing') report.missing.push(row.booking_id);
      if (drift === 'event_moved') report.moved.push(row.booking_id);
      if (drift !== row.drift) {
        await context.db.updateTable('appointments').set({ drift, drift_checked_at: now }).where('id', '=', row.id).execute();
      } else {
        await context.db.updateTable('appointments').set({ drift_checked_at: now }).where('id', '=', row.id).execute();
      }
      if (drift && drift !== row.drift) {
        const when = spokenTime(startMs, config.timezone);
        await context.alerts.raise({
          clientId,
          source: 'booking.reconcile',
          fingerprint: `booking.reconcile:${drift}:${row.booking_id}`,
          severity: 'warning',
          callId: row.call_id,
          message: maskText(
            drift === 'event_missing'
              ? `The Zoho event for booking ${row.booking_id} (${when}) was deleted in Zoho, but the appointment is still booked here and the caller still expects it. Re-create the event or cancel the appointment in the dashboard.`
              : `The Zoho event for booking ${row.booking_id} was moved in Zoho to ${spokenTime(event!.startMs, config.timezone)}, but the caller was told ${when} and reminders follow that time. Reschedule it in the dashboard (the caller is told) or move the event back.`,
          ),
          details: { bookingId: row.booking_id, appointmentId: row.id, drift },
        });
      }
    }
  }
  return report;
}

/**
 * Events carrying one of our booking ids whose appointment was released or cancelled without the event going
 * (its id never recorded): record the id and queue the deletion through `booking_calendar_sync`.
 */
async function removeOrphanEvents(context: AppContext, clientId: string, events: CalendarEvent[], report: ReconcileReport): Promise<void> {
  const ours = new Map<string, CalendarEvent>();
  for (const event of events) {
    const bookingId = bookingIdIn(event.description);
    if (bookingId) ours.set(bookingId, event);
  }
  if (ours.size === 0) return;
  const rows = await context.db
    .selectFrom('appointments')
    .select(['id', 'booking_id'])
    .where('client_id', '=', clientId)
    .where('booking_id', 'in', [...ours.keys()])
    .where('status', 'in', ['released', 'cancelled'])
    .where('calendar_event_id', 'is', null)
    .execute();
  for (const row of rows) {
    // The last net, so it removes whatever the office's choice for late events: by now staff may have called back.
    if ((await removeLateEvent(context, row.id, ours.get(row.booking_id)!.id)) !== 'settled_already') report.orphans.push(row.booking_id);
  }
}

function bucket(ms: number): number {
  return Math.floor(ms / RECONCILE_EVERY_MS) * RECONCILE_EVERY_MS;
}

/** Starts (or continues) the client's reconcile chain; the dedupe key keeps one row per period across instances. */
export async function scheduleReconcile(context: AppContext, clientId: string, afterMs = 0): Promise<void> {
  const runAt = bucket(context.clock.now().getTime() + afterMs);
  await enqueue(context.db, context.clock, {
    clientId,
    kind: RECONCILE_KIND,
    payload: { clientId },
    dedupeKey: `${RECONCILE_KIND}:${clientId}:${runAt}`,
    runAt: new Date(Math.max(runAt, context.clock.now().getTime())),
    retry: { maxAttempts: 1, intervalMs: 60_000 },
  });
}

export function reconcileHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    housekeeping: {},
    async run(row) {
      // An office removed since this row was queued ends its chain here; one added again starts a new one.
      if (!context.clients.get(row.client_id)) return { skipped: 'office not served' };
      try {
        return await reconcileAppointments(context, row.client_id);
      } finally {
        await scheduleReconcile(context, row.client_id, RECONCILE_EVERY_MS);
      }
    },
  };
}
