/**
 * Provider failover (issue 19): 1,000 due texts for an office whose chain is Twilio → Telnyx while Twilio answers
 * 503, through the real handlers, the real SDKs and the in-process emulators (Telnyx's signed webhooks come back to
 * the app). Reports wall time until every row is done, how many sends asked Twilio before its circuit opened, and
 * the p99 of the sms handler's run time (the histogram's bucket bound: the whole send, breaker reads and writes
 * included). The same for 1,000 e-mails while the SMTP server refuses every connection (SMTP → SendGrid).
 * `node bin/run-ts.js bench/run.ts failover` runs only this; `BENCH_FAILOVER_BACKENDS=postgres` one backend.
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
      config: {
        ...runtime.config,
        providers: {
          sms: [{ provider: 'twilio' }, { provider: 'telnyx', from: '+15125550177', apiKeyEnv: 'TELNYX_API_KEY', publicKeyEnv: 'TELNYX_PUBLIC_KEY' }],
        },
      },
      secrets: {
        ...runtime.secrets,
        telnyxApiKey: DEMO_SECRETS.TELNYX_API_KEY,
        telnyxPublicKey: DEMO_SECRETS.TELNYX_PUBLIC_KEY,
        emulatedVendors: [...runtime.secrets.emulatedVendors, 'telnyx'],
      },
    });
    const sandbox = app.context.sandbox!;
    sandbox.twilio.faults.add({
      type: 'fail',
      status: 503,
      body: { code: 20500, message: 'Service Unavailable', status: 503 },
      match: '/Messages.json',
      method: 'POST',
    });
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
    const done = await app.context.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'sms')
      .where('status', '=', 'done')
      .executeTakeFirstOrThrow();
    const viaTelnyx = sandbox.telnyx.outbound().length;
    const askedTwilio = sandbox.twilio.emulator.received('/Messages.json', 'POST').length;
    const histogram = await app.context.metrics.handlerDuration.get();
    const buckets = histogram.values.filter((value) => value.metricName?.endsWith('_bucket') && value.labels.kind === 'sms' && value.labels.outcome === 'ok');
    const total =
      histogram.values.find((value) => value.metricName?.endsWith('_count') && value.labels.kind === 'sms' && value.labels.outcome === 'ok')?.value ?? 0;
    const p99 =
      buckets
        .map((value) => ({ le: Number((value.labels as Record<string, unknown>).le), count: value.value }))
        .sort((a, b) => a.le - b.le)
        .find((bucket) => bucket.count >= total * 0.99)?.le ?? Number.NaN;
    const email = await measureEmail(app, clock);
    return [
      ...email,
      {
        name: 'failover: 1,000 texts, Twilio 503 → Telnyx',
        backend: kind,
        value: Math.round(wall * 10) / 10,
        unit: 's wall',
        notes: `${Number(done.n)} done, ${viaTelnyx} via Telnyx, ${askedTwilio} asked Twilio before the circuit opened`,
      },
      {
        name: 'failover: sms handler run time p99 (bucket bound)',
        backend: kind,
        value: p99,
        unit: 's',
        target: '<= 1 s',
        ok: p99 <= 1,
        notes: `${total} runs`,
      },
    ].map((result) => ({ ...result, backend: kind }));
  } finally {
    await app.dispose();
  }
}

/** The handler histogram's p99 bucket bound for one kind of message, with the number of successful runs. */
async function handlerP99(app: Awaited<ReturnType<typeof startTestApp>>, kind: string): Promise<{ p99: number; total: number }> {
  const histogram = await app.context.metrics.handlerDuration.get();
  const ok = histogram.values.filter((value) => value.labels.kind === kind && value.labels.outcome === 'ok');
  const total = ok.find((value) => value.metricName?.endsWith('_count'))?.value ?? 0;
  const p99 =
    ok
      .filter((value) => value.metricName?.endsWith('_bucket'))
      .map((value) => ({ le: Number((value.labels as Record<string, unknown>).le), count: value.value }))
      .sort((a, b) => a.le - b.le)
      .find((bucket) => bucket.count >= total * 0.99)?.le ?? Number.NaN;
  return { p99, total };
}

/** 1,000 e-mails while SMTP refuses connections: the first ones open the circuit, then SendGrid carries them. */
async function measureEmail(app: Awaited<ReturnType<typeof startTestApp>>, clock: ManualClock): Promise<BenchResult[]> {
  const runtime = app.context.clients.get(CLIENT)!;
  await app.context.clients.set({
    ...runtime,
    config: {
      ...runtime.config,
      providers: {
        ...runtime.config.providers,
        email: [{ provider: 'smtp' }, { provider: 'sendgrid', apiKeyEnv: 'SENDGRID_API_KEY', webhookKeyEnv: 'SENDGRID_WEBHOOK_KEY' }],
      },
    },
    secrets: {
      ...runtime.secrets,
      sendgridApiKey: DEMO_SECRETS.SENDGRID_API_KEY,
      sendgridWebhookKey: DEMO_SECRETS.SENDGRID_WEBHOOK_KEY,
      emulatedVendors: [...new Set([...runtime.secrets.emulatedVendors, 'sendgrid' as const])],
    },
  });
  const sandbox = app.context.sandbox!;
  const queue = async (count: number, tag: string, first: number) => {
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select ${CLIENT}, 'email', jsonb_build_object('to', 'p' || n || '@example.com', 'purpose', 'transactional',
        'template', 'confirmation', 'sequence', 'confirmation', 'subject', 'You are booked'::text,
        'text', 'Smart Tax Nation: you are booked.'::text), ${tag} || '-' || n, ${clock.now()}, 3, 60000, ${clock.now()}, ${clock.now()}
      from generate_series(${first}::int, ${first + count - 1}::int) as n`.execute(app.context.db);
  };
  sandbox.smtp.goDown();
  await queue(10, 'mail-opening', 5000);
  await app.worker.drain();
  app.context.metrics.handlerDuration.reset();
  await queue(TEXTS, 'mail-outage', 0);
  const started = performance.now();
  await app.worker.drain();
  const wall = (performance.now() - started) / 1000;
  const { p99, total } = await handlerP99(app, 'email');
  return [
    {
      name: 'failover: 1,000 e-mails, SMTP refusing → SendGrid',
      value: Math.round(wall * 10) / 10,
      unit: 's wall',
      notes: `${sandbox.sendgrid.mails.length} via SendGrid (10 opened the circuit), ${sandbox.smtp.messages.length} via SMTP`,
    },
    {
      name: 'failover: email handler run time p99 with the circuit open (bucket bound)',
      value: p99,
      unit: 's',
      target: '<= 1 s',
      ok: p99 <= 1,
      notes: `${total} runs`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of BACKENDS) results.push(...(await measure(kind)));
  return results;
}
