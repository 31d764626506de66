/**
 * The door every Retell request passes: known office (404), genuine signature over the exact bytes (401,
 * logged in the error log; a burst folds into one alert), and an agent that belongs to the office (403).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { checkRetellSignature, RETELL_SIGNATURE_HEADER } from '../providers/retell/signature.js';

const PROBLEM_TEXT = {
  missing: 'has no X-Retell-Signature header',
  malformed: 'has a malformed X-Retell-Signature header',
  stale: 'has a signature older than 5 minutes (a replay, or a clock far off)',
  mismatch: "has a signature that does not match its body and the office's Retell API key",
} as const;

/** Resolves and authenticates; on failure the reply is already sent and undefined is returned. */
export async function authenticateRetell(
  context: AppContext,
  request: FastifyRequest<{ Params: { client: string } }>,
  reply: FastifyReply,
): Promise<ClientRuntime | undefined> {
  const client = context.clients.get(request.params.client);
  if (!client) {
    await reply.code(404).send({ error: 'unknown_client', message: `No office "${request.params.client}" is configured here.` });
    return undefined;
  }
  const check = checkRetellSignature(request.rawBody ?? '', client.secrets.retellApiKey, request.headers[RETELL_SIGNATURE_HEADER]);
  if (!check.ok) {
    const path = request.routeOptions.url ?? request.url;
    await context.alerts.raise({
      clientId: client.config.slug,
      source: 'retell.signature',
      fingerprint: `retell.signature:${client.config.slug}`,
      severity: 'warning',
      message:
        `A request to ${path} ${PROBLEM_TEXT[check.problem]} and was refused. ` +
        `If this keeps happening, check that Retell uses the API key with the webhook badge for this office.`,
      details: { problem: check.problem, ip: request.ip, route: path },
    });
    await reply.code(401).send({ error: 'invalid_signature', message: `The request ${PROBLEM_TEXT[check.problem]}.` });
    return undefined;
  }
  return client;
}

export async function rejectForeignAgent(client: ClientRuntime, agentId: string | undefined, reply: FastifyReply): Promise<boolean> {
  if (client.config.retell.agentIds.length === 0) {
    await reply.code(403).send({
      error: 'no_agent',
      message: `${client.config.name} has no Retell agent connected yet; finish the Retell step of its onboarding.`,
    });
    return true;
  }
  if (agentId === undefined || client.config.retell.agentIds.includes(agentId)) return false;
  await reply.code(403).send({
    error: 'unknown_agent',
    message: `Agent ${agentId} is not one of ${client.config.name}'s agents; add it to retell.agentIds in the office's config.`,
  });
  return true;
}
