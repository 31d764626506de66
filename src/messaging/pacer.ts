/**
 * Per-sender pacing: a long code sends about one text per second, so a burst of reminders is spread out
 * instead of being rejected or filtered. Each text gets a turn (the sender's next free moment advances by
 * 1/rate per text); a text whose turn is later is rescheduled to it and, when it comes back, keeps that turn.
 * The turns live in the database (`sender_pacing`, `sender_pacing_turns`, migration 0009), so N instances on
 * one PostgreSQL share a sender's rate instead of sending N times it, and a rescheduled text keeps its turn
 * on whichever instance picks it up.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** A next-free moment this far ahead is left over from a clock that moved back (tests): start again from now. */
const STALE_AHEAD_MS = 3_600_000;
/** A held turn this far ahead of its row's run is stale the same way and is given up. */
const HELD_TURN_LIMIT_MS = 60_000;

export class SenderPacer {
  constructor(private readonly enabled = true) {}

  /** Undefined when the text may go now, else the moment of its turn (the caller reschedules it there). */
  async take(db: Kysely<DB>, sender: string, ratePerSecond: number, rowId: number, now: Date): Promise<Date | undefined> {
    if (!this.enabled) return undefined;
    const held = await db.selectFrom('sender_pacing_turns').select('slot').where('outbox_id', '=', rowId).executeTakeFirst();
    if (held) {
      const slot = new Date(held.slot);
      if (slot.getTime() > now.getTime() && slot.getTime() - now.getTime() <= HELD_TURN_LIMIT_MS) return slot;
      await db.deleteFrom('sender_pacing_turns').where('outbox_id', '=', rowId).execute();
      if (slot.getTime() <= now.getTime()) return undefined;
    }
    const intervalMs = 1000 / ratePerSecond;
    // One statement per turn, so two instances asking at the same moment get successive turns.
    const taken = await sql<{ next_free: Date | string }>`
      insert into sender_pacing as p (sender, next_free)
      values (${sender}, ${new Date(now.getTime() + intervalMs)})
      on conflict (sender) do update set next_free =
        (case when p.next_free > ${now}::timestamptz + ${STALE_AHEAD_MS} * interval '1 millisecond' then ${now}::timestamptz
              else greatest(p.next_free, ${now}::timestamptz) end) + ${intervalMs} * interval '1 millisecond'
      returning next_free`.execute(db);
    const slot = new Date(new Date(taken.rows[0]!.next_free).getTime() - intervalMs);
    if (slot.getTime() <= now.getTime()) return undefined;
    await db
      .insertInto('sender_pacing_turns')
      .values({ outbox_id: rowId, sender, slot })
      .onConflict((conflict) => conflict.column('outbox_id').doUpdateSet({ sender, slot }))
      .execute();
    return slot;
  }
}
