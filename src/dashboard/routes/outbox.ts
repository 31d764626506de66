/** Dead letters: every outbox kind except messages (CRM sync, alerts, calendar…), with the error and a retry. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { editAndRetryMessage } from '../../messaging/api.js';
import { outboxHistory, retryOutboxRow } from '../../outbox/manage.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, clientFilter, currentUser, notFound, numericIdParam, parseInput } from '../http.js';
import { MESSAGE_KINDS, outboxView } from '../views.js';

const listQuery = z.object({
  client: z.string().optional(),
  kind: z.string().max(50).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export function outboxRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/dead-letters', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    let select = context.db
      .selectFrom('outbox')
      .selectAll()
      .where('client_id', 'in', clientFilter(user, query.client))
      .where('status', '=', 'dead')
      .where('kind', 'not in', MESSAGE_KINDS);
    if (query.kind) select = select.where('kind', '=', query.kind);
    const rows = await select.orderBy('updated_at', 'desc').limit(query.limit).execute();
    return { items: rows.map(outboxView) };
  });

  app.get('/v1/api/outbox/:id', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await context.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !user.clientIds.includes(row.client_id)) throw notFound('That queue item');
    const history = await outboxHistory(context.db, id);
    return {
      item: outboxView(row),
      history: history.map((attempt) => ({
        attempt: attempt.attempt,
        outcome: attempt.outcome,
        at: attempt.finished_at.toISOString(),
        error: attempt.error,
        actor: attempt.actor,
      })),
    };
  });

  app.post('/v1/api/outbox/:id/retry', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await context.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !user.clientIds.includes(row.client_id)) throw notFound('That queue item');
    if (MESSAGE_KINDS.includes(row.kind)) {
      // A text or e-mail retried from here is the same operation as from Messages: same checks, same audit name.
      const retried = await editAndRetryMessage(context, id, { actor: user.email, clientIds: user.clientIds });
      if (!retried.ok) throw new HttpProblem(409, retried.reason, retried.message);
      return { item: outboxView(retried.row) };
    }
    const result = await retryOutboxRow(context.db, context.clock, id, { actor: user.email });
    if (!result.ok)
      throw new HttpProblem(
        409,
        result.reason,
        `This item is ${result.status ?? 'not retryable'}; only dead, failed, unknown or cancelled items can be retried.`,
      );
    await writeAudit(context.db, context.clock, {
      actor: user.email,
      clientId: row.client_id,
      action: 'outbox.retry',
      target: `outbox:${id}`,
      before: { status: row.status, lastError: row.last_error },
      after: { status: result.row.status },
    });
    await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [id] } });
    return { item: outboxView(result.row) };
  });
}
