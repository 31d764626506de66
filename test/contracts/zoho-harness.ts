/**
 * The CalendarPort contract against the existing Zoho adapter (src/zoho/calendar-port.ts) and its emulator, in
 * demo mode as booking uses it. Zoho's behaviour is not changed here; the cases it fails are listed as known gaps.
 */
import { calendarPortOf } from '../../src/booking/deps.js';
import { getZohoAccess } from '../../src/zoho/connection.js';
import { CALENDAR, CLIENT, startBookingApp, zohoOf } from '../booking/support.js';
import { openTestDatabase } from '../support/databases.js';
import type { CalendarContractHarness, ContractCase } from './calendar-port.contract.js';

export async function zohoHarness(): Promise<CalendarContractHarness> {
  const database = await openTestDatabase('pglite');
  const app = await startBookingApp(database);
  const zoho = zohoOf(app);
  const context = app.switchboard.context;
  await getZohoAccess(context, CLIENT);
  return {
    port: calendarPortOf(context),
    clientId: CLIENT,
    zone: 'America/New_York',
    calendarId: CALENDAR,
    addForeignBusy: (startIso, endIso) => void zoho.addBusy(CALENDAR, startIso, endIso),
    vendorEvents: () =>
      zoho.events(CALENDAR).map((event) => ({ id: event.uid, startMs: Date.parse(event.start), endMs: Date.parse(event.end), description: event.description ?? '' })),
    failNext(kind) {
      if (kind === 'unauthorized') zoho.calendarInvalidTokenOnce();
      else if (kind === 'rate_limited') zoho.rateLimitCalendar(1);
      else zoho.calendarDown(1);
    },
    refreshCount: () => zoho.tokenRequests.refresh_token ?? 0,
    async close() {
      await app.switchboard.close();
      await database.dispose();
    },
  };
}

export const zohoKnownGaps: Partial<Record<ContractCase, string>> = {
  // Zoho has no client-chosen event id and no index on our marker; booking covers it by looking for its marker in
  // `view` before creating (src/booking/book.ts), but the adapter itself makes a second event.
  'idempotent re-create': 'ZohoCalendarPort.create makes a second event for a repeated create',
  // The adapter writes local wall time (`20261101T013000` + zone) with no offset, so 1:30 AM EDT on fall-back day is
  // read as 1:30 AM EST, an hour late.
  'create at an ambiguous fall-back time': 'the first 1:30 AM on fall-back day is stored as the second',
};
