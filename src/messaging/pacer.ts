/**
 * Per-sender pacing: a long code sends about one text per second, so a burst of reminders is spread out
 * instead of being rejected or filtered. Each row gets a turn (`nextFree` advances by 1/rate per row); a row
 * whose turn is later is rescheduled to it and, when it comes back, keeps that turn. State is per process:
 * with N instances the effective rate is N × the configured one (documented in docs/decisions.md).
 */
export class SenderPacer {
  private readonly nextFree = new Map<string, number>();
  private readonly turns = new Map<number, number>();

  constructor(private readonly enabled = true) {}

  /** 0 when the row may send now, else the epoch ms of its turn. */
  take(sender: string, ratePerSecond: number, rowId: number, nowMs: number): number {
    if (!this.enabled) return 0;
    const turn = this.turns.get(rowId);
    if (turn !== undefined) {
      if (turn <= nowMs) {
        this.turns.delete(rowId);
        return 0;
      }
      // Clock went backwards (tests) or the row came back early: forget stale turns far in the future.
      if (turn - nowMs <= 60_000) return turn;
      this.turns.delete(rowId);
    }
    const interval = 1000 / ratePerSecond;
    let free = this.nextFree.get(sender) ?? 0;
    if (free - nowMs > 3_600_000) free = 0;
    const slot = Math.max(nowMs, free);
    this.nextFree.set(sender, slot + interval);
    if (slot <= nowMs) return 0;
    if (this.turns.size > 100_000) this.turns.clear();
    this.turns.set(rowId, slot);
    return slot;
  }
}
