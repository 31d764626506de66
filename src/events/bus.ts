/**
 * Live events for dashboards. Published with NOTIFY (inside the caller's transaction when one is given, so
 * an event never announces a change that rolled back) and received through LISTEN, which works the same on
 * PGlite (in-process) and PostgreSQL (every instance hears every other instance).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import type { Logger } from '../log/logger.js';

export const EVENTS_CHANNEL = 'switchboard_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; events carry ids, and clients fetch the rest. */
const MAX_PAYLOAD_BYTES = 7_900;

export interface BusEvent {
  /** e.g. call.updated, outbox.changed, error.raised, appointment.changed */
  type: string;
  clientId?: string;
  data?: Record<string, unknown>;
  /** Milliseconds since epoch when the event was published (for end-to-end latency). */
  at?: number;
}

export type BusListener = (event: BusEvent) => void;

export class EventBus {
  private listeners = new Set<BusListener>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = await this.database.listen(EVENTS_CHANNEL, (payload) => {
      let event: BusEvent;
      try {
        event = JSON.parse(payload) as BusEvent;
      } catch {
        this.logger?.warn('Ignored an unreadable live event');
        return;
      }
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger?.warn({ err: error }, 'A live-event listener failed');
        }
      }
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes now, or on commit of `db` when it is a transaction. Never throws: live updates are best effort. */
  async publish(event: BusEvent, db: Kysely<DB> = this.database.db): Promise<void> {
    await this.publishMany([event], db);
  }

  /** Several events in one statement (one round trip), in order; same rules as `publish`. */
  async publishMany(events: readonly BusEvent[], db: Kysely<DB> = this.database.db): Promise<void> {
    if (events.length === 0) return;
    const payloads = events.map((event) => {
      const payload = JSON.stringify({ ...event, at: event.at ?? Date.now() });
      if (Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES) return payload;
      return JSON.stringify({ type: event.type, clientId: event.clientId, at: Date.now(), data: { truncated: true } });
    });
    try {
      if (payloads.length === 1) await sql`select pg_notify(${EVENTS_CHANNEL}, ${payloads[0]})`.execute(db);
      else await sql`select pg_notify(${EVENTS_CHANNEL}, p) from unnest(${payloads}::text[]) with ordinality as x(p, n) order by n`.execute(db);
    } catch (error) {
      this.logger?.warn({ err: error, types: [...new Set(events.map((event) => event.type))] }, 'Could not publish a live event');
      if (db !== this.database.db) throw error;
    }
  }
}
