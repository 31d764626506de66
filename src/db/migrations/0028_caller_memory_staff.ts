import { sql, type Kysely } from 'kysely';

/**
 * `caller_memory` also returns the upcoming appointment's `staff_id`, so `call_inbound` can say with whom a staff
 * office's caller is booked without a second read while the phone rings (issue 20; migration 0026 added the column,
 * the route read it separately). Everything else is 0022's function; its result type changes, hence drop + create.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop function caller_memory(text, text, timestamptz)`.execute(db);
  await sql`
    create function caller_memory(p_client text, p_phone text, p_now timestamptz)
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
               p.intent_last, p.needs, p.language, p.open_issue, p.guidance,
               c.preferred_language, upcoming.staff_id
        from (select 1) as one
        left join customers c on c.client_id = p_client and c.phone = p_phone
        left join caller_profiles p on p.customer_id = c.id
        left join lateral (
          select a.start_at, a.appointment_type, a.staff_id from appointments a
          where a.customer_id = c.id and a.client_id = p_client and a.status = 'booked' and a.start_at > p_now
          order by a.start_at limit 1
        ) upcoming on true;
    end $$`.execute(db);
}
