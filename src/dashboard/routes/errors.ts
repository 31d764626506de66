/** The error log: filter by client, source, resolved or not; mark resolved (audited). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, clientScope, currentUser, maySee, notFound, numericIdParam, parseInput } from '../http.js';
import { errorView } from '../views.js';

const listQuery = z.object({
  client: z.string().optional(),
  source: z.string().max(100).optional(),
  state: z.enum(['open', 'resolved', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

export function errorRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/errors', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    // Errors not tied to one office (start-up, a bad signature for an unknown client) are for admins only.
    const scope = clientScope(user, query.client);
    let select = context.db
      .selectFrom('errors')
      .selectAll()
      .where((eb) => eb.or([eb('client_id', 'in', scope.clientIds), ...(scope.unowned ? [eb('client_id', 'is', null)] : [])]));
    if (query.source) select = select.where('source', '=', query.source);
    if (query.state === 'open') select = select.where('resolved_at', 'is', null);
    if (query.state === 'resolved') select = select.where('resolved_at', 'is not', null);
    const rows = await select.orderBy('last_seen_at', 'desc').limit(query.limit).execute();
    const sources = await context.db
      .selectFrom('errors')
      .select('source')
      .distinct()
      .where('client_id', 'in', user.clientIds.length ? user.clientIds : [''])
      .orderBy('source')
      .execute();
    return { errors: rows.map(errorView), sources: sources.map((row) => row.source) };
  });

  app.post('/v1/api/errors/:id/resolve', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const row = await context.db.selectFrom('errors').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !maySee(user, row.client_id)) throw notFound('That error');
    if (row.resolved_at) throw new HttpProblem(409, 'already_resolved', 'This error is already marked resolved.');
    const updated = await context.db.transaction().execute(async (trx) => {
      const now = context.clock.now();
      const result = await trx.updateTable('errors').set({ resolved_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: row.client_id,
        action: 'error.resolve',
        target: `error:${id}`,
        before: { resolvedAt: null },
        after: { resolvedAt: now.toISOString() },
      });
      return result;
    });
    if (row.client_id) await context.bus.publish({ type: 'error.changed', clientId: row.client_id, data: { id } });
    return { error: errorView(updated) };
  });
}
