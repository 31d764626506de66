import type { Clock } from '../core/clock.js';
import type { OutboxRow } from '../db/schema.js';
import type { Logger } from '../log/logger.js';

export interface HandlerContext {
  clock: Clock;
  logger: Logger;
  /** 1 for the first attempt. */
  attempt: number;
}

/**
 * Runs one kind of side effect. Throw a VendorError/PermanentError (retryable: false) for failures a retry
 * cannot fix, any other error to retry, or a Reschedule to move the row without spending an attempt.
 */
export interface OutboxHandler {
  /**
   * Whether running twice is harmless. A row of an unsafe kind (SMS, e-mail) whose worker died mid-run is
   * not re-run but marked `unknown` for a person to decide, because the message may already be out.
   */
  safeToRepeat: boolean;
  run(row: OutboxRow, context: HandlerContext): Promise<unknown>;
}

export type HandlerRegistry = Map<string, OutboxHandler>;

/** Thrown by a handler when the row is not due after all (quiet hours, rate limit): it moves, no attempt spent. */
export class Reschedule extends Error {
  constructor(
    readonly runAt: Date,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'Reschedule';
  }
}
