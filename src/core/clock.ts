/** Time as an injected value: production uses the system clock, tests drive a ManualClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; listeners let waiting loops react to jumps instead of sleeping. */
export class ManualClock implements Clock {
  private current: number;
  private listeners = new Set<() => void>();

  constructor(start: Date | string | number = '2026-01-15T15:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
    for (const listener of this.listeners) listener();
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function isManualClock(clock: Clock): clock is ManualClock {
  return clock instanceof ManualClock;
}
