/**
 * Delivery state per sent message. Twilio's callbacks repeat and arrive out of order, so the status only
 * moves up a rank (a late `sent` never overwrites `delivered`); terminal states share the top rank.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

const STATUS_RANK: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  partially_delivered: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  read: 5,
};

export function statusRank(status: string): number {
  return STATUS_RANK[status] ?? 0;
}

export interface DeliveryUpdate {
  clientId: string;
  outboxId: number | null;
  channel: 'sms' | 'email';
  providerId: string;
  to: string;
  status: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  segments?: number | null;
  at: Date;
}

/** The delivery upsert shared by both statements below: the status only moves up its rank. */
const UPSERT_DELIVERY = sql`
    on conflict (provider_id) do update set
      outbox_id = coalesce(d.outbox_id, excluded.outbox_id),
      segments = coalesce(excluded.segments, d.segments),
      status = case when excluded.status_rank > d.status_rank then excluded.status else d.status end,
      error_code = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_code, d.error_code) else d.error_code end,
      error_message = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_message, d.error_message) else d.error_message end,
      status_rank = greatest(d.status_rank, excluded.status_rank),
      updated_at = excluded.updated_at
    returning d.provider_id, d.status, d.outbox_id`;

function inputRows(updates: DeliveryUpdate[]): string {
  return JSON.stringify(
    updates.map((update, index) => ({
      idx: index,
      client_id: update.clientId,
      outbox_id: update.outboxId,
      channel: update.channel,
      provider_id: update.providerId,
      to_address: update.to,
      status: update.status,
      status_rank: statusRank(update.status),
      error_code: update.errorCode ?? null,
      error_message: update.errorMessage ?? null,
      segments: update.segments ?? null,
      at: update.at.toISOString(),
      params: (update as { params?: unknown }).params ?? null,
    })),
  );
}

const INPUT = (rows: string) => sql`
    select * from jsonb_to_recordset(${rows}::jsonb) as i(idx int, client_id text, outbox_id bigint, channel text,
      provider_id text, to_address text, status text, status_rank int, error_code text, error_message text,
      segments int, at timestamptz, params jsonb)`;

function byProvider(rows: Array<{ provider_id: string; status: string; outbox_id: number | null }>) {
  return new Map(rows.map((row) => [row.provider_id, { status: row.status, outboxId: row.outbox_id === null ? null : Number(row.outbox_id) }]));
}

/**
 * Upserts deliveries in one statement and returns each one's status afterwards (equal to its `status` when it
 * moved there). Provider ids must be distinct within one call (an upsert cannot touch a row twice).
 */
export async function recordDeliveries(db: Kysely<DB>, updates: DeliveryUpdate[]): Promise<Array<{ status: string; outboxId: number | null }>> {
  if (updates.length === 0) return [];
  const result = await sql<{ provider_id: string; status: string; outbox_id: number | null }>`
    insert into message_deliveries as d (client_id, outbox_id, channel, provider_id, to_address, status, status_rank,
      error_code, error_message, segments, created_at, updated_at)
    select client_id, outbox_id, channel, provider_id, to_address, status, status_rank, error_code, error_message, segments, at, at
    from (${INPUT(inputRows(updates))}) as i
    order by idx
    ${UPSERT_DELIVERY}`.execute(db);
  const found = byProvider(result.rows);
  return updates.map((update) => found.get(update.providerId)!);
}

/** Upserts one delivery and returns its status afterwards. */
export async function recordDelivery(db: Kysely<DB>, update: DeliveryUpdate): Promise<{ status: string; outboxId: number | null }> {
  const [result] = await recordDeliveries(db, [update]);
  return result!;
}

export type StatusEventUpdate = DeliveryUpdate & { params: Record<string, string> };

/**
 * Status callbacks as one atomic statement: each (MessageSid, MessageStatus) event row is inserted and, only
 * where it is new, the delivery is upserted. Answers per update the delivery afterwards, or undefined for a
 * duplicate callback. Provider ids must be distinct within one call.
 */
export async function recordStatusEvents(
  db: Kysely<DB>,
  updates: StatusEventUpdate[],
): Promise<Array<{ status: string; outboxId: number | null } | undefined>> {
  if (updates.length === 0) return [];
  const result = await sql<{ provider_id: string; status: string; outbox_id: number | null }>`
    with input as (${INPUT(inputRows(updates))}),
    event as (
      insert into message_events (client_id, message_sid, status, error_code, received_at, params)
      select client_id, provider_id, status, error_code, at, params from input order by idx
      on conflict (message_sid, status) do nothing
      returning message_sid, status)
    insert into message_deliveries as d (client_id, outbox_id, channel, provider_id, to_address, status, status_rank,
      error_code, error_message, segments, created_at, updated_at)
    select i.client_id, i.outbox_id, i.channel, i.provider_id, i.to_address, i.status, i.status_rank, i.error_code,
      i.error_message, i.segments, i.at, i.at
    from input i join event e on e.message_sid = i.provider_id and e.status = i.status
    order by i.idx
    ${UPSERT_DELIVERY}`.execute(db);
  const found = byProvider(result.rows);
  return updates.map((update) => found.get(update.providerId));
}

/** One status callback; undefined for a duplicate. */
export async function recordStatusEvent(db: Kysely<DB>, update: StatusEventUpdate): Promise<{ status: string; outboxId: number | null } | undefined> {
  const [result] = await recordStatusEvents(db, [update]);
  return result;
}
