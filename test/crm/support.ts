/**
 * Builders for the CRM sync suites: the whole app in demo mode on a test database (its sandbox plays Zoho),
 * a Zoho connection imported from the emulator, callers, calls and appointments, and an alert recorder.
 */
import { ManualClock } from '../../src/core/clock.js';
import type { AlertInput } from '../../src/alerts/types.js';
import type { DatabaseKind } from '../../src/db/database.js';
import type { CallRow, CustomerRow } from '../../src/db/tables/calls.js';
import type { AppointmentRow } from '../../src/db/tables/booking.js';
import { enqueueCrmSync, type CrmSyncRequest } from '../../src/crm/enqueue.js';
import { findOrCreateCustomer } from '../../src/customers/store.js';
import { json } from '../../src/db/json.js';
import { startSwitchboard, type Switchboard } from '../../src/main.js';
import type { ZohoEmulator } from '../../src/sandbox/zoho/index.js';
import { importRefreshToken } from '../../src/zoho/connection.js';
import { createUser } from '../../src/dashboard/auth/users.js';
import { TEST_PASSWORD_COST } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

export const CLIENT = 'smart-tax-nation';
export const MINUTE = 60_000;

export const DEMO_ENV = {
  SWITCHBOARD_MODE: 'demo',
  DATA_DIR: 'memory://',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  CONFIG_DIR: 'config/clients',
};

export interface CrmWorld {
  database: TestDatabase;
  clock: ManualClock;
  switchboard: Switchboard;
  zoho: ZohoEmulator;
  alerts: AlertInput[];
}

/** Starts the app (worker off: tests drain it) and records the alerts it raises. */
export async function startApp(database: TestDatabase, clock: ManualClock, alerts: AlertInput[], env: Record<string, string> = {}): Promise<Switchboard> {
  const switchboard = await startSwitchboard({ database, clock, env: { ...DEMO_ENV, ...env }, worker: false, passwordCost: TEST_PASSWORD_COST });
  switchboard.context.alerts = {
    async raise(alert) {
      alerts.push(alert);
    },
  };
  return switchboard;
}

export async function aCrmWorld(kind: DatabaseKind): Promise<CrmWorld> {
  const database = await openTestDatabase(kind);
  const clock = new ManualClock('2026-02-02T15:00:00Z');
  const alerts: AlertInput[] = [];
  const switchboard = await startApp(database, clock, alerts);
  const zoho = switchboard.context.sandbox!.zoho;
  await connectZoho(switchboard, zoho);
  return { database, clock, switchboard, zoho, alerts };
}

/** Stores a refresh token the emulator issued, as `switchboard zoho import-refresh-token` would. */
export async function connectZoho(switchboard: Switchboard, zoho: ZohoEmulator, scopes?: string[]): Promise<void> {
  await importRefreshToken(switchboard.context, {
    clientId: CLIENT,
    dataCenter: 'us',
    refreshToken: zoho.issueRefreshToken(scopes),
    accountsServer: zoho.url,
  });
}

/** Empties what one test leaves behind: CRM state, calls, callers, outbox, and the emulator's leads and faults. */
export async function resetWorld(world: CrmWorld): Promise<void> {
  const db = world.database.db;
  for (const table of [
    'crm_links',
    'crm_notes',
    'crm_connection_health',
    'outbox_attempts',
    'outbox',
    'appointments',
    'calls',
    'consent_history',
    'consents',
    'customers',
  ] as const) {
    await db.deleteFrom(table).execute();
  }
  world.zoho.state.leads.clear();
  world.zoho.state.notes.clear();
  world.zoho.setSearchLag(0);
  world.zoho.emulator.faults.clear();
  world.zoho.emulator.requests.length = 0;
  world.alerts.length = 0;
}

export async function aCaller(world: CrmWorld, phone = '+14155550102', fields: { name?: string; email?: string } = {}): Promise<CustomerRow> {
  return findOrCreateCustomer(world.database.db, world.clock, CLIENT, phone, fields);
}

let callSequence = 0;

export async function aCall(
  world: CrmWorld,
  customer: CustomerRow,
  fields: Partial<Pick<CallRow, 'summary' | 'intent' | 'sentiment' | 'outcome' | 'recording_url' | 'duration_ms'>> = {},
): Promise<CallRow> {
  callSequence += 1;
  const now = world.clock.now();
  return world.database.db
    .insertInto('calls')
    .values({
      id: `call_crm_${Date.now().toString(36)}_${callSequence}`,
      client_id: CLIENT,
      customer_id: customer.id,
      from_number: customer.phone,
      status: 'analyzed',
      started_at: new Date(now.getTime() - 4 * MINUTE),
      ended_at: now,
      duration_ms: fields.duration_ms ?? 192_000,
      summary: fields.summary ?? 'Caller asked about filing an extension.',
      intent: fields.intent ?? 'extension question',
      sentiment: fields.sentiment ?? 'Positive',
      outcome: fields.outcome ?? 'info_only',
      recording_url: fields.recording_url ?? 'https://recordings.example/call.wav',
      created_at: now,
      updated_at: now,
      events: json({}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

let bookingSequence = 0;

export async function anAppointment(
  world: CrmWorld,
  customer: CustomerRow,
  fields: { startAt: string; type?: string; status?: AppointmentRow['status']; callId?: string },
): Promise<AppointmentRow> {
  bookingSequence += 1;
  const now = world.clock.now();
  const start = new Date(fields.startAt);
  return world.database.db
    .insertInto('appointments')
    .values({
      booking_id: `bk_crm_${Date.now().toString(36)}_${bookingSequence}`,
      client_id: CLIENT,
      customer_id: customer.id,
      call_id: fields.callId ?? null,
      appointment_type: fields.type ?? 'individual-return',
      start_at: start,
      end_at: new Date(start.getTime() + 60 * MINUTE),
      block_end_at: new Date(start.getTime() + 75 * MINUTE),
      status: fields.status ?? 'booked',
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function requestSync(world: CrmWorld, request: Omit<CrmSyncRequest, 'clientId'>) {
  return enqueueCrmSync(world.database.db, world.switchboard.context, { clientId: CLIENT, ...request });
}

export async function outboxRow(world: CrmWorld, id: number) {
  return world.database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Runs due rows, then moves the clock past the retry interval, `rounds` times. */
export async function drainWithRetries(world: CrmWorld, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await world.switchboard.worker.drain();
    world.clock.advance(MINUTE + 1_000);
  }
}

/** A signed-in admin's cookie: readiness details and the demo's sandbox views are for admins only. */
export async function adminCookie(switchboard: Switchboard): Promise<string> {
  const email = `crm-admin-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const password = 'correct horse battery';
  await createUser(
    switchboard.context.db,
    switchboard.context.clock,
    { email, password, role: 'admin', actor: 'test set-up' },
    switchboard.context.passwordCost,
  );
  const response = await fetch(`${switchboard.url}/v1/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: switchboard.url! },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`admin sign-in failed: ${response.status}`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}
