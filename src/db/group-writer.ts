/**
 * Group commit for writes many requests make at once: items added while writes are in flight go together into
 * the next one, so 1,000 requests a second become a few dozen statements and commits instead of 1,000. The
 * first write of a burst starts on the next turn of the event loop, after every request that arrived in the
 * same I/O phase has added its item. Up to `maxInFlight` batches are written at once (each on its own pooled
 * connection), so a request that just missed a batch does not wait for that batch's commit before its own
 * starts.
 *
 * `write` answers one result per item, in order; if it throws, every item of that batch gets the error.
 */
export type GroupWrite<Item, Result> = (items: Item[]) => Promise<Result[]>;

export interface GroupWriterOptions {
  /** Most items in one write. */
  maxBatch?: number;
  /** Most writes at once. */
  maxInFlight?: number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class GroupWriter<Item, Result> {
  private pending: Array<Waiting<Item, Result>> = [];
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly write: GroupWrite<Item, Result>,
    options: GroupWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startWrites();
        });
      }
    });
  }

  /** Resolves once every item added so far is written (or has failed). Used on shutdown and by tests. */
  idle(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startWrites(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.writeBatch(batch);
    }
  }

  private async writeBatch(batch: Array<Waiting<Item, Result>>): Promise<void> {
    try {
      const results = await this.write(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => waiting.resolve(results[index]!));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.inFlight -= 1;
      // What arrived during this write goes out now, together.
      this.startWrites();
      if (this.pending.length === 0 && this.inFlight === 0 && !this.scheduled) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }
}
