import { sql, type Kysely } from 'kysely';

/**
 * Caller insight (issue 17):
 * - `call_insights`, one row per analysed call: the labels as plain columns (analytics count them with SQL) and the
 *   evidence (caller turn, span, rule) as jsonb. Derived from the stored, already redacted transcript.
 * - `caller_profiles`, one row per customer: at most three traits from the last five calls plus the one-sentence
 *   guidance the agent hears. Staff may edit it (kept until the next call) or clear it (`cleared_at`: calls before
 *   it no longer count).
 * - `caller_memory` gains the profile's columns, so call_inbound still makes one round trip. Its result type
 *   changes, which `create or replace` cannot do: dropped and created again in this transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table call_insights (
      call_id text primary key references calls (id) on delete cascade,
      client_id text not null,
      customer_id bigint references customers (id) on delete cascade,
      language text not null,
      intent text not null,
      urgency text not null,
      sentiment_start text not null,
      sentiment_end text not null,
      needs text[] not null default '{}',
      open_issue text,
      evidence jsonb not null,
      rules_version text not null,
      call_at timestamptz not null,
      computed_at timestamptz not null
    )`.execute(db);
  await sql`create index call_insights_customer_recent on call_insights (customer_id, call_at desc)`.execute(db);
  await sql`create index call_insights_client_intent on call_insights (client_id, call_at, intent)`.execute(db);
  await sql`
    create table caller_profiles (
      customer_id bigint primary key references customers (id) on delete cascade,
      client_id text not null,
      intent_last text not null default '',
      needs text[] not null default '{}',
      language text not null default '',
      open_issue text not null default '',
      guidance text not null default '',
      calls_counted integer not null default 0,
      edited_by text,
      edited_at timestamptz,
      cleared_at timestamptz,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`drop function caller_memory(text, text, timestamptz)`.execute(db);
  await sql`
    create function caller_memory(p_client text, p_phone text, p_now timestamptz)
    returns table (
      customer_id bigint, name text, call_count integer, last_summary text, last_call_at timestamptz,
      opted_out boolean, start_at timestamptz, appointment_type text,
      profile_intent text, profile_needs text[], profile_language text, profile_open_issue text, profile_guidance text
    )
    language plpgsql stable as $$
    begin
      return query
        select c.id, c.name, c.call_count, c.last_summary, c.last_call_at,
               exists (
                 select 1 from consents s
                 where s.client_id = p_client and s.channel = 'sms' and s.address = p_phone
                   and s.purpose in ('marketing', 'transactional') and s.status = 'opted_out'
               ),
               upcoming.start_at, upcoming.appointment_type,
               p.intent_last, p.needs, p.language, p.open_issue, p.guidance
        from (select 1) as one
        left join customers c on c.client_id = p_client and c.phone = p_phone
        left join caller_profiles p on p.customer_id = c.id
        left join lateral (
          select a.start_at, a.appointment_type from appointments a
          where a.customer_id = c.id and a.client_id = p_client and a.status = 'booked' and a.start_at > p_now
          order by a.start_at limit 1
        ) upcoming on true;
    end $$`.execute(db);
}
