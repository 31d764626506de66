import { sql, type Kysely } from 'kysely';

/**
 * Caller language (issue 18): where `customers.preferred_language` came from — `staff` (set in the dashboard),
 * `caller` (the caller said so; save_caller_details), `call` (learned from the agent's language or the caller's
 * words) — so a guess never overwrites what a person chose; and `caller_memory` also returns the language, so the
 * greeting can be in it (still one round trip while the phone rings). It keeps the caller profile's columns of
 * migration 0019. Its result type changes, hence drop + create.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table customers add column preferred_language_source text`.execute(db);
  await sql`update customers set preferred_language_source = 'caller' where preferred_language is not null`.execute(db);
  await sql`drop function caller_memory(text, text, timestamptz)`.execute(db);
  await sql`
    create function caller_memory(p_client text, p_phone text, p_now timestamptz)
    returns table (
      customer_id bigint, name text, call_count integer, last_summary text, last_call_at timestamptz,
      opted_out boolean, start_at timestamptz, appointment_type text,
      profile_intent text, profile_needs text[], profile_language text, profile_open_issue text, profile_guidance text,
      preferred_language text
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
               p.intent_last, p.needs, p.language, p.open_issue, p.guidance,
               c.preferred_language
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
