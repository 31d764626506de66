/**
 * Messages (SMS and e-mail outbox rows): the queue by status, compose, edit-and-retry, cancel. Every change
 * is audited with the actor and the state before and after.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DB, OutboxRow } from '../../db/schema.js';
import { isOptedOut } from '../../customers/consent.js';
import { smsSegments } from '../../messaging/segments.js';
import { enqueue } from '../../outbox/enqueue.js';
import { cancelOutboxRow, retryOutboxRow } from '../../outbox/manage.js';
import { writeAudit } from '../audit.js';
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
  return rows.map((row) => messageView(row, deliveries.find((delivery) => delivery.outbox_id === row.id)));
}

async function findMessage(context: AppContext, id: number, clientIds: string[]): Promise<OutboxRow> {
  const row = await context.db
    .selectFrom('outbox')
    .selectAll()
    .where('id', '=', id)
    .where('kind', 'in', MESSAGE_KINDS)
    .executeTakeFirst();
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
      to ??= input.channel === 'sms' ? customer.phone : (customer.email ?? undefined);
    }
    if (!to) throw new HttpProblem(400, 'invalid_request', input.channel === 'sms' ? 'Enter a phone number.' : 'Enter an e-mail address.');
    if (input.channel === 'sms' && !/^\+[1-9]\d{7,14}$/.test(to)) {
      throw new HttpProblem(400, 'invalid_request', 'Enter the phone number with its country code, e.g. +12125550142.');
    }
    if (input.channel === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(to)) {
      throw new HttpProblem(400, 'invalid_request', 'Enter a valid e-mail address.');
    }
    const optedOut = await isOptedOut(context.db, clientId, input.channel, to, input.purpose);
    if (optedOut && (input.purpose === 'marketing' || !input.overrideConsent)) {
      throw new HttpProblem(
        409,
        'opted_out',
        input.purpose === 'marketing'
          ? 'This person opted out of marketing messages; they cannot be sent one.'
          : 'This person opted out. Tick "send anyway" only if they asked for this message; the override is recorded.',
      );
    }
    const runAt = input.sendAt ? new Date(input.sendAt) : context.clock.now();
    const config = context.clients.get(clientId)?.config;
    const row = await context.db.transaction().execute(async (trx) => {
      // The shape of messaging/payload.ts, so the messaging handlers send it like any other message.
      const segments = input.channel === 'sms' ? smsSegments(input.body) : undefined;
      const payload: Record<string, unknown> = {
        to: input.channel === 'email' ? to.toLowerCase() : to,
        purpose: input.purpose,
        template: 'manual',
        sequence: 'manual',
        composedBy: user.email,
        ...(input.channel === 'sms'
          ? { body: input.body, segments: segments!.segments, encoding: segments!.encoding }
          : { subject: input.subject, text: input.body }),
        ...(optedOut ? { consentOverride: { actor: user.email, at: context.clock.now().toISOString() } } : {}),
      };
      const result = await enqueue(trx, context.clock, {
        clientId,
        kind: input.channel,
        payload,
        dedupeKey: `staff:${randomUUID()}`,
        runAt,
        customerId: input.customerId ?? null,
        retry: config ? { maxAttempts: config.retry.maxAttempts, intervalMs: config.retry.intervalSeconds * 1000 } : undefined,
      });
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId,
        action: optedOut ? 'message.compose_consent_override' : 'message.compose',
        target: `outbox:${result.id}`,
        after: payload,
      });
      await context.bus.publish({ type: 'outbox.changed', clientId, data: { ids: [result.id] } }, trx);
      return trx.selectFrom('outbox').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
    });
    const [message] = await loadMessages(context.db, [row]);
    return reply.code(201).send({ message });
  });

  app.post('/v1/api/messages/:id/retry', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(editBody, request.body);
    const row = await findMessage(context, id, user.clientIds);
    const edited = input.body !== undefined || input.subject !== undefined;
    const payload = edited
      ? {
          ...row.payload,
          ...(input.body !== undefined
            ? row.kind === 'email'
              ? { text: input.body }
              : { body: input.body, segments: smsSegments(input.body).segments, encoding: smsSegments(input.body).encoding }
            : {}),
          ...(input.subject !== undefined ? { subject: input.subject } : {}),
        }
      : undefined;
    const result = await retryOutboxRow(context.db, context.clock, id, { payload, actor: user.email });
    if (!result.ok) throw new HttpProblem(409, result.reason, `This message is ${result.status ?? 'not retryable'}; only failed, dead, unknown or cancelled messages can be sent again.`);
    await writeAudit(context.db, context.clock, {
      actor: user.email,
      clientId: row.client_id,
      action: edited ? 'message.edit_and_retry' : 'message.retry',
      target: `outbox:${id}`,
      before: { status: row.status, payload: row.payload },
      after: { status: result.row.status, payload: result.row.payload },
    });
    await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [id] } });
    const [message] = await loadMessages(context.db, [result.row]);
    return { message };
  });

  app.post('/v1/api/messages/:id/cancel', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await findMessage(context, id, user.clientIds);
    const result = await cancelOutboxRow(context.db, context.clock, id, { actor: user.email, reason: `Cancelled by ${user.email}` });
    if (!result.ok) throw new HttpProblem(409, result.reason, `This message is ${result.status ?? 'not cancellable'}; only scheduled, failed or unknown messages can be cancelled.`);
    await writeAudit(context.db, context.clock, {
      actor: user.email,
      clientId: row.client_id,
      action: 'message.cancel',
      target: `outbox:${id}`,
      before: { status: row.status },
      after: { status: result.row.status },
    });
    await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [id] } });
    const [message] = await loadMessages(context.db, [result.row]);
    return { message };
  });
}
