/**
 * Foundation figures: cold start of a real `switchboard start` process (to /readyz 200) on an existing
 * PGlite data directory, and outbox throughput (rows/s claimed and completed with a no-op handler) on both
 * databases, with two worker loops as in production.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { systemClock } from '../src/core/clock.js';
import type { DatabaseKind } from '../src/db/database.js';
import { silentLogger } from '../src/log/logger.js';
import type { HandlerRegistry } from '../src/outbox/handlers.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { openTestDatabase, seedClient } from '../test/support/databases.js';
import { startServerProcess } from '../test/support/process.js';
import type { BenchResult } from './types.js';

async function coldStart(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-start-'));
  // The first run creates the database; the figure is for a start on existing data, as the issue asks.
  const first = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error' });
  await first.stop();
  const samples: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    const server = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    for (;;) {
      const response = await fetch(`${server.url}/readyz`).catch(() => undefined);
      if (response?.status === 200) break;
    }
    samples.push(performance.now() - started);
    await server.stop();
  }
  const median = samples.sort((a, b) => a - b)[1]!;
  return [
    { name: 'cold start to /readyz 200 (median of 3)', backend: 'pglite', value: Math.round(median), unit: 'ms', target: '< 5000 ms', ok: median < 5000 },
  ];
}

async function outboxThroughput(kind: DatabaseKind, rows: number): Promise<BenchResult[]> {
  const database = await openTestDatabase(kind);
  try {
    await seedClient(database);
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select 'smart-tax-nation', 'noop', '{}'::jsonb, 'bench-' || n, now() - interval '1 minute', 3, 60000, now(), now()
      from generate_series(1, ${rows}) as n`.execute(database.db);
    const handlers: HandlerRegistry = new Map([['noop', { safeToRepeat: true, run: async () => undefined }]]);
    const workers = [1, 2].map(() => new OutboxWorker({ database, clock: systemClock, logger: silentLogger(), handlers, batchSize: 200, concurrency: 50 }));
    const started = performance.now();
    const processed = (await Promise.all(workers.map((worker) => worker.drain()))).reduce((sum, count) => sum + count, 0);
    const seconds = (performance.now() - started) / 1000;
    const done = await database.db
      .selectFrom('outbox')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('status', '=', 'done')
      .executeTakeFirstOrThrow();
    const rate = processed / seconds;
    return [
      {
        name: `outbox no-op throughput (${rows} rows, 2 workers)`,
        backend: kind,
        value: Math.round(rate),
        unit: 'rows/s',
        target: kind === 'postgres' ? '>= 2000 rows/s' : undefined,
        ok: kind === 'postgres' ? rate >= 2000 && done.n === rows : done.n === rows,
        notes: `${done.n}/${rows} done exactly once`,
      },
    ];
  } finally {
    await database.dispose();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await coldStart()), ...(await outboxThroughput('pglite', 10_000)), ...(await outboxThroughput('postgres', 20_000))];
}
