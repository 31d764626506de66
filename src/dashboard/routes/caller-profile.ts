/**
 * Caller insight for staff (issue 17): a call's labels with their evidence, and a caller's profile, which staff may
 * correct (kept until the caller's next analysed call rebuilds it) or clear (calls before the clear stop counting).
 * Both changes are audited; a customer of an office outside the user's scope answers 404.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import type { CallerProfileRow } from '../../db/tables/insights.js';
import { INTENTS, LANGUAGES, MAX_NEEDS, NEEDS } from '../../insights/labels.js';
import { GUIDANCE_MAX } from '../../insights/profile.js';
import { copyProfileToCustomer, lockCustomerForProfile } from '../../insights/profile-on-customer.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, currentUser, notFound, numericIdParam, parseInput } from '../http.js';

const editBody = z
  .strictObject({
    needs: z.array(z.enum(NEEDS)).max(MAX_NEEDS, `at most ${MAX_NEEDS} traits`).optional(),
    guidance: z.string().trim().max(GUIDANCE_MAX, `at most ${GUIDANCE_MAX} characters`).optional(),
    intentLast: z.union([z.enum(INTENTS), z.literal('')]).optional(),
    language: z.union([z.enum(LANGUAGES), z.literal('')]).optional(),
    openIssue: z.string().trim().max(200).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Nothing to change.');

export function profileView(row: CallerProfileRow | undefined) {
  if (!row) return null;
  return {
    intentLast: row.intent_last,
    needs: row.needs,
    language: row.language,
    openIssue: row.open_issue,
    guidance: row.guidance,
    callsCounted: row.calls_counted,
    editedBy: row.edited_by,
    editedAt: row.edited_at?.toISOString() ?? null,
    clearedAt: row.cleared_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function loadCallInsight(db: Kysely<DB>, callId: string) {
  const row = await db.selectFrom('call_insights').selectAll().where('call_id', '=', callId).executeTakeFirst();
  if (!row) return null;
  return {
    language: row.language,
    intent: row.intent,
    urgency: row.urgency,
    sentiment: { start: row.sentiment_start, end: row.sentiment_end },
    needs: row.needs,
    openIssue: row.open_issue,
    evidence: row.evidence,
    rulesVersion: row.rules_version,
    computedAt: row.computed_at.toISOString(),
  };
}

export function callerProfileRoutes(app: FastifyInstance, context: AppContext): void {
  async function customerIn(id: number, clientIds: string[]) {
    const customer = await context.db.selectFrom('customers').select(['id', 'client_id']).where('id', '=', id).executeTakeFirst();
    if (!customer || !clientIds.includes(customer.client_id)) throw notFound('That customer');
    return customer;
  }

  app.get('/v1/api/customers/:id/profile', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    await customerIn(id, user.clientIds);
    const row = await context.db.selectFrom('caller_profiles').selectAll().where('customer_id', '=', id).executeTakeFirst();
    return { profile: profileView(row) };
  });

  app.patch('/v1/api/customers/:id/profile', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(editBody, request.body);
    const customer = await customerIn(id, user.clientIds);
    const now = context.clock.now();
    const row = await context.db.transaction().execute(async (trx) => {
      await lockCustomerForProfile(trx, id);
      const before = await trx.selectFrom('caller_profiles').selectAll().where('customer_id', '=', id).forUpdate().executeTakeFirst();
      const fields = {
        ...(input.needs !== undefined ? { needs: [...new Set(input.needs)] } : {}),
        ...(input.guidance !== undefined ? { guidance: input.guidance } : {}),
        ...(input.intentLast !== undefined ? { intent_last: input.intentLast } : {}),
        ...(input.language !== undefined ? { language: input.language } : {}),
        ...(input.openIssue !== undefined ? { open_issue: input.openIssue } : {}),
        edited_by: user.email,
        edited_at: now,
        updated_at: now,
      };
      const saved = await trx
        .insertInto('caller_profiles')
        .values({ customer_id: id, client_id: customer.client_id, calls_counted: 0, ...fields })
        .onConflict((conflict) => conflict.column('customer_id').doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      await copyProfileToCustomer(trx, id, saved);
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: customer.client_id,
        action: 'caller_profile.edit',
        target: `customer:${id}`,
        before: profileView(before),
        after: profileView(saved),
      });
      await context.bus.publish({ type: 'customer.changed', clientId: customer.client_id, data: { id } }, trx);
      return saved;
    });
    return { profile: profileView(row) };
  });

  app.delete('/v1/api/customers/:id/profile', async (request) => {
    const user = currentUser(request);
    const { id } = parseInput(numericIdParam, request.params);
    const customer = await customerIn(id, user.clientIds);
    const now = context.clock.now();
    const row = await context.db.transaction().execute(async (trx) => {
      await lockCustomerForProfile(trx, id);
      const before = await trx.selectFrom('caller_profiles').selectAll().where('customer_id', '=', id).forUpdate().executeTakeFirst();
      if (!before) throw new HttpProblem(404, 'not_found', 'This caller has no profile.');
      const cleared = {
        intent_last: '',
        needs: [],
        language: '',
        open_issue: '',
        guidance: '',
        calls_counted: 0,
        edited_by: user.email,
        edited_at: now,
        cleared_at: now,
        updated_at: now,
      };
      const saved = await trx.updateTable('caller_profiles').set(cleared).where('customer_id', '=', id).returningAll().executeTakeFirstOrThrow();
      await copyProfileToCustomer(trx, id, saved);
      await writeAudit(trx, context.clock, {
        actor: user.email,
        clientId: customer.client_id,
        action: 'caller_profile.clear',
        target: `customer:${id}`,
        before: profileView(before),
        after: profileView(saved),
      });
      await context.bus.publish({ type: 'customer.changed', clientId: customer.client_id, data: { id } }, trx);
      return saved;
    });
    return { profile: profileView(row) };
  });
}
