/**
 * The audit log (the Activity screen): who changed what and when, with the state before and after, newest
 * first. Scoped like the error log: staff see the rows of their own offices, admins also the rows of no office
 * (sign-ins, account changes). Values are shown as stored, except credentials (`redactSecrets`).
 */
import type { FastifyInstance } from 'fastify';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { normaliseEmail } from '../auth/users.js';
import { HttpProblem, clientScope, currentUser, parseInput } from '../http.js';
import { auditView } from '../views.js';

/** A day (`2026-03-02`, in `zone`) or a moment (`2026-03-02T09:00`, in `zone` unless it names an offset). */
const dayOrMoment = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be a date YYYY-MM-DD or a date and time');

const listQuery = z.object({
  client: z.string().optional(),
  /** Who: the user's e-mail, or their user id. */
  actor: z.string().trim().min(1).max(320).optional(),
  /** One action (`message.cancel`) or every action of a kind (`message`). */
  action: z
    .string()
    .trim()
    .regex(/^[a-z][a-z_]*(\.[a-z_]+)?$/, 'must be an action such as "message.cancel" or a kind such as "message"')
    .optional(),
  /** From this day or moment on (inclusive). */
  from: dayOrMoment.optional(),
  /** Up to this day (the whole day) or moment (inclusive). */
  to: dayOrMoment.optional(),
  /** The zone `from` / `to` are read in; default the office's zone, else UTC. */
  zone: z
    .string()
    .max(64)
    .refine((zone) => IANAZone.isValidZone(zone), 'is not a known time zone, e.g. "America/New_York"')
    .optional(),
  /** Keyset paging, as on the calls list: rows older than `before` (ties at that moment broken by `beforeId`). */
  before: z.iso.datetime({ offset: true }).optional(),
  beforeId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

function instant(value: string, zone: string, end: boolean, field: string): Date {
  const isDay = value.length === 10;
  const parsed = DateTime.fromISO(value, { zone, setZone: false });
  if (!parsed.isValid) throw new HttpProblem(400, 'invalid_request', `${field}: is not a real date`);
  // "to 2026-03-02" means up to the end of that day in the zone: the start of the next day, exclusive.
  return (isDay && end ? parsed.startOf('day').plus({ days: 1 }) : parsed).toJSDate();
}

export function auditRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/audit', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    const scope = clientScope(user, query.client);
    const zone = query.zone ?? (query.client ? context.clients.get(query.client)?.config.timezone : undefined) ?? 'UTC';

    let actor: string | undefined;
    if (query.actor !== undefined) {
      if (/^\d+$/.test(query.actor)) {
        const found = await context.db.selectFrom('users').select('email').where('id', '=', Number(query.actor)).executeTakeFirst();
        if (!found) return { entries: [], next: null };
        actor = found.email;
      } else {
        actor = normaliseEmail(query.actor);
      }
    }

    let select = context.db
      .selectFrom('audit')
      .selectAll()
      .where((eb) => eb.or([eb('client_id', 'in', scope.clientIds), ...(scope.unowned ? [eb('client_id', 'is', null)] : [])]));
    if (actor !== undefined) select = select.where('actor', '=', actor);
    if (query.action) {
      const like = `${query.action.replace(/_/g, '\\_')}.%`;
      select = query.action.includes('.') ? select.where('action', '=', query.action) : select.where('action', 'like', like);
    }
    if (query.from) select = select.where('at', '>=', instant(query.from, zone, false, 'from'));
    if (query.to) {
      const until = instant(query.to, zone, true, 'to');
      select = select.where('at', query.to.length === 10 ? '<' : '<=', until);
    }
    if (query.before) {
      const before = new Date(query.before);
      const beforeId = query.beforeId;
      select = select.where((eb) =>
        beforeId === undefined ? eb('at', '<', before) : eb.or([eb('at', '<', before), eb.and([eb('at', '=', before), eb('id', '<', beforeId)])]),
      );
    }
    const rows = await select
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      entries: page.map(auditView),
      next: rows.length > query.limit && last ? { before: last.at.toISOString(), beforeId: last.id } : null,
    };
  });
}
