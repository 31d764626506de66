/** The calendar contract against Microsoft 365 with the server in Asia/Tokyo (server-in-tokyo.ts). */
import { runWithServerInTokyo } from './server-in-tokyo.js';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { microsoftHarness } from './microsoft-harness.js';

runWithServerInTokyo();
describeCalendarPortContract('Microsoft 365, server in Tokyo', () => microsoftHarness());
