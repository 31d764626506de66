/** The calendar contract against Zoho Calendar with the server in Asia/Tokyo (server-in-tokyo.ts). */
import { runWithServerInTokyo } from './server-in-tokyo.js';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { zohoHarness, zohoKnownGaps } from './zoho-harness.js';

runWithServerInTokyo();
describeCalendarPortContract('Zoho Calendar, server in Tokyo', () => zohoHarness(), { knownGaps: zohoKnownGaps });
