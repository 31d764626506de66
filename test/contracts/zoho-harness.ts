/**
 * The CalendarPort contract against the existing Zoho adapter (src/zoho/calendar-port.ts) and its emulator, in
 * demo mode as booking uses it.
 */
import { calendarPortOf } from '../../src/booking/deps.js';
import { getZohoAccess } from '../../src/zoho/connection.js';
import { CALENDAR, CLIENT, startBookingApp, zohoOf } from '../booking/support.js';
import type { DatabaseKind } from '../../src/db/database.js';
import { openTestDatabase } from '../support/databases.js';
import type { CalendarContractHarness, ContractCase } from './calendar-port.contract.js';

export async function zohoHarness(backend: DatabaseKind = 'pglite'): Promise<CalendarContractHarness> {
  const database = await openTestDatabase(backend);
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
      zoho
        .events(CALENDAR)
        .map((event) => ({ id: event.uid, startMs: Date.parse(event.start), endMs: Date.parse(event.end), description: event.description ?? '' })),
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

/** None left: the adapter finds a repeated create's event by its marker and writes an ambiguous wall time with its offset. */
export const zohoKnownGaps: Partial<Record<ContractCase, string>> = {};
