/** Prometheus metrics (prom-client) on a registry of our own, so several apps in one test process never clash. */
import client from 'prom-client';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { countOutboxByStatus } from '../outbox/manage.js';

const OUTBOX_STATUSES = ['scheduled', 'running', 'done', 'failed', 'dead', 'cancelled', 'unknown'];

export class Metrics {
  readonly registry = new client.Registry();
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  readonly handlerDuration: client.Histogram<'kind' | 'outcome'>;
  readonly webhookDuration: client.Histogram<'provider' | 'event'>;
  readonly functionDuration: client.Histogram<'function' | 'outcome'>;
  /** Sends per provider (issue 19): `accepted`, a failure class, or `skipped_open` (its circuit was open). */
  readonly providerSends: client.Counter<'channel' | 'provider' | 'outcome'>;

  constructor(db: Kysely<DB>) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_process_' });
    this.httpDuration = new client.Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.handlerDuration = new client.Histogram({
      name: 'switchboard_outbox_handler_duration_seconds',
      help: 'Outbox handler run time by kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [this.registry],
    });
    this.webhookDuration = new client.Histogram({
      name: 'switchboard_webhook_handler_duration_seconds',
      help: 'Webhook handling time by provider and event type',
      labelNames: ['provider', 'event'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.functionDuration = new client.Histogram({
      name: 'switchboard_function_duration_seconds',
      help: 'Retell custom function handling time',
      labelNames: ['function', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 6, 10],
      registers: [this.registry],
    });
    this.providerSends = new client.Counter({
      name: 'switchboard_provider_sends_total',
      help: 'Message sends per provider by outcome (accepted, a failure class, skipped_open)',
      labelNames: ['channel', 'provider', 'outcome'],
      registers: [this.registry],
    });
    new client.Gauge({
      name: 'switchboard_provider_circuit_state',
      help: 'Circuit breaker per provider account: 0 closed, 1 half-open (probing), 2 open',
      labelNames: ['channel', 'provider', 'account'],
      registers: [this.registry],
      async collect() {
        const rows = await db.selectFrom('provider_circuits').select(['key', 'channel', 'provider', 'state']).execute();
        this.reset();
        for (const row of rows) {
          this.set({ channel: row.channel, provider: row.provider, account: row.key }, row.state === 'open' ? 2 : row.state === 'half_open' ? 1 : 0);
        }
      },
    });
    new client.Gauge({
      name: 'switchboard_outbox_rows',
      help: 'Outbox rows by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await countOutboxByStatus(db);
        for (const status of OUTBOX_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
  }
}
