/** The calendar contract against Google Calendar with the server in Asia/Tokyo (server-in-tokyo.ts). */
import { runWithServerInTokyo } from './server-in-tokyo.js';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { googleHarness } from './google-harness.js';

runWithServerInTokyo();
describeCalendarPortContract('Google Calendar, server in Tokyo', googleHarness);
