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

/** Upserts the delivery and returns its status afterwards (equal to `update.status` when it moved there). */
export async function recordDelivery(db: Kysely<DB>, update: DeliveryUpdate): Promise<{ status: string; outboxId: number | null }> {
  const rank = statusRank(update.status);
  const result = await sql<{ status: string; outbox_id: number | null }>`
    insert into message_deliveries as d (client_id, outbox_id, channel, provider_id, to_address, status, status_rank,
      error_code, error_message, segments, created_at, updated_at)
    values (${update.clientId}, ${update.outboxId}, ${update.channel}, ${update.providerId}, ${update.to}, ${update.status},
      ${rank}, ${update.errorCode ?? null}, ${update.errorMessage ?? null}, ${update.segments ?? null}, ${update.at}, ${update.at})
    on conflict (provider_id) do update set
      outbox_id = coalesce(d.outbox_id, excluded.outbox_id),
      segments = coalesce(excluded.segments, d.segments),
      status = case when excluded.status_rank > d.status_rank then excluded.status else d.status end,
      error_code = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_code, d.error_code) else d.error_code end,
      error_message = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_message, d.error_message) else d.error_message end,
      status_rank = greatest(d.status_rank, excluded.status_rank),
      updated_at = excluded.updated_at
    returning d.status, d.outbox_id`.execute(db);
  const row = result.rows[0]!;
  return { status: row.status, outboxId: row.outbox_id === null ? null : Number(row.outbox_id) };
}

/**
 * One status callback as one atomic statement: the (MessageSid, MessageStatus) event row is inserted and,
 * only if it is new, the delivery is upserted. Returns undefined for a duplicate callback.
 */
export async function recordStatusEvent(
  db: Kysely<DB>,
  update: DeliveryUpdate & { params: Record<string, string> },
): Promise<{ status: string; outboxId: number | null } | undefined> {
  const rank = statusRank(update.status);
  const result = await sql<{ status: string; outbox_id: number | null }>`
    with event as (
      insert into message_events (client_id, message_sid, status, error_code, received_at, params)
      values (${update.clientId}, ${update.providerId}, ${update.status}, ${update.errorCode ?? null}, ${update.at},
        ${JSON.stringify(update.params)}::jsonb)
      on conflict (message_sid, status) do nothing
      returning id)
    insert into message_deliveries as d (client_id, outbox_id, channel, provider_id, to_address, status, status_rank,
      error_code, error_message, segments, created_at, updated_at)
    select ${update.clientId}, ${update.outboxId}, ${update.channel}, ${update.providerId}, ${update.to}, ${update.status},
      ${rank}, ${update.errorCode ?? null}, ${update.errorMessage ?? null}, ${update.segments ?? null}, ${update.at}, ${update.at}
    from event
    on conflict (provider_id) do update set
      outbox_id = coalesce(d.outbox_id, excluded.outbox_id),
      status = case when excluded.status_rank > d.status_rank then excluded.status else d.status end,
      error_code = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_code, d.error_code) else d.error_code end,
      error_message = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_message, d.error_message) else d.error_message end,
      status_rank = greatest(d.status_rank, excluded.status_rank),
      updated_at = excluded.updated_at
    returning d.status, d.outbox_id`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return { status: row.status, outboxId: row.outbox_id === null ? null : Number(row.outbox_id) };
}
