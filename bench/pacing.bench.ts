/**
 * Sending on time (issue 19): with the real clock and the worker loop running, how late texts leave against their
 * moment. (1) A burst of 20 bookings in the same second for one office: each confirmation text is held for its
 * 1-per-second sender turn; its lateness is the Twilio emulator's arrival minus that turn (target ≤ 250 ms each).
 * (2) Single texts, one at a time: arrival minus the commit that planned it (target p99 ≤ 1 s). Both backends.
 * Before the wake-at-next-row worker, texts 2–4 of a burst waited for the 5-second idle poll.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseKind } from '../src/db/database.js';
import { silentLogger } from '../src/log/logger.js';
import { startSwitchboard, type Switchboard } from '../src/main.js';
import { planAppointmentMessages } from '../src/messaging/plan.js';
import { openTestDatabase } from '../test/support/databases.js';
import type { BenchResult } from './types.js';

const CLIENT = 'smart-tax-nation';
const BURST = 20;
const SINGLES = Number(process.env.BENCH_PACING_SINGLES ?? 15);
const BACKENDS = (process.env.BENCH_PACING_BACKENDS ?? 'pglite,postgres').split(',') as DatabaseKind[];

function benchConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-pacing-'));
  const config = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
  config.quietHours.transactional = { start: '00:00', end: '24:00' };
  writeFileSync(join(dir, 'smart-tax-nation.json'), JSON.stringify(config));
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function book(app: Switchboard, phone: string, index: number): Promise<number> {
  const db = app.context.db;
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    const customer = await trx
      .insertInto('customers')
      .values({ client_id: CLIENT, phone, name: `Caller ${index}`, email: null, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const startAt = new Date(now.getTime() + 3 * 86_400_000 + index * 3_600_000);
    const appointment = await trx
      .insertInto('appointments')
      .values({
        booking_id: `bk_pacing_${now.getTime()}_${index}`,
        client_id: CLIENT,
        customer_id: customer.id,
        call_id: null,
        appointment_type: 'individual-return',
        start_at: startAt,
        end_at: new Date(startAt.getTime() + 3_600_000),
        block_end_at: new Date(startAt.getTime() + 4_500_000),
        status: 'booked',
        created_at: now,
        updated_at: now,
        booked_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await planAppointmentMessages(trx, app.context, { clientId: CLIENT, appointmentId: appointment.id, customerId: customer.id, event: 'booked' });
    return appointment.id;
  });
}

async function arrival(app: Switchboard, phone: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [message] = app.context.sandbox!.twilio.messagesTo(phone);
    if (message) return message.dateCreated.getTime();
    if (Date.now() > deadline) throw new Error(`no text reached ${phone}`);
    await sleep(5);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const backend of BACKENDS) {
    const database = await openTestDatabase(backend);
    const app = await startSwitchboard({
      logger: silentLogger(),
      database,
      worker: true,
      env: { SWITCHBOARD_MODE: 'demo', DATA_DIR: 'memory://', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CONFIG_DIR: benchConfigDir() },
    });
    try {
      // Burst: 20 bookings committed in the same second; the sender's turns are one second apart.
      const phones = Array.from({ length: BURST }, (_, index) => `+1212555${String(3000 + index).padStart(4, '0')}`);
      await Promise.all(phones.map((phone, index) => book(app, phone, index)));
      const arrivals = await Promise.all(phones.map((phone) => arrival(app, phone)));
      const rows = await app.context.db.selectFrom('outbox').select(['payload', 'run_at', 'status']).where('kind', '=', 'sms').execute();
      // Only the confirmations: each booking also plans its reminders (days later) for the same number.
      const confirmations = rows.filter((row) => (row.payload as { template?: string }).template === 'confirmation');
      const turnOf = new Map(confirmations.map((row) => [String((row.payload as { to: string }).to), new Date(row.run_at).getTime()]));
      const lateness = phones.map((phone, index) => arrivals[index]! - turnOf.get(phone)!);
      const worst = Math.max(...lateness);
      results.push({
        name: `pacing burst: ${BURST} confirmations in one second, worst lateness past the text's turn`,
        backend,
        value: worst,
        unit: 'ms',
        target: '<= 250 ms',
        ok: worst <= 250,
        notes: `p50 ${percentile(lateness, 50)} ms; by turn ${[...lateness]
          .map((value, index) => [turnOf.get(phones[index]!)!, value] as const)
          .sort((x, y) => x[0] - y[0])
          .map(([, value]) => value)
          .join(' ')}; last text left ${((Math.max(...arrivals) - Math.min(...arrivals)) / 1000).toFixed(2)} s after the first`,
      });

      // Singles: one booking at a time, after the burst's turns have passed.
      await sleep(1_500);
      const latencies: number[] = [];
      for (let index = 0; index < SINGLES; index++) {
        const phone = `+1212555${String(4000 + index).padStart(4, '0')}`;
        const committed = Date.now();
        await book(app, phone, 100 + index);
        latencies.push((await arrival(app, phone)) - committed);
        await sleep(1_050); // past the sender's next turn, so each text is a single one
      }
      const p99 = percentile(latencies, 99);
      results.push({
        name: `single text: booking committed → text at Twilio, p99 of ${SINGLES}`,
        backend,
        value: p99,
        unit: 'ms',
        target: '<= 1000 ms',
        ok: p99 <= 1000,
        notes: `p50 ${percentile(latencies, 50)} ms`,
      });
    } finally {
      await app.close();
      await database.dispose();
    }
  }
  return results;
}
