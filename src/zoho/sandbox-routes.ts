/**
 * Demo mode only: a read-only look at the leads and notes the Zoho emulator holds, so a demo shows callers
 * turning into CRM leads. Not mounted in live mode (even with SANDBOX=1, where real callers' data could land
 * in the emulator), and only for a signed-in user who sees every office (the leads carry names and phones).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { sandboxAccess } from '../http/sandbox-access.js';

export async function sandboxLeadRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const sandbox = context.sandbox;
  if (!sandbox || context.env.mode !== 'demo') return;
  app.addHook('onRequest', sandboxAccess(context));
  app.get('/v1/sandbox/zoho/leads', async () => {
    const notes = sandbox.zoho.notes();
    return {
      leads: sandbox.zoho.leads().map((lead) => ({
        ...lead,
        notes: notes.filter((note) => note.leadId === lead.id),
      })),
    };
  });
}
