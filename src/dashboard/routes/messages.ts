/**
 * Messages (SMS and e-mail outbox rows): the queue by status, and the doors to the messaging module's compose,
 * edit-and-retry, resend and cancel (messaging/api.ts), which check consent, build the message and audit it.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DB, OutboxRow } from '../../db/schema.js';
import { cancelMessage, composeMessage, editAndRetryMessage, resendMessage, type ApiResult } from '../../messaging/api.js';
import { HttpProblem, clientFilter, currentUser, notFound, numericIdParam, parseInput, requireClient } from '../http.js';
import { MESSAGE_KINDS, messageView, type MessageStatus } from '../views.js';

const STATUS_FILTER: Record<MessageStatus, OutboxRow['status'][]> = {
  scheduled: ['scheduled'],
  sending: ['running'],
  sent: ['done'],
  delivered: ['done'],
  failed: ['failed', 'done'],
  dead: ['dead'],
  unknown: ['unknown'],
  cancelled: ['cancelled'],
};

const listQuery = z.object({
  client: z.string().optional(),
  status: z.enum(Object.keys(STATUS_FILTER) as [MessageStatus, ...MessageStatus[]]).optional(),
  channel: z.enum(['sms', 'email']).optional(),
  customer: z.coerce.number().int().positive().optional(),
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export async function loadMessages(db: Kysely<DB>, rows: OutboxRow[]) {
  const ids = rows.map((row) => row.id);
  const deliveries = ids.length
    ? await db
        .selectFrom('message_deliveries')
        .select(['outbox_id', 'status', 'error_code', 'error_message', 'provider_id', 'updated_at', 'provider', 'sender'])
        .where('outbox_id', 'in', ids)
        .orderBy('id', 'desc')
        .execute()
    : [];
  return rows.map((row) =>
    messageView(
      row,
      deliveries.find((delivery) => delivery.outbox_id === row.id),
    ),
  );
}

async function findMessage(context: AppContext, id: number, clientIds: string[]): Promise<OutboxRow> {
  const row = await context.db.selectFrom('outbox').selectAll().where('id', '=', id).where('kind', 'in', MESSAGE_KINDS).executeTakeFirst();
  if (!row || !clientIds.includes(row.client_id)) throw notFound('That message');
  return row;
}

const composeBody = z
  .object({
    client: z.string().min(1),
    channel: z.enum(['sms', 'email']),
    customerId: z.number().int().positive().optional(),
    to: z.string().trim().max(320).optional(),
    subject: z.string().trim().max(200).optional(),
    body: z.string().trim().min(1, 'write the message first').max(1600),
    purpose: z.enum(['transactional', 'marketing']).default('transactional'),
    sendAt: z.iso.datetime({ offset: true }).optional(),
    /** Send a transactional message to someone who opted out (e.g. they asked for this one); audited. */
    overrideConsent: z.boolean().default(false),
  })
  .refine((input) => input.channel === 'sms' || input.subject, { message: 'an e-mail needs a subject', path: ['subject'] });

const editBody = z.object({
  body: z.string().trim().min(1, 'the message cannot be empty').max(1600).optional(),
  subject: z.string().trim().min(1).max(200).optional(),
});

export function messageRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/messages', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    let select = context.db
      .selectFrom('outbox')
      .selectAll()
      .where('client_id', 'in', clientFilter(user, query.client))
      .where('kind', 'in', query.channel ? [query.channel] : MESSAGE_KINDS);
    if (query.status) select = select.where('status', 'in', STATUS_FILTER[query.status]);
    if (query.customer) select = select.where('customer_id', '=', query.customer);
    if (query.q) {
      const like = `%${query.q.replace(/[%_\\]/g, (char) => `\\${char}`)}%`;
      select = select.where((eb) => eb.or([eb(eb.cast(eb.ref('payload'), 'text'), 'ilike', like)]));
    }
    const rows = await select.orderBy('run_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    const messages = await loadMessages(context.db, rows);
    // "sent", "delivered" and "failed" share outbox rows; the carrier's report tells them apart.
    return { messages: query.status ? messages.filter((message) => message.status === query.status) : messages };
  });

  app.get('/v1/api/messages/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await findMessage(context, id, user.clientIds);
    const [message] = await loadMessages(context.db, [row]);
    const history = await context.db.selectFrom('outbox_attempts').selectAll().where('outbox_id', '=', id).orderBy('id').execute();
    return {
      message,
      history: history.map((attempt) => ({
        attempt: attempt.attempt,
        outcome: attempt.outcome,
        at: attempt.finished_at.toISOString(),
        error: attempt.error,
        actor: attempt.actor,
        payload: attempt.payload,
      })),
    };
  });

  app.post('/v1/api/messages', async (request, reply) => {
    const user = currentUser(request);
    const input = parseInput(composeBody, request.body);
    const clientId = requireClient(user, input.client);
    let to = input.to;
    if (input.customerId) {
      const customer = await context.db.selectFrom('customers').selectAll().where('id', '=', input.customerId).executeTakeFirst();
      if (!customer || customer.client_id !== clientId) throw notFound('That customer');
      to ||= input.channel === 'sms' ? customer.phone : (customer.email ?? undefined);
    }
    if (!to) throw new HttpProblem(400, 'invalid_request', input.channel === 'sms' ? 'Enter a phone number.' : 'Enter an e-mail address.');
    const result = await composeMessage(context, {
      clientId,
      channel: input.channel,
      to,
      purpose: input.purpose,
      ...(input.channel === 'sms' ? { body: input.body } : { subject: input.subject, text: input.body }),
      customerId: input.customerId ?? null,
      sendAt: input.sendAt ? new Date(input.sendAt) : undefined,
      actor: user.email,
      override: input.overrideConsent,
    });
    if (!result.ok) throw problemFor(result);
    const [message] = await loadMessages(context.db, [result.row]);
    return reply.code(201).send({ message });
  });

  app.post('/v1/api/messages/:id/retry', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(editBody, request.body);
    const row = await findMessage(context, id, user.clientIds);
    const result = await editAndRetryMessage(context, id, {
      actor: user.email,
      clientIds: user.clientIds,
      subject: input.subject,
      ...(row.kind === 'sms' ? { body: input.body } : { text: input.body }),
    });
    if (!result.ok) throw problemFor(result);
    const [message] = await loadMessages(context.db, [result.row]);
    return { message };
  });

  app.post('/v1/api/messages/:id/resend', async (request, reply) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const result = await resendMessage(context, id, { actor: user.email, clientIds: user.clientIds });
    if (!result.ok) throw problemFor(result);
    const [message] = await loadMessages(context.db, [result.row]);
    return reply.code(201).send({ message });
  });

  app.post('/v1/api/messages/:id/cancel', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const result = await cancelMessage(context, id, { actor: user.email, clientIds: user.clientIds });
    if (!result.ok) throw problemFor(result);
    const [message] = await loadMessages(context.db, [result.row]);
    return { message };
  });
}

/** The messaging module's refusals as HTTP answers. */
function problemFor(result: Extract<ApiResult, { ok: false }>): HttpProblem {
  switch (result.reason) {
    case 'not_found':
      return notFound('That message');
    case 'invalid':
      return new HttpProblem(400, 'invalid_request', result.message);
    case 'opted_out':
      return new HttpProblem(409, 'opted_out', result.message);
    case 'wrong_status':
      return new HttpProblem(409, 'wrong_status', result.message);
  }
}
