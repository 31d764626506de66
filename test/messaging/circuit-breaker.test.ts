/**
 * Issue 19: the provider circuit breaker's rules on its own, on both databases: 5 failures in a row open it; so does
 * a failure ratio of at least 50 % over at least 20 attempts in a 60-second window (but not over a fresh window);
 * while open it skips until 30 s have passed; then exactly one caller probes; success closes it, failure reopens it;
 * one alert per change between closed and open.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { ProviderBreakers, type CircuitAccount } from '../../src/messaging/circuit-breaker.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';

const ACCOUNT: CircuitAccount = { key: 'twilio:ACtest', channel: 'sms', provider: 'twilio' };
const T0 = new Date('2026-03-02T15:00:00Z').getTime();
const at = (ms: number) => new Date(T0 + ms);

describe.each(BACKENDS)('provider circuit breaker on %s', (kind) => {
  let database: TestDatabase;
  let alerts: AlertInput[];
  let breakers: ProviderBreakers;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('provider_circuits').execute();
    alerts = [];
    breakers = new ProviderBreakers({ db: database.db, alerts: { raise: async (alert) => void alerts.push(alert) }, logger: silentLogger() });
  });
  const state = async () => (await database.db.selectFrom('provider_circuits').select('state').where('key', '=', ACCOUNT.key).executeTakeFirst())?.state;

  it('opens after 5 failures in a row, not 4; a success in between resets the run', async () => {
    for (let n = 0; n < 4; n += 1) await breakers.record(ACCOUNT, 'failure', at(n), 'office');
    await breakers.record(ACCOUNT, 'success', at(4), 'office');
    for (let n = 0; n < 4; n += 1) await breakers.record(ACCOUNT, 'failure', at(5 + n), 'office');
    expect(await state()).toBe('closed');
    expect(await breakers.decide(ACCOUNT, at(10))).toEqual({ kind: 'send' });
    expect(await breakers.record(ACCOUNT, 'failure', at(10), 'office')).toBe('open');
    expect(await breakers.decide(ACCOUNT, at(11))).toEqual({ kind: 'skip', until: at(30_010) });
    expect(alerts.map((alert) => alert.details?.state)).toEqual(['open']);
  });

  it('opens at ≥ 50 % failures of ≥ 20 attempts within 60 s, never on a window that restarted', async () => {
    // 19 attempts, 10 failures, never 5 in a row: still closed (fewer than 20).
    for (let n = 0; n < 19; n += 1) await breakers.record(ACCOUNT, n % 2 === 0 ? 'failure' : 'success', at(n * 1000), 'office');
    expect(await state()).toBe('closed');
    // 61 s after the window began it restarts: the 20th attempt counts alone.
    await breakers.record(ACCOUNT, 'failure', at(61_000), 'office');
    expect(await state()).toBe('closed');
    for (let n = 1; n < 19; n += 1) await breakers.record(ACCOUNT, n % 2 === 0 ? 'failure' : 'success', at(61_000 + n * 1000), 'office');
    expect(await state()).toBe('closed');
    // The 20th attempt of this window, the 10th failure: 50 %.
    expect(await breakers.record(ACCOUNT, 'failure', at(61_000 + 19_000), 'office')).toBe('open');
  });

  it('probes once after 30 s: one caller wins, success closes, failure reopens for another 30 s', async () => {
    for (let n = 0; n < 5; n += 1) await breakers.record(ACCOUNT, 'failure', at(0), 'office');
    expect((await breakers.decide(ACCOUNT, at(29_999))).kind).toBe('skip');
    const [first, second] = await Promise.all([breakers.decide(ACCOUNT, at(30_000)), breakers.decide(ACCOUNT, at(30_000))]);
    expect([first.kind, second.kind].sort()).toEqual(['probe', 'skip']);
    expect(await breakers.record(ACCOUNT, 'failure', at(30_500), 'office')).toBeUndefined();
    expect(await state()).toBe('open');
    expect(await breakers.decide(ACCOUNT, at(31_000))).toEqual({ kind: 'skip', until: at(60_500) });
    expect((await breakers.decide(ACCOUNT, at(60_500))).kind).toBe('probe');
    expect(await breakers.record(ACCOUNT, 'success', at(61_000), 'office')).toBe('closed');
    expect(await breakers.decide(ACCOUNT, at(61_001))).toEqual({ kind: 'send' });
    expect(alerts.map((alert) => alert.details?.state)).toEqual(['open', 'closed']);
  });

  it('a probe that never reports back is claimed again after 30 s', async () => {
    for (let n = 0; n < 5; n += 1) await breakers.record(ACCOUNT, 'failure', at(0), 'office');
    expect((await breakers.decide(ACCOUNT, at(30_000))).kind).toBe('probe');
    expect((await breakers.decide(ACCOUNT, at(45_000))).kind).toBe('skip');
    expect((await breakers.decide(ACCOUNT, at(60_000))).kind).toBe('probe');
  });
});
