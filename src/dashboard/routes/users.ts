/**
 * The Users screen (admins only; staff get 403): every user and open link, invite by e-mail, change a user's role,
 * offices or standing, send a password-reset link, withdraw a link. Answers never carry a token, hash or password.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DashboardUser } from '../auth/users.js';
import { HttpProblem, currentUser, notFound, numericIdParam, parseInput } from '../http.js';
import { inviteUser, listOpenLinks, revokeLink, sendPasswordReset, type InviteRefusal } from '../users/invites.js';
import { listUsers, updateUser } from '../users/manage.js';

const role = z.enum(['admin', 'staff'], { error: 'must be "admin" or "staff"' });
const clientIds = z.array(z.string().trim().min(1).max(100)).max(200);

const inviteBody = z.object({
  email: z.string().trim().min(3).max(320),
  role,
  clientIds: clientIds.default([]),
});

const changeBody = z
  .object({ role: role.optional(), clientIds: clientIds.optional(), disabled: z.boolean().optional() })
  .refine((body) => body.role !== undefined || body.clientIds !== undefined || body.disabled !== undefined, 'give role, clientIds or disabled');

function requireAdmin(request: Parameters<typeof currentUser>[0]): DashboardUser {
  const user = currentUser(request);
  if (user.role !== 'admin') throw new HttpProblem(403, 'forbidden', 'Only an admin can manage users.');
  return user;
}

const REFUSAL_STATUS: Record<InviteRefusal['reason'], number> = {
  invalid_email: 400,
  staff_needs_office: 400,
  unknown_offices: 400,
  user_exists: 409,
  no_office: 409,
  busy: 409,
  user_not_found: 404,
  user_disabled: 409,
};

export function userRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/users', async (request) => {
    requireAdmin(request);
    const [users, invites] = [await listUsers(context.db), await listOpenLinks(context)];
    return { users, invites };
  });

  app.post('/v1/api/users/invite', async (request, reply) => {
    const admin = requireAdmin(request);
    const input = parseInput(inviteBody, request.body);
    const result = await inviteUser(context, { ...input, actor: admin.email });
    if (!result.ok) throw new HttpProblem(REFUSAL_STATUS[result.reason], result.reason, result.message);
    return reply.code(201).send({ invite: result.invite });
  });

  app.patch('/v1/api/users/:id', async (request) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(numericIdParam, request.params);
    const input = parseInput(changeBody, request.body);
    const result = await updateUser(context, { userId: id, ...input, actor: admin });
    if (!result.ok) {
      if (result.reason === 'not_found') throw notFound('That user');
      throw new HttpProblem(result.reason === 'unknown_offices' || result.reason === 'staff_needs_office' ? 400 : 409, result.reason, result.message);
    }
    return { user: result.user, changed: result.changed };
  });

  app.post('/v1/api/users/:id/reset-password', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(numericIdParam, request.params);
    const result = await sendPasswordReset(context, { userId: id, actor: admin.email });
    if (!result.ok) {
      if (result.reason === 'user_not_found') throw notFound('That user');
      throw new HttpProblem(REFUSAL_STATUS[result.reason], result.reason, result.message);
    }
    return reply.code(202).send({ invite: result.invite });
  });

  app.post('/v1/api/users/invites/:id/revoke', async (request) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(numericIdParam, request.params);
    const result = await revokeLink(context, { id, actor: admin.email });
    if (!result.ok) throw notFound('That open link');
    return { ok: true };
  });
}
