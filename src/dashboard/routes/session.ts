/** Sign in, sign out, and who am I. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { IDLE_TIMEOUT_MS, SESSION_COOKIE, createSession, endSession } from '../auth/sessions.js';
import { signIn } from '../auth/sign-in.js';
import { addressKey, type Refusal } from '../auth/sign-in-limits.js';
import { normaliseEmail } from '../auth/users.js';
import { writeAudit } from '../audit.js';
import { HttpProblem, currentUser, parseInput, sessionToken } from '../http.js';

const loginBody = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1000),
});

/**
 * A per-instance flood guard in front of the database-held limits (auth/sign-in-limits.ts): one address may
 * send 60 sign-in requests a minute to one instance, so a flood from one address never reaches the database.
 * The real limits (per account, per address, global) hold across instances.
 */
export const SIGN_IN_FLOOD_GUARD = {
  max: 60,
  timeWindow: 60_000,
  keyGenerator: (request: FastifyRequest) => addressKey(request.ip),
};

const MINUTE_MS = 60_000;

function waitWords(ms: number): string {
  if (ms < MINUTE_MS) {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  }
  const minutes = Math.ceil(ms / MINUTE_MS);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The answer to a refused attempt: the same for known and unknown e-mails, so it reveals no account. */
function refusalProblem(refusal: Refusal): HttpProblem {
  const wait = waitWords(refusal.retryAfterMs);
  const message =
    refusal.limit === 'account'
      ? `Too many failed sign-ins for this e-mail. Wait ${wait} and try again, or ask an admin to set a new password.`
      : refusal.limit === 'address'
        ? `Too many sign-in attempts from this address. Wait ${wait} and try again.`
        : `Too many failed sign-ins on this server just now. Wait ${wait} and try again.`;
  return new HttpProblem(429, 'too_many_attempts', message);
}

function cookieOptions(context: AppContext, request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    // request.protocol believes X-Forwarded-Proto only from a trusted proxy (TRUST_PROXY); an https public URL
    // means the browser reaches us over TLS even when the proxy is not configured as trusted.
    secure: request.protocol === 'https' || context.publicBaseUrl.startsWith('https:'),
  };
}

export function sessionRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/v1/api/session', { config: { public: true, rateLimit: SIGN_IN_FLOOD_GUARD } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const input = parseInput(loginBody, request.body);
    const email = normaliseEmail(input.email);
    const outcome = await signIn(context, { email, password: input.password, address: request.ip });
    if (!outcome.ok && outcome.reason === 'refused') {
      reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.refusal.retryAfterMs / 1000))));
      throw refusalProblem(outcome.refusal);
    }
    if (!outcome.ok) {
      throw new HttpProblem(401, 'invalid_credentials', 'That e-mail and password do not match. Check both and try again.');
    }
    const session = await createSession(context.db, context.clock, outcome.userId);
    await writeAudit(context.db, context.clock, { actor: email, clientId: null, action: 'session.login', target: `user:${outcome.userId}` });
    reply.setCookie(SESSION_COOKIE, session.token, { ...cookieOptions(context, request), maxAge: Math.floor(IDLE_TIMEOUT_MS / 1000) });
    return { ok: true };
  });

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
    reply.clearCookie(SESSION_COOKIE, cookieOptions(context, request));
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
