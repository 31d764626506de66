/**
 * The same DST rules with the server's own zone set to Asia/Tokyo (no DST, UTC+9): a slot must never depend
 * on where the server runs. Node reads TZ when it converts, so setting it before the cases run is enough
 * (vitest runs each file in its own worker, so other files keep their zone).
 */
import { beforeAll, expect, it } from 'vitest';
import { defineDstSuite } from './dst-cases.js';

process.env.TZ = 'Asia/Tokyo';

beforeAll(() => {
  process.env.TZ = 'Asia/Tokyo';
});

it('runs with the server clock in Asia/Tokyo', () => {
  expect(new Date('2026-03-08T12:00:00Z').getTimezoneOffset()).toBe(-540);
  expect(new Date('2026-03-08T12:00:00Z').getHours()).toBe(21);
});

defineDstSuite();
