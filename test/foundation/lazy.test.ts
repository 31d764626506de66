/** core/lazy.ts: one attempt shared by everyone asking at once, the value kept after, a failed attempt tried again. */
import { describe, expect, it } from 'vitest';
import { lazy } from '../../src/core/lazy.js';

describe('lazy', () => {
  it('makes the value once for callers asking at once and after, and shows it once made', async () => {
    let made = 0;
    let finish!: (value: { n: number }) => void;
    const value = lazy(() => {
      made += 1;
      return new Promise<{ n: number }>((resolve) => (finish = resolve));
    });
    expect(value.value).toBeUndefined();
    const first = value();
    const second = value();
    expect(made).toBe(1);
    expect(value.value).toBeUndefined();
    finish({ n: 7 });
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(value.value).toBe(a);
    expect(await value()).toBe(a);
    expect(made).toBe(1);
  });

  it('forgets a failed attempt: everyone waiting gets the failure, the next caller tries again', async () => {
    let attempt = 0;
    const value = lazy(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('broken install');
      return `made on attempt ${attempt}`;
    });
    const waiting = [value(), value()];
    for (const result of await Promise.allSettled(waiting)) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ message: 'broken install' });
    }
    expect(value.value).toBeUndefined();
    expect(await value()).toBe('made on attempt 2');
    expect(await value()).toBe('made on attempt 2');
    expect(attempt).toBe(2);
  });
});
