import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TestClockRefused, testClockFromEnv } from '../../src/core/test-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSwitchboard, type Switchboard } from '../../src/main.js';
import { TEST_PASSWORD_COST, testEnv } from '../support/app.js';

describe('the test clock (SWITCHBOARD_TEST_CLOCK)', () => {
  it('is off unless asked for, starts where told, and refuses live mode and bad values', () => {
    expect(testClockFromEnv({}, 'demo')).toBeUndefined();
    expect(testClockFromEnv({ SWITCHBOARD_TEST_CLOCK: '0' }, 'demo')).toBeUndefined();
    const clock = testClockFromEnv({ SWITCHBOARD_TEST_CLOCK: '1', SWITCHBOARD_TEST_CLOCK_START: '2026-03-02T15:00:00Z' }, 'demo');
    expect(clock).toBeInstanceOf(ManualClock);
    expect(clock!.now().toISOString()).toBe('2026-03-02T15:00:00.000Z');
    expect(() => testClockFromEnv({ SWITCHBOARD_TEST_CLOCK: '1' }, 'live')).toThrow(/refused in live mode/);
    expect(() => testClockFromEnv({ SWITCHBOARD_TEST_CLOCK: 'yes' }, 'demo')).toThrow(TestClockRefused);
    expect(() => testClockFromEnv({ SWITCHBOARD_TEST_CLOCK: '1', SWITCHBOARD_TEST_CLOCK_START: 'soon' }, 'demo')).toThrow(/ISO date-time/);
  });

  it('a live-mode start with SWITCHBOARD_TEST_CLOCK=1 fails before opening anything', async () => {
    const failure = await startSwitchboard({
      logger: silentLogger(),
      env: { ...testEnv, SWITCHBOARD_MODE: 'live', SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64'), SWITCHBOARD_TEST_CLOCK: '1' },
    }).then(
      (started) => started.close().then(() => undefined),
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(TestClockRefused);
    expect(failure?.message).toContain('SWITCHBOARD_TEST_CLOCK is refused in live mode');
  });

  it('a demo start without it has no /__test routes and keeps the real clock', async () => {
    const app = await startSwitchboard({ logger: silentLogger(), worker: false, passwordCost: TEST_PASSWORD_COST, env: { ...testEnv } });
    try {
      const moved = await fetch(`${app.url}/__test/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advanceMs":86400000}' });
      expect(moved.status).toBe(404);
      expect(Math.abs(app.context.clock.now().getTime() - Date.now())).toBeLessThan(5_000);
    } finally {
      await app.close();
    }
  });

  describe('with SWITCHBOARD_TEST_CLOCK=1 in demo mode', () => {
    let app: Switchboard;
    beforeAll(async () => {
      app = await startSwitchboard({
        logger: silentLogger(),
        passwordCost: TEST_PASSWORD_COST,
        env: { ...testEnv, SWITCHBOARD_TEST_CLOCK: '1', SWITCHBOARD_TEST_CLOCK_START: '2026-03-02T15:00:00Z' },
      });
    }, 60_000);
    afterAll(async () => {
      await app?.close();
    });

    const post = (path: string, body: unknown) =>
      fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it("moves the whole process's clock by advanceMs or to a set instant, and refuses anything else with a 400", async () => {
      expect(await (await post('/__test/clock', { advanceMs: 86_400_000 })).json()).toEqual({ now: '2026-03-03T15:00:00.000Z' });
      expect(app.context.clock.now().toISOString()).toBe('2026-03-03T15:00:00.000Z');
      expect(await (await post('/__test/clock', { set: '2026-03-10T09:00:00-04:00' })).json()).toEqual({ now: '2026-03-10T13:00:00.000Z' });
      for (const bad of [{}, { advanceMs: -1 }, { set: 'tomorrow' }, { advanceMs: 1, set: '2026-03-10T09:00:00Z' }, 'x']) {
        expect((await post('/__test/clock', bad)).status).toBe(400);
      }
    });

    it('settle runs every due outbox row before answering', async () => {
      const { enqueue } = await import('../../src/outbox/enqueue.js');
      const ran: number[] = [];
      app.context.handlers.set('test_clock_probe', { safeToRepeat: true, run: async (row) => void ran.push(row.id) });
      await enqueue(app.context.db, app.context.clock, {
        clientId: 'smart-tax-nation',
        kind: 'test_clock_probe',
        payload: {},
        runAt: new Date('2026-03-11T00:00:00Z'),
        dedupeKey: `probe:${Date.now()}`,
      });
      await post('/__test/outbox/settle', {});
      expect(ran).toEqual([]);
      await post('/__test/clock', { set: '2026-03-11T00:00:00Z' });
      const settled = await (await post('/__test/outbox/settle', {})).json();
      expect(settled).toMatchObject({ settled: true });
      expect(ran).toHaveLength(1);
    });

    it('answers only loopback callers, whatever X-Forwarded-For says', async () => {
      const fromOutside = await app.app.inject({ method: 'POST', url: '/__test/clock', payload: { advanceMs: 1 }, remoteAddress: '203.0.113.9' });
      expect(fromOutside.statusCode).toBe(403);
      const spoofed = await app.app.inject({ method: 'GET', url: '/__test/clock', headers: { 'x-forwarded-for': '127.0.0.1' }, remoteAddress: '203.0.113.9' });
      expect(spoofed.statusCode).toBe(403);
    });
  });
});
