/**
 * Demo only: what `switchboard simulate-call` needs to play a call for any office on a running server (its
 * agent, number, name and default appointment type), answered to a request signed with that office's Retell
 * key. The command line cannot read the embedded database while the server holds it, and offices added in the
 * dashboard exist nowhere else.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { simulatedOfficeOf } from '../sandbox/call-simulator.js';
import { authenticateRetell } from './guard.js';

export function simulatorRoute(app: FastifyInstance, context: AppContext): void {
  app.post<{ Params: { client: string } }>('/v1/retell/:client/simulator', async (request, reply) => {
    const runtime = context.clients.get(request.params.client);
    if (context.env.mode !== 'demo' || (runtime && !runtime.secrets.emulatedVendors.includes('retell'))) {
      return reply.code(404).send({ error: 'not_found', message: 'The call simulator exists only in demo mode.' });
    }
    const client = await authenticateRetell(context, request, reply);
    if (!client) return reply;
    if (client.config.retell.agentIds.length === 0) {
      return reply.code(409).send({ error: 'no_agent', message: `${client.config.name} has no Retell agent yet; finish the Retell step of its onboarding.` });
    }
    return simulatedOfficeOf(client.config);
  });
}
