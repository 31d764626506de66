/**
 * Booking figures on both databases, through the real HTTP function endpoint with requests signed as Retell
 * signs them, against the Zoho emulator with no added latency: check_calendar_availability latency (p50/p99
 * of sequential requests after a warm-up) and book_appointment throughput (distinct slots, 4 in flight).
 */
import { freeSlots, slotRulesOf } from '../src/booking/slots.js';
import { isoInZone } from '../src/booking/local-time.js';
import { ManualClock } from '../src/core/clock.js';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import type { DatabaseKind } from '../src/db/database.js';
import { startSwitchboard } from '../src/main.js';
import { signRetellBody } from '../src/providers/retell/signature.js';
import { openTestDatabase } from '../test/support/databases.js';
import type { BenchResult } from './types.js';

const CLIENT = 'smart-tax-nation';
const WARM_UP = 30;
const SAMPLES = 400;
const BOOKINGS = 120;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function signedRequest(name: string, args: Record<string, unknown>, callId: string) {
  const body = JSON.stringify({
    name,
    args,
    call: {
      call_id: callId,
      agent_id: 'agent_stn_demo_0001',
      call_type: 'phone_call',
      direction: 'inbound',
      from_number: `+1212555${String(1000 + (Number(callId.split('_').pop()) % 8000))}`,
      to_number: '+12125550199',
    },
  });
  return { body, signature: await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) };
}

async function benchBackend(kind: DatabaseKind): Promise<BenchResult[]> {
  const database = await openTestDatabase(kind);
  const clock = new ManualClock('2026-02-02T14:00:00Z');
  const switchboard = await startSwitchboard({
    database,
    clock,
    env: { SWITCHBOARD_MODE: 'demo', DATA_DIR: 'memory://', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CONFIG_DIR: 'config/clients' },
    worker: false,
  });
  try {
    const post = (name: string, request: { body: string; signature: string }) =>
      fetch(`${switchboard.url}/v1/retell/${CLIENT}/functions/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-retell-signature': request.signature },
        body: request.body,
      }).then(async (response) => {
        const answer = (await response.json()) as { ok?: boolean };
        if (response.status !== 200) throw new Error(`${name} answered ${response.status}`);
        return answer;
      });

    const days = ['2026-02-03', '2026-02-04', '2026-02-05', '2026-02-06', '2026-02-07'];
    const availability = await Promise.all(
      Array.from({ length: WARM_UP + SAMPLES }, (_, i) =>
        signedRequest('check_calendar_availability', { date: days[i % days.length], part_of_day: i % 2 ? 'afternoon' : 'morning' }, `call_bench_a_${i}`),
      ),
    );
    const latencies: number[] = [];
    for (const [i, request] of availability.entries()) {
      const started = performance.now();
      const answer = await post('check_calendar_availability', request);
      if (!answer.ok) throw new Error('availability failed');
      if (i >= WARM_UP) latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);

    const config = switchboard.context.clients.get(CLIENT)!.config;
    const slots = freeSlots(slotRulesOf(config), {
      nowMs: clock.now().getTime(),
      fromDate: '2026-02-03',
      toDate: '2026-02-28',
      durationMinutes: 30,
      bufferMinutes: 0,
      busy: [],
    }).slice(0, BOOKINGS);
    const bookings = await Promise.all(
      slots.map((slot, i) =>
        signedRequest(
          'book_appointment',
          { start: isoInZone(slot.startMs, config.timezone), appointment_type: 'tax-consultation', name: `Bench Caller ${i}` },
          `call_bench_b_${i}`,
        ),
      ),
    );
    let next = 0;
    let booked = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bookings.length) {
          const request = bookings[next++]!;
          if ((await post('book_appointment', request)).ok) booked += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return [
      { name: 'check_calendar_availability p50 (signed HTTP, emulator)', backend: kind, value: Number(p50.toFixed(2)), unit: 'ms' },
      {
        name: 'check_calendar_availability p99 (signed HTTP, emulator)',
        backend: kind,
        value: Number(p99.toFixed(2)),
        unit: 'ms',
        target: '<= 25 ms',
        ok: p99 <= 25,
      },
      {
        name: 'book_appointment throughput (4 in flight)',
        backend: kind,
        value: Number((booked / seconds).toFixed(1)),
        unit: 'bookings/s',
        notes: `${booked}/${bookings.length} booked`,
      },
    ];
  } finally {
    await switchboard.close();
    await database.dispose();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await benchBackend('pglite')), ...(await benchBackend('postgres'))];
}
