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
  // Own keys only: a status named "toString" would otherwise rank as a function.
  return Object.hasOwn(STATUS_RANK, status) ? STATUS_RANK[status]! : 0;
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
  /** twilio | telnyx | smtp | sendgrid; kept once known. */
  provider?: string | null;
  /** The number or address it went from; kept once known. */
  sender?: string | null;
}

/** The delivery upsert: the status only moves up its rank. */
const UPSERT_DELIVERY = sql`
    on conflict (provider_id) do update set
      outbox_id = coalesce(d.outbox_id, excluded.outbox_id),
      segments = coalesce(excluded.segments, d.segments),
      provider = coalesce(d.provider, excluded.provider),
      sender = coalesce(d.sender, excluded.sender),
      status = case when excluded.status_rank > d.status_rank then excluded.status else d.status end,
      error_code = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_code, d.error_code) else d.error_code end,
      error_message = case when excluded.status_rank > d.status_rank then coalesce(excluded.error_message, d.error_message) else d.error_message end,
      status_rank = greatest(d.status_rank, excluded.status_rank),
      updated_at = excluded.updated_at
    returning d.provider_id, d.status, d.outbox_id`;

export type StatusEventUpdate = DeliveryUpdate & { params: Record<string, string> };

/** The writes of one statement as rows for jsonb_to_recordset (INPUT below). */
function inputRows(writes: MessageWrite[]): string {
  return JSON.stringify(
    writes.map((write, index) => ({
      idx: index,
      event: write.event === true,
      client_id: write.clientId,
      outbox_id: write.outboxId,
      channel: write.channel,
      provider_id: write.providerId,
      to_address: write.to,
      status: write.status,
      status_rank: statusRank(write.status),
      error_code: write.errorCode ?? null,
      error_message: write.errorMessage ?? null,
      segments: write.segments ?? null,
      provider: write.provider ?? null,
      sender: write.sender ?? null,
      at: write.at.toISOString(),
      params: write.event === true ? write.params : null,
    })),
  );
}

const INPUT = (rows: string) => sql`
    select * from jsonb_to_recordset(${rows}::jsonb) as i(idx int, event boolean, client_id text, outbox_id bigint, channel text,
      provider_id text, to_address text, status text, status_rank int, error_code text, error_message text,
      segments int, provider text, sender text, at timestamptz, params jsonb)`;

/** A message-state write: a delivery record after a send, or (`event`) a status callback. */
export type MessageWrite = (DeliveryUpdate & { event?: false }) | (StatusEventUpdate & { event: true });

/** A consent question asked right before a send (the rule of customers/consent.ts for one purpose). */
export interface OptOutQuestion {
  clientId: string;
  channel: string;
  /** Normalized as consents store it. */
  address: string;
  purpose: string;
}

export interface MessagingStatementResult {
  /** Per write: the delivery afterwards, or undefined for a duplicate callback. */
  written: Array<{ status: string; outboxId: number | null } | undefined>;
  /** Per question: opted out. */
  optedOut: boolean[];
}

/**
 * Everything the senders and the status callbacks of one moment need from the database, as one statement (one
 * round trip, one commit): delivery records, status-callback events with their rank-guarded delivery upserts
 * (an event row and its upsert stay atomic: both or neither), and consent reads. The reads see the state
 * before this statement's writes, which touch other tables. Provider ids must be distinct within one call.
 */
export async function runMessagingStatement(db: Kysely<DB>, writes: MessageWrite[], questions: OptOutQuestion[]): Promise<MessagingStatementResult> {
  const parts: Array<ReturnType<typeof sql>> = [];
  const ctes: Array<ReturnType<typeof sql>> = [];
  if (writes.length > 0) {
    const hasEvents = writes.some((write) => write.event);
    ctes.push(sql`input as (${INPUT(inputRows(writes))})`);
    if (hasEvents) {
      ctes.push(sql`event as (
      insert into message_events (client_id, message_sid, status, error_code, received_at, params)
      select client_id, provider_id, status, error_code, at, params from input where event order by idx
      on conflict (message_sid, status) do nothing
      returning message_sid, status)`);
    }
    ctes.push(sql`written as (
      insert into message_deliveries as d (client_id, outbox_id, channel, provider_id, to_address, status, status_rank,
        error_code, error_message, segments, provider, sender, created_at, updated_at)
      select i.client_id, i.outbox_id, i.channel, i.provider_id, i.to_address, i.status, i.status_rank, i.error_code,
        i.error_message, i.segments, i.provider, i.sender, i.at, i.at
      from input i
      ${hasEvents ? sql`where not i.event or exists (select 1 from event e where e.message_sid = i.provider_id and e.status = i.status)` : sql``}
      order by i.idx
      ${UPSERT_DELIVERY})`);
    parts.push(sql`select provider_id, status, outbox_id, null::int as question from written`);
  }
  if (questions.length > 0) {
    const rows = JSON.stringify(
      questions.map((question, idx) => ({
        idx,
        client_id: question.clientId,
        channel: question.channel,
        address: question.address,
        purpose: question.purpose,
      })),
    );
    parts.push(sql`select null::text as provider_id, null::text as status, null::bigint as outbox_id, q.idx as question
      from jsonb_to_recordset(${rows}::jsonb) as q(idx int, client_id text, channel text, address text, purpose text)
      where exists (select 1 from consents c where c.client_id = q.client_id and c.channel = q.channel
        and c.address = q.address and c.purpose = q.purpose and c.status = 'opted_out')`);
  }
  if (parts.length === 0) return { written: [], optedOut: [] };
  const query = sql<{ provider_id: string | null; status: string | null; outbox_id: number | null; question: number | null }>`${
    ctes.length > 0 ? sql`with ${sql.join(ctes, sql`, `)} ` : sql``
  }${sql.join(parts, sql` union all `)}`;
  const result = await query.execute(db);
  const found = new Map<string, { status: string; outboxId: number | null }>();
  const optedOut = questions.map(() => false);
  for (const row of result.rows) {
    if (row.question !== null) optedOut[Number(row.question)] = true;
    else found.set(row.provider_id!, { status: row.status!, outboxId: row.outbox_id === null ? null : Number(row.outbox_id) });
  }
  return { written: writes.map((write) => found.get(write.providerId)), optedOut };
}
