/**
 * Issue 14, item 6: ringing rows of calls that arrive together share one insert, so one row the database refuses
 * (a NUL in a number: PostgreSQL refuses it in any text column) must fail alone, not take the other callers'
 * rows with it. Both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingingCallWriter, type RingingCall } from '../../src/calls/ringing.js';
import type { BusEvent } from '../../src/events/bus.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, openTestDatabase, seedClient, type TestDatabase } from '../support/databases.js';
import { AGENT, CLIENT, aCallId, inboundPath, signedPost } from './support.js';

describe.each(BACKENDS)('ringing rows written in a shared batch (%s)', (kind) => {
  describe('the writer', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await openTestDatabase(kind);
      await seedClient(database, CLIENT);
    }, 60_000);
    afterAll(async () => {
      await database?.dispose();
    });

    it('records every call of a batch but the one row the database refuses, and reports only that one', async () => {
      const recorded: string[] = [];
      const failed: Array<{ calls: string[]; error: string }> = [];
      const writer = new RingingCallWriter({
        db: database.db,
        onRecorded: (calls) => recorded.push(...calls.map((call) => call.callId)),
        onFailed: (error, calls) => failed.push({ calls: calls.map((call) => call.callId), error: (error as Error).message }),
      });
      const at = new Date('2026-03-02T15:00:00Z');
      const calls: RingingCall[] = Array.from({ length: 8 }, (_, i) => ({
        clientId: CLIENT,
        callId: `call_batch_${kind}_${i}`,
        agentId: AGENT,
        fromNumber: i === 3 ? '+1212555\u00000103' : `+121255501${String(i).padStart(2, '0')}`,
        toNumber: '+12125550199',
        at,
      }));
      // Added in one turn of the event loop, so they go to the database as one statement first.
      for (const call of calls) writer.add(call);
      await writer.idle();

      const good = calls.filter((_, i) => i !== 3).map((call) => call.callId);
      const rows = await database.db.selectFrom('calls').select(['id', 'status']).where('id', 'like', `call_batch_${kind}_%`).orderBy('id').execute();
      expect(rows).toEqual(good.map((id) => ({ id, status: 'ringing' })));
      expect(recorded.sort()).toEqual(good);
      expect(failed).toEqual([{ calls: [calls[3]!.callId], error: expect.stringMatching(/0x00|invalid byte sequence/) }]);
    });
  });

  describe('over HTTP', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp(kind);
    }, 60_000);
    afterAll(async () => {
      await app?.dispose();
    });

    it('answers every one of a burst of call_inbound, one with a NUL in its number, and records each call as ringing', async () => {
      const callIds = Array.from({ length: 12 }, () => aCallId());
      const waiting = new Set(callIds);
      const seen: BusEvent[] = [];
      let unsubscribe: () => void = () => undefined;
      // Settles on the live events the writer publishes (or on the alert a failed write raises), not on a timer.
      const settled = new Promise<void>((resolve) => {
        unsubscribe = app.context.bus.subscribe((event) => {
          seen.push(event);
          if (event.type === 'call.updated') waiting.delete((event.data as { callId: string }).callId);
          if (waiting.size === 0 || event.type === 'error.raised' || event.type === 'error.updated') resolve();
        });
      });
      try {
        const answers = await Promise.all(
          callIds.map((callId, i) =>
            signedPost(app.url!, inboundPath(), {
              event: 'call_inbound',
              call_inbound: {
                agent_id: AGENT,
                from_number: i === 5 ? '+1212555\u00000177' : `+121255502${String(i).padStart(2, '0')}`,
                to_number: '+12125550199',
                call_id: callId,
              },
            }),
          ),
        );
        expect(answers.map((answer) => answer.status)).toEqual(callIds.map(() => 200));
        for (const answer of answers) expect(await answer.json()).toHaveProperty('call_inbound.dynamic_variables');
        await settled;
      } finally {
        unsubscribe();
      }
      const rows = await app.context.db.selectFrom('calls').select(['id', 'status', 'from_number']).where('id', 'in', callIds).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(callIds.map((callId) => byId.get(callId)?.status)).toEqual(callIds.map(() => 'ringing'));
      // The NUL was stripped at the door, so that caller is recognised by the number they called from.
      expect(byId.get(callIds[5]!)?.from_number).toBe('+12125550177');
      expect(seen.filter((event) => event.type === 'error.raised')).toEqual([]);
    });
  });
});
