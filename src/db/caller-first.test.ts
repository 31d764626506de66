import { describe, expect, it } from 'vitest';
import { CALLER_BURST, CallerFirstGate, forCaller, isCallerWork } from './caller-first.js';

describe('CallerFirstGate', () => {
  it('grants at once while permits are free, then hands a returned permit to a waiting caller before earlier other work', async () => {
    const gate = new CallerFirstGate(1);
    const order: string[] = [];
    const first = await gate.acquire(false);
    const worker = gate.acquire(false).then((release) => (order.push('worker'), release));
    const caller = gate.acquire(true).then((release) => (order.push('caller'), release));
    expect(gate.waiting).toEqual({ callers: 1, others: 1 });
    first();
    (await caller)();
    (await worker)();
    expect(order).toEqual(['caller', 'worker']);
    // Every permit is back: the next acquire does not wait.
    (await gate.acquire(false))();
    expect(gate.waiting).toEqual({ callers: 0, others: 0 });
  });

  it(`lets other work have a turn after ${CALLER_BURST} callers in a row, so a burst cannot starve it`, async () => {
    const gate = new CallerFirstGate(1);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const enqueue = (caller: boolean) =>
      void gate.acquire(caller).then((release) => {
        order.push(caller ? 'caller' : 'worker');
        releases.push(release);
      });
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    releases.push(await gate.acquire(true));
    enqueue(false);
    for (let index = 0; index < CALLER_BURST + 2; index++) enqueue(true);
    while (releases.length > 0) {
      releases.shift()!();
      await settled();
    }
    expect(order).toEqual([...Array<string>(CALLER_BURST).fill('caller'), 'worker', 'caller', 'caller']);
  });

  it('a release called twice hands on one permit only', async () => {
    const gate = new CallerFirstGate(1);
    const release = await gate.acquire(false);
    release();
    release();
    const a = await gate.acquire(false);
    let second = false;
    void gate.acquire(false).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    a();
  });

  it('forCaller marks the work and what it awaits, and nothing outside it', async () => {
    expect(isCallerWork()).toBe(false);
    expect(
      await forCaller(async () => {
        await Promise.resolve();
        return isCallerWork();
      }),
    ).toBe(true);
    expect(isCallerWork()).toBe(false);
  });
});
