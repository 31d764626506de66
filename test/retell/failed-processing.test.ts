/**
 * The intake's failure path: a call event whose processing fails is answered 200, kept as `failed` (redacted),
 * retried by the `retell_event` outbox row and alerted once; when the dependency is back, the retry completes
 * the call record exactly as a first-time success would have.
 *
 * The outage is a real database error raised inside the intake's transaction: a trigger on `customers` that
 * refuses writes with Postgres' "disk full" error code and a message naming the caller's phone (as Postgres
 * error details name key values), so masking is exercised too.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CALLER, aCallId, anEndedCall, signedPost, webhookPath } from './support.js';

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
    expect(await first.json()).toEqual({ ok: true, status: 'queued_for_retry' });
    // Retell retries what it thinks went wrong; the kept event makes that delivery a no-op, not a second alert.
    const again = await signedPost(app.url!, webhookPath(), body);
    expect(await again.json()).toEqual({ ok: true, status: 'duplicate' });

    const kept = await db.selectFrom('webhook_events').selectAll().where('idempotency_key', 'like', `%:call_ended:${callId}`).execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.status).toBe('failed');
    expect(kept[0]!.error).toContain('No space left on device');
    expect(kept[0]!.error).not.toContain(CALLER);
    const stored = JSON.stringify(kept[0]!.payload);
    expect(stored).toContain('[SSN removed]');
    expect(stored).not.toContain('123-45-6789');
    expect(stored).not.toContain('"words"');
    expect(await db.selectFrom('calls').select('id').where('id', '=', callId).execute()).toEqual([]);

    const retry = await db.selectFrom('outbox').selectAll().where('kind', '=', 'retell_event').where('call_id', '=', callId).execute();
    expect(retry.map((row) => row.status)).toEqual(['scheduled']);
    const alerts = await db.selectFrom('errors').selectAll().where('source', '=', 'retell.webhook').execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.count).toBe(1);
    expect(alerts[0]!.message).toContain('will be retried automatically');
    expect(JSON.stringify(alerts[0])).not.toContain(CALLER);

    await repairCustomerWrites(app);
    await app.worker.drain();

    expect((await db.selectFrom('outbox').select('status').where('id', '=', retry[0]!.id).executeTakeFirstOrThrow()).status).toBe('done');
    const event = await db.selectFrom('webhook_events').select(['status', 'error']).where('id', '=', kept[0]!.id).executeTakeFirstOrThrow();
    expect(event).toEqual({ status: 'processed', error: null });
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
    expect(after).toEqual([{ count: 1 }]);
  });
});
