import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/emulator.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function counterEmulator() {
  let created = 0;
  emulator = await Emulator.start({
    name: 'counter',
    routes(app) {
      app.post('/things', async () => ({ id: ++created }));
    },
  });
  return { emulator, created: () => created };
}

describe('the sandbox emulator frame', () => {
  it('records requests and fails the next N matching calls without running the handler', async () => {
    const { emulator, created } = await counterEmulator();
    emulator.faults.failNext(2, 503, { error: 'down' }, { match: '/things' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await fetch(`${emulator.url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' })).status);
    }
    expect(statuses).toEqual([503, 503, 200]);
    expect(created()).toBe(1);
    expect(emulator.received('/things').map((request) => request.status)).toEqual([503, 503, 200]);
    expect(emulator.received('/things')[0]!.body).toEqual({ n: 1 });
  });

  it('times out after committing: the effect happens but the caller never gets an answer', async () => {
    const { emulator, created } = await counterEmulator();
    emulator.faults.timeoutAfterCommit(1, { hangMs: 60_000 });
    const outcome = await fetch(`${emulator.url}/things`, { method: 'POST', signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    expect(outcome).toBe('TimeoutError');
    expect(created()).toBe(1);
    expect((await fetch(`${emulator.url}/things`, { method: 'POST' })).status).toBe(200);
    expect(created()).toBe(2);
  });

  it('hangs up first and commits later: the caller hears nothing, the effect lands afterwards', async () => {
    const { emulator, created } = await counterEmulator();
    emulator.faults.commitAfterHangup(1, 200, { match: '/things' });
    const outcome = await fetch(`${emulator.url}/things`, { method: 'POST' }).then(
      () => 'answered',
      () => 'connection error',
    );
    expect(outcome).toBe('connection error');
    expect(created()).toBe(0);
    await expect.poll(created, { timeout: 2_000, interval: 20 }).toBe(1);
    expect(emulator.received('/things')[0]!.status).toBeUndefined();
    expect((await fetch(`${emulator.url}/things`, { method: 'POST' })).status).toBe(200);
    expect(created()).toBe(2);
  });

  it('accepts faults over HTTP so another process can script an outage', async () => {
    const { emulator } = await counterEmulator();
    const set = await fetch(`${emulator.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'fail', times: 1, status: 429, body: 'slow down' }),
    });
    expect(set.status).toBe(200);
    expect((await fetch(`${emulator.url}/things`, { method: 'POST' })).status).toBe(429);
    expect((await fetch(`${emulator.url}/things`, { method: 'POST' })).status).toBe(200);
    const bad = await fetch(`${emulator.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"explode"}',
    });
    expect(bad.status).toBe(400);
  });

  it('applies a fault to every Nth matching request only', async () => {
    const { emulator, created } = await counterEmulator();
    emulator.faults.add({ type: 'fail', every: 3, status: 503 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await fetch(`${emulator.url}/things`, { method: 'POST' })).status);
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503, 200]);
    expect(created()).toBe(5);
  });

  it('refuses connections while told to (ECONNREFUSED, nothing received), then listens on the same port again', async () => {
    const { emulator, created } = await counterEmulator();
    const url = emulator.url;
    await emulator.refuseConnections();
    const error = await fetch(`${url}/things`, { method: 'POST' }).catch((caught: Error) => caught);
    expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    expect(emulator.received('/things')).toHaveLength(0);
    await emulator.acceptConnections();
    expect((await fetch(`${url}/things`, { method: 'POST' })).status).toBe(200);
    expect(created()).toBe(1);
  });

  it('resets the connection when told to', async () => {
    const { emulator, created } = await counterEmulator();
    emulator.faults.add({ type: 'reset', times: 1 });
    const outcome = await fetch(`${emulator.url}/things`, { method: 'POST' }).then(
      () => 'answered',
      () => 'connection error',
    );
    expect(outcome).toBe('connection error');
    expect(created()).toBe(0);
  });
});
