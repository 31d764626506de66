/**
 * A burst of due messages: the send-time consent check, the delivery records and the status callbacks are
 * coalesced into batched statements (src/messaging/batches.ts). Each message must still get its own answer.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { setConsent } from '../../src/customers/consent.js';
import { createMessagingModule } from '../../src/messaging/module.js';
import { featureModules } from '../../src/modules.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { CLIENT, shareMessagingDatabase } from './support.js';

const TEXTS = 40;
const phoneOf = (n: number) => `+1212555${String(1000 + n).padStart(4, '0')}`;

describe.each(BACKENDS)('a burst of due texts on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    // 15:00 UTC is 10:00 in New York: inside the transactional window.
    clock = new ManualClock('2026-03-02T15:00:00Z');
    // Pacing off (the benchmark's setting): with it on, 40 texts from one sender take 40 seconds of turns.
    const modules = featureModules.map((module) => (module.name === 'messaging' ? createMessagingModule({ rateLimit: false }) : module));
    app = await startTestApp(kind, { database, clock, modules });
  });
  afterEach(async () => {
    await app?.close();
  });

  async function queueTexts() {
    await sql`
      insert into outbox (client_id, kind, payload, dedupe_key, run_at, max_attempts, retry_interval_ms, created_at, updated_at)
      select ${CLIENT}, 'sms', jsonb_build_object('to', '+1212555' || lpad((1000 + n)::text, 4, '0'), 'purpose', 'transactional',
        'template', 'confirmation', 'sequence', 'confirmation', 'body', 'Smart Tax Nation: you are booked for Tue 3/3 2:00 PM.',
        'segments', 1, 'encoding', 'GSM-7'), 'burst-' || n, ${clock.now()}, 3, 60000, ${clock.now()}, ${clock.now()}
      from generate_series(0, ${TEXTS - 1}) as n`.execute(database.db);
  }

  it('texts only the recipients who did not opt out, each once, and records every status callback once', async () => {
    const optedOut = [3, 17, 31].map(phoneOf);
    for (const phone of optedOut) {
      await database.db
        .transaction()
        .execute((trx) =>
          setConsent(trx, app.context, { clientId: CLIENT, channel: 'sms', address: phone, purpose: 'transactional', status: 'opted_out', source: 'staff' }),
        );
    }
    await queueTexts();
    // One claim runs all of them side by side, so their checks and records share statements.
    await app.worker.drain();
    const twilio = app.context.sandbox!.twilio;
    await twilio.flushCallbacks();

    const sentTo = twilio.messages.map((message) => message.to).sort();
    const expected = Array.from({ length: TEXTS }, (_, n) => phoneOf(n)).filter((phone) => !optedOut.includes(phone));
    expect(sentTo).toEqual(expected.sort());
    const rows = await database.db.selectFrom('outbox').select(['status', 'last_error', 'payload']).where('kind', '=', 'sms').execute();
    const dead = rows.filter((row) => row.status === 'dead');
    expect(dead.map((row) => (row.payload as { to: string }).to).sort()).toEqual([...optedOut].sort());
    expect(dead.every((row) => row.last_error?.includes('opted out'))).toBe(true);
    expect(rows.filter((row) => row.status === 'done')).toHaveLength(expected.length);

    const deliveries = await database.db.selectFrom('message_deliveries').select(['status', 'outbox_id']).execute();
    expect(deliveries).toHaveLength(expected.length);
    expect(deliveries.every((delivery) => delivery.status === 'delivered' && delivery.outbox_id !== null)).toBe(true);
    const events = await database.db.selectFrom('message_events').select('status').execute();
    expect(events.filter((event) => event.status === 'sent')).toHaveLength(expected.length);
    expect(events.filter((event) => event.status === 'delivered')).toHaveLength(expected.length);
    expect(twilio.callbacks.every((callback) => callback.response?.status === 204)).toBe(true);
  });

  it('duplicate and late callbacks for many texts arriving together change nothing and are all answered 2xx', async () => {
    await queueTexts();
    await app.worker.drain();
    const twilio = app.context.sandbox!.twilio;
    await twilio.flushCallbacks();
    const sids = twilio.messages.map((message) => message.sid);

    // Every text's `delivered` repeated and a late `sent`, all at once: several land in one batch per text.
    const replays = await Promise.all(
      sids.flatMap((sid) => [twilio.sendStatusCallback(sid, 'delivered'), twilio.sendStatusCallback(sid, 'sent'), twilio.sendStatusCallback(sid, 'delivered')]),
    );
    expect(replays.every((replay) => replay.response?.status === 204)).toBe(true);

    const deliveries = await database.db.selectFrom('message_deliveries').select('status').execute();
    expect(deliveries).toHaveLength(TEXTS);
    expect(deliveries.every((delivery) => delivery.status === 'delivered')).toBe(true);
    const events = await database.db
      .selectFrom('message_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(TEXTS * 2);
  });

  it('a new end state announced for many texts at once reaches the live bus with every outbox id', async () => {
    const announced: number[] = [];
    const unsubscribe = app.context.bus.subscribe((event) => {
      if (event.type !== 'message.status') return;
      const data = event.data as { outboxId: number; messages?: Array<{ outboxId: number }> };
      for (const change of data.messages ?? [data]) announced.push(change.outboxId);
    });
    try {
      await queueTexts();
      await app.worker.drain();
      await app.context.sandbox!.twilio.flushCallbacks();
      const ids = await database.db.selectFrom('outbox').select('id').where('kind', '=', 'sms').execute();
      await expect.poll(() => [...new Set(announced)].sort((a, b) => a - b)).toEqual(ids.map((row) => Number(row.id)).sort((a, b) => a - b));
    } finally {
      unsubscribe();
    }
  });
});
