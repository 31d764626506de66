/**
 * Issue 9's memory check: resident set size of a Switchboard process (in-process app on PostgreSQL) before and
 * after 10,000 calls (call_started + call_ended each, signed as Retell signs), measured after a full GC so the
 * figure is retained memory, not garbage not yet collected.
 */
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { sign } from 'retell-sdk';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import { startTestApp } from '../test/support/app.js';
import type { BenchResult } from './types.js';

const CALLS = Number(process.env.BENCH_MEMORY_CALLS ?? 10_000);
const IN_FLIGHT = 16;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await delay(50);
  }
  return process.memoryUsage().rss;
}

export async function run(): Promise<BenchResult[]> {
  const app = await startTestApp('postgres', { worker: true });
  try {
    const url = `${app.url}/v1/retell/smart-tax-nation/webhook`;
    const post = async (body: unknown) => {
      const raw = JSON.stringify(body);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(raw, DEMO_SECRETS.RETELL_API_KEY) },
        body: raw,
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    };
    const call = async (i: number) => {
      const base = {
        call_type: 'phone_call',
        call_id: `call_mem_${i}`,
        agent_id: 'agent_stn_demo_0001',
        agent_version: 1,
        direction: 'inbound',
        from_number: `+1212555${String(i % 10_000).padStart(4, '0')}`,
        to_number: '+12125550142',
        start_timestamp: Date.now() - 60_000,
      };
      await post({ event: 'call_started', call: { ...base, call_status: 'ongoing' } });
      await post({
        event: 'call_ended',
        call: {
          ...base,
          call_status: 'ended',
          end_timestamp: Date.now(),
          duration_ms: 60_000,
          disconnection_reason: 'user_hangup',
          transcript: 'Agent: Hello\nUser: What are your hours?',
        },
      });
    };
    // The webhook stores and answers; the worker applies. Memory is measured with nothing left to apply. Intake runs
    // ahead of the worker (20,000 events arrive faster than one worker applies them on a slow machine), so the wait
    // lasts as long as the backlog keeps shrinking and fails only after 30 s without progress. The app's clock does not
    // move by itself: when every row left waits for a retry, the clock goes to the first retry (the worker wakes on
    // it), and the rows it waited on are reported with the results.
    const unapplied = () => app.context.db.selectFrom('outbox').where('kind', '=', 'retell_event').where('status', 'in', ['scheduled', 'running', 'failed']);
    const waitedOn: Array<{ id: number; status: string; attempts: number; last_error: string | null }> = [];
    const applied = async () => {
      let last = Number.POSITIVE_INFINITY;
      let progressAt = performance.now();
      for (;;) {
        const [{ open, due }] = (await unapplied()
          .select((eb) => [eb.fn.countAll<string>().as('open'), eb.fn.countAll<string>().filterWhere('run_at', '<=', app.clock.now()).as('due')])
          .execute()) as [{ open: string; due: string }];
        const pending = Number(open);
        if (pending === 0) return;
        if (Number(due) === 0) {
          const waiting = await unapplied().select(['id', 'status', 'attempts', 'run_at', 'last_error']).orderBy('run_at').execute();
          const running = waiting.some((row) => row.status === 'running');
          if (!running && waiting[0]) {
            waitedOn.push(...waiting.map(({ id, status, attempts, last_error }) => ({ id, status, attempts, last_error })));
            app.clock.set(waiting[0].run_at);
            progressAt = performance.now();
            continue;
          }
        }
        if (pending < last) {
          last = pending;
          progressAt = performance.now();
        } else if (performance.now() - progressAt > 30_000) {
          const left = await unapplied().select(['status', 'attempts', 'run_at', 'last_error']).limit(5).execute();
          throw new Error(`the worker applied none of the ${pending} stored call events left in 30 s: ${JSON.stringify(left)}`);
        }
        await delay(200);
      }
    };
    // Warm up so JIT code, pools and caches are in the baseline.
    for (let i = 0; i < 200; i += 1) await call(-i - 1);
    await applied();
    const before = await settledRss();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < CALLS) await call(next++);
      }),
    );
    await applied();
    const seconds = (performance.now() - started) / 1000;
    const after = await settledRss();
    const growthMb = (after - before) / 1024 / 1024;
    return [
      { name: `RSS before ${CALLS.toLocaleString('en-US')} calls`, backend: 'postgres', value: Math.round(before / 1024 / 1024), unit: 'MB' },
      {
        name: `RSS growth after ${CALLS.toLocaleString('en-US')} calls`,
        backend: 'postgres',
        value: Number(growthMb.toFixed(1)),
        unit: 'MB',
        target: 'flat (< 50 MB)',
        ok: growthMb < 50,
        notes: `${(CALLS * 2).toLocaleString('en-US')} signed webhooks stored and applied in ${seconds.toFixed(1)} s`,
      },
      {
        name: 'call events applied only on a retry',
        backend: 'postgres',
        value: waitedOn.length,
        unit: 'rows',
        target: '0',
        ok: waitedOn.length === 0,
        notes: waitedOn.length === 0 ? 'none waited for a retry' : JSON.stringify(waitedOn.slice(0, 5)),
      },
    ];
  } finally {
    await app.dispose();
  }
}
