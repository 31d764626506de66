/**
 * Who may read the demo's `/v1/sandbox/*` views (e.g. the Zoho emulator's leads, with callers' names and
 * phones): a signed-in dashboard user who can see every office, since the emulators hold every office's data.
 * Register as an onRequest hook in the scope of those routes.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';

function problem(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

export function sandboxAccess(context: AppContext): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const user = await context.signedInUser?.(request);
    if (!user) throw problem(401, 'unauthorized', "Sign in to the dashboard to see the demo emulators' data.");
    const everyOffice = context.clients.slugs().every((slug) => user.clientIds.includes(slug));
    if (!everyOffice) {
      throw problem(403, 'forbidden', "The emulators hold every office's data; only a user who can see every office may read them.");
    }
  };
}
