/** The CalendarPort contract against the Google Calendar adapter and its emulator. */
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { googleHarness } from './google-harness.js';

describeCalendarPortContract('Google Calendar', googleHarness);
