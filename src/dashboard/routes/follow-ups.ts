/** Follow-ups for staff: callback tasks (from calls, fallbacks and undelivered confirmations) and inbound texts. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { listInboundMessages } from '../../messaging/api.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, clientFilter, currentUser, notFound, numericIdParam, parseInput } from '../http.js';

const callbackQuery = z.object({
  client: z.string().optional(),
  state: z.enum(['open', 'done', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
const inboundQuery = z.object({
  client: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function followUpRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/callbacks', async (request) => {
    const user = currentUser(request);
    const query = parseInput(callbackQuery, request.query);
    let select = context.db.selectFrom('callback_tasks').selectAll().where('client_id', 'in', clientFilter(user, query.client));
    if (query.state !== 'all') select = select.where('status', '=', query.state);
    const rows = await select.orderBy('created_at', 'desc').limit(query.limit).execute();
    return {
      callbacks: rows.map((row) => ({
        id: row.id,
        clientId: row.client_id,
        callId: row.call_id,
        customerId: row.customer_id,
        name: row.name,
        phone: row.phone,
        reason: row.reason,
        preferredTime: row.preferred_time,
        kind: row.kind,
        dueAt: iso(row.due_at),
        appointmentId: row.appointment_id,
        note: row.note,
        notedAt: iso(row.noted_at),
        status: row.status,
        createdAt: iso(row.created_at),
        completedAt: iso(row.completed_at),
        completedBy: row.completed_by,
      })),
    };
  });

  app.post('/v1/api/callbacks/:id/done', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await context.db.selectFrom('callback_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !user.clientIds.includes(row.client_id)) throw notFound('That callback');
    if (row.status !== 'open') throw new HttpProblem(409, 'not_open', `This callback is already ${row.status}.`);
    const now = context.clock.now();
    await context.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('callback_tasks')
        .set({ status: 'done', completed_at: now, completed_by: user.email, updated_at: now })
        .where('id', '=', id)
        .execute();
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: row.client_id,
        action: 'callback.done',
        target: `callback:${id}`,
        before: { status: row.status },
        after: { status: 'done' },
      });
    });
    await context.bus.publish({ type: 'callback.updated', clientId: row.client_id, data: { id } });
    return { ok: true };
  });

  app.get('/v1/api/inbound-messages', async (request) => {
    const user = currentUser(request);
    const query = parseInput(inboundQuery, request.query);
    const rows = await listInboundMessages(context.db, { clientIds: clientFilter(user, query.client), limit: query.limit });
    return {
      messages: rows.map((row) => ({
        id: row.id,
        clientId: row.client_id,
        from: row.from_number,
        body: row.body,
        intent: row.intent,
        customerId: row.customer_id,
        receivedAt: iso(row.received_at),
      })),
    };
  });
}
