/** Sign in, sign out, and who am I. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { decoyHash, verifyPassword } from '../auth/password.js';
import { IDLE_TIMEOUT_MS, SESSION_COOKIE, createSession, endSession } from '../auth/sessions.js';
import { normaliseEmail } from '../auth/users.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, currentUser, parseInput, sessionToken } from '../http.js';

const loginBody = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1000),
});

/**
 * Ten attempts a minute per address and e-mail: enough for a person mistyping, far too few for guessing.
 * Keyed on the e-mail too so one office behind a shared NAT address does not lock each other out.
 */
export const LOGIN_RATE_LIMIT = {
  max: 10,
  timeWindow: 60_000,
  hook: 'preHandler' as const,
  keyGenerator: (request: FastifyRequest) => {
    const email = (request.body as { email?: unknown } | undefined)?.email;
    return `${request.ip}|${typeof email === 'string' ? normaliseEmail(email).slice(0, 320) : ''}`;
  },
};

function cookieOptions(request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    // Behind a TLS-terminating proxy (trustProxy is on), X-Forwarded-Proto says the browser used HTTPS.
    secure: request.protocol === 'https',
  };
}

export function sessionRoutes(app: FastifyInstance, context: AppContext): void {
  app.post(
    '/v1/api/session',
    { config: { public: true, rateLimit: LOGIN_RATE_LIMIT } },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const input = parseInput(loginBody, request.body);
      const email = normaliseEmail(input.email);
      const user = await context.db
        .selectFrom('users')
        .select(['id', 'password_hash', 'disabled_at'])
        .where('email', '=', email)
        .executeTakeFirst();
      // An unknown e-mail costs one scrypt too, so response time does not reveal which e-mails exist.
      const valid = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash()));
      if (!user || !valid || user.disabled_at) {
        throw new HttpProblem(401, 'invalid_credentials', 'That e-mail and password do not match. Check both and try again.');
      }
      const session = await createSession(context.db, context.clock, user.id);
      await writeAudit(context.db, context.clock, { actor: email, clientId: null, action: 'session.login', target: `user:${user.id}` });
      reply.setCookie(SESSION_COOKIE, session.token, { ...cookieOptions(request), maxAge: Math.floor(IDLE_TIMEOUT_MS / 1000) });
      return { ok: true };
    },
  );

  app.delete('/v1/api/session', { config: { public: true } }, async (request, reply) => {
    const token = sessionToken(request);
    if (token) await endSession(context.db, token);
    if (request.dashboardUser) {
      await writeAudit(context.db, context.clock, {
        actor: request.dashboardUser.email,
        clientId: null,
        action: 'session.logout',
        target: `user:${request.dashboardUser.id}`,
      });
    }
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.code(204).send();
  });

  app.get('/v1/api/me', async (request) => {
    const user = currentUser(request);
    return {
      user: { id: user.id, email: user.email, role: user.role },
      demo: context.env.mode === 'demo',
      clients: user.clientIds.map((id) => {
        const config = context.clients.get(id)?.config;
        return { id, name: config?.name ?? id, timezone: config?.timezone ?? 'UTC' };
      }),
    };
  });
}
