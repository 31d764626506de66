/**
 * The weekly digest: every Monday 08:00 office time, each user with access to the office (and not opted out)
 * gets the past week's headline figures with their change, and the week's folded alerts with which are still
 * unresolved (REQ-008's aggregated notifications). One `analytics_digest` outbox row per office and week (its
 * dedupe key), however many instances run; it plans one `analytics_digest_email` row per recipient (dedupe key per
 * office, week and user) and the next week's digest, in one transaction, so running it twice sends nothing twice.
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { DB, OutboxRow } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { createMailerPool } from '../providers/smtp/mailer.js';
import { HEADLINES, headlineRows, type HeadlineRow } from './figures.js';

export const DIGEST_KIND = 'analytics_digest';
export const DIGEST_EMAIL_KIND = 'analytics_digest_email';

/** The next Monday 08:00 in `zone` after `now` (the start of the week the digest is sent in). */
export function nextDigestMoment(zone: string, now: Date): DateTime {
  const local = DateTime.fromJSDate(now, { zone });
  const thisMonday = local.startOf('week').set({ hour: 8 });
  return thisMonday > local ? thisMonday : thisMonday.plus({ weeks: 1 });
}

/** Plans an office's next digest (a no-op when it is planned already). */
export async function scheduleDigest(db: Kysely<DB>, context: AppContext, clientId: string, after: Date): Promise<void> {
  const zone = context.clients.get(clientId)?.config.timezone;
  if (!zone) return;
  const at = nextDigestMoment(zone, after);
  const week = at.toISODate()!;
  await enqueue(db, context.clock, {
    clientId,
    kind: DIGEST_KIND,
    payload: { week },
    dedupeKey: `${DIGEST_KIND}:${clientId}:${week}`,
    runAt: at.toJSDate(),
  });
}

function formatHeadline(kind: string, value: number | null): string {
  if (value === null) return '—';
  return kind === 'rate' ? `${(value * 100).toFixed(1)}%` : value.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function formatChange(kind: string, value: number | null): string {
  if (value === null) return 'no comparison';
  if (value === 0) return 'same as the week before';
  const sign = value > 0 ? '+' : '−';
  const amount = kind === 'rate' ? `${Math.abs(value * 100).toFixed(1)} points` : Math.abs(value).toLocaleString('en-US');
  return `${sign}${amount} vs the week before`;
}

interface FoldedAlert {
  source: string;
  message: string;
  count: number;
  resolved: boolean;
}

export function digestText(input: {
  officeName: string;
  zone: string;
  from: string;
  to: string;
  row: HeadlineRow;
  alerts: FoldedAlert[];
  unresolvedTotal: number;
  link: string;
}): { subject: string; text: string } {
  const lines = [
    `Week of ${input.from} to ${input.to} at ${input.officeName} (days in ${input.zone}).`,
    '',
    ...HEADLINES.map(({ key, label, kind }) => `${label}: ${formatHeadline(kind, input.row.figures[key])} (${formatChange(kind, input.row.change[key])})`),
    '',
    input.alerts.length === 0
      ? 'Alerts this week: none.'
      : `Alerts this week: ${input.alerts.length} (repeats folded), ${input.alerts.filter((alert) => !alert.resolved).length} still unresolved.`,
    ...input.alerts.map(
      (alert) => `- [${alert.resolved ? 'resolved' : 'unresolved'}] ${alert.source}: ${alert.message}${alert.count > 1 ? ` (×${alert.count})` : ''}`,
    ),
    ...(input.unresolvedTotal > input.alerts.filter((alert) => !alert.resolved).length
      ? [`Unresolved alerts in all: ${input.unresolvedTotal} (see the Errors screen).`]
      : []),
    '',
    `Every figure, day by day: ${input.link}`,
    'You get this because you have access to this office. To stop it, untick "E-mail me the weekly digest" on the Analytics screen.',
  ];
  return { subject: `${input.officeName}: your week in numbers (${input.from} to ${input.to})`, text: lines.join('\n') };
}

/** Who gets an office's digest: enabled users with access to it (admins see every office) who did not opt out. */
async function recipients(db: Kysely<DB>, clientId: string): Promise<Array<{ id: number; email: string }>> {
  return db
    .selectFrom('users as u')
    .select(['u.id', 'u.email'])
    .where('u.disabled_at', 'is', null)
    .where('u.digest_opt_out', '=', false)
    .where((eb) =>
      eb.or([
        eb('u.role', '=', 'admin'),
        eb.exists(eb.selectFrom('user_clients as uc').select('uc.user_id').whereRef('uc.user_id', '=', 'u.id').where('uc.client_id', '=', clientId)),
      ]),
    )
    .orderBy('u.id')
    .execute();
}

export function digestHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    housekeeping: {},
    async run(row: OutboxRow) {
      const clientId = row.client_id;
      const client = context.clients.get(clientId);
      if (!client) return { sent: false, reason: 'The office is no longer served.' };
      const zone = client.config.timezone;
      const week = String(row.payload.week);
      const monday = DateTime.fromISO(week, { zone });
      const range = { from: monday.minus({ days: 7 }).toISODate()!, to: monday.minus({ days: 1 }).toISODate()! };
      const [headline] = await headlineRows({ db: context.db, clients: context.clients, clock: context.clock }, [clientId], range);
      const weekStart = monday.minus({ days: 7 }).toJSDate();
      const weekEnd = monday.toJSDate();
      const alerts = await context.db
        .selectFrom('errors')
        .select(['source', 'message', 'count', 'resolved_at'])
        .where('client_id', '=', clientId)
        .where('last_seen_at', '>=', weekStart)
        .where('first_seen_at', '<', weekEnd)
        .orderBy('last_seen_at', 'desc')
        .limit(30)
        .execute();
      const unresolved = await context.db
        .selectFrom('errors')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('client_id', '=', clientId)
        .where('resolved_at', 'is', null)
        .executeTakeFirstOrThrow();
      const mail = digestText({
        officeName: client.config.name,
        zone,
        ...range,
        row: headline!,
        alerts: alerts.map((alert) => ({ source: alert.source, message: alert.message, count: alert.count, resolved: alert.resolved_at !== null })),
        unresolvedTotal: Number(unresolved.n),
        link: `${context.publicBaseUrl}/analytics`,
      });
      const people = await recipients(context.db, clientId);
      await context.db.transaction().execute(async (trx) => {
        for (const person of people) {
          await enqueue(trx, context.clock, {
            clientId,
            kind: DIGEST_EMAIL_KIND,
            payload: { userId: person.id, to: person.email, subject: mail.subject, text: mail.text },
            dedupeKey: `${DIGEST_EMAIL_KIND}:${clientId}:${week}:${person.id}`,
          });
        }
        // Planned from this digest's own moment (Monday 08:00), never from the clock, so a late run skips no week.
        await scheduleDigest(trx, context, clientId, monday.set({ hour: 8 }).toJSDate());
      });
      return { week, recipients: people.length };
    },
  };
}

export function digestEmailHandler(context: AppContext): OutboxHandler {
  const mailers = createMailerPool();
  context.onClose.push(() => mailers.close());
  return {
    safeToRepeat: true,
    housekeeping: {},
    async run(row: OutboxRow) {
      const client = context.clients.get(row.client_id);
      if (!client) throw new PermanentError(`Office ${row.client_id} is no longer served.`, 'client_missing');
      // Opting out after the digest was planned still stops this e-mail.
      const user = await context.db
        .selectFrom('users')
        .select(['digest_opt_out', 'disabled_at'])
        .where('id', '=', Number(row.payload.userId))
        .executeTakeFirst();
      if (!user || user.digest_opt_out || user.disabled_at) return { sent: false, reason: 'The user opted out of the digest or is no longer active.' };
      const smtpUrl = client.secrets.smtpUrl;
      if (!smtpUrl) throw new PermanentError('E-mail is not configured for this office.', 'not_configured');
      const result = await mailers.mailerFor(smtpUrl).send({
        from: client.config.senders.email.from,
        replyTo: client.config.senders.email.replyTo,
        to: String(row.payload.to),
        subject: String(row.payload.subject),
        text: String(row.payload.text),
      });
      return { sent: true, messageId: result.messageId, response: result.response };
    },
  };
}
