/**
 * The intake's failure paths. A call event is stored (redacted) and answered 200 before it is processed; when
 * processing fails it is kept as `failed`, retried by its `retell_event` outbox row and alerted once per
 * fingerprint; when the dependency is back, the retry completes the call record exactly as a first-time
 * success would have. An event that cannot even be stored is answered 503, so Retell delivers it again.
 *
 * The outage is a real database error raised inside the worker's transaction: a trigger on `customers` that
 * refuses writes with Postgres' "disk full" error code and a message naming the caller's phone (as Postgres
 * error details name key values), so masking is exercised too.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { processStoredEvents } from '../../src/webhooks/intake.js';
import { CALLER, aCall, aCallId, anAnalyzedCall, anEndedCall, signedPost, webhookPath } from './support.js';

async function breakCustomerWrites(app: TestApp): Promise<void> {
  await sql`
    create function refuse_customer_writes() returns trigger language plpgsql as $$
    begin
      raise exception 'could not extend file for customer ${sql.raw(CALLER)}: No space left on device' using errcode = '53100';
    end $$`.execute(app.context.db);
  await sql`create trigger customers_disk_full before insert or update on customers for each row execute function refuse_customer_writes()`.execute(
    app.context.db,
  );
}

async function repairCustomerWrites(app: TestApp): Promise<void> {
  await sql`drop trigger customers_disk_full on customers`.execute(app.context.db);
  await sql`drop function refuse_customer_writes()`.execute(app.context.db);
}

describe.each(BACKENDS)('a Retell event whose processing fails, on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(kind);
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('is answered 200, kept as failed, alerted once, and completed by the outbox retry once the database recovers', async () => {
    const db = app.context.db;
    const callId = aCallId();
    const body = { event: 'call_ended', call: anEndedCall({ call_id: callId }) };

    await breakCustomerWrites(app);
    const first = await signedPost(app.url!, webhookPath(), body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, status: 'accepted' });

    // Stored before the answer, already redacted and without word timings.
    const kept = await db.selectFrom('webhook_events').selectAll().where('idempotency_key', 'like', `%:call_ended:${callId}`).execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.status).toBe('received');
    const stored = kept[0]!.payload;
    expect(stored).toContain('[SSN removed]');
    expect(stored).not.toContain('123-45-6789');
    expect(stored).not.toContain('"words"');

    // The worker's first attempt meets the broken database.
    await app.applyCallEvents();
    const failed = await db.selectFrom('webhook_events').select(['status', 'error']).where('id', '=', kept[0]!.id).executeTakeFirstOrThrow();
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('No space left on device');
    expect(failed.error).not.toContain(CALLER);
    expect(await db.selectFrom('calls').select('id').where('id', '=', callId).execute()).toEqual([]);
    const retry = await db.selectFrom('outbox').selectAll().where('kind', '=', 'retell_event').where('call_id', '=', callId).execute();
    expect(retry.map((row) => [row.status, row.attempts])).toEqual([['failed', 1]]);

    // Retell retries what it thinks went wrong; the kept event makes that delivery a no-op.
    const again = await signedPost(app.url!, webhookPath(), body);
    expect(await again.json()).toEqual({ ok: true, status: 'duplicate' });

    // A second failed attempt a retry interval later folds into the same alert.
    app.clock.advance(60_000);
    await app.applyCallEvents();
    const alerts = await db.selectFrom('errors').selectAll().where('source', '=', 'retell.webhook').execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.count).toBe(2);
    expect(alerts[0]!.message).toContain('will be retried automatically');
    expect(JSON.stringify(alerts[0])).not.toContain(CALLER);
    const notices = await db.selectFrom('outbox').select('kind').where('kind', 'in', ['alert_slack', 'alert_email']).execute();
    expect(notices.map((row) => row.kind).sort()).toEqual(['alert_email', 'alert_slack']);

    await repairCustomerWrites(app);
    app.clock.advance(60_000);
    await app.worker.drain();

    expect((await db.selectFrom('outbox').select('status').where('id', '=', retry[0]!.id).executeTakeFirstOrThrow()).status).toBe('done');
    const event = await db.selectFrom('webhook_events').select(['status', 'error', 'payload']).where('id', '=', kept[0]!.id).executeTakeFirstOrThrow();
    expect(event).toEqual({ status: 'processed', error: null, payload: JSON.stringify({ event: 'call_ended', call: { call_id: callId } }) });
    const call = await db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call.status).toBe('ended');
    expect(call.outcome).toBe('info_only');
    expect(call.duration_ms).toBe(95_000);
    expect(call.transcript).toContain('[SSN removed]');
    const caller = await db.selectFrom('customers').selectAll().where('id', '=', call.customer_id!).executeTakeFirstOrThrow();
    expect(caller.phone).toBe(CALLER);
    expect(caller.call_count).toBe(1);
    expect(caller.last_call_id).toBe(callId);
    expect(await db.selectFrom('outbox').select('kind').where('call_id', '=', callId).where('kind', '=', 'crm_sync').execute()).toHaveLength(1);
    // Still one alert: the retry's success raises nothing.
    const after = await db.selectFrom('errors').select('count').where('source', '=', 'retell.webhook').execute();
    expect(after).toEqual([{ count: 2 }]);
  });

  it('applies stored events several to a transaction, in order per call, and fails only the event whose processing fails', async () => {
    const db = app.context.db;
    const [good, bad, other] = [aCallId(), aCallId(), aCallId()];
    const phones = { [good]: '+12125550181', [bad]: '+12125550182', [other]: '+12125550183' };
    // A real database error for one call only: its row refuses the update that merges an event into it.
    await sql`
      create function refuse_one_call() returns trigger language plpgsql as $$
      begin
        raise exception 'could not extend file: No space left on device' using errcode = '53100';
      end $$`.execute(db);
    await sql`create trigger calls_one_refused before update on calls for each row when (new.id = ${sql.lit(bad)}) execute function refuse_one_call()`.execute(
      db,
    );
    const ids: Record<string, number[]> = {};
    try {
      for (const event of ['call_started', 'call_ended', 'call_analyzed'] as const) {
        for (const callId of [good, bad, other]) {
          const call = (event === 'call_started' ? aCall : event === 'call_ended' ? anEndedCall : anAnalyzedCall)({
            call_id: callId,
            from_number: phones[callId],
          });
          expect((await signedPost(app.url!, webhookPath(), { event, call })).status).toBe(200);
        }
      }
      for (const callId of [good, bad, other]) {
        const rows = await db.selectFrom('webhook_events').select('id').where('idempotency_key', 'like', `%:${callId}`).orderBy('id').execute();
        ids[callId] = rows.map((row) => Number(row.id));
      }
      // The batch as the worker hands it over (ordered by call, then arrival): the refused call's events fail, each
      // alone, and every other event is applied exactly once.
      const batch = [...ids[bad]!, ...ids[good]!, ...ids[other]!];
      const outcomes = await processStoredEvents(app.context, batch);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        ...ids[bad]!.map(() => 'rejected'),
        ...[...ids[good]!, ...ids[other]!].map(() => 'fulfilled'),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').map((outcome) => outcome.value)).toEqual(Array(6).fill('processed'));
      for (const callId of [good, other]) {
        const call = await db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
        expect(call.status).toBe('analyzed');
        expect(Object.keys(call.events ?? {}).sort()).toEqual(['call_analyzed', 'call_ended', 'call_started']);
        const caller = await db.selectFrom('customers').select('call_count').where('phone', '=', phones[callId]!).executeTakeFirstOrThrow();
        expect(caller.call_count).toBe(1);
      }
      const refused = await db.selectFrom('webhook_events').select(['status', 'error']).where('id', 'in', ids[bad]!).execute();
      expect(refused.map((row) => row.status)).toEqual(['failed', 'failed', 'failed']);
      expect(refused.every((row) => row.error?.includes('No space left on device'))).toBe(true);
      // Run again (as an outbox retry or a second worker would): nothing is applied twice.
      const again = await processStoredEvents(app.context, [...ids[good]!, ...ids[other]!]);
      expect(again.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'rejected'))).toEqual(Array(6).fill('already_processed'));
      expect((await db.selectFrom('customers').select('call_count').where('phone', '=', phones[good]!).executeTakeFirstOrThrow()).call_count).toBe(1);
    } finally {
      await sql`drop trigger calls_one_refused on calls`.execute(db);
      await sql`drop function refuse_one_call()`.execute(db);
    }
    // Repaired: the worker (which hands these rows over as one batch) completes the refused call.
    app.clock.advance(60_000);
    await app.applyCallEvents();
    const repaired = await db.selectFrom('calls').selectAll().where('id', '=', bad).executeTakeFirstOrThrow();
    expect(repaired.status).toBe('analyzed');
    expect(Object.keys(repaired.events ?? {}).sort()).toEqual(['call_analyzed', 'call_ended', 'call_started']);
    expect(
      (
        await db
          .selectFrom('webhook_events')
          .select('status')
          .where('id', 'in', [...ids[bad]!, ...ids[good]!, ...ids[other]!])
          .execute()
      ).every((row) => row.status === 'processed'),
    ).toBe(true);
  });

  it('keeps one unreadable stored event from failing the others of its batch', async () => {
    const db = app.context.db;
    const callIds = [aCallId(), aCallId(), aCallId()];
    for (const callId of callIds) {
      expect((await signedPost(app.url!, webhookPath(), { event: 'call_started', call: aCall({ call_id: callId, from_number: '+12125550184' }) })).status).toBe(
        200,
      );
    }
    const ids: number[] = [];
    for (const callId of callIds) {
      ids.push(Number((await db.selectFrom('webhook_events').select('id').where('idempotency_key', 'like', `%:${callId}`).executeTakeFirstOrThrow()).id));
    }
    await db.updateTable('webhook_events').set({ payload: '{"event": "call_started", "call": ' }).where('id', '=', ids[1]!).execute();
    const outcomes = await processStoredEvents(app.context, ids);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'rejected'))).toEqual(['processed', 'rejected', 'processed']);
    const rows = await db.selectFrom('calls').select('id').where('id', 'in', callIds).execute();
    expect(rows.map((row) => row.id).sort()).toEqual([callIds[0], callIds[2]].sort());
  });

  it('answers 503 when the event cannot be stored, so Retell delivers it again, and stores it once the database is back', async () => {
    const db = app.context.db;
    const callId = aCallId();
    const body = { event: 'call_ended', call: anEndedCall({ call_id: callId, from_number: '+12125550177' }) };
    await sql`
      create function refuse_event_writes() returns trigger language plpgsql as $$
      begin
        raise exception 'could not write to file: No space left on device' using errcode = '53100';
      end $$`.execute(db);
    await sql`create trigger webhook_events_disk_full before insert on webhook_events for each row execute function refuse_event_writes()`.execute(db);
    const refused = await signedPost(app.url!, webhookPath(), body);
    expect(refused.status).toBe(503);
    expect((await refused.json()).message).toMatch(/retry/);
    expect(await db.selectFrom('outbox').select('id').where('call_id', '=', callId).execute()).toEqual([]);

    await sql`drop trigger webhook_events_disk_full on webhook_events`.execute(db);
    await sql`drop function refuse_event_writes()`.execute(db);
    const redelivered = await signedPost(app.url!, webhookPath(), body);
    expect(await redelivered.json()).toEqual({ ok: true, status: 'accepted' });
    await app.applyCallEvents();
    expect((await db.selectFrom('calls').select('status').where('id', '=', callId).executeTakeFirstOrThrow()).status).toBe('ended');
  });
});
