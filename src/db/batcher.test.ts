import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('Batcher', () => {
  it('runs what is asked for in one turn as one batch, in order', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      run: async (items) => {
        batches.push(items);
        return items.map((item) => item * 10);
      },
    });
    expect(await Promise.all([1, 2, 3].map((item) => batcher.add(item)))).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('holds what arrives while a batch runs and sends it as the next batch (one in flight)', async () => {
    const batches: number[][] = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const batcher = new Batcher<number, number>({
      run: async (items) => {
        batches.push(items);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        return items;
      },
    });
    const first = batcher.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((item) => batcher.add(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    gates[0]!.release();
    expect(await first).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates[1]!.release();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('allows more batches in flight when asked', async () => {
    let running = 0;
    let most = 0;
    const batcher = new Batcher<number, number>({
      maxInFlight: 2,
      maxBatch: 1,
      run: async (items) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return items;
      },
    });
    await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.add(item)));
    expect(most).toBe(2);
  });

  it('puts items with the same key into successive waves and runs a failed batch item by item', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string, string>({
      keyOf: (item) => item.split(':')[0],
      run: async (items) => {
        batches.push(items);
        if (items.length > 1 && items.includes('bad:1')) throw new Error('one bad item');
        if (items.length === 1 && items[0] === 'bad:1') throw new Error('bad');
        return items.map((item) => item.toUpperCase());
      },
    });
    const results = await Promise.allSettled(['a:1', 'b:1', 'a:2', 'bad:1'].map((item) => batcher.add(item)));
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : 'rejected'))).toEqual(['A:1', 'B:1', 'A:2', 'rejected']);
    expect(batches).toEqual([['a:1', 'b:1', 'bad:1'], ['a:1'], ['b:1'], ['bad:1'], ['a:2']]);
  });

  it('spaces batches by minIntervalMs', async () => {
    const starts: number[] = [];
    const batcher = new Batcher<number, void>({
      minIntervalMs: 40,
      run: async (items) => {
        starts.push(performance.now());
        return items.map(() => undefined);
      },
    });
    await batcher.add(1);
    await batcher.add(2);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(35);
  });

  it('idle() waits for what is queued and in flight, and caps a batch at maxBatch', async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxBatch: 2,
      run: async (items) => {
        batches.push(items);
        await gate.promise;
        return items;
      },
    });
    await batcher.idle();
    for (const item of [1, 2, 3]) void batcher.add(item);
    let idle = false;
    const waiting = batcher.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
    expect(idle).toBe(false);
    gate.release();
    await waiting;
    expect(batches).toEqual([[1, 2], [3]]);
    expect(idle).toBe(true);
  });
});
