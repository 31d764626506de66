/** Builders for messaging tests: customers, appointments, calls, and the outbox rows messaging planned. */
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { AlertInput } from '../../src/alerts/types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DatabaseKind } from '../../src/db/database.js';
import type { DB } from '../../src/db/schema.js';
import { planAppointmentMessages, planNurture, type AppointmentMessageInput } from '../../src/messaging/plan.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

export const CLIENT = 'smart-tax-nation';

export async function aCustomer(db: Kysely<DB>, fields: { phone?: string; name?: string | null; email?: string | null } = {}) {
  const now = new Date();
  const row = await db
    .insertInto('customers')
    .values({
      client_id: CLIENT,
      phone: fields.phone ?? '+12125550123',
      name: fields.name === undefined ? 'Dana Smith' : fields.name,
      email: fields.email === undefined ? 'dana@example.com' : fields.email,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

let bookingCounter = 0;

export async function anAppointment(db: Kysely<DB>, fields: { customerId: number; startAt: Date; type?: string; callId?: string | null }) {
  const now = new Date();
  bookingCounter += 1;
  const row = await db
    .insertInto('appointments')
    .values({
      booking_id: `bk_test_${Date.now().toString(36)}_${bookingCounter}`,
      client_id: CLIENT,
      customer_id: fields.customerId,
      call_id: fields.callId ?? null,
      appointment_type: fields.type ?? 'individual-return',
      start_at: fields.startAt,
      end_at: new Date(fields.startAt.getTime() + 3_600_000),
      block_end_at: new Date(fields.startAt.getTime() + 4_500_000),
      status: 'booked',
      created_at: now,
      updated_at: now,
      booked_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function aCall(db: Kysely<DB>, fields: { id: string; customerId: number; endedAt: Date; outcome?: string | null; inVoicemail?: boolean }) {
  await db
    .insertInto('calls')
    .values({
      id: fields.id,
      client_id: CLIENT,
      customer_id: fields.customerId,
      status: 'ended',
      ended_at: fields.endedAt,
      in_voicemail: fields.inVoicemail ?? false,
      outcome: (fields.outcome ?? 'info_only') as never,
      created_at: fields.endedAt,
      updated_at: fields.endedAt,
    } as never)
    .execute();
}

export function planAppointment(app: TestApp, input: Omit<AppointmentMessageInput, 'clientId'>) {
  return app.context.db.transaction().execute((trx) => planAppointmentMessages(trx, app.context, { clientId: CLIENT, ...input }));
}

export function planNurtureFor(app: TestApp, input: { customerId: number; callId: string; endedAt: Date }) {
  return app.context.db.transaction().execute((trx) => planNurture(trx, app.context, { clientId: CLIENT, ...input }));
}

export async function messageRows(app: TestApp) {
  return app.context.db.selectFrom('outbox').selectAll().where('kind', 'in', ['sms', 'email']).orderBy('run_at').orderBy('id').execute();
}

export function template(row: { payload: unknown }): string {
  return String((row.payload as { template?: unknown }).template);
}

/** Drains the worker and waits for the Twilio emulator's status callbacks to reach us. */
export async function drain(app: TestApp) {
  const processed = await app.worker.drain();
  await app.context.sandbox!.twilio.flushCallbacks();
  return processed;
}

export async function resetMessaging(db: Kysely<DB>) {
  for (const table of [
    'message_events',
    'message_deliveries',
    'inbound_messages',
    'marketing_sends',
    'outbox_attempts',
    'sender_pacing_turns',
    'sender_pacing',
    'outbox',
    'callback_tasks',
    'consent_history',
    'consents',
    'appointment_slot_locks',
    'appointments',
    'calls',
    'customers',
    'audit',
    'errors',
  ] as const) {
    await db.deleteFrom(table).execute();
  }
}

/**
 * The database a messaging suite shares: opened once, disposed after the suite, and emptied of messaging rows
 * before each test (each test starts its own app on it). Call it first in the suite, so the emptying runs before
 * the suite's own beforeEach.
 */
export function shareMessagingDatabase(kind: DatabaseKind, opened: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    opened(database);
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    await resetMessaging(database!.db);
  });
}

export interface MessagingApp {
  database: TestDatabase;
  app: TestApp;
  clock: ManualClock;
  /** What the app raised, collected here instead of being delivered. */
  alerts: AlertInput[];
}

/**
 * The shared database (`shareMessagingDatabase`) and, for each test, a fresh app on it with a manual clock at Monday
 * 2 March 2026 15:00 UTC (10:00 in New York: inside the transactional window) and its alerts collected; the app is
 * closed after the test. `started` receives them before each test. Call it first in the suite, like
 * `shareMessagingDatabase`.
 */
export function useMessagingApp(kind: DatabaseKind, started: (parts: MessagingApp) => void): void {
  let database!: TestDatabase;
  let app: TestApp | undefined;
  shareMessagingDatabase(kind, (opened) => (database = opened));
  beforeEach(async () => {
    const clock = new ManualClock('2026-03-02T15:00:00Z');
    app = await startTestApp(kind, { database, clock });
    const alerts: AlertInput[] = [];
    app.context.alerts = { raise: async (alert) => void alerts.push(alert) };
    started({ database, app, clock, alerts });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
}
