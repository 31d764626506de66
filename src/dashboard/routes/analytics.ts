/**
 * Analytics: an office's headline figures (`summary`), a figure over time (`series`) and, without `client`,
 * the table of every office in the user's scope with each headline figure's change against the previous period.
 * Days are the office's own; every answer is also CSV (`format=csv`). The figures come from src/analytics/.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { toCsv } from '../../analytics/csv.js';
import {
  HEADLINES,
  headlineRows,
  officeSeries,
  officeSummary,
  previousRange,
  seriesMetrics,
  type DayRange,
  type OfficeSummary,
} from '../../analytics/figures.js';
import { officeZone } from '../../analytics/offices.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, clientFilter, currentUser, parseInput, requireClient } from '../http.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((value) => DateTime.fromISO(value).isValid, 'is not a real calendar date');

const rangeQuery = {
  client: z.string().min(1).max(100).optional(),
  /** First and last office-local day, inclusive; default the last 7 days up to today. */
  from: day.optional(),
  to: day.optional(),
  format: z.enum(['json', 'csv']).default('json'),
};
const summaryQuery = z.object(rangeQuery);
const seriesQuery = z.object({
  ...rangeQuery,
  bucket: z.enum(['hour', 'day', 'week', 'month']).default('day'),
  metric: z.string().min(1).max(2000).default('calls'),
});

/** Longest range a request may ask for, in days (hour buckets: 31). */
const MAX_DAYS = 731;
const MAX_HOUR_DAYS = 31;

function rangeOf(context: AppContext, zone: string, query: { from?: string; to?: string }, maxDays: number): DayRange {
  const today = DateTime.fromJSDate(context.clock.now(), { zone }).toISODate()!;
  const to = query.to ?? (query.from && query.from > today ? query.from : today);
  const from = query.from ?? DateTime.fromISO(to).minus({ days: 6 }).toISODate()!;
  if (from > to) throw new HttpProblem(400, 'invalid_request', `from: ${from} is after to (${to})`);
  const days = DateTime.fromISO(to).diff(DateTime.fromISO(from), 'days').days + 1;
  if (days > maxDays) throw new HttpProblem(400, 'invalid_request', `from/to: at most ${maxDays} days at a time (asked for ${days})`);
  return { from, to };
}

function sendCsv(reply: FastifyReply, name: string, rows: Array<Array<string | number | null>>): string {
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', `attachment; filename="${name}.csv"`);
  return toCsv(rows);
}

/** An office's summary as rows of section, figure, value. */
function summaryCsvRows(summary: OfficeSummary): Array<Array<string | number | null>> {
  const rows: Array<Array<string | number | null>> = [['office', 'from', 'to', 'section', 'figure', 'value']];
  const add = (section: string, figure: string, value: number | null) => rows.push([summary.client, summary.from, summary.to, section, figure, value]);
  for (const [key, value] of Object.entries(summary.calls)) add('calls', key, value);
  for (const step of summary.funnel.steps) {
    add('funnel', step.key, step.count);
    add('funnel', `${step.key}_rate_from_previous`, step.rateFromPrevious);
  }
  add('funnel', 'unknown', summary.funnel.unknown);
  add('funnel', 'upcoming', summary.funnel.upcoming);
  add('funnel', 'booked_value', summary.funnel.bookedValue);
  add('funnel', 'held_value', summary.funnel.heldValue);
  add('funnel', 'show_rate', summary.funnel.showRate);
  for (const channel of ['sms', 'email'] as const)
    for (const [key, value] of Object.entries(summary.followUps[channel])) add('follow_ups', `${channel}_${key}`, value);
  for (const [key, value] of Object.entries(summary.followUps.optOuts)) add('follow_ups', `opt_outs_${key}`, value);
  add('follow_ups', 'replies', summary.followUps.replies);
  add('follow_ups', 'nurture_customers', summary.followUps.nurture.customers);
  add('follow_ups', 'nurture_booked_within_14_days', summary.followUps.nurture.bookedWithin14Days);
  for (const which of ['reminded', 'notReminded'] as const) add('follow_ups', `${which}_show_rate`, summary.followUps.reminders[which].showRate);
  for (const [key, value] of Object.entries(summary.quality.sentiment)) add('quality', `sentiment_${key}`, value);
  for (const intent of summary.quality.topIntents) add('quality', `intent:${intent.intent}`, intent.count);
  for (const need of summary.quality.needs) add('quality', `need:${need.need}`, need.count);
  add('quality', 'callbacks_created', summary.quality.callbacks.created);
  add('quality', 'callbacks_done_in_time', summary.quality.callbacks.doneInTime);
  add('quality', 'errors', summary.quality.errors);
  summary.heatmap.forEach((hours, weekday) => hours.forEach((count, hour) => add('heatmap', `weekday_${weekday + 1}_hour_${hour}`, count)));
  return rows;
}

const digestBody = z.object({ enabled: z.boolean({ message: 'must be true or false' }) });

export function analyticsRoutes(app: FastifyInstance, context: AppContext): void {
  const deps = { db: context.db, clients: context.clients, clock: context.clock };

  /** Whether the signed-in user gets the weekly digest e-mail, and the switch (audited). */
  app.get('/v1/api/me/digest', async (request) => {
    const user = currentUser(request);
    const row = await context.db.selectFrom('users').select('digest_opt_out').where('id', '=', user.id).executeTakeFirstOrThrow();
    return { enabled: !row.digest_opt_out };
  });
  app.put('/v1/api/me/digest', async (request) => {
    const user = currentUser(request);
    const { enabled } = parseInput(digestBody, request.body);
    await context.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('users').select('digest_opt_out').where('id', '=', user.id).forUpdate().executeTakeFirstOrThrow();
      if (before.digest_opt_out === !enabled) return;
      await trx.updateTable('users').set({ digest_opt_out: !enabled, updated_at: context.clock.now() }).where('id', '=', user.id).execute();
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: null,
        action: 'user.digest',
        target: `user:${user.id}`,
        before: { digest: !before.digest_opt_out },
        after: { digest: enabled },
      });
    });
    return { enabled };
  });

  app.get('/v1/api/analytics/summary', async (request, reply) => {
    const user = currentUser(request);
    const query = parseInput(summaryQuery, request.query);
    if (query.client) {
      const clientId = requireClient(user, query.client);
      const range = rangeOf(context, officeZone(context.clients, clientId), query, MAX_DAYS);
      const summary = await officeSummary(deps, clientId, range);
      if (query.format === 'csv') return sendCsv(reply, `analytics-${clientId}-${range.from}-${range.to}`, summaryCsvRows(summary));
      return summary;
    }
    const clientIds = clientFilter(user, undefined).filter((id) => context.clients.get(id));
    const range = rangeOf(context, clientIds[0] ? officeZone(context.clients, clientIds[0]) : 'UTC', query, MAX_DAYS);
    const offices = await headlineRows(deps, clientIds, range);
    if (query.format === 'csv') {
      const header = ['office', 'name', 'from', 'to', ...HEADLINES.flatMap(({ key }) => [key, `${key}_previous`, `${key}_change`])];
      return sendCsv(reply, `analytics-offices-${range.from}-${range.to}`, [
        header,
        ...offices.map((row) => [
          row.client,
          row.name,
          range.from,
          range.to,
          ...HEADLINES.flatMap(({ key }) => [row.figures[key], row.previous[key], row.change[key]]),
        ]),
      ]);
    }
    return {
      from: range.from,
      to: range.to,
      previous: previousRange(range),
      headlines: HEADLINES.map(({ key, label, kind }) => ({ key, label, kind })),
      offices,
    };
  });

  app.get('/v1/api/analytics/series', async (request, reply) => {
    const user = currentUser(request);
    const query = parseInput(seriesQuery, request.query);
    if (!query.client) throw new HttpProblem(400, 'invalid_request', 'client: choose an office for a series');
    const clientId = requireClient(user, query.client);
    const metrics = seriesMetrics(query.metric);
    if (!metrics)
      throw new HttpProblem(
        400,
        'invalid_request',
        'metric: must be figures such as "calls.total,funnel.booked" or a group (calls, funnel, sentiment, messages, quality)',
      );
    const range = rangeOf(context, officeZone(context.clients, clientId), query, query.bucket === 'hour' ? MAX_HOUR_DAYS : MAX_DAYS);
    const series = await officeSeries(deps, clientId, range, query.bucket, metrics);
    if (query.format === 'csv') {
      return sendCsv(reply, `analytics-${clientId}-${query.bucket}-${range.from}-${range.to}`, [
        ['office', 'bucket_start', ...metrics],
        ...series.buckets.map((bucket) => [clientId, bucket.start, ...metrics.map((metric) => bucket.values[metric] ?? 0)]),
      ]);
    }
    return series;
  });
}
