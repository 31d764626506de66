/**
 * A known history for analytics tests: calls of every outcome, bookings (held, no-show, unmarked, upcoming,
 * cancelled), texts and e-mails in every state, opt-outs by text, voice and link, replies, callback tasks and
 * errors, in several offices and zones, from a seeded generator; and every figure recomputed in plain JS over the
 * inserted rows, independently of the SQL.
 */
import { DateTime } from 'luxon';
import { json } from '../../src/db/json.js';
import { rangesOn } from '../../src/customers/office-hours.js';
import type { TestApp } from '../support/app.js';

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CallFixture {
  id: string;
  clientId: string;
  customerId: number | null;
  at: Date;
  outcome: string | null;
  durationMs: number | null;
  sentiment: string | null;
  /** Retell's free-text intent: stored, and no longer what analytics count. */
  intent: string | null;
  /** The caller-insight labels (`call_insights`) analytics count intents and needs from; null: not labelled. */
  insight: { intent: string; needs: string[] } | null;
  transfer: boolean;
}
export interface AppointmentFixture {
  id: number;
  clientId: string;
  callId: string | null;
  customerId: number | null;
  type: string;
  startAt: Date;
  endAt: Date;
  bookedAt: Date;
  status: 'booked' | 'cancelled';
  attendance: 'attended' | 'no_show' | null;
}
export interface DeliveryFixture {
  clientId: string;
  outboxId: number;
  channel: 'sms' | 'email';
  status: string;
  at: Date;
  sequence: string;
  customerId: number | null;
  appointmentId: number | null;
}
export interface DeadFixture {
  clientId: string;
  channel: 'sms' | 'email';
  at: Date;
}
export interface History {
  calls: CallFixture[];
  appointments: AppointmentFixture[];
  deliveries: DeliveryFixture[];
  dead: DeadFixture[];
  optOuts: Array<{ clientId: string; channel: string; address: string; source: string; status: string; at: Date }>;
  inbound: Array<{ clientId: string; intent: string; at: Date }>;
  callbacks: Array<{ clientId: string; at: Date; status: 'open' | 'done'; dueAt: Date | null; completedAt: Date | null }>;
  errors: Array<{ clientId: string | null; at: Date; count: number }>;
}

const OUTCOMES = ['booked', 'info_only', 'abandoned', 'voicemail', 'callback_requested', 'opted_out', 'rescheduled', null] as const;
const SENTIMENTS = ['Positive', 'Neutral', 'Negative', null, 'Unknown', 'positive'] as const;
const INTENTS = ['book_appointment', 'question', 'pricing', null, 'Reschedule appointment', 'hours'] as const;
const INSIGHT_INTENTS = ['book', 'reschedule', 'pricing', 'status', 'services', 'other', 'unknown'] as const;
const INSIGHT_NEEDS = ['reassurance', 'price_sensitive', 'time_pressed', 'detail_oriented', 'prefers_text', 'accessibility'] as const;
const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'delivered', 'undelivered', 'failed'] as const;

let sequence = 0;
const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${(sequence += 1)}`;

/** Inserts `callsPerDay` calls a day for each office over [fromDay, toDay] (office-local days) and what follows from them. */
export async function buildHistory(
  app: TestApp,
  offices: string[],
  options: { fromDay: string; toDay: string; callsPerDay: number; seed: number },
): Promise<History> {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const db = app.context.db;
  const now = app.clock.now();
  const history: History = { calls: [], appointments: [], deliveries: [], dead: [], optOuts: [], inbound: [], callbacks: [], errors: [] };
  for (const clientId of offices) {
    const config = app.context.clients.get(clientId)!.config;
    const zone = config.timezone;
    const customers: Array<{ id: number; phone: string }> = [];
    for (let index = 0; index < 6; index += 1) {
      const phone = `+1212555${String(1000 + (options.seed % 800) * 10 + index)}`;
      const row = await db
        .insertInto('customers')
        .values({ client_id: clientId, phone, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      customers.push({ id: row.id, phone });
    }
    const first = DateTime.fromISO(options.fromDay, { zone });
    const last = DateTime.fromISO(options.toDay, { zone });
    for (let day = first; day <= last; day = day.plus({ days: 1 })) {
      const minutesInDay = day.plus({ days: 1 }).diff(day, 'minutes').minutes;
      for (let n = 0; n < options.callsPerDay; n += 1) {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay), seconds: Math.floor(random() * 60) }).toJSDate();
        const outcome = pick(OUTCOMES);
        const customer = random() < 0.85 ? pick(customers) : null;
        const call: CallFixture = {
          id: unique(`call_${clientId}`),
          clientId,
          customerId: customer?.id ?? null,
          at,
          outcome,
          durationMs: outcome === null ? null : 5_000 + Math.floor(random() * 600_000),
          sentiment: pick(SENTIMENTS),
          intent: pick(INTENTS),
          insight:
            outcome === null || random() < 0.15 ? null : { intent: pick(INSIGHT_INTENTS), needs: INSIGHT_NEEDS.filter(() => random() < 0.2).slice(0, 3) },
          transfer: random() < 0.15,
        };
        history.calls.push(call);
        await db
          .insertInto('calls')
          .values({
            id: call.id,
            client_id: clientId,
            customer_id: call.customerId,
            from_number: customer?.phone ?? null,
            status: outcome === null ? 'in_progress' : 'analyzed',
            events: call.transfer ? { transfer_started: at.toISOString() } : {},
            started_at: at,
            ended_at: call.durationMs === null ? null : new Date(at.getTime() + call.durationMs),
            duration_ms: call.durationMs,
            sentiment: call.sentiment,
            intent: call.intent,
            outcome: call.outcome as never,
            created_at: at,
            updated_at: at,
          })
          .execute();
        if (call.insight) {
          await db
            .insertInto('call_insights')
            .values({
              call_id: call.id,
              client_id: clientId,
              customer_id: call.customerId,
              language: 'en',
              intent: call.insight.intent,
              urgency: 'routine',
              sentiment_start: 'neutral',
              sentiment_end: 'neutral',
              needs: call.insight.needs,
              open_issue: null,
              evidence: json([]) as never,
              rules_version: 'test',
              call_at: at,
              computed_at: at,
            })
            .execute();
        }
        if (outcome === 'booked' || outcome === 'rescheduled' || (outcome === 'info_only' && random() < 0.2)) {
          const type = pick(config.appointmentTypes).id;
          const startAt = new Date(at.getTime() + Math.floor((random() * 5 - 1.5) * 86_400_000));
          const endAt = new Date(startAt.getTime() + 3_600_000);
          const status = outcome === 'info_only' ? 'cancelled' : 'booked';
          const attendance = status === 'booked' && startAt <= now ? pick(['attended', 'no_show', null] as const) : null;
          const bookedAt = new Date(at.getTime() + 60_000);
          const row = await db
            .insertInto('appointments')
            .values({
              booking_id: unique('bk'),
              client_id: clientId,
              customer_id: call.customerId,
              call_id: call.id,
              appointment_type: type,
              start_at: startAt,
              end_at: endAt,
              block_end_at: endAt,
              status,
              created_at: at,
              updated_at: at,
              booked_at: bookedAt,
              attendance,
              attendance_marked_at: attendance ? now : null,
              attendance_marked_by: attendance ? 'staff@example.com' : null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          history.appointments.push({ id: row.id, clientId, callId: call.id, customerId: call.customerId, type, startAt, endAt, bookedAt, status, attendance });
        }
      }
      // Follow-ups of the day.
      for (let n = 0; n < 3; n += 1) {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const channel = random() < 0.6 ? 'sms' : 'email';
        const customer = pick(customers);
        const appointment = history.appointments.filter((entry) => entry.clientId === clientId).at(-1);
        const seq = pick(['nurture', 'reminder', 'confirmation'] as const);
        const appointmentId = seq === 'nurture' ? null : (appointment?.id ?? null);
        const outbox = await db
          .insertInto('outbox')
          .values({
            client_id: clientId,
            kind: channel,
            payload: json({ to: customer.phone, purpose: 'transactional', template: 'manual', sequence: seq }),
            status: 'done',
            run_at: at,
            max_attempts: 3,
            retry_interval_ms: 60_000,
            dedupe_key: unique('msg'),
            customer_id: customer.id,
            appointment_id: appointmentId,
            created_at: at,
            updated_at: at,
            finished_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const status = pick(DELIVERY_STATUSES);
        await db
          .insertInto('message_deliveries')
          .values({
            client_id: clientId,
            outbox_id: outbox.id,
            channel,
            provider_id: unique('SM'),
            to_address: customer.phone,
            status,
            status_rank: 1,
            created_at: at,
            updated_at: at,
          })
          .execute();
        history.deliveries.push({ clientId, outboxId: outbox.id, channel, status, at, sequence: seq, customerId: customer.id, appointmentId });
      }
      if (random() < 0.6) {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const channel = random() < 0.5 ? 'sms' : 'email';
        await db
          .insertInto('outbox')
          .values({
            client_id: clientId,
            kind: channel,
            payload: json({ to: 'x', purpose: 'marketing', template: 'manual', sequence: 'nurture' }),
            status: 'dead',
            run_at: at,
            attempts: 3,
            max_attempts: 3,
            retry_interval_ms: 60_000,
            dedupe_key: unique('dead'),
            created_at: at,
            updated_at: at,
            finished_at: at,
          })
          .execute();
        history.dead.push({ clientId, channel, at });
      }
      {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const source = pick(['sms_keyword', 'voice', 'email_link', 'staff'] as const);
        const status = random() < 0.8 ? 'opted_out' : 'opted_in';
        const address = pick(customers).phone;
        // An opt-out "for every purpose" writes one history row per purpose at the same moment: one opt-out.
        for (const purpose of ['marketing', 'transactional'] as const) {
          await db.insertInto('consent_history').values({ client_id: clientId, channel: 'sms', address, purpose, status, source, changed_at: at }).execute();
        }
        history.optOuts.push({ clientId, channel: 'sms', address, source, status, at });
      }
      {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const intent = pick(['message', 'message', 'stop', 'help'] as const);
        await db
          .insertInto('inbound_messages')
          .values({
            client_id: clientId,
            provider_id: unique('SMin'),
            from_number: pick(customers).phone,
            to_number: '+12125550199',
            body: 'hello',
            intent,
            received_at: at,
          })
          .execute();
        history.inbound.push({ clientId, intent, at });
      }
      {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const dueAt = random() < 0.2 ? null : new Date(at.getTime() + 4 * 3_600_000);
        const status = random() < 0.6 ? 'done' : 'open';
        const completedAt = status === 'done' ? new Date(at.getTime() + Math.floor(random() * 8 * 3_600_000)) : null;
        await db
          .insertInto('callback_tasks')
          .values({ client_id: clientId, reason: 'call me', status, created_at: at, updated_at: at, due_at: dueAt, completed_at: completedAt })
          .execute();
        history.callbacks.push({ clientId, at, status, dueAt, completedAt });
      }
      for (const errorClient of [clientId, null]) {
        const at = day.plus({ minutes: Math.floor(random() * minutesInDay) }).toJSDate();
        const count = 1 + Math.floor(random() * 4);
        await db
          .insertInto('errors')
          .values({ client_id: errorClient, source: 'sms', fingerprint: unique('fp'), message: 'failed', count, first_seen_at: at, last_seen_at: at })
          .execute();
        history.errors.push({ clientId: errorClient, at, count });
      }
    }
  }
  return history;
}

/** percentile_cont: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (position - lower) * (sorted[upper]! - sorted[lower]!);
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** Every summary figure of one office over local days [from, to], computed in plain JS over the fixtures. */
export function expectedSummary(app: TestApp, history: History, clientId: string, from: string, to: string) {
  const config = app.context.clients.get(clientId)!.config;
  const zone = config.timezone;
  const now = app.clock.now();
  const local = (at: Date) => DateTime.fromJSDate(at, { zone });
  const inRange = (at: Date) => {
    const dayOf = local(at).toISODate()!;
    return dayOf >= from && dayOf <= to;
  };
  const calls = history.calls.filter((call) => call.clientId === clientId && inRange(call.at));
  const conversation = (call: CallFixture) => call.outcome !== null && call.outcome !== 'abandoned' && call.outcome !== 'voicemail';
  const afterHours = (call: CallFixture) => {
    const time = local(call.at);
    const minute = time.hour * 60 + time.minute;
    return !rangesOn(config, time).some((range) => {
      const [oh, om] = range.open.split(':').map(Number);
      const [ch, cm] = range.close.split(':').map(Number);
      return oh! * 60 + om! <= minute && minute < ch! * 60 + cm!;
    });
  };
  const returning = (call: CallFixture) =>
    call.customerId !== null && history.calls.some((other) => other.customerId === call.customerId && other.at < call.at);
  const bookedOf = (call: CallFixture) => history.appointments.filter((entry) => entry.callId === call.id && entry.status === 'booked');
  const wanted = (call: CallFixture) => conversation(call) && (['book', 'reschedule'].includes(call.insight?.intent ?? '') || bookedOf(call).length > 0);
  const appointments = calls.flatMap(bookedOf);
  const value = (type: string) => config.appointmentTypes.find((entry) => entry.id === type)?.value ?? 0;
  const held = appointments.filter((entry) => entry.attendance === 'attended').length;
  const noShow = appointments.filter((entry) => entry.attendance === 'no_show').length;
  const unmarked = appointments.filter((entry) => entry.attendance === null);
  const upcoming = unmarked.filter((entry) => entry.endAt > now).length;
  const durations = calls.flatMap((call) => (call.durationMs === null ? [] : [call.durationMs]));
  const sentimentOf = (call: CallFixture) => {
    const key = (call.sentiment ?? '').toLowerCase();
    return key === 'positive' || key === 'neutral' || key === 'negative' ? key : 'unknown';
  };
  const intents = new Map<string, number>();
  for (const call of calls)
    if (call.insight && call.insight.intent !== 'unknown') intents.set(call.insight.intent, (intents.get(call.insight.intent) ?? 0) + 1);
  const needs = new Map<string, number>();
  for (const call of calls) for (const need of call.insight?.needs ?? []) needs.set(need, (needs.get(need) ?? 0) + 1);
  const deliveries = history.deliveries.filter((entry) => entry.clientId === clientId && inRange(entry.at));
  const dead = history.dead.filter((entry) => entry.clientId === clientId && inRange(entry.at));
  const channelFigures = (channel: 'sms' | 'email') => {
    const sent = deliveries.filter((entry) => entry.channel === channel);
    const failed = (status: string) => status === 'failed' || status === 'undelivered';
    return {
      sent: sent.length,
      delivered: sent.filter((entry) => (channel === 'email' ? !failed(entry.status) : entry.status === 'delivered')).length,
      failed: sent.filter((entry) => failed(entry.status)).length + dead.filter((entry) => entry.channel === channel).length,
    };
  };
  const optOuts = history.optOuts.filter((entry) => entry.clientId === clientId && entry.status === 'opted_out' && inRange(entry.at));
  const optOutKind = (source: string) => (source === 'sms_keyword' ? 'text' : source === 'voice' ? 'spoken' : 'other');
  const callbacks = history.callbacks.filter((entry) => entry.clientId === clientId && inRange(entry.at));
  const doneInTime = callbacks.filter((entry) => entry.status === 'done' && (entry.dueAt === null || entry.completedAt! <= entry.dueAt)).length;
  const firstNurture = new Map<number, Date>();
  for (const entry of deliveries) {
    if (entry.sequence !== 'nurture' || entry.customerId === null) continue;
    const seen = firstNurture.get(entry.customerId);
    if (!seen || entry.at < seen) firstNurture.set(entry.customerId, entry.at);
  }
  const nurtureBooked = [...firstNurture].filter(([customerId, first]) =>
    history.appointments.some(
      (entry) =>
        entry.clientId === clientId &&
        entry.customerId === customerId &&
        entry.status === 'booked' &&
        entry.bookedAt > first &&
        entry.bookedAt.getTime() <= first.getTime() + 14 * 86_400_000,
    ),
  ).length;
  const marked = history.appointments.filter(
    (entry) => entry.clientId === clientId && entry.status === 'booked' && entry.attendance !== null && inRange(entry.startAt),
  );
  const reminded = (entry: AppointmentFixture) =>
    history.deliveries.some((delivery) => delivery.appointmentId === entry.id && delivery.sequence === 'reminder');
  const show = (list: AppointmentFixture[]) => {
    const h = list.filter((entry) => entry.attendance === 'attended').length;
    const n = list.filter((entry) => entry.attendance === 'no_show').length;
    return { held: h, noShow: n, showRate: ratio(h, h + n) };
  };
  const heatmap = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const call of calls) heatmap[local(call.at).weekday - 1]![local(call.at).hour]! += 1;
  const funnelCounts = [calls.length, calls.filter(conversation).length, calls.filter(wanted).length, appointments.length, held];
  const opt = { text: 0, spoken: 0, other: 0 };
  for (const entry of optOuts) opt[optOutKind(entry.source)] += 1;
  return {
    calls: {
      total: calls.length,
      conversations: calls.filter(conversation).length,
      abandoned: calls.filter((call) => call.outcome === 'abandoned').length,
      voicemail: calls.filter((call) => call.outcome === 'voicemail').length,
      afterHours: calls.filter(afterHours).length,
      afterHoursShare: ratio(calls.filter(afterHours).length, calls.length),
      firstTime: calls.filter((call) => !returning(call)).length,
      returning: calls.filter(returning).length,
      transfers: calls.filter((call) => call.transfer).length,
      averageDurationMs: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null,
      p90DurationMs: percentileCont(durations, 0.9),
    },
    funnel: {
      steps: [
        ...['calls', 'conversations', 'wanted_to_book', 'booked', 'held'].map((key, index) => ({
          key,
          count: funnelCounts[index]!,
          rateFromPrevious: index === 0 ? null : ratio(funnelCounts[index]!, funnelCounts[index - 1]!),
        })),
        { key: 'no_show', count: noShow, rateFromPrevious: ratio(noShow, appointments.length) },
      ],
      unknown: unmarked.length - upcoming,
      upcoming,
      bookedValue: appointments.reduce((sum, entry) => sum + value(entry.type), 0),
      heldValue: appointments.filter((entry) => entry.attendance === 'attended').reduce((sum, entry) => sum + value(entry.type), 0),
      showRate: ratio(held, held + noShow),
    },
    followUps: {
      sms: channelFigures('sms'),
      email: channelFigures('email'),
      optOuts: { ...opt, total: optOuts.length },
      replies: history.inbound.filter((entry) => entry.clientId === clientId && entry.intent === 'message' && inRange(entry.at)).length,
      nurture: { customers: firstNurture.size, bookedWithin14Days: nurtureBooked, rate: ratio(nurtureBooked, firstNurture.size) },
      reminders: { reminded: show(marked.filter(reminded)), notReminded: show(marked.filter((entry) => !reminded(entry))) },
    },
    quality: {
      sentiment: {
        positive: calls.filter((call) => sentimentOf(call) === 'positive').length,
        neutral: calls.filter((call) => sentimentOf(call) === 'neutral').length,
        negative: calls.filter((call) => sentimentOf(call) === 'negative').length,
        unknown: calls.filter((call) => sentimentOf(call) === 'unknown').length,
      },
      topIntents: [...intents]
        .map(([intent, count]) => ({ intent, count }))
        .sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent))
        .slice(0, 10),
      needs: [...needs].map(([need, count]) => ({ need, count })).sort((a, b) => b.count - a.count || a.need.localeCompare(b.need)),
      callbacks: { created: callbacks.length, doneInTime, rate: ratio(doneInTime, callbacks.length) },
      errors: history.errors.filter((entry) => entry.clientId === clientId && inRange(entry.at)).reduce((sum, entry) => sum + entry.count, 0),
    },
    heatmap,
  };
}
