/**
 * Coalesces single-row database work that many concurrent senders (outbox lanes, status callbacks, Retell
 * webhooks storing their events, ringing calls) ask for
 * in the same turn of the event loop into one statement. Nothing waits for a batch to fill: whatever was
 * asked for by the time the current I/O callbacks finish runs together (setImmediate), so an idle system
 * pays no latency and a busy one pays one round trip per batch instead of one per message.
 * At most `maxInFlight` batches run at once (group commit): what arrives while they run waits for one of them
 * to finish and then goes as one statement, so under load batches grow instead of statements multiplying.
 * If a batch's statement fails, its items run again one by one, so one bad item cannot fail its neighbours.
 */
export interface BatcherOptions<I, O> {
  /** Runs a batch; answers one result per item, in order. */
  run(items: I[]): Promise<O[]>;
  /** Items that must not share a statement (e.g. two upserts of one row) go into successive waves. */
  keyOf?: (item: I) => string | undefined;
  maxBatch?: number;
  /** Batches running at once (default 1). */
  maxInFlight?: number;
  /** A batch starts at least this long after the previous one started (default 0: at once). */
  minIntervalMs?: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class Batcher<I, O> {
  private queue: Array<Pending<I, O>> = [];
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private lastStart = -Infinity;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly minIntervalMs: number;

  constructor(private readonly options: BatcherOptions<I, O>) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.minIntervalMs = options.minIntervalMs ?? 0;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything added so far has run (or failed). Used on shutdown and by tests. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    const wait = this.lastStart + this.minIntervalMs - performance.now();
    if (wait > 0) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const taken = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
      if (taken === this.queue) this.queue = [];
      this.inFlight += 1;
      this.lastStart = performance.now();
      void this.runWaves(taken).finally(() => {
        this.inFlight -= 1;
        this.schedule();
        if (this.queue.length === 0 && this.inFlight === 0 && !this.scheduled) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
      if (this.minIntervalMs > 0) break;
    }
  }

  private async runWaves(pending: Array<Pending<I, O>>): Promise<void> {
    let rest = pending;
    while (rest.length > 0) {
      const wave: Array<Pending<I, O>> = [];
      const later: Array<Pending<I, O>> = [];
      const keys = new Set<string>();
      for (const entry of rest) {
        const key = this.options.keyOf?.(entry.item);
        if (key !== undefined && keys.has(key)) later.push(entry);
        else {
          if (key !== undefined) keys.add(key);
          wave.push(entry);
        }
      }
      await this.runBatch(wave);
      rest = later;
    }
  }

  private async runBatch(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const results = await this.options.run(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const entry of batch) await this.runBatch([entry]);
    }
  }
}
