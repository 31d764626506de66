/**
 * Analytics figures against a known history: every figure of the summary, the agency table and the series is
 * recomputed in plain JS over the inserted rows (test/analytics/history.ts) and must match exactly, on both
 * databases; figures follow a change at once (triggers mark the day, the read refreshes it); a rebuild gives the
 * same rollups; hour buckets follow the office's clock across both DST changes; staff see only their offices.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildRollups } from '../../src/analytics/rollup.js';
import { ManualClock } from '../../src/core/clock.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, signIn, type Api } from '../dashboard/support.js';
import { buildHistory, expectedSummary, type History } from './history.js';

const FROM = '2026-03-05';
const TO = '2026-03-14';

describe.each(BACKENDS)('analytics figures (%s)', (backend) => {
  let app: TestApp;
  let history: History;
  let admin: Api;
  let staffA: Api;
  let staffB: Api;

  beforeAll(async () => {
    app = await startTestApp(backend, { clock: new ManualClock('2026-03-12T18:00:00Z') });
    // A value per appointment type for one type of each office (office config), so booked/held value is exercised.
    app.context.clients.get(CLIENT_A)!.config.appointmentTypes[0]!.value = 150;
    app.context.clients.get(CLIENT_B)!.config.appointmentTypes[1]!.value = 80.5;
    history = await buildHistory(app, [CLIENT_A, CLIENT_B], { fromDay: '2026-03-01', toDay: '2026-03-16', callsPerDay: 9, seed: 16 });
    admin = await signIn(app, await aUser(app, 'admin'));
    staffA = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    staffB = await signIn(app, await aUser(app, 'staff', [CLIENT_B]));
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it.each([
    [CLIENT_A, FROM, TO],
    [CLIENT_B, FROM, TO],
    [CLIENT_A, '2026-03-08', '2026-03-08'],
    [CLIENT_B, '2026-03-01', '2026-03-16'],
  ])('the summary of %s for %s … %s matches counts made over the fixtures', async (clientId, from, to) => {
    const answer = await admin.request('GET', `/v1/api/analytics/summary?client=${clientId}&from=${from}&to=${to}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const expected = expectedSummary(app, history, clientId, from, to);
    expect(answer.body.calls.total).toBeGreaterThan(0);
    expect(answer.body.calls).toEqual(expected.calls);
    expect(answer.body.funnel.steps.map((step: any) => ({ key: step.key, count: step.count, rateFromPrevious: step.rateFromPrevious }))).toEqual(
      expected.funnel.steps,
    );
    const { steps: _steps, ...funnel } = answer.body.funnel;
    const { steps: _expectedSteps, ...expectedFunnel } = expected.funnel;
    expect(funnel).toEqual(expectedFunnel);
    expect(answer.body.followUps).toEqual(expected.followUps);
    expect(answer.body.quality).toEqual(expected.quality);
    expect(answer.body.heatmap).toEqual(expected.heatmap);
    // booked = held + no-show + unknown + upcoming, and an unmarked past appointment is never held.
    const booked = expected.funnel.steps[3]!.count;
    expect(expected.funnel.steps[4]!.count + expected.funnel.steps[5]!.count + expected.funnel.unknown + expected.funnel.upcoming).toBe(booked);
  });

  it('a daily series sums to the summary, week and month buckets group the same days, and CSV carries the same numbers', async () => {
    const expected = expectedSummary(app, history, CLIENT_A, FROM, TO);
    const daily = await staffA.request(
      'GET',
      `/v1/api/analytics/series?client=${CLIENT_A}&from=${FROM}&to=${TO}&bucket=day&metric=calls.total,funnel.booked,sentiment`,
    );
    expect(daily.status, JSON.stringify(daily.body)).toBe(200);
    expect(daily.body.buckets.map((bucket: any) => bucket.start)).toEqual(
      Array.from({ length: 10 }, (_, index) => DateTime.fromISO(FROM).plus({ days: index }).toISODate()),
    );
    for (const day of daily.body.buckets) {
      const one = expectedSummary(app, history, CLIENT_A, day.start, day.start);
      expect(day.values['calls.total']).toBe(one.calls.total);
      expect(day.values['funnel.booked']).toBe(one.funnel.steps[3]!.count);
      expect(day.values['sentiment.negative']).toBe(one.quality.sentiment.negative);
    }
    const sum = (body: any, key: string) => body.buckets.reduce((total: number, bucket: any) => total + bucket.values[key], 0);
    expect(sum(daily.body, 'calls.total')).toBe(expected.calls.total);
    const weekly = await staffA.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&from=${FROM}&to=${TO}&bucket=week&metric=calls.total`);
    expect(weekly.body.buckets.map((bucket: any) => bucket.start)).toEqual(['2026-03-02', '2026-03-09']);
    expect(weekly.body.buckets[0].values['calls.total']).toBe(expectedSummary(app, history, CLIENT_A, FROM, '2026-03-08').calls.total);
    expect(sum(weekly.body, 'calls.total')).toBe(expected.calls.total);
    const monthly = await staffA.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&from=${FROM}&to=${TO}&bucket=month&metric=calls.total`);
    expect(monthly.body.buckets).toEqual([{ start: '2026-03-01', values: { 'calls.total': expected.calls.total } }]);

    const csv = await staffA.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&from=${FROM}&to=${TO}&bucket=day&metric=calls.total&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('office,bucket_start,calls.total');
    expect(lines.slice(1).reduce((total, line) => total + Number(line.split(',')[2]), 0)).toBe(expected.calls.total);
    const summaryCsv = await staffA.request('GET', `/v1/api/analytics/summary?client=${CLIENT_A}&from=${FROM}&to=${TO}&format=csv`);
    expect(String(summaryCsv.body)).toContain(`${CLIENT_A},${FROM},${TO},calls,total,${expected.calls.total}\r\n`);
    expect(String(summaryCsv.body)).toContain(`${CLIENT_A},${FROM},${TO},funnel,held,${expected.funnel.steps[4]!.count}\r\n`);
  });

  it('the agency table lists every office with its headline figures and the change against the previous period', async () => {
    const answer = await admin.request('GET', `/v1/api/analytics/summary?from=2026-03-09&to=2026-03-14`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.previous).toEqual({ from: '2026-03-03', to: '2026-03-08' });
    // Every served office (the shipped demo offices include one per calendar provider); the two with a history are checked.
    expect(answer.body.offices.map((row: any) => row.client).sort()).toEqual(
      app.context.clients
        .all()
        .map((runtime) => runtime.config.slug)
        .sort(),
    );
    expect(answer.body.offices.map((row: any) => row.client)).toEqual(expect.arrayContaining([CLIENT_A, CLIENT_B]));
    for (const row of answer.body.offices) {
      const now = expectedSummary(app, history, row.client, '2026-03-09', '2026-03-14');
      const then = expectedSummary(app, history, row.client, '2026-03-03', '2026-03-08');
      expect(row.figures.calls).toBe(now.calls.total);
      expect(row.previous.calls).toBe(then.calls.total);
      expect(row.change.calls).toBe(now.calls.total - then.calls.total);
      expect(row.figures.booked).toBe(now.funnel.steps[3]!.count);
      expect(row.figures.showRate).toBe(now.funnel.showRate);
      expect(row.figures.optOuts).toBe(now.followUps.optOuts.total);
      expect(row.figures.errors).toBe(now.quality.errors);
    }
  });

  it("staff of one office get 404 for the other's analytics and never see it in the agency table", async () => {
    for (const path of [
      `/v1/api/analytics/summary?client=${CLIENT_A}`,
      `/v1/api/analytics/summary?client=${CLIENT_A}&format=csv`,
      `/v1/api/analytics/series?client=${CLIENT_A}&metric=calls`,
      `/v1/api/analytics/series?client=${CLIENT_A}&metric=calls&format=csv`,
      `/v1/api/analytics/summary?client=no-such-office`,
    ]) {
      const answer = await staffB.request('GET', path);
      expect(answer.status, path).toBe(404);
      expect(JSON.stringify(answer.body)).not.toMatch(/calls|total/);
    }
    const agency = await staffB.request('GET', `/v1/api/analytics/summary?from=${FROM}&to=${TO}`);
    expect(agency.body.offices.map((row: any) => row.client)).toEqual([CLIENT_B]);
    const csv = await staffB.request('GET', `/v1/api/analytics/summary?from=${FROM}&to=${TO}&format=csv`);
    expect(String(csv.body)).not.toContain(CLIENT_A);
    expect(String(csv.body)).toContain(CLIENT_B);
  });

  it('answers bad ranges, buckets and metrics with 400 naming the field', async () => {
    for (const [query, field] of [
      ['from=2026-03-10&to=2026-03-01', 'from'],
      ['from=2026-02-30', 'from'],
      ['from=yesterday', 'from'],
      ['from=2024-01-01&to=2026-03-01', 'from/to'],
      ['bucket=minute', 'bucket'],
      ['metric=calls.nonsense', 'metric'],
      ['bucket=hour&from=2026-01-01&to=2026-03-01', 'from/to'],
      ['format=xml', 'format'],
    ] as const) {
      const answer = await staffA.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.message, query).toContain(field);
    }
  });

  it('a figure follows a change at once: a new call, a held mark and a late event each show in the next answer', async () => {
    const path = `/v1/api/analytics/summary?client=${CLIENT_B}&from=${FROM}&to=${TO}`;
    const before = (await staffB.request('GET', path)).body;
    const at = new Date('2026-03-10T17:00:00Z');
    await app.context.db
      .insertInto('calls')
      .values({
        id: 'call_fresh_1',
        client_id: CLIENT_B,
        status: 'analyzed',
        started_at: at,
        duration_ms: 60_000,
        outcome: 'booked',
        sentiment: 'Negative',
        intent: 'book',
        created_at: at,
        updated_at: at,
      })
      .execute();
    const appointment = await app.context.db
      .insertInto('appointments')
      .values({
        booking_id: 'bk_fresh_1',
        client_id: CLIENT_B,
        call_id: 'call_fresh_1',
        appointment_type: 'payroll-setup',
        start_at: at,
        end_at: at,
        block_end_at: at,
        status: 'booked',
        created_at: at,
        updated_at: at,
        booked_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const after = (await staffB.request('GET', path)).body;
    expect(after.calls.total).toBe(before.calls.total + 1);
    expect(after.quality.sentiment.negative).toBe(before.quality.sentiment.negative + 1);
    expect(after.funnel.steps[3].count).toBe(before.funnel.steps[3].count + 1);
    expect(after.funnel.unknown).toBe(before.funnel.unknown + 1);
    expect(after.funnel.bookedValue).toBe(before.funnel.bookedValue + 80.5);

    // The caller-insight labels arrive after the call's analysis, and still move the intent and need figures.
    await app.context.db
      .insertInto('call_insights')
      .values({
        call_id: 'call_fresh_1',
        client_id: CLIENT_B,
        customer_id: null,
        language: 'en',
        intent: 'pricing',
        urgency: 'routine',
        sentiment_start: 'neutral',
        sentiment_end: 'neutral',
        needs: ['time_pressed', 'prefers_text'],
        open_issue: null,
        evidence: '[]' as never,
        rules_version: 'test',
        call_at: at,
        computed_at: at,
      })
      .execute();
    const labelled = (await staffB.request('GET', path)).body;
    const countOf = (entries: Array<Record<string, string | number>>, field: string, key: string) =>
      Number(entries.find((entry) => entry[field] === key)?.count ?? 0);
    expect(countOf(labelled.quality.topIntents, 'intent', 'pricing')).toBe(countOf(after.quality.topIntents, 'intent', 'pricing') + 1);
    expect(countOf(labelled.quality.needs, 'need', 'time_pressed')).toBe(countOf(after.quality.needs, 'need', 'time_pressed') + 1);
    expect(countOf(labelled.quality.needs, 'need', 'prefers_text')).toBe(countOf(after.quality.needs, 'need', 'prefers_text') + 1);
    // Retell's free-text intent ("book") is not what is counted.
    expect(countOf(labelled.quality.topIntents, 'intent', 'book')).toBe(countOf(before.quality.topIntents, 'intent', 'book'));

    const marked = await staffB.request('POST', `/v1/api/appointments/${appointment.id}/attendance`, { attendance: 'attended' });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    const held = (await staffB.request('GET', path)).body;
    expect(held.funnel.steps[4].count).toBe(before.funnel.steps[4].count + 1);
    expect(held.funnel.unknown).toBe(before.funnel.unknown);
    expect(held.funnel.heldValue).toBe(before.funnel.heldValue + 80.5);

    await app.context.db.deleteFrom('appointments').where('id', '=', appointment.id).execute();
    await app.context.db.deleteFrom('calls').where('id', '=', 'call_fresh_1').execute();
    const back = (await staffB.request('GET', path)).body;
    expect(back).toEqual(before);
  });

  it('a rebuild from the raw rows writes the same rollups the triggers kept', async () => {
    await admin.request('GET', `/v1/api/analytics/summary?from=2026-03-01&to=2026-03-16`);
    const read = () =>
      app.context.db
        .selectFrom('analytics_daily')
        .select(['client_id', 'metric', 'value'])
        .select((eb) => eb.cast<string>('day', 'text').as('day'))
        .orderBy('client_id')
        .orderBy('day')
        .orderBy('metric')
        .execute();
    const kept = await read();
    expect(kept.length).toBeGreaterThan(100);
    await app.context.db.deleteFrom('analytics_daily').execute();
    const written = await rebuildRollups(app.context.db, app.context.clients, [CLIENT_A, CLIENT_B]);
    expect(written.get(CLIENT_A)).toBe(16);
    expect(await read()).toEqual(kept);
  });
});

describe.each(BACKENDS)('analytics hour buckets across DST (%s)', (backend) => {
  let app: TestApp;
  let staff: Api;

  beforeAll(async () => {
    app = await startTestApp(backend, { clock: new ManualClock('2026-11-05T12:00:00Z') });
    staff = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    const calls: Array<[string, string]> = [
      ['call_dst_spring_0130', '2026-03-08T06:30:00Z'], // 01:30 EST
      ['call_dst_spring_0330', '2026-03-08T07:30:00Z'], // 03:30 EDT: the next hour, 02:00 never happened
      ['call_dst_fall_first', '2026-11-01T05:30:00Z'], // 01:30 EDT (the first 01:30)
      ['call_dst_fall_second_a', '2026-11-01T06:30:00Z'], // 01:30 EST (the second)
      ['call_dst_fall_second_b', '2026-11-01T06:59:00Z'], // 01:59 EST
      ['call_dst_fall_0200', '2026-11-01T07:00:00Z'], // 02:00 EST
    ];
    for (const [id, at] of calls) {
      await app.context.db
        .insertInto('calls')
        .values({
          id,
          client_id: CLIENT_A,
          status: 'analyzed',
          started_at: new Date(at),
          outcome: 'info_only',
          duration_ms: 30_000,
          created_at: new Date(at),
          updated_at: new Date(at),
        })
        .execute();
    }
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('2026-03-08 in New York has 23 hourly buckets; the call at 01:30 and the one at 03:30 are one hour apart', async () => {
    const answer = await staff.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&from=2026-03-08&to=2026-03-08&bucket=hour&metric=calls.total`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const starts = answer.body.buckets.map((bucket: any) => bucket.start);
    expect(starts).toHaveLength(23);
    expect(starts.slice(0, 4)).toEqual(['2026-03-08T00:00-05:00', '2026-03-08T01:00-05:00', '2026-03-08T03:00-04:00', '2026-03-08T04:00-04:00']);
    const counts = Object.fromEntries(answer.body.buckets.map((bucket: any) => [bucket.start, bucket.values['calls.total']]));
    expect(counts['2026-03-08T01:00-05:00']).toBe(1);
    expect(counts['2026-03-08T03:00-04:00']).toBe(1);
    expect(answer.body.buckets.reduce((sum: number, bucket: any) => sum + bucket.values['calls.total'], 0)).toBe(2);
  });

  it('2026-11-01 in New York has 25 hourly buckets and each 01:30 lands in its own 01:00 bucket', async () => {
    const answer = await staff.request('GET', `/v1/api/analytics/series?client=${CLIENT_A}&from=2026-11-01&to=2026-11-01&bucket=hour&metric=calls.total`);
    const starts = answer.body.buckets.map((bucket: any) => bucket.start);
    expect(starts).toHaveLength(25);
    expect(starts.slice(0, 4)).toEqual(['2026-11-01T00:00-04:00', '2026-11-01T01:00-04:00', '2026-11-01T01:00-05:00', '2026-11-01T02:00-05:00']);
    const counts = answer.body.buckets.map((bucket: any) => bucket.values['calls.total']);
    expect(counts.slice(0, 4)).toEqual([0, 1, 2, 1]);
    // The day's rollup holds all four, and the heat map puts the three 01:xx calls in hour 1 of a Sunday.
    const summary = await staff.request('GET', `/v1/api/analytics/summary?client=${CLIENT_A}&from=2026-11-01&to=2026-11-01`);
    expect(summary.body.calls.total).toBe(4);
    expect(summary.body.heatmap[6][1]).toBe(3);
    expect(summary.body.heatmap[6][2]).toBe(1);
  });
});
