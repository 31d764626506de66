/**
 * Messaging dispatch: 10,000 due messages (8,000 texts, 2,000 e-mails) sent through the real handlers to the
 * Twilio emulator and the SMTP receiver, with pacing off, on PostgreSQL and PGlite. Reports wall time until
 * every row is done and p99 lateness (delivery recorded − due time). The office's quiet hours are opened to
 * the whole day so the figure does not depend on when the benchmark runs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { systemClock } from '../src/core/clock.js';
import type { DatabaseKind } from '../src/db/database.js';
import { silentLogger } from '../src/log/logger.js';
import { startSwitchboard } from '../src/main.js';
import { createMessagingModule } from '../src/messaging/module.js';
import { featureModules } from '../src/modules.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { openTestDatabase } from '../test/support/databases.js';
import type { BenchResult } from './types.js';

const TEXTS = Number(process.env.BENCH_MESSAGING_TEXTS ?? 8_000);
const EMAILS = Number(process.env.BENCH_MESSAGING_EMAILS ?? 2_000);

function benchConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-messaging-'));
  const config = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
  config.quietHours.transactional = { start: '00:00', end: '24:00' };
  writeFileSync(join(dir, 'smart-tax-nation.json'), JSON.stringify(config));
  return dir;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

async function dispatch(kind: DatabaseKind): Promise<BenchResult[]> {
  const database = await openTestDatabase(kind);
  const modules = featureModules.map((module) => (module.name === 'messaging' ? createMessagingModule({ rateLimit: false }) : module));
  const app = await startSwitchboard({
    env: { SWITCHBOARD_MODE: 'demo', DATA_DIR: 'memory://', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CONFIG_DIR: benchConfigDir() },
    logger: silentLogger(),
    database,
    worker: false,
    modules,
  });
  try {
    const smsPayload = (n: string) => sql`jsonb_build_object('to', '+1212' || lpad((2000000 + ${sql.raw(n)})::text, 7, '0'),
      'purpose', 'transactional', 'template', 'confirmation', 'sequence', 'confirmation',
      'body', 'Smart Tax Nation: Hi Dana, you''re booked for Tue 3/3 2:00 PM. To reschedule call (212) 555-0142.', 'segments', 1, 'encoding', 'GSM-7')`;
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select 'smart-tax-nation', 'sms', ${smsPayload('n')}, 'bench-sms-' || n, now(), 3, 60000, now(), now()
      from generate_series(1, ${TEXTS}) as n`.execute(database.db);
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select 'smart-tax-nation', 'email', jsonb_build_object('to', 'caller' || n || '@example.com', 'purpose', 'transactional',
        'template', 'confirmation', 'sequence', 'confirmation', 'subject', 'Your appointment is confirmed',
        'text', 'Hi Dana, you are booked for Tuesday, March 3 at 2:00 PM.'), 'bench-email-' || n, now(), 3, 60000, now(), now()
      from generate_series(1, ${EMAILS}) as n`.execute(database.db);

    const started = performance.now();
    const workers = [1, 2].map(
      () =>
        new OutboxWorker({ database, clock: systemClock, logger: silentLogger(), handlers: app.context.handlers, batchSize: 200, concurrency: 64 }),
    );
    await Promise.all(workers.map((worker) => worker.drain()));
    const seconds = (performance.now() - started) / 1000;
    await app.context.sandbox!.twilio.flushCallbacks();

    const done = await database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'done').where('kind', 'in', ['sms', 'email']).executeTakeFirstOrThrow();
    const lateness = await sql<{ ms: number }>`
      select extract(epoch from (d.created_at - o.run_at)) * 1000 as ms
      from message_deliveries d join outbox o on o.id = d.outbox_id`.execute(database.db);
    const sorted = lateness.rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    const total = TEXTS + EMAILS;
    const notes = `${Number(done.n)}/${total} done; ${app.context.sandbox!.twilio.messages.length} texts, ${app.context.sandbox!.smtp.messages.length} e-mails received`;
    return [
      { name: `dispatch ${total} due messages (wall time)`, backend: kind, value: Number(seconds.toFixed(2)), unit: 's', target: kind === 'postgres' ? '<= 10 s' : undefined, ok: kind === 'postgres' ? seconds <= 10 && Number(done.n) === total : Number(done.n) === total, notes },
      { name: 'message lateness p99 (sent − due)', backend: kind, value: Math.round(percentile(sorted, 0.99)), unit: 'ms', notes: `p50 ${Math.round(percentile(sorted, 0.5))} ms` },
      { name: 'dispatch throughput', backend: kind, value: Math.round(total / seconds), unit: 'messages/s' },
    ];
  } finally {
    await app.close();
    await database.dispose();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await dispatch('postgres')), ...(await dispatch('pglite'))];
}
