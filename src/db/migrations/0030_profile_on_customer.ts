import { sql, type Kysely } from 'kysely';

/**
 * The caller profile's five wordings are copied onto the customer's row, so `caller_memory` reads them without joining
 * `caller_profiles` (session 10): on PGlite, which runs in the server's process, that join cost 0.1–0.2 ms of CPU per
 * ringing call. `caller_profiles` stays the profile's home (who edited it, when it was cleared, how many calls count);
 * every write to it sets these columns in the same transaction (insights/profile-on-customer.ts). Null: no profile. Same
 * result columns as 0028, so the function is replaced in place.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table customers
      add column profile_intent_last text,
      add column profile_needs text[],
      add column profile_language text,
      add column profile_open_issue text,
      add column profile_guidance text`.execute(db);
  await sql`
    update customers c
    set profile_intent_last = p.intent_last, profile_needs = p.needs, profile_language = p.language,
        profile_open_issue = p.open_issue, profile_guidance = p.guidance
    from caller_profiles p
    where p.customer_id = c.id`.execute(db);
  await sql`
    create or replace function caller_memory(p_client text, p_phone text, p_now timestamptz)
    returns table (
      customer_id bigint, name text, call_count integer, last_summary text, last_call_at timestamptz,
      opted_out boolean, start_at timestamptz, appointment_type text,
      profile_intent text, profile_needs text[], profile_language text, profile_open_issue text, profile_guidance text,
      preferred_language text, staff_id text
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
               c.profile_intent_last, c.profile_needs, c.profile_language, c.profile_open_issue, c.profile_guidance,
               c.preferred_language, upcoming.staff_id
        from (select 1) as one
        left join customers c on c.client_id = p_client and c.phone = p_phone
        left join lateral (
          select a.start_at, a.appointment_type, a.staff_id from appointments a
          where a.customer_id = c.id and a.client_id = p_client and a.status = 'booked' and a.start_at > p_now
          order by a.start_at limit 1
        ) upcoming on true;
    end $$`.execute(db);
}
