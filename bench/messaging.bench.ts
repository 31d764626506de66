/**
 * Messaging dispatch: 10,000 due messages (8,000 texts, 2,000 e-mails) sent through the real handlers to the
 * Twilio emulator and the SMTP receiver, with pacing off, on PostgreSQL and PGlite. The emulators run in a
 * process of their own (bench/support/sandbox-process.ts), as Twilio and the mail server are remote in real
 * life; their signed status callbacks (two per text) come back to the app over HTTP while it dispatches.
 * Reports wall time until every row is done, p99 lateness (delivery recorded − due time), the time until every
 * status callback was recorded, and CPU per message of this process, the emulator process and (PostgreSQL) the
 * database backends, with the load average and how idle the machine was during the dispatch. The office's quiet
 * hours are opened to the whole day so the figure does not depend on when the benchmark runs.
 * `BENCH_MESSAGING_BACKENDS=postgres` runs one backend only; `BENCH_MESSAGING_STATEMENTS=1` prints statements by kind.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/core/clock.js';
import type { DatabaseKind } from '../src/db/database.js';
import { silentLogger } from '../src/log/logger.js';
import { startSwitchboard } from '../src/main.js';
import { createMessagingModule } from '../src/messaging/module.js';
import type { FeatureModule } from '../src/app-context.js';
import { createSmtpModule } from '../src/smtp/module.js';
import { createTwilioModule } from '../src/twilio/module.js';
import { featureModules } from '../src/modules.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { openTestDatabase } from '../test/support/databases.js';
import { startSandboxProcess } from './support/sandbox-process.js';
import type { BenchResult } from './types.js';

const TEXTS = Number(process.env.BENCH_MESSAGING_TEXTS ?? 8_000);
const EMAILS = Number(process.env.BENCH_MESSAGING_EMAILS ?? 2_000);
const BACKENDS = (process.env.BENCH_MESSAGING_BACKENDS ?? 'postgres,pglite').split(',') as DatabaseKind[];

function benchConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-messaging-'));
  const config = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
  config.quietHours.transactional = { start: '00:00', end: '24:00' };
  writeFileSync(join(dir, 'smart-tax-nation.json'), JSON.stringify(config));
  return dir;
}

/** Counts statements this process sends to PostgreSQL (bench-only instrumentation of the pg driver). */
let statements = 0;
/** With BENCH_MESSAGING_STATEMENTS=1, statements counted by their first words, printed after each run. */
const byStatement = process.env.BENCH_MESSAGING_STATEMENTS === '1' ? new Map<string, number>() : undefined;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  statements += 1;
  if (byStatement) {
    const query = args[0] as string | { text?: string };
    const text = (typeof query === 'string' ? query : (query?.text ?? '?')).replace(/\s+/g, ' ').trim().slice(0, 80);
    byStatement.set(text, (byStatement.get(text) ?? 0) + 1);
  }
  return (originalQuery as (...rest: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

/** CPU time (ms) the PostgreSQL server processes serving this database have used so far, by pid (Linux /proc). */
async function postgresCpu(database: Awaited<ReturnType<typeof openTestDatabase>>): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  if (database.kind !== 'postgres') return cpu;
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(database.db);
  const ticks = 100; // USER_HZ
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(Number(pid), ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks);
    } catch {
      // Not on Linux, or the server runs elsewhere: no figure.
    }
  }
  return cpu;
}

/** Whole-machine CPU counters (Linux /proc/stat), to tell a CPU-bound run from one waiting on round trips. */
function machineCpu(): { idle: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3]! + fields[4]!, total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

async function dispatch(kind: DatabaseKind): Promise<BenchResult[]> {
  const sandbox = await startSandboxProcess();
  const database = await openTestDatabase(kind);
  // 16 SMTP connections instead of nodemailer's 5: the local receiver has no connection cap (a provider's is set in
  // SMTP_URL, `?maxConnections=`), and with 5 the e-mail tail waits on round trips while the cores idle.
  const replaced: Record<string, FeatureModule> = {
    messaging: createMessagingModule({ rateLimit: false }),
    twilio: createTwilioModule({ emulatorUrl: sandbox.twilioUrl }),
    smtp: createSmtpModule({ emulatorUrl: sandbox.smtpUrl, connections: 16 }),
  };
  const modules = featureModules.map((module) => replaced[module.name] ?? module);
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

    const postgresBefore = await postgresCpu(database);
    const emulatorBefore = await sandbox.stats();
    const statementsBefore = statements;
    byStatement?.clear();
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineCpu();
    const started = performance.now();
    // Four worker loops (as two instances with two loops each would run): one loop's batch waiting on its slowest
    // send no longer idles the process while the next batch could be on its way.
    const workers = [1, 2, 3, 4].map(
      () => new OutboxWorker({ database, clock: systemClock, logger: silentLogger(), handlers: app.context.handlers, batchSize: 100, concurrency: 32 }),
    );
    await Promise.all(workers.map((worker) => worker.drain()));
    const seconds = (performance.now() - started) / 1000;
    const machineAfter = machineCpu();
    const idlePercent =
      machineBefore && machineAfter ? (100 * (machineAfter.idle - machineBefore.idle)) / Math.max(1, machineAfter.total - machineBefore.total) : undefined;
    if (byStatement) {
      for (const [text, count] of [...byStatement].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stderr.write(`${String(count).padStart(6)}  ${text}\n`);
      byStatement.clear();
    }
    const received = await sandbox.stats();
    const cpu = process.cpuUsage(cpuBefore);
    const postgresAfter = await postgresCpu(database);
    const postgresMs = [...postgresAfter].reduce((sum, [pid, ms]) => sum + ms - (postgresBefore.get(pid) ?? 0), 0);
    const cpuMsPerMessage = (cpu.user + cpu.system) / 1000 / (TEXTS + EMAILS);
    const statementsPerMessage = (statements - statementsBefore) / (TEXTS + EMAILS);
    const callbackSeconds = Math.max(seconds, (received.lastCallbackAt - (performance.timeOrigin + started)) / 1000);
    const recorded = await database.db
      .selectFrom('message_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();

    const done = await database.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'done')
      .where('kind', 'in', ['sms', 'email'])
      .executeTakeFirstOrThrow();
    const lateness = await sql<{ ms: number }>`
      select extract(epoch from (d.created_at - o.run_at)) * 1000 as ms
      from message_deliveries d join outbox o on o.id = d.outbox_id`.execute(database.db);
    const sorted = lateness.rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    const total = TEXTS + EMAILS;
    const notes = `${Number(done.n)}/${total} done; ${received.texts} texts, ${received.emails} e-mails received`;
    const callbacksOk = received.callbackFailures === 0 && Number(recorded.n) === received.callbacks;
    return [
      {
        name: `dispatch ${total} due messages (wall time)`,
        backend: kind,
        value: Number(seconds.toFixed(2)),
        unit: 's',
        target: kind === 'postgres' ? '<= 10 s' : undefined,
        ok: kind === 'postgres' ? seconds <= 10 && Number(done.n) === total : Number(done.n) === total,
        notes,
      },
      {
        name: 'message lateness p99 (sent − due)',
        backend: kind,
        value: Math.round(percentile(sorted, 0.99)),
        unit: 'ms',
        notes: `p50 ${Math.round(percentile(sorted, 0.5))} ms`,
      },
      { name: 'dispatch throughput', backend: kind, value: Math.round(total / seconds), unit: 'messages/s' },
      {
        name: 'app CPU per message (dispatch + callbacks)',
        backend: kind,
        value: Number(cpuMsPerMessage.toFixed(3)),
        unit: 'ms',
        notes:
          `${kind === 'postgres' ? `${statementsPerMessage.toFixed(2)} SQL statements per message; PostgreSQL backends ${(postgresMs / (TEXTS + EMAILS)).toFixed(3)} ms; ` : ''}` +
          `emulator process ${((received.cpuMs - emulatorBefore.cpuMs) / (TEXTS + EMAILS)).toFixed(3)} ms; load ${loadavg()[0]!.toFixed(1)}` +
          `${idlePercent === undefined ? '' : `, machine ${idlePercent.toFixed(0)}% idle during dispatch`}`,
      },
      {
        name: 'status callbacks recorded (wall time)',
        backend: kind,
        value: Number(callbackSeconds.toFixed(2)),
        unit: 's',
        ok: callbacksOk,
        notes: `${Number(recorded.n)}/${received.callbacks} recorded, ${received.callbackFailures} not answered 2xx`,
      },
    ];
  } finally {
    await app.close();
    await database.dispose();
    await sandbox.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of BACKENDS) results.push(...(await dispatch(kind)));
  return results;
}
