/**
 * A test clock for a real `switchboard start` process, so an end-to-end suite can make days pass in seconds.
 * `SWITCHBOARD_TEST_CLOCK=1` (demo mode only; live mode refuses to start with it) swaps the system clock for a
 * ManualClock (starting at `SWITCHBOARD_TEST_CLOCK_START`, else the real time) and mounts, for loopback callers
 * only: `GET /__test/clock`, `POST /__test/clock {advanceMs}|{set}` and `POST /__test/outbox/settle`. The outbox
 * worker wakes when the clock reaches its next due row (`outbox/wakeup.ts`); `settle` waits until nothing due is left.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../db/schema.js';
import { ManualClock } from './clock.js';

export const TEST_CLOCK_VARIABLE = 'SWITCHBOARD_TEST_CLOCK';
export const TEST_CLOCK_START_VARIABLE = 'SWITCHBOARD_TEST_CLOCK_START';

export class TestClockRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestClockRefused';
  }
}

/**
 * The ManualClock to run on when the environment asks for one, else undefined. Throws in live mode: a movable
 * clock would let anyone on the box send reminders early or expire sessions.
 */
export function testClockFromEnv(env: Record<string, string | undefined>, mode: 'demo' | 'live'): ManualClock | undefined {
  const flag = env[TEST_CLOCK_VARIABLE]?.trim();
  if (!flag || flag === '0' || flag === 'false') return undefined;
  if (flag !== '1' && flag !== 'true') throw new TestClockRefused(`${TEST_CLOCK_VARIABLE} must be "1" or "0"`);
  if (mode !== 'demo') {
    throw new TestClockRefused(`${TEST_CLOCK_VARIABLE} is refused in live mode: a movable clock is for demo-mode tests only. Unset it.`);
  }
  const start = env[TEST_CLOCK_START_VARIABLE]?.trim();
  if (start && Number.isNaN(new Date(start).getTime())) {
    throw new TestClockRefused(`${TEST_CLOCK_START_VARIABLE} must be an ISO date-time, e.g. 2026-03-02T15:00:00Z`);
  }
  return new ManualClock(start ? new Date(start) : new Date());
}

const moveSchema = z.union([
  z
    .object({
      advanceMs: z
        .number()
        .int()
        .min(0)
        .max(400 * 86_400_000),
    })
    .strict(),
  z.object({ set: z.iso.datetime({ offset: true }) }).strict(),
]);

const settleSchema = z
  .object({ timeoutMs: z.number().int().min(0).max(60_000).optional() })
  .strict()
  .optional();

export interface TestClockRouteDeps {
  clock: ManualClock;
  db: Kysely<DB>;
  /** Runs due rows now (the process's worker); settle also waits for rows another loop is running. */
  drain(): Promise<number>;
}

/** Loopback by the socket's own address: X-Forwarded-For is not trusted here, whatever trustProxy says. */
function fromLoopback(request: FastifyRequest): boolean {
  const address = request.raw.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

async function busyRows(db: Kysely<DB>, now: Date): Promise<number> {
  const result = await sql<{ count: number }>`
    select count(*)::int as count from outbox
    where status = 'running' or (status in ('scheduled', 'failed') and run_at <= ${now})`.execute(db);
  return result.rows[0]?.count ?? 0;
}

export function registerTestClockRoutes(app: FastifyInstance, deps: TestClockRouteDeps): void {
  const loopbackOnly = {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      if (!fromLoopback(request)) return reply.code(403).send({ error: 'forbidden', message: 'The test clock only answers loopback callers.' });
    },
  };

  app.get('/__test/clock', loopbackOnly, async () => ({ now: deps.clock.now().toISOString() }));

  app.post('/__test/clock', loopbackOnly, async (request, reply) => {
    const parsed = moveSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'invalid_request', message: 'Send {"advanceMs": <ms>} or {"set": "<ISO date-time with offset>"}.' });
    }
    if ('advanceMs' in parsed.data) deps.clock.advance(parsed.data.advanceMs);
    else deps.clock.set(parsed.data.set);
    return { now: deps.clock.now().toISOString() };
  });

  app.post('/__test/outbox/settle', loopbackOnly, async (request, reply) => {
    const parsed = settleSchema.safeParse(request.body ?? undefined);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'Send {} or {"timeoutMs": <ms>}.' });
    const deadline = Date.now() + (parsed.data?.timeoutMs ?? 20_000);
    let processed = 0;
    for (;;) {
      processed += await deps.drain();
      const busy = await busyRows(deps.db, deps.clock.now());
      if (busy === 0) return { settled: true, processed, now: deps.clock.now().toISOString() };
      if (Date.now() > deadline) return reply.code(504).send({ settled: false, processed, busy });
      // Another loop holds rows that are running: wait for it to record their outcome.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
}
