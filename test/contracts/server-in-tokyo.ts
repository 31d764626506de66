/**
 * The server's own zone set to Asia/Tokyo (UTC+9, no DST) for one test file: an event's instant must never depend on
 * where the server runs. Node reads TZ when it converts, so setting it before the cases run is enough (vitest runs
 * each file in its own process). One adapter per file, so vitest's forks run the adapters side by side.
 */
import { beforeAll, expect, it } from 'vitest';

process.env.TZ = 'Asia/Tokyo';

export function runWithServerInTokyo(): void {
  beforeAll(() => {
    process.env.TZ = 'Asia/Tokyo';
  });

  it('runs with the server clock in Asia/Tokyo', () => {
    expect(new Date('2026-03-08T12:00:00Z').getTimezoneOffset()).toBe(-540);
  });
}
