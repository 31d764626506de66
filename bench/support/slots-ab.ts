/**
 * Slot generation alone, for A/B runs of two checkouts in one session (issue 21): the pure work one availability
 * answer does, per caller — the office's rules, 14 days of free slots around a DST night (New York, 2026-03-08),
 * a part-of-day query, every slot's ISO start (the "first opening" map) and three offered slots (ISO start/end and
 * the spoken time with its repeated-hour check).
 *
 *   ROOT=/path/to/checkout CALLERS=2000 node bin/run-ts.js bench/support/slots-ab.ts
 *
 * Prints CPU µs per caller (process.cpuUsage, user + system), the item count and a hash of the whole answer (the
 * same in A and B).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.env.ROOT ?? '.');
const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
const { freeSlots, slotRulesOf, pickSlots } = await load('src/booking/slots.ts');
const { offered } = await load('src/booking/availability.ts');
const { isoInZone } = await load('src/booking/local-time.ts');
const { aClientConfig } = await load('test/fixtures/config/a-client-config.ts');

const config = aClientConfig({ timezone: 'America/New_York' });
const zone = config.timezone;
const nowMs = Date.parse('2026-03-02T08:00:00-05:00');
const busy = Array.from({ length: 20 }, (_, i) => ({ startMs: nowMs + i * 7 * 60 * 60_000, endMs: nowMs + i * 7 * 60 * 60_000 + 45 * 60_000 }));
const callers = Number(process.env.CALLERS ?? 2000);

let lastAnswer = '';

function oneCaller(): number {
  const rules = slotRulesOf(config);
  const query = { nowMs, durationMinutes: 30, bufferMinutes: 0, busy };
  const slots = freeSlots(rules, { ...query, fromDate: '2026-03-02', toDate: '2026-03-15' });
  const afternoons = freeSlots(rules, { ...query, fromDate: '2026-03-05', toDate: '2026-03-10', partOfDay: 'afternoon' });
  const firstOpening = new Map(slots.map((slot: { startMs: number }) => [isoInZone(slot.startMs, zone), slot.startMs]));
  const picked = pickSlots(slots, 3, { spacingMs: 30 * 60_000 }).map((slot: unknown) => offered(slot, zone, 'en'));
  lastAnswer = JSON.stringify([slots, afternoons, [...firstOpening], picked]);
  return slots.length + afternoons.length + firstOpening.size + picked.length;
}

for (let i = 0; i < 200; i += 1) oneCaller(); // warm-up
const before = process.cpuUsage();
let total = 0;
for (let i = 0; i < callers; i += 1) total += oneCaller();
const used = process.cpuUsage(before);
const perCaller = (used.user + used.system) / callers;
process.stdout.write(
  `${JSON.stringify({ root, callers, cpuMicrosPerCaller: Math.round(perCaller), itemsPerCaller: total / callers, answerSha1: createHash('sha1').update(lastAnswer).digest('hex').slice(0, 12) })}\n`,
);
