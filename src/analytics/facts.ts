/**
 * The one definition of every analytics figure, in SQL. Each `*_facts` CTE lists the rows a group of figures
 * counts (one row per call, appointment, message, opt-out, reply, callback task, error), dated by one moment;
 * `figureRows` adds them up per office and bucket (an office-local day, or an office-local hour). The daily
 * rollups, today's live figures and the hourly series all run this same query, so a figure cannot mean two
 * things. docs/analytics.md states each definition in words; keep the two in step.
 */
import { sql, type RawBuilder } from 'kysely';
import { NOT_A_CONVERSATION } from '../calls/outcome.js';
import { insightOfCall, intentOfCall, intentWantsBooking, needsOfCall, sentimentOfCall } from './labels.js';
import type { OfficeWindow } from './offices.js';

/** Figures stored per day (sums over the day's rows). Keys of intents are `intent.<label>`, of needs `need.<label>`. */
export const DAILY_METRICS = [
  'calls.total',
  'calls.conversations',
  'calls.abandoned',
  'calls.voicemail',
  'calls.after_hours',
  'calls.first_time',
  'calls.returning',
  'calls.transfers',
  'calls.duration_ms_sum',
  'calls.duration_count',
  'funnel.wanted_to_book',
  'funnel.booked',
  'funnel.held',
  'funnel.no_show',
  'funnel.unmarked',
  'funnel.booked_value',
  'funnel.held_value',
  'sentiment.positive',
  'sentiment.neutral',
  'sentiment.negative',
  'sentiment.unknown',
  'sms.sent',
  'sms.delivered',
  'sms.failed',
  'email.sent',
  'email.delivered',
  'email.failed',
  'optouts.text',
  'optouts.spoken',
  'optouts.other',
  'replies',
  'callbacks.created',
  'callbacks.done_in_time',
  'errors',
] as const;
export type DailyMetric = (typeof DAILY_METRICS)[number];

export type Bucketing = 'day' | 'hour';

/** The bucket of a row dated `moment` in `office_zone`: the local day ('YYYY-MM-DD'), or the local hour's start (epoch ms). */
function bucketOf(bucketing: Bucketing): RawBuilder<unknown> {
  // An hour is the local wall-clock hour minus the offset in force at the moment, so 01:00 EDT and 01:00 EST
  // on the night clocks fall back are two buckets, and the day clocks spring forward has 23.
  return bucketing === 'day'
    ? sql`((moment at time zone office_zone)::date)::text`
    : sql`(extract(epoch from date_trunc('hour', moment at time zone office_zone)
          - ((moment at time zone office_zone) - (moment at time zone 'UTC'))) * 1000)::float8::text`;
}

const notConversation = sql.join(NOT_A_CONVERSATION.map((outcome) => sql.lit(outcome)));

/**
 * The offices and their windows as a VALUES list (not a JSON parameter), so the planner knows how few rows it
 * holds and reads each office's rows through its (client, moment) index instead of scanning whole tables.
 */
function officesList(windows: OfficeWindow[]): RawBuilder<unknown> {
  const rows = windows.map(
    (w) =>
      sql`(${w.client_id}::text, ${w.zone}::text, ${JSON.stringify(w.hours)}::jsonb, ${JSON.stringify(w.type_values)}::jsonb, ${w.from_at}::timestamptz, ${w.to_at}::timestamptz)`,
  );
  return sql`select * from (values ${sql.join(rows)}) as o(client_id, zone, hours, type_values, from_at, to_at)`;
}

/** The facts each figure counts, for the offices and moments in `windows`. */
export function factsCte(windows: OfficeWindow[]): RawBuilder<unknown> {
  return sql`
  offices as (${officesList(windows)}),
  call_facts as (
    select c.id, c.client_id, o.zone as office_zone, o.type_values, coalesce(c.started_at, c.created_at) as moment,
      coalesce(c.outcome not in (${notConversation}), false) as conversation,
      coalesce(c.outcome = 'abandoned', false) as abandoned,
      coalesce(c.outcome = 'voicemail', false) as voicemail,
      not exists (
        select 1 from jsonb_array_elements(
          case
            when exists (select 1 from jsonb_array_elements(o.hours->'closures') x
                         where l.local_time::date between (x->>0)::date and (x->>1)::date) then '[]'::jsonb
            when (o.hours->'special') ? to_char(l.local_time, 'YYYY-MM-DD') then o.hours->'special'->to_char(l.local_time, 'YYYY-MM-DD')
            else coalesce(o.hours->'weekly'->(extract(isodow from l.local_time)::int - 1), '[]'::jsonb)
          end) r
        where extract(hour from l.local_time) * 60 + extract(minute from l.local_time) >= (r->>0)::int
          and extract(hour from l.local_time) * 60 + extract(minute from l.local_time) < (r->>1)::int
      ) as after_hours,
      (c.customer_id is not null and exists (
        select 1 from calls p where p.customer_id = c.customer_id and p.created_at < c.created_at)) as is_returning,
      (c.events ? 'transfer_started' or coalesce(c.disconnection_reason, '') = 'call_transfer') as transfer,
      c.duration_ms,
      ${sentimentOfCall} as sentiment,
      ${intentOfCall} as intent,
      ${needsOfCall} as needs,
      (coalesce(c.outcome not in (${notConversation}), false) and (${intentWantsBooking} or booking.found is not null)) as wanted_to_book
    from offices o
    join calls c on c.client_id = o.client_id
      and coalesce(c.started_at, c.created_at) >= o.from_at and coalesce(c.started_at, c.created_at) < o.to_at
    cross join lateral (select coalesce(c.started_at, c.created_at) at time zone o.zone as local_time) l
    ${insightOfCall}
    -- A lateral with a limit is looked up per call through appointments_call (an exists inside the OR above would
    -- be planned as a scan of every appointment).
    left join lateral (
      select 1 as found from appointments wb where wb.call_id = c.id and wb.client_id = c.client_id and wb.status = 'booked' limit 1
    ) booking on true
  ),
  appointment_facts as (
    select f.client_id, f.office_zone, f.moment, a.attendance, a.end_at,
      coalesce((f.type_values->>a.appointment_type)::float8, 0) as value
    from call_facts f
    -- offset 0 keeps the lateral a per-call index lookup rather than a scan of every appointment.
    join lateral (
      select a.attendance, a.end_at, a.appointment_type from appointments a
      where a.call_id = f.id and a.client_id = f.client_id and a.status = 'booked' offset 0
    ) a on true
  ),
  message_facts as (
    select d.client_id, o.zone as office_zone, d.created_at as moment, d.channel,
      case when d.channel = 'email' then d.status not in ('failed', 'undelivered') else d.status = 'delivered' end as delivered,
      d.status in ('failed', 'undelivered') as failed, true as sent
    from offices o
    join message_deliveries d on d.client_id = o.client_id and d.created_at >= o.from_at and d.created_at < o.to_at
    union all
    select x.client_id, o.zone, coalesce(x.finished_at, x.updated_at), x.kind, false, true, false
    from offices o
    join outbox x on x.client_id = o.client_id and x.status = 'dead' and x.kind in ('sms', 'email')
      and coalesce(x.finished_at, x.updated_at) >= o.from_at and coalesce(x.finished_at, x.updated_at) < o.to_at
    where not exists (select 1 from message_deliveries d where d.outbox_id = x.id)
  ),
  opt_out_facts as (
    select h.client_id, o.zone as office_zone, h.changed_at as moment,
      case h.source when 'sms_keyword' then 'text' when 'voice' then 'spoken' else 'other' end as how,
      h.channel || ' ' || h.address as subject
    from offices o
    join consent_history h on h.client_id = o.client_id and h.status = 'opted_out'
      and h.changed_at >= o.from_at and h.changed_at < o.to_at
  ),
  reply_facts as (
    select i.client_id, o.zone as office_zone, i.received_at as moment
    from offices o
    join inbound_messages i on i.client_id = o.client_id and i.intent = 'message'
      and i.received_at >= o.from_at and i.received_at < o.to_at
  ),
  callback_facts as (
    select t.client_id, o.zone as office_zone, t.created_at as moment,
      (t.status = 'done' and (t.due_at is null or t.completed_at <= t.due_at)) as done_in_time
    from offices o
    join callback_tasks t on t.client_id = o.client_id and t.created_at >= o.from_at and t.created_at < o.to_at
  ),
  error_facts as (
    select e.client_id, o.zone as office_zone, e.first_seen_at as moment, e.count
    from offices o
    join errors e on e.client_id = o.client_id and e.first_seen_at >= o.from_at and e.first_seen_at < o.to_at
  )`;
}

/** Every non-zero figure per office and bucket: rows (client_id, bucket, metric, value). */
export function figureRows(windows: OfficeWindow[], bucketing: Bucketing): RawBuilder<{ client_id: string; bucket: string; metric: string; value: number }> {
  const bucket = bucketOf(bucketing);
  return sql`with ${factsCte(windows)}
  select client_id, bucket, metric, value from (
    select g.client_id, g.bucket, v.metric, v.value from (
      select client_id, ${bucket} as bucket,
        count(*)::float8 as total,
        count(*) filter (where conversation)::float8 as conversations,
        count(*) filter (where abandoned)::float8 as abandoned,
        count(*) filter (where voicemail)::float8 as voicemail,
        count(*) filter (where after_hours)::float8 as after_hours,
        count(*) filter (where not is_returning)::float8 as first_time,
        count(*) filter (where is_returning)::float8 as is_returning,
        count(*) filter (where transfer)::float8 as transfers,
        coalesce(sum(duration_ms), 0)::float8 as duration_ms_sum,
        count(duration_ms)::float8 as duration_count,
        count(*) filter (where wanted_to_book)::float8 as wanted_to_book,
        count(*) filter (where sentiment = 'positive')::float8 as positive,
        count(*) filter (where sentiment = 'neutral')::float8 as neutral,
        count(*) filter (where sentiment = 'negative')::float8 as negative,
        count(*) filter (where sentiment = 'unknown')::float8 as unknown
      from call_facts group by 1, 2
    ) g cross join lateral (values
      ('calls.total', g.total), ('calls.conversations', g.conversations), ('calls.abandoned', g.abandoned),
      ('calls.voicemail', g.voicemail), ('calls.after_hours', g.after_hours), ('calls.first_time', g.first_time),
      ('calls.returning', g.is_returning), ('calls.transfers', g.transfers), ('calls.duration_ms_sum', g.duration_ms_sum),
      ('calls.duration_count', g.duration_count), ('funnel.wanted_to_book', g.wanted_to_book),
      ('sentiment.positive', g.positive), ('sentiment.neutral', g.neutral), ('sentiment.negative', g.negative),
      ('sentiment.unknown', g.unknown)
    ) v(metric, value)
    union all
    select client_id, ${bucket}, 'intent.' || intent, count(*)::float8 from call_facts where intent is not null group by 1, 2, 3
    union all
    select client_id, ${bucket}, 'need.' || need, count(*)::float8 from call_facts cross join unnest(needs) as n(need) group by 1, 2, 3
    union all
    select g.client_id, g.bucket, v.metric, v.value from (
      select client_id, ${bucket} as bucket, count(*)::float8 as booked,
        count(*) filter (where attendance = 'attended')::float8 as held,
        count(*) filter (where attendance = 'no_show')::float8 as no_show,
        count(*) filter (where attendance is null)::float8 as unmarked,
        coalesce(sum(value), 0)::float8 as booked_value,
        coalesce(sum(value) filter (where attendance = 'attended'), 0)::float8 as held_value
      from appointment_facts group by 1, 2
    ) g cross join lateral (values
      ('funnel.booked', g.booked), ('funnel.held', g.held), ('funnel.no_show', g.no_show), ('funnel.unmarked', g.unmarked),
      ('funnel.booked_value', g.booked_value), ('funnel.held_value', g.held_value)
    ) v(metric, value)
    union all
    select g.client_id, g.bucket, g.channel || v.suffix, v.value from (
      select client_id, ${bucket} as bucket, channel,
        count(*) filter (where sent)::float8 as sent,
        count(*) filter (where delivered)::float8 as delivered,
        count(*) filter (where failed)::float8 as failed
      from message_facts group by 1, 2, 3
    ) g cross join lateral (values ('.sent', g.sent), ('.delivered', g.delivered), ('.failed', g.failed)) v(suffix, value)
    union all
    select client_id, ${bucket}, 'optouts.' || how, count(distinct subject || ' ' || moment::text)::float8
    from opt_out_facts group by 1, 2, 3
    union all
    select client_id, ${bucket}, 'replies', count(*)::float8 from reply_facts group by 1, 2
    union all
    select g.client_id, g.bucket, v.metric, v.value from (
      select client_id, ${bucket} as bucket, count(*)::float8 as created,
        count(*) filter (where done_in_time)::float8 as done_in_time
      from callback_facts group by 1, 2
    ) g cross join lateral (values ('callbacks.created', g.created), ('callbacks.done_in_time', g.done_in_time)) v(metric, value)
    union all
    select client_id, ${bucket}, 'errors', sum(count)::float8 from error_facts group by 1, 2
  ) figures
  where value <> 0`;
}

/**
 * Figures that are not sums of days, read from raw rows for the whole window: the p90 call length, booked
 * appointments still to come (the rest of the unmarked ones are "unknown"), the weekday × hour heat map, nurture
 * → booked within 14 days and the show rate with and without a reminder. Rows (client_id, metric, value).
 */
export function windowFigureRows(windows: OfficeWindow[], now: Date): RawBuilder<{ client_id: string; metric: string; value: number }> {
  return sql`with
  offices as (${officesList(windows)}),
  window_calls as (
    select c.id, c.client_id, c.duration_ms, coalesce(c.started_at, c.created_at) at time zone o.zone as local_time
    from offices o
    join calls c on c.client_id = o.client_id
      and coalesce(c.started_at, c.created_at) >= o.from_at and coalesce(c.started_at, c.created_at) < o.to_at
  ),
  nurtured as (
    select d.client_id, x.customer_id, min(d.created_at) as first_sent
    from offices o
    join message_deliveries d on d.client_id = o.client_id and d.created_at >= o.from_at and d.created_at < o.to_at
    join outbox x on x.id = d.outbox_id and x.payload->>'sequence' = 'nurture' and x.customer_id is not null
    group by 1, 2
  ),
  marked as (
    select a.client_id, a.attendance,
      exists (select 1 from outbox x join message_deliveries d on d.outbox_id = x.id
              where x.appointment_id = a.id and x.payload->>'sequence' = 'reminder') as reminded
    from offices o
    join appointments a on a.client_id = o.client_id and a.status = 'booked' and a.attendance is not null
      and a.start_at >= o.from_at and a.start_at < o.to_at
  )
  select client_id, 'calls.p90_duration_ms' as metric,
    percentile_cont(0.9) within group (order by duration_ms)::float8 as value
  from window_calls where duration_ms is not null group by 1
  union all
  select w.client_id, 'funnel.upcoming', count(*)::float8
  from window_calls w join appointments a on a.call_id = w.id and a.client_id = w.client_id
  where a.status = 'booked' and a.attendance is null and a.end_at > ${now.toISOString()}::timestamptz
  group by 1
  union all
  select client_id, 'heatmap.' || (extract(isodow from local_time)::int - 1) || '.' || extract(hour from local_time)::int, count(*)::float8
  from window_calls group by 1, 2
  union all
  select client_id, 'nurture.customers', count(*)::float8 from nurtured group by 1
  union all
  select n.client_id, 'nurture.booked_within_14_days', count(*)::float8 from nurtured n
  where exists (select 1 from appointments a where a.client_id = n.client_id and a.customer_id = n.customer_id
                and a.status = 'booked' and a.booked_at > n.first_sent and a.booked_at <= n.first_sent + interval '14 days')
  group by 1
  union all
  select client_id, case when reminded then 'reminded.' else 'not_reminded.' end || attendance, count(*)::float8
  from marked group by 1, 2`;
}
