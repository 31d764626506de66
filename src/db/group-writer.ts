/**
 * Group commit for writes many requests make at once: items added while a write is in flight go together into
 * the next one, so 1,000 requests a second become a few dozen statements and commits instead of 1,000. The
 * first write of a burst starts on the next turn of the event loop, after every request that arrived in the
 * same I/O phase has added its item.
 *
 * `write` answers one result per item, in order; if it throws, every item of that batch gets the error.
 */
export type GroupWrite<Item, Result> = (items: Item[]) => Promise<Result[]>;

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class GroupWriter<Item, Result> {
  private pending: Array<Waiting<Item, Result>> = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly write: GroupWrite<Item, Result>,
    private readonly maxBatch = 500,
  ) {}

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.writing ??= new Promise<void>((next) => setImmediate(next)).then(() => this.writeAll());
    });
  }

  /** Resolves once every item added so far is written (or has failed). Used on shutdown and by tests. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((waiting) => waiting.item));
        batch.forEach((waiting, index) => waiting.resolve(results[index]!));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.writing = undefined;
  }
}
