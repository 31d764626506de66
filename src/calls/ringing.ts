/**
 * The `ringing` call rows call_inbound asks for, written just after the answer instead of before it: the
 * caller's greeting waits only for the memory lookup, not for a commit. Rows that arrive while a write is in
 * flight go together into the next multi-row insert, so 500 calls a second are a handful of commits.
 *
 * Idempotent (`on conflict do nothing`: a repeated call_inbound, or a call_started that got there first, keeps
 * the row it found). Not on the durability path: every later event of the call creates the row if it is
 * missing, so a crash between the answer and the write loses only the "ringing" moment on the live screen.
 */
import type { Kysely } from 'kysely';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import { Batcher } from '../db/batcher.js';
import { byCodeUnits } from '../core/canonical.js';

/** Ringing rows are written at most this often (an idle system writes at once). */
export const RINGING_WRITE_INTERVAL_MS = 50;

export interface RingingCall {
  clientId: string;
  callId: string;
  agentId?: string;
  fromNumber?: string;
  toNumber?: string;
  at: Date;
}

export interface RingingCallWriterDeps {
  db: Kysely<DB>;
  /** Called once per write with the rows it created (not rows that already existed); may be empty. */
  onRecorded(calls: RingingCall[]): void;
  /** Called for a row that could not be written; the call still rings and its later events create the row. */
  onFailed(error: unknown, calls: RingingCall[]): void;
}

/** Inserts the rows that are new; returns the ids it created. */
export async function insertRingingCalls(db: Kysely<DB>, calls: RingingCall[]): Promise<Set<string>> {
  // One row per id: a duplicate inside one insert would make Postgres refuse the whole statement. In the one lock
  // order of call rows (by id, record.ts), so this insert and a batch of call events never wait for each other's rows.
  const unique = [...new Map(calls.map((call) => [call.callId, call])).values()].sort((a, b) => byCodeUnits(a.callId, b.callId));
  const inserted = await db
    .insertInto('calls')
    .values(
      unique.map((call) => ({
        id: call.callId,
        client_id: call.clientId,
        status: 'ringing' as const,
        stage: 0,
        agent_id: call.agentId ?? null,
        direction: 'inbound',
        from_number: call.fromNumber ?? null,
        to_number: call.toNumber ?? null,
        events: json({ call_inbound: call.at.toISOString() }),
        created_at: call.at,
        updated_at: call.at,
      })),
    )
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returning('id')
    .execute();
  return new Set(inserted.map((row) => row.id));
}

export class RingingCallWriter {
  private readonly writer: Batcher<RingingCall, boolean>;

  constructor(private readonly deps: RingingCallWriterDeps) {
    this.writer = new Batcher({
      // A failing statement is not caught here: the batcher then writes each row alone, so one row the database
      // refuses fails alone (reported by `add`) and the other calls of that moment are still recorded.
      run: async (batch) => {
        const created = await insertRingingCalls(deps.db, batch);
        const recorded = batch.filter((call) => created.delete(call.callId));
        if (recorded.length > 0) deps.onRecorded(recorded);
        const mine = new Set(recorded);
        return batch.map((call) => mine.has(call));
      },
      // Busy offices share inserts: rows of calls ringing within this window go in one statement. The row only
      // feeds the live screen, so it may appear a few tens of milliseconds after the answer.
      minIntervalMs: RINGING_WRITE_INTERVAL_MS,
    });
  }

  /** Queues the row; the write starts after the current I/O turn, i.e. after the answer has been sent. */
  add(call: RingingCall): void {
    this.writer.add(call).catch((error: unknown) => this.deps.onFailed(error, [call]));
  }

  /** Resolves once every row added so far is written (or reported failed). Used on shutdown and by tests. */
  idle(): Promise<void> {
    return this.writer.idle();
  }
}
