import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { setConsent } from '../../src/customers/consent.js';
import { createMessagingBatches } from '../../src/messaging/batches.js';
import { runMessagingStatement, type MessageWrite } from '../../src/messaging/deliveries.js';
import { BACKENDS, openTestDatabase, seedClient, type TestDatabase } from '../support/databases.js';

const CLIENT = 'smart-tax-nation';
const at = new Date('2026-03-02T15:00:00Z');

function write(providerId: string, status: string, event: boolean, outboxId: number | null = null): MessageWrite {
  const base = { clientId: CLIENT, outboxId, channel: 'sms' as const, providerId, to: '+12125550100', status, at };
  return event ? { ...base, event: true, params: { MessageSid: providerId, MessageStatus: status } } : { ...base, event: false };
}

describe.each(BACKENDS)('one statement for delivery records, status callbacks and consent reads on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    await seedClient(database);
    await setConsent(
      database.db,
      { clock: new ManualClock(at) },
      { clientId: CLIENT, channel: 'sms', address: '+12125550111', purpose: 'marketing', status: 'opted_out', source: 'sms_keyword' },
    );
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('answers every part from one statement', async () => {
    const result = await runMessagingStatement(
      database.db,
      [write('SMa', 'queued', false, 1), write('SMb', 'sent', true, 2), write('SMc', 'delivered', true, 3)],
      [
        { clientId: CLIENT, channel: 'sms', address: '+12125550111', purpose: 'marketing' },
        { clientId: CLIENT, channel: 'sms', address: '+12125550111', purpose: 'transactional' },
        { clientId: CLIENT, channel: 'sms', address: '+12125550100', purpose: 'marketing' },
      ],
    );
    expect(result.written).toEqual([
      { status: 'queued', outboxId: 1 },
      { status: 'sent', outboxId: 2 },
      { status: 'delivered', outboxId: 3 },
    ]);
    expect(result.optedOut).toEqual([true, false, false]);

    // A repeated callback is a duplicate (no answer) and changes nothing; a late lower status does not go back.
    const again = await runMessagingStatement(
      database.db,
      [write('SMc', 'delivered', true), write('SMb', 'queued', false), write('SMa', 'delivered', true)],
      [],
    );
    expect(again.written).toEqual([undefined, { status: 'sent', outboxId: 2 }, { status: 'delivered', outboxId: 1 }]);
    const events = await database.db.selectFrom('message_events').select(['message_sid', 'status']).orderBy('id').execute();
    expect(events).toEqual([
      { message_sid: 'SMb', status: 'sent' },
      { message_sid: 'SMc', status: 'delivered' },
      { message_sid: 'SMa', status: 'delivered' },
    ]);
  });

  it('only consent questions, or only writes, are statements of their own', async () => {
    expect(await runMessagingStatement(database.db, [], [{ clientId: CLIENT, channel: 'sms', address: '+12125550111', purpose: 'marketing' }])).toEqual({
      written: [],
      optedOut: [true],
    });
    expect((await runMessagingStatement(database.db, [write('SMd', 'queued', false)], [])).written).toEqual([{ status: 'queued', outboxId: null }]);
  });

  it('through the batches: concurrent writes for one message go in successive waves', async () => {
    const batches = createMessagingBatches({ db: database.db, bus: { publish: async () => undefined, publishMany: async () => undefined } as never });
    const [recorded, sent, delivered, optedOut] = await Promise.all([
      batches.recordDelivery({ clientId: CLIENT, outboxId: 9, channel: 'sms', providerId: 'SMe', to: '+12125550100', status: 'queued', at }),
      batches.recordStatusEvent({ clientId: CLIENT, outboxId: 9, channel: 'sms', providerId: 'SMe', to: '+12125550100', status: 'sent', at, params: {} }),
      batches.recordStatusEvent({ clientId: CLIENT, outboxId: 9, channel: 'sms', providerId: 'SMe', to: '+12125550100', status: 'delivered', at, params: {} }),
      batches.isOptedOut({ clientId: CLIENT, channel: 'sms', address: ' +12125550111 ', purpose: 'marketing' }),
    ]);
    expect([recorded?.status, sent?.status, delivered?.status, optedOut]).toEqual(['queued', 'sent', 'delivered', true]);
    const row = await database.db.selectFrom('message_deliveries').select(['status', 'outbox_id']).where('provider_id', '=', 'SMe').executeTakeFirstOrThrow();
    expect([row.status, Number(row.outbox_id)]).toEqual(['delivered', 9]);
  });
});
