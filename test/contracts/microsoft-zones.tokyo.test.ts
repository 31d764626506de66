/** Graph's Windows zone names with the server in Asia/Tokyo (server-in-tokyo.ts); a file of its own so it runs beside the contract. */
import { runWithServerInTokyo } from './server-in-tokyo.js';
import { defineGraphZoneCases } from './microsoft-zones.cases.js';

runWithServerInTokyo();
defineGraphZoneCases();
