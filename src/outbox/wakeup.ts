/**
 * When an idle outbox worker looks again: at the earliest `run_at` still waiting (a text paced to its turn, a
 * reminder, a retry), at once when rung (NOTIFY on every enqueue or retry, stop), and at the latest after the
 * poll cap, the safety net for a NOTIFY lost with a dropped LISTEN connection. A fixed poll alone left a text held
 * for its 1-per-second turn waiting up to the whole poll (5 s) past it.
 *
 * Time is the worker's clock: on the system clock this is a timer; on a ManualClock (tests, the e2e test clock)
 * the sleep ends when the clock is moved to or past the moment, never on a jump that stops short of it.
 */
import { isManualClock, type Clock } from '../core/clock.js';

/** Node may fire a timer a millisecond before it was due; waking 1 ms late claims the row on the first look. */
const TIMER_SLACK_MS = 1;
/** A due moment already past (a row another worker holds, or clock skew) is looked at again after this. */
const PAST_DUE_RETRY_MS = 25;

export class Wakeup {
  private rung = false;
  private release: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly pollMs: number,
  ) {}

  /** Ends the current sleep, or makes the next one return at once. */
  ring(): void {
    this.rung = true;
    this.release?.();
  }

  /** Forgets an earlier ring: called right before the worker looks for due rows, so a ring after that look counts. */
  reset(): void {
    this.rung = false;
  }

  /** The moment the worker will look next: the earliest due row, capped by the poll. */
  target(nextDue: Date | undefined): number {
    const now = this.clock.now().getTime();
    const cap = now + this.pollMs;
    if (nextDue === undefined) return cap;
    const due = nextDue.getTime();
    return due <= now ? now + PAST_DUE_RETRY_MS : Math.min(due, cap);
  }

  /** Sleeps until `target(nextDue)` on the worker's clock, or until rung. Returns what ended it. */
  sleep(nextDue: Date | undefined): Promise<'rung' | 'time'> {
    if (this.rung) return Promise.resolve('rung');
    const at = this.target(nextDue);
    return new Promise((resolve) => {
      let cancelTimer: () => void = () => undefined;
      const finish = (why: 'rung' | 'time') => {
        cancelTimer();
        this.release = undefined;
        resolve(why);
      };
      this.release = () => finish('rung');
      cancelTimer = whenClockReaches(this.clock, at, () => finish('time'));
    });
  }
}

/** Calls `fn` once `clock` reads `at` (epoch ms) or later; returns a function that cancels it. */
export function whenClockReaches(clock: Clock, at: number, fn: () => void): () => void {
  if (isManualClock(clock)) {
    let done = false;
    const check = () => {
      if (done || clock.now().getTime() < at) return;
      done = true;
      unsubscribe();
      fn();
    };
    const unsubscribe = clock.onChange(check);
    queueMicrotask(check);
    return () => {
      done = true;
      unsubscribe();
    };
  }
  const timer = setTimeout(fn, Math.max(0, at - clock.now().getTime()) + TIMER_SLACK_MS);
  timer.unref();
  return () => clearTimeout(timer);
}
