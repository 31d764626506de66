/**
 * Booking feature module: the calendar-sync, late-event check and reconcile outbox handlers, and a reconcile chain
 * per office. Which calendar an office books in is the vendor modules' business (`context.calendars`).
 */
import type { FeatureModule } from '../app-context.js';
import { perOffice } from '../offices/per-office.js';
import { CALENDAR_SYNC_KIND, calendarSyncHandler } from './calendar-sync.js';
import { LATE_EVENT_CHECK_KIND, lateEventCheckHandler } from './late-event.js';
import { RECONCILE_KIND, reconcileHandler, scheduleReconcile } from './reconcile.js';

export const bookingModule: FeatureModule = {
  name: 'booking',
  async setUp(context) {
    context.handlers.set(CALENDAR_SYNC_KIND, calendarSyncHandler(context));
    context.handlers.set(RECONCILE_KIND, reconcileHandler(context));
    context.handlers.set(LATE_EVENT_CHECK_KIND, lateEventCheckHandler(context));
    // Offices added or changed on a running server get the same reconcile chain.
    await perOffice(context, async (runtime) => {
      await scheduleReconcile(context, runtime.config.slug);
    });
  },
};
