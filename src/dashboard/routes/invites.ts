/**
 * The public side of one-time links (no session): what a link is for, and choosing the password. Unknown links
 * answer 404, used, withdrawn or expired ones 410, each with a sentence saying what to do. Both routes are
 * rate-limited per address, like sign-in: a token is 32 random bytes, so the limit guards against floods (each
 * accepted password costs a scrypt hash), not against guessing, which is hopeless anyway.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { HttpProblem, parseInput } from '../http.js';
import { MIN_PASSWORD_LENGTH, acceptLink, openLink, type LinkRefusal } from '../users/invites.js';

const linkRateLimit = (max: number, name: string) => ({
  max,
  timeWindow: 60_000,
  keyGenerator: (request: FastifyRequest) => `${name}|${request.ip}`,
});

/** Per address and instance: plenty for people setting a password, nothing for a flood. */
export const ACCEPTS_PER_MINUTE = 20;

const tokenParam = z.object({ token: z.string().max(200) });
const acceptBody = z.object({
  token: z.string().max(200),
  password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters long`).max(1000),
});

function linkProblem(refusal: LinkRefusal): HttpProblem {
  return new HttpProblem(refusal.reason === 'not_found' ? 404 : 410, `link_${refusal.reason}`, refusal.message);
}

export function inviteRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/invites/:token', { config: { public: true, rateLimit: linkRateLimit(60, 'invite-open') } }, async (request) => {
    const { token } = parseInput(tokenParam, request.params);
    const result = await openLink(context, token);
    if (!result.ok) throw linkProblem(result);
    const { invite } = result;
    return {
      purpose: invite.purpose,
      email: invite.email,
      role: invite.role,
      offices: invite.clientIds.map((id) => ({ id, name: context.clients.get(id)?.config.name ?? id })),
      invitedBy: invite.invitedBy,
      expiresAt: invite.expiresAt,
    };
  });

  app.post('/v1/api/invites/accept', { config: { public: true, rateLimit: linkRateLimit(ACCEPTS_PER_MINUTE, 'invite-accept') } }, async (request) => {
    const input = parseInput(acceptBody, request.body);
    const result = await acceptLink(context, input);
    if (result.ok) return { ok: true, email: result.email, purpose: result.purpose };
    switch (result.reason) {
      case 'user_exists':
        throw new HttpProblem(409, result.reason, result.message);
      case 'user_disabled':
      case 'no_office':
        throw new HttpProblem(410, result.reason, result.message);
      default:
        throw linkProblem(result);
    }
  });
}
