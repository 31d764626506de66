import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { BACKENDS, openTestDatabase } from '../support/databases.js';

function nextEvent(bus: EventBus, type: string): Promise<BusEvent> {
  return new Promise((resolve) => {
    const unsubscribe = bus.subscribe((event) => {
      if (event.type !== type) return;
      unsubscribe();
      resolve(event);
    });
  });
}

describe.each(BACKENDS)('the live event bus on %s', (kind) => {
  it('delivers a published event to subscribers, and an event published in a rolled-back transaction never', async () => {
    const database = await openTestDatabase(kind);
    const bus = new EventBus(database);
    await bus.start();
    try {
      const seen: string[] = [];
      bus.subscribe((event) => seen.push(event.type));
      await database.db
        .transaction()
        .execute(async (trx) => {
          await bus.publish({ type: 'call.updated', clientId: 'a', data: { id: 'rolled-back' } }, trx);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const arrived = nextEvent(bus, 'outbox.changed');
      await bus.publish({ type: 'outbox.changed', clientId: 'smart-tax-nation', data: { ids: [1, 2] } });
      const event = await arrived;
      expect(event).toMatchObject({ type: 'outbox.changed', clientId: 'smart-tax-nation', data: { ids: [1, 2] } });
      expect(typeof event.at).toBe('number');
      expect(seen).toEqual(['outbox.changed']);
    } finally {
      await bus.stop();
      await database.dispose();
    }
  });
});

describe('the live event bus across instances', () => {
  it('an event raised on one PostgreSQL instance reaches a subscriber of another', async () => {
    const database = await openTestDatabase('postgres');
    const other = await openDatabase({ url: database.url! });
    const publisher = new EventBus(database);
    const subscriber = new EventBus(other);
    await subscriber.start();
    try {
      const arrived = nextEvent(subscriber, 'call.updated');
      await publisher.publish({ type: 'call.updated', clientId: 'smart-tax-nation', data: { callId: 'call_1' } });
      expect(await arrived).toMatchObject({ data: { callId: 'call_1' } });
    } finally {
      await subscriber.stop();
      await other.close();
      await database.dispose();
    }
  });
});
