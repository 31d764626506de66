/**
 * Builders for dashboard tests: users of each role, rows of each screen (customers, calls, messages, dead
 * letters, errors) for a client, and a signed-in HTTP client that sends the dashboard's Origin header.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WebSocket } from '@fastify/websocket';
import { json } from '../../src/db/json.js';
import { createUser } from '../../src/dashboard/auth/users.js';
import type { TestApp } from '../support/app.js';

export const CLIENT_A = 'smart-tax-nation';
export const CLIENT_B = 'desert-bookkeeping';
export const PASSWORD = 'correct horse battery';

export interface Api {
  cookie: string | undefined;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

export function apiFor(app: TestApp, cookie?: string): Api {
  return {
    cookie,
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${app.url}${path}`, {
        method,
        headers: {
          origin: app.url!,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(cookie ? { cookie } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (static files)
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}

export async function aUser(app: TestApp, role: 'admin' | 'staff', clientIds: string[] = []): Promise<string> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
  await createUser(app.context.db, app.clock, { email, password: PASSWORD, role, clientIds, actor: 'test set-up' }, app.context.passwordCost);
  return email;
}

export async function signIn(app: TestApp, email: string, password = PASSWORD): Promise<Api> {
  const response = await apiFor(app).request('POST', '/v1/api/session', { email, password });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
  const setCookie = response.headers.get('set-cookie') ?? '';
  return apiFor(app, setCookie.split(';')[0]);
}

export interface Seeded {
  customerId: number;
  callId: string;
  messageId: number;
  deadLetterId: number;
  errorId: number;
  callbackId: number;
}

/** One of everything for a client: a customer with a call, a dead SMS, a dead CRM sync, an open error, a callback task and an inbound text. */
export async function seedClientData(app: TestApp, clientId: string, phone: string): Promise<Seeded> {
  const db = app.context.db;
  const now = app.clock.now();
  const customer = await db
    .insertInto('customers')
    .values({
      client_id: clientId,
      phone,
      name: `Caller of ${clientId}`,
      email: `${clientId}@example.com`,
      created_at: now,
      updated_at: now,
      last_call_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const callId = `call_${clientId}_${randomUUID().slice(0, 6)}`;
  await db
    .insertInto('calls')
    .values({
      id: callId,
      client_id: clientId,
      customer_id: customer.id,
      from_number: phone,
      status: 'ended',
      started_at: new Date(now.getTime() - 5 * 60_000),
      ended_at: new Date(now.getTime() - 60_000),
      duration_ms: 240_000,
      transcript: 'Agent: Hello\nUser: I need to file my taxes',
      summary: `Asked about a tax return (${clientId})`,
      intent: 'book',
      sentiment: 'Positive',
      outcome: 'info_only',
      created_at: new Date(now.getTime() - 5 * 60_000),
      updated_at: now,
    })
    .execute();
  await db
    .insertInto('function_invocations')
    .values({
      client_id: clientId,
      call_id: callId,
      name: 'check_calendar_availability',
      args_hash: 'h1',
      args: json({ date: '2026-03-03' }),
      status: 'done',
      result: json({ ok: true, message: 'Tuesday at 2 PM is free' }),
      created_at: now,
      finished_at: now,
    })
    .execute();
  const outboxRow = (kind: string, payload: Record<string, unknown>, status: 'dead' | 'scheduled') => ({
    client_id: clientId,
    kind,
    payload: json(payload),
    status,
    run_at: now,
    attempts: status === 'dead' ? 3 : 0,
    max_attempts: 3,
    retry_interval_ms: 60_000,
    dedupe_key: `${kind}:${randomUUID()}`,
    last_error: status === 'dead' ? 'Carrier rejected the number' : null,
    call_id: callId,
    customer_id: customer.id,
    created_at: now,
    updated_at: now,
  });
  const message = await db
    .insertInto('outbox')
    .values(outboxRow('sms', { to: phone, body: 'Your appointment is confirmed', purpose: 'transactional', template: 'manual', sequence: 'manual' }, 'dead'))
    .returning('id')
    .executeTakeFirstOrThrow();
  const deadLetter = await db
    .insertInto('outbox')
    .values(outboxRow('crm_sync', { purpose: 'call', callId }, 'dead'))
    .returning('id')
    .executeTakeFirstOrThrow();
  const error = await db
    .insertInto('errors')
    .values({
      client_id: clientId,
      source: 'crm.sync',
      fingerprint: `crm.sync:LIMIT_${clientId}`,
      message: `Zoho CRM refused a sync for ${phone}`,
      details: json({ phone }),
      call_id: callId,
      first_seen_at: now,
      last_seen_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const callback = await db
    .insertInto('callback_tasks')
    .values({
      client_id: clientId,
      call_id: callId,
      customer_id: customer.id,
      phone,
      name: `Caller of ${clientId}`,
      reason: 'Wants to talk about an extension',
      preferred_time: 'mornings',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('inbound_messages')
    .values({
      client_id: clientId,
      provider_id: `SM${randomUUID().replace(/-/g, '')}`,
      from_number: phone,
      to_number: '+12125550199',
      body: `Is my return done? (${clientId})`,
      intent: 'message',
      customer_id: customer.id,
      received_at: now,
    })
    .execute();
  return { customerId: customer.id, callId, messageId: message.id, deadLetterId: deadLetter.id, errorId: error.id, callbackId: callback.id };
}

/** The `ws` client (what @fastify/websocket itself uses), typed through @fastify/websocket's re-export. */
const WebSocketClient = createRequire(import.meta.url)('ws').WebSocket as new (url: string, options?: { headers?: Record<string, string> }) => WebSocket;

/** Opens the live socket over real HTTP. `closed` resolves with the close code, or the HTTP status of a refused upgrade. */
export function openLiveSocket(
  app: TestApp,
  headers: Record<string, string>,
): { socket: WebSocket; events: Array<{ type: string; clientId?: string }>; closed: Promise<number> } {
  const socket = new WebSocketClient(`${app.url!.replace('http', 'ws')}/v1/api/live`, { headers });
  const events: Array<{ type: string; clientId?: string }> = [];
  socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => {
    socket.on('close', (code: number) => resolve(code));
    socket.on('unexpected-response', (_request: unknown, response: { statusCode: number }) => resolve(response.statusCode));
    socket.on('error', () => undefined);
  });
  return { socket, events, closed };
}
