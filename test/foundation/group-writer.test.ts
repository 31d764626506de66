import { describe, expect, it } from 'vitest';
import { GroupWriter } from '../../src/db/group-writer.js';

/** A write that records each batch and finishes when the test says so. */
function controlledWrite() {
  const batches: number[][] = [];
  const finishers: Array<(fail?: Error) => void> = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(items);
      finishers.push((fail) => (fail ? reject(fail) : resolve(items.map((item) => `stored ${item}`))));
    });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  return { batches, finishers, write, turn };
}

describe('GroupWriter', () => {
  it('writes items added in one turn together, and what arrives during a write as the next batch', async () => {
    const { batches, finishers, write, turn } = controlledWrite();
    const writer = new GroupWriter(write);
    const first = [1, 2, 3].map((item) => writer.add(item));
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((item) => writer.add(item));
    await turn();
    expect(batches).toHaveLength(1); // one write at a time by default
    finishers[0]!();
    expect(await Promise.all(first)).toEqual(['stored 1', 'stored 2', 'stored 3']);
    await turn();
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    finishers[1]!();
    expect(await Promise.all(second)).toEqual(['stored 4', 'stored 5']);
    await writer.idle();
  });

  it('keeps up to maxInFlight writes going and caps each batch at maxBatch', async () => {
    const { batches, finishers, write, turn } = controlledWrite();
    const writer = new GroupWriter(write, { maxInFlight: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((item) => writer.add(item));
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4]]);
    finishers[1]!();
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    finishers[0]!();
    finishers[2]!();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5].map((item) => `stored ${item}`));
  });

  it('rejects every item of a failed batch, and only those', async () => {
    const { finishers, write, turn } = controlledWrite();
    const writer = new GroupWriter(write);
    const failing = [writer.add(1), writer.add(2)];
    await turn();
    const later = writer.add(3);
    finishers[0]!(new Error('database is down'));
    for (const result of await Promise.allSettled(failing)) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'database is down' } });
    await turn();
    finishers[1]!();
    expect(await later).toBe('stored 3');
  });

  it('idle() waits for items queued and in flight', async () => {
    const { finishers, write, turn } = controlledWrite();
    const writer = new GroupWriter(write);
    void writer.add(1);
    let idle = false;
    const waiting = writer.idle().then(() => (idle = true));
    await turn();
    expect(idle).toBe(false);
    finishers[0]!();
    await waiting;
    expect(idle).toBe(true);
  });
});
