/**
 * The figures the dashboard, the CSV export and the weekly digest show, assembled from the rollups (sums of
 * local days) and the window-wide raw figures of facts.ts. Nothing here counts rows itself: it only reads
 * figures by key and divides them into shares and rates.
 */
import { sql, type Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { ClientRegistry } from '../config/registry.js';
import type { DB } from '../db/schema.js';
import { DAILY_METRICS, figureRows, windowFigureRows } from './facts.js';
import { dayRangeMoments, officeWindow, officeZone } from './offices.js';
import { refreshRollups, withoutJit } from './rollup.js';
import { CALL_SENTIMENTS, type OfficeSummary, type Series, type SeriesBucket } from '../shared/analytics.js';

export type { OfficeSummary, Series, SeriesBucket } from '../shared/analytics.js';

export interface AnalyticsDeps {
  db: Kysely<DB>;
  clients: ClientRegistry;
  clock: { now(): Date };
}

export interface DayRange {
  /** Office-local days, inclusive, 'YYYY-MM-DD'. */
  from: string;
  to: string;
}

type Figures = Map<string, number>;

/** A share or rate; null when there is nothing to divide by. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

async function figuresOf(deps: AnalyticsDeps, clientIds: string[], range: DayRange, options: { window: boolean }): Promise<Map<string, Figures>> {
  const byClient = new Map<string, Figures>(clientIds.map((id) => [id, new Map()]));
  if (clientIds.length === 0) return byClient;
  await refreshRollups(deps.db, deps.clients, clientIds);
  const sums = await deps.db
    .selectFrom('analytics_daily')
    .select(['client_id', 'metric', sql<number>`sum(value)::float8`.as('value')])
    .where('client_id', 'in', clientIds)
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .groupBy(['client_id', 'metric'])
    .execute();
  for (const row of sums) byClient.get(row.client_id)?.set(row.metric, Number(row.value));
  // The headline table needs none of the window-wide figures (p90, heat map, nurture, reminders, upcoming).
  if (!options.window) return byClient;
  const windows = clientIds.map((id) => {
    const moments = dayRangeMoments(officeZone(deps.clients, id), range.from, range.to);
    return officeWindow(deps.clients, id, moments.from, moments.to);
  });
  const live = await withoutJit(deps.db, (trx) => windowFigureRows(windows, deps.clock.now()).execute(trx));
  for (const row of live.rows) byClient.get(row.client_id)?.set(row.metric, Number(row.value));
  return byClient;
}

const get = (figures: Figures, key: string) => figures.get(key) ?? 0;

function summaryOf(deps: AnalyticsDeps, clientId: string, range: DayRange, f: Figures): OfficeSummary {
  const total = get(f, 'calls.total');
  const steps = [
    ['calls', 'Calls', get(f, 'calls.total')],
    ['conversations', 'Conversations', get(f, 'calls.conversations')],
    ['wanted_to_book', 'Wanted to book', get(f, 'funnel.wanted_to_book')],
    ['booked', 'Booked', get(f, 'funnel.booked')],
    ['held', 'Held', get(f, 'funnel.held')],
  ] as const;
  const held = get(f, 'funnel.held');
  const noShow = get(f, 'funnel.no_show');
  const upcoming = get(f, 'funnel.upcoming');
  const durations = get(f, 'calls.duration_count');
  const show = (prefix: string) => {
    const h = get(f, `${prefix}.attended`);
    const n = get(f, `${prefix}.no_show`);
    return { held: h, noShow: n, showRate: ratio(h, h + n) };
  };
  const nurtureCustomers = get(f, 'nurture.customers');
  const nurtureBooked = get(f, 'nurture.booked_within_14_days');
  const optOuts = { text: get(f, 'optouts.text'), spoken: get(f, 'optouts.spoken'), other: get(f, 'optouts.other') };
  const callbacksCreated = get(f, 'callbacks.created');
  return {
    client: clientId,
    name: deps.clients.get(clientId)?.config.name ?? clientId,
    zone: officeZone(deps.clients, clientId),
    from: range.from,
    to: range.to,
    calls: {
      total,
      conversations: get(f, 'calls.conversations'),
      abandoned: get(f, 'calls.abandoned'),
      voicemail: get(f, 'calls.voicemail'),
      afterHours: get(f, 'calls.after_hours'),
      afterHoursShare: ratio(get(f, 'calls.after_hours'), total),
      firstTime: get(f, 'calls.first_time'),
      returning: get(f, 'calls.returning'),
      transfers: get(f, 'calls.transfers'),
      averageDurationMs: durations > 0 ? get(f, 'calls.duration_ms_sum') / durations : null,
      p90DurationMs: f.has('calls.p90_duration_ms') ? get(f, 'calls.p90_duration_ms') : null,
    },
    funnel: {
      steps: [
        ...steps.map(([key, label, count], index) => ({
          key,
          label,
          count,
          rateFromPrevious: index === 0 ? null : ratio(count, steps[index - 1]![2]),
        })),
        { key: 'no_show', label: 'No-show', count: noShow, rateFromPrevious: ratio(noShow, get(f, 'funnel.booked')) },
      ],
      unknown: get(f, 'funnel.unmarked') - upcoming,
      upcoming,
      bookedValue: get(f, 'funnel.booked_value'),
      heldValue: get(f, 'funnel.held_value'),
      showRate: ratio(held, held + noShow),
    },
    followUps: {
      sms: { sent: get(f, 'sms.sent'), delivered: get(f, 'sms.delivered'), failed: get(f, 'sms.failed') },
      email: { sent: get(f, 'email.sent'), delivered: get(f, 'email.delivered'), failed: get(f, 'email.failed') },
      optOuts: { ...optOuts, total: optOuts.text + optOuts.spoken + optOuts.other },
      replies: get(f, 'replies'),
      nurture: { customers: nurtureCustomers, bookedWithin14Days: nurtureBooked, rate: ratio(nurtureBooked, nurtureCustomers) },
      reminders: { reminded: show('reminded'), notReminded: show('not_reminded') },
    },
    quality: {
      sentiment: Object.fromEntries(CALL_SENTIMENTS.map((key) => [key, get(f, `sentiment.${key}`)])) as OfficeSummary['quality']['sentiment'],
      topIntents: [...f]
        .filter(([key]) => key.startsWith('intent.'))
        .map(([key, count]) => ({ intent: key.slice('intent.'.length), count }))
        .sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent))
        .slice(0, 10),
      needs: [...f]
        .filter(([key]) => key.startsWith('need.'))
        .map(([key, count]) => ({ need: key.slice('need.'.length), count }))
        .sort((a, b) => b.count - a.count || a.need.localeCompare(b.need)),
      callbacks: { created: callbacksCreated, doneInTime: get(f, 'callbacks.done_in_time'), rate: ratio(get(f, 'callbacks.done_in_time'), callbacksCreated) },
      errors: get(f, 'errors'),
    },
    heatmap: Array.from({ length: 7 }, (_, day) => Array.from({ length: 24 }, (_, hour) => get(f, `heatmap.${day}.${hour}`))),
  };
}

export async function officeSummary(deps: AnalyticsDeps, clientId: string, range: DayRange): Promise<OfficeSummary> {
  const figures = await figuresOf(deps, [clientId], range, { window: true });
  return summaryOf(deps, clientId, range, figures.get(clientId)!);
}

/** The figures an agency compares offices by (and the weekly digest lists). */
export const HEADLINES = [
  { key: 'calls', label: 'Calls', pick: (s: OfficeSummary) => s.calls.total, kind: 'count' },
  { key: 'conversations', label: 'Conversations', pick: (s: OfficeSummary) => s.calls.conversations, kind: 'count' },
  { key: 'booked', label: 'Booked', pick: (s: OfficeSummary) => s.funnel.steps[3]!.count, kind: 'count' },
  { key: 'bookingRate', label: 'Booked per conversation', pick: (s: OfficeSummary) => ratio(s.funnel.steps[3]!.count, s.calls.conversations), kind: 'rate' },
  { key: 'held', label: 'Held', pick: (s: OfficeSummary) => s.funnel.steps[4]!.count, kind: 'count' },
  { key: 'showRate', label: 'Show rate', pick: (s: OfficeSummary) => s.funnel.showRate, kind: 'rate' },
  { key: 'afterHoursShare', label: 'After-hours share', pick: (s: OfficeSummary) => s.calls.afterHoursShare, kind: 'rate' },
  { key: 'negativeShare', label: 'Negative sentiment share', pick: (s: OfficeSummary) => ratio(s.quality.sentiment.negative, s.calls.total), kind: 'rate' },
  { key: 'optOuts', label: 'Opt-outs', pick: (s: OfficeSummary) => s.followUps.optOuts.total, kind: 'count' },
  { key: 'callbacksInTime', label: 'Callbacks done in time', pick: (s: OfficeSummary) => s.quality.callbacks.rate, kind: 'rate' },
  { key: 'errors', label: 'Errors', pick: (s: OfficeSummary) => s.quality.errors, kind: 'count' },
] as const;
export type HeadlineKey = (typeof HEADLINES)[number]['key'];

export interface HeadlineRow {
  client: string;
  name: string;
  zone: string;
  figures: Record<HeadlineKey, number | null>;
  previous: Record<HeadlineKey, number | null>;
  /** Current minus previous (for rates: percentage points as a fraction), null when either is unknown. */
  change: Record<HeadlineKey, number | null>;
}

/** The same number of days just before `range`. */
export function previousRange(range: DayRange): DayRange {
  const from = DateTime.fromISO(range.from, { zone: 'utc' });
  const days = DateTime.fromISO(range.to, { zone: 'utc' }).diff(from, 'days').days + 1;
  return { from: from.minus({ days }).toISODate()!, to: from.minus({ days: 1 }).toISODate()! };
}

function headlines(summary: OfficeSummary): Record<HeadlineKey, number | null> {
  return Object.fromEntries(HEADLINES.map((headline) => [headline.key, headline.pick(summary)])) as Record<HeadlineKey, number | null>;
}

export async function headlineRows(deps: AnalyticsDeps, clientIds: string[], range: DayRange): Promise<HeadlineRow[]> {
  const before = previousRange(range);
  const [current, previous] = [await figuresOf(deps, clientIds, range, { window: false }), await figuresOf(deps, clientIds, before, { window: false })];
  return clientIds.map((id) => {
    const now = headlines(summaryOf(deps, id, range, current.get(id)!));
    const then = headlines(summaryOf(deps, id, before, previous.get(id)!));
    const change = Object.fromEntries(HEADLINES.map(({ key }) => [key, now[key] === null || then[key] === null ? null : now[key] - then[key]])) as Record<
      HeadlineKey,
      number | null
    >;
    return { client: id, name: deps.clients.get(id)?.config.name ?? id, zone: officeZone(deps.clients, id), figures: now, previous: then, change };
  });
}

/** Metric groups a series may ask for by one name. */
export const SERIES_GROUPS: Record<string, string[]> = {
  calls: ['calls.total', 'calls.conversations', 'calls.abandoned', 'calls.after_hours'],
  funnel: ['calls.total', 'calls.conversations', 'funnel.wanted_to_book', 'funnel.booked', 'funnel.held', 'funnel.no_show'],
  sentiment: CALL_SENTIMENTS.map((key) => `sentiment.${key}`),
  messages: ['sms.sent', 'sms.delivered', 'sms.failed', 'email.sent', 'email.delivered', 'email.failed'],
  quality: ['callbacks.created', 'callbacks.done_in_time', 'errors'],
};

export function seriesMetrics(requested: string): string[] | undefined {
  const keys = requested
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => SERIES_GROUPS[part] ?? [part]);
  const known = new Set<string>(DAILY_METRICS);
  if (keys.length === 0 || keys.some((key) => !known.has(key) && !/^(?:intent|need)\.[\w .:-]{1,200}$/.test(key))) return undefined;
  return [...new Set(keys)];
}

/** The buckets of a range, each with its start as shown (local ISO with offset; a date for days and longer). */
function bucketStarts(zone: string, range: DayRange, bucket: SeriesBucket): Array<{ key: string; start: string }> {
  const starts: Array<{ key: string; start: string }> = [];
  const { from, to } = dayRangeMoments(zone, range.from, range.to);
  if (bucket === 'hour') {
    for (let t = DateTime.fromJSDate(from, { zone }); t.toMillis() < to.getTime(); t = t.plus({ hours: 1 })) {
      starts.push({ key: String(t.toMillis()), start: t.toISO({ suppressMilliseconds: true, suppressSeconds: true })! });
    }
    return starts;
  }
  const unit = bucket === 'day' ? 'day' : bucket === 'week' ? 'week' : 'month';
  const last = DateTime.fromISO(range.to, { zone: 'utc' });
  for (let t = DateTime.fromISO(range.from, { zone: 'utc' }).startOf(unit); t <= last; t = t.plus({ [`${unit}s`]: 1 })) {
    starts.push({ key: t.toISODate()!, start: t.toISODate()! });
  }
  return starts;
}

export async function officeSeries(deps: AnalyticsDeps, clientId: string, range: DayRange, bucket: SeriesBucket, metrics: string[]): Promise<Series> {
  const zone = officeZone(deps.clients, clientId);
  const starts = bucketStarts(zone, range, bucket);
  const values = new Map(starts.map(({ key }) => [key, Object.fromEntries(metrics.map((metric) => [metric, 0])) as Record<string, number>]));
  let rows: Array<{ bucket: string; metric: string; value: number }>;
  if (bucket === 'hour') {
    const moments = dayRangeMoments(zone, range.from, range.to);
    const result = await withoutJit(deps.db, (trx) => figureRows([officeWindow(deps.clients, clientId, moments.from, moments.to)], 'hour').execute(trx));
    rows = result.rows.map((row) => ({ ...row, bucket: String(Math.round(Number(row.bucket))) }));
  } else {
    await refreshRollups(deps.db, deps.clients, [clientId]);
    const unit = sql.lit(bucket);
    const result = await sql<{ bucket: string; metric: string; value: number }>`
      select date_trunc(${unit}, day::timestamp)::date::text as bucket, metric, sum(value)::float8 as value
      from analytics_daily
      where client_id = ${clientId} and day >= ${range.from}::date and day <= ${range.to}::date and metric = any(${metrics}::text[])
      group by 1, 2`.execute(deps.db);
    rows = result.rows;
  }
  for (const row of rows) {
    const bucketValues = values.get(row.bucket);
    if (bucketValues && row.metric in bucketValues) bucketValues[row.metric] = Number(row.value);
  }
  return {
    client: clientId,
    zone,
    from: range.from,
    to: range.to,
    bucket,
    metrics,
    buckets: starts.map(({ key, start }) => ({ start, values: values.get(key)! })),
  };
}
