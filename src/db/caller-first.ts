/**
 * A caller on the phone waits for some database work (a Retell function's answer); nobody waits for the rest (the
 * outbox worker applying stored call events, CRM syncs, reminders). Under a burst both queue for the same connections
 * (PostgreSQL's pool) or the one session (PGlite), and a function answer waited about six times in a row behind
 * everyone's statements (issue 21). Work run through `forCaller` goes ahead of other waiting work; the rest still gets
 * a turn after every `CALLER_BURST` caller grants in a row, so a long burst cannot starve the worker.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const callerWork = new AsyncLocalStorage<true>();

/** Runs `work` (and everything it starts) as work a caller waits for. */
export function forCaller<T>(work: () => Promise<T>): Promise<T> {
  return callerWork.run(true, work);
}

export function isCallerWork(): boolean {
  return callerWork.getStore() === true;
}

/** Caller grants in a row while other work waits, before other work gets one turn. */
export const CALLER_BURST = 8;

/**
 * `size` permits (the pool's connections), granted callers first. `acquire` resolves with a release function to call
 * once, when the connection goes back to the pool.
 */
export class CallerFirstGate {
  private free: number;
  private readonly callers: Array<() => void> = [];
  private readonly others: Array<() => void> = [];
  private callersInRow = 0;

  constructor(size: number) {
    this.free = size;
  }

  async acquire(caller: boolean): Promise<() => void> {
    if (this.free > 0 && this.callers.length === 0 && this.others.length === 0) {
      this.free--;
    } else {
      await new Promise<void>((resolve) => (caller ? this.callers : this.others).push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOn();
    };
  }

  /** Waiting now (for tests and the bench). */
  get waiting(): { callers: number; others: number } {
    return { callers: this.callers.length, others: this.others.length };
  }

  private handOn(): void {
    let next: (() => void) | undefined;
    if (this.callers.length > 0 && (this.others.length === 0 || this.callersInRow < CALLER_BURST)) {
      next = this.callers.shift();
      this.callersInRow++;
    } else {
      next = this.others.shift();
      this.callersInRow = 0;
    }
    if (next) next();
    else this.free++;
  }
}
