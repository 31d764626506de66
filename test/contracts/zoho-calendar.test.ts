/** The CalendarPort contract against the Zoho adapter and emulator (known gaps in zoho-harness.ts). */
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { zohoHarness, zohoKnownGaps } from './zoho-harness.js';

describeCalendarPortContract('Zoho Calendar', zohoHarness, { knownGaps: zohoKnownGaps });
