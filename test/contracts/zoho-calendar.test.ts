/** The CalendarPort contract against the Zoho adapter and emulator, on both databases (its tokens live in them). */
import { BACKENDS } from '../support/databases.js';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { zohoHarness, zohoKnownGaps } from './zoho-harness.js';

for (const backend of BACKENDS) {
  describeCalendarPortContract(`Zoho Calendar (${backend})`, () => zohoHarness(backend), { knownGaps: zohoKnownGaps });
}
