import type { Clock } from '../core/clock.js';
import type { OutboxRow } from '../db/schema.js';
import type { Logger } from '../log/logger.js';

export interface HandlerContext {
  clock: Clock;
  logger: Logger;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Set when an earlier attempt of this row may have taken effect without our hearing of it (its answer was lost, or
   * the worker running it died) and the handler `reconciles`: the moment that attempt started. The run must look for
   * that effect at the vendor before acting again.
   */
  unsettledSince?: Date;
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
  /**
   * For a kind that is not safe to repeat: whether `run` can find out, at the vendor, what an attempt whose outcome
   * is unknown did (given `unsettledSince`). Such rows are run again to reconcile instead of becoming `unknown`.
   */
  reconciles?: boolean;
  run(row: OutboxRow, context: HandlerContext): Promise<unknown>;
  /**
   * Optional, for kinds whose rows cost mostly their database round trips (stored call events): runs up to
   * `batchSize` due rows together, e.g. in one transaction, and answers one outcome per row, in the order given
   * (the worker hands a batch its rows ordered by call, then id). Each outcome must be what `run` alone would
   * have given that row: a row's failure must not fail its neighbours (fall back to `run` one by one).
   */
  runBatch?(rows: OutboxRow[], context: BatchContext): Promise<Array<PromiseSettledResult<unknown>>>;
  /** Most rows per `runBatch` call (more only when one call alone has more: the worker never splits a call). */
  batchSize?: number;
  /**
   * Finished rows of this kind are housekeeping no screen shows (a sweep, a digest, a reconcile): the outbox prune
   * (prune.ts) deletes them after the housekeeping retention. `payloadKey`: only rows whose payload has that key
   * (alert digests share their kinds with single alerts).
   */
  housekeeping?: { payloadKey?: string };
  /**
   * Finished rows of this kind are the record a screen reads (Messages, a call's or customer's story, the CRM sync
   * list) or a guard a later run relies on: the general retention never deletes them.
   */
  keepFinished?: boolean;
}

export interface BatchContext {
  clock: Clock;
  logger: Logger;
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

/**
 * Thrown by a handler when its effect may or may not have happened (the vendor's answer was lost). `reconcile`: run
 * the row again after its retry interval with `unsettledSince` set, so that run looks before acting (only for
 * handlers that `reconcile`; others' rows become `unknown`). `person`: the row becomes `unknown` at once, for a
 * person to decide.
 */
export class OutcomeUnknown extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly next: 'reconcile' | 'person',
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'OutcomeUnknown';
  }
}
