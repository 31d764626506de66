/**
 * Provider failover (issue 19): 1,000 due texts for an office whose chain is Twilio → Telnyx while Twilio answers
 * 503, through the real handlers, the real SDKs and the in-process emulators (Telnyx's signed webhooks come back to
 * the app). Reports wall time until every row is done, how many sends asked Twilio before its circuit opened, and
 * the p99 of the sms handler's run time (the histogram's bucket bound: the whole send, breaker reads and writes
 * included). `node bin/run-ts.js bench/run.ts failover` runs only this; `BENCH_FAILOVER_BACKENDS=postgres` one backend.
 */
import { sql } from 'kysely';
import { DEMO_SECRETS } from '../src/config/demo-secrets.js';
import { ManualClock } from '../src/core/clock.js';
import type { DatabaseKind } from '../src/db/database.js';
import { createMessagingModule } from '../src/messaging/module.js';
import { featureModules } from '../src/modules.js';
import { startTestApp } from '../test/support/app.js';
import type { BenchResult } from './types.js';

const TEXTS = Number(process.env.BENCH_FAILOVER_TEXTS ?? 1_000);
const BACKENDS = (process.env.BENCH_FAILOVER_BACKENDS ?? 'pglite,postgres').split(',') as DatabaseKind[];
const CLIENT = 'smart-tax-nation';

async function measure(kind: DatabaseKind): Promise<BenchResult[]> {
  const clock = new ManualClock('2026-03-02T15:00:00Z');
  const modules = featureModules.map((module) => (module.name === 'messaging' ? createMessagingModule({ rateLimit: false }) : module));
  const app = await startTestApp(kind, { clock, modules });
  try {
    app.context.alerts = { raise: async () => undefined };
    const runtime = app.context.clients.get(CLIENT)!;
    await app.context.clients.set({
      ...runtime,
      config: { ...runtime.config, providers: { sms: [{ provider: 'twilio' }, { provider: 'telnyx', from: '+15125550177', apiKeyEnv: 'TELNYX_API_KEY', publicKeyEnv: 'TELNYX_PUBLIC_KEY' }] } },
      secrets: { ...runtime.secrets, telnyxApiKey: DEMO_SECRETS.TELNYX_API_KEY, telnyxPublicKey: DEMO_SECRETS.TELNYX_PUBLIC_KEY, emulatedVendors: [...runtime.secrets.emulatedVendors, 'telnyx'] },
    });
    const sandbox = app.context.sandbox!;
    sandbox.twilio.faults.add({ type: 'fail', status: 503, body: { code: 20500, message: 'Service Unavailable', status: 503 }, match: '/Messages.json', method: 'POST' });
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select ${CLIENT}, 'sms', jsonb_build_object('to', '+1212' || lpad((5550000 + n)::text, 7, '0'), 'purpose', 'transactional',
        'template', 'confirmation', 'sequence', 'confirmation', 'body', 'Smart Tax Nation: you are booked.'::text,
        'segments', 1, 'encoding', 'GSM-7'), 'failover-' || n, ${clock.now()}, 3, 60000, ${clock.now()}, ${clock.now()}
      from generate_series(0, ${TEXTS - 1}::int) as n`.execute(app.context.db);
    const started = performance.now();
    await app.worker.drain();
    const wall = (performance.now() - started) / 1000;
    await sandbox.telnyx.flushWebhooks();
    const done = await app.context.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'sms').where('status', '=', 'done').executeTakeFirstOrThrow();
    const viaTelnyx = sandbox.telnyx.outbound().length;
    const askedTwilio = sandbox.twilio.emulator.received('/Messages.json', 'POST').length;
    const histogram = await app.context.metrics.handlerDuration.get();
    const buckets = histogram.values.filter((value) => value.metricName?.endsWith('_bucket') && value.labels.kind === 'sms' && value.labels.outcome === 'ok');
    const total = histogram.values.find((value) => value.metricName?.endsWith('_count') && value.labels.kind === 'sms' && value.labels.outcome === 'ok')?.value ?? 0;
    const p99 = buckets.map((value) => ({ le: Number((value.labels as Record<string, unknown>).le), count: value.value })).sort((a, b) => a.le - b.le).find((bucket) => bucket.count >= total * 0.99)?.le ?? Number.NaN;
    return [
      { name: 'failover: 1,000 texts, Twilio 503 → Telnyx', backend: kind, value: Math.round(wall * 10) / 10, unit: 's wall', notes: `${Number(done.n)} done, ${viaTelnyx} via Telnyx, ${askedTwilio} asked Twilio before the circuit opened` },
      { name: 'failover: sms handler run time p99 (bucket bound)', backend: kind, value: p99, unit: 's', target: '<= 1 s', ok: p99 <= 1, notes: `${total} runs` },
    ];
  } finally {
    await app.dispose();
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of BACKENDS) results.push(...(await measure(kind)));
  return results;
}
