/**
 * Appointments by day in the client's zone; cancel and reschedule go through the booking module, which
 * changes our record, re-plans reminders and brings Zoho in line through the outbox.
 */
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { markAttendance } from '../../booking/attendance.js';
import { cancelAppointment, rescheduleAppointment } from '../../booking/manage.js';
import { VendorError } from '../../core/errors.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, currentUser, notFound, numericIdParam, parseInput, requireClient } from '../http.js';
import { appointmentView } from '../views.js';
import { staffById } from '../../booking/staff.js';

const listQuery = z.object({
  client: z.string().min(1, 'choose a client'),
  /** A day in the client's zone; default today there. */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .optional(),
  days: z.coerce.number().int().min(1).max(31).default(7),
});
const rescheduleBody = z.object({
  /** Local time in the client's zone, "2026-03-04T14:30". */
  newStart: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$/, 'must be a date and time, e.g. 2026-03-04T14:30'),
});

const attendanceBody = z.object({
  /** attended, no_show, or null to clear the mark. */
  attendance: z.enum(['attended', 'no_show'], { message: 'must be "attended", "no_show" or null' }).nullable(),
});

export function appointmentRoutes(app: FastifyInstance, context: AppContext): void {
  async function findAppointment(id: number, clientIds: string[]) {
    const row = await context.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !clientIds.includes(row.client_id) || row.status === 'released') throw notFound('That appointment');
    return row;
  }

  app.get('/v1/api/appointments', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    const clientId = requireClient(user, query.client);
    const config = context.clients.get(clientId)?.config;
    const zone = config?.timezone ?? 'UTC';
    const from = query.date ? DateTime.fromISO(query.date, { zone }).startOf('day') : DateTime.fromJSDate(context.clock.now(), { zone }).startOf('day');
    if (!from.isValid) throw new HttpProblem(400, 'invalid_request', 'date: is not a real calendar date');
    const until = from.plus({ days: query.days });
    const rows = await context.db
      .selectFrom('appointments')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('status', 'in', ['booked', 'cancelled'])
      .where('start_at', '>=', from.toJSDate())
      .where('start_at', '<', until.toJSDate())
      .orderBy('start_at')
      .execute();
    const days = new Map<string, ReturnType<typeof appointmentView>[]>();
    for (let day = from; day < until; day = day.plus({ days: 1 })) days.set(day.toISODate(), []);
    for (const row of rows) {
      const key = DateTime.fromJSDate(row.start_at, { zone }).toISODate()!;
      // Who it is with, in an office with staff (a person since removed from the document shows by id).
      const person = row.staff_id ? { staffName: (config && staffById(config, row.staff_id)?.name) ?? row.staff_id } : {};
      days.get(key)?.push({ ...appointmentView(row), ...person });
    }
    return { clientId, timezone: zone, days: [...days].map(([date, appointments]) => ({ date, appointments })) };
  });

  app.post('/v1/api/appointments/:id/cancel', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await findAppointment(id, user.clientIds);
    const answer = await cancelAppointment(context, { clientId: row.client_id, bookingId: row.booking_id, actor: user.email });
    if (!answer.ok) throw new HttpProblem(409, answer.reason ?? 'not_changed', answer.message);
    await writeAudit(context.db, context.clock, {
      actor: user.email,
      clientId: row.client_id,
      action: 'appointment.cancel',
      target: `appointment:${id}`,
      before: { status: row.status, startAt: row.start_at.toISOString() },
      after: { status: 'cancelled' },
    });
    await context.bus.publish({ type: 'appointment.changed', clientId: row.client_id, data: { id } });
    return { appointment: appointmentView(await findAppointment(id, user.clientIds)), message: answer.message };
  });

  app.post('/v1/api/appointments/:id/reschedule', async (request, reply) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(rescheduleBody, request.body);
    const row = await findAppointment(id, user.clientIds);
    // The new time is checked against Zoho first; while Zoho is down nothing changes and staff are told why.
    let answer;
    try {
      answer = await rescheduleAppointment(context, { clientId: row.client_id, bookingId: row.booking_id, newStart: input.newStart });
    } catch (error) {
      if (!(error instanceof VendorError)) throw error;
      return reply.code(503).send({
        error: 'calendar_unavailable',
        message: `Zoho Calendar could not be reached to check the new time (${error.message}); nothing was changed. Try again in a few minutes.`,
      });
    }
    if (!answer.ok) throw new HttpProblem(409, answer.reason ?? 'not_changed', answer.message);
    const updated = await findAppointment(id, user.clientIds);
    await writeAudit(context.db, context.clock, {
      actor: user.email,
      clientId: row.client_id,
      action: 'appointment.reschedule',
      target: `appointment:${id}`,
      before: { startAt: row.start_at.toISOString() },
      after: { startAt: updated.start_at.toISOString() },
    });
    await context.bus.publish({ type: 'appointment.changed', clientId: row.client_id, data: { id } });
    return { appointment: appointmentView(updated), message: answer.message };
  });

  app.post('/v1/api/appointments/:id/attendance', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(attendanceBody, request.body);
    await findAppointment(id, user.clientIds);
    const answer = await markAttendance(context, { appointmentId: id, attendance: input.attendance, actor: user.email });
    if (!answer.ok) {
      if (answer.reason === 'not_found') throw notFound('That appointment');
      throw new HttpProblem(409, answer.reason, answer.message);
    }
    if (answer.changed) await context.bus.publish({ type: 'appointment.changed', clientId: answer.appointment.client_id, data: { id } });
    return { appointment: appointmentView(answer.appointment), changed: answer.changed };
  });
}
