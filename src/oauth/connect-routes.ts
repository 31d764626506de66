/**
 * A provider's connect flow as two routes: `GET /v1/oauth/<provider>/start?client=…` sends the browser to the
 * provider's consent page with a signed, expiring state; `GET /v1/oauth/<provider>/callback` checks the state,
 * exchanges the code and stores the grant sealed (OAuthConnections.store). Who may start: the holder of a signed
 * ticket (connectLink) or a signed-in dashboard user of that office.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../app-context.js';
import { VendorError } from '../core/errors.js';
import type { OAuthConnections, StoreGrantInput } from './connections.js';
import { signConnectState, verifyConnectState, verifyConnectTicket } from './signed-state.js';

export interface ConnectFlow {
  /** `google`, `microsoft`: the route segment and `oauth_connections.provider`. */
  provider: string;
  label: string;
  authorizeUrl(input: { clientId: string; redirectUri: string; state: string }): string | Promise<string>;
  /** Exchanges the code; throws VendorError (`invalid_grant` for a used/expired code). */
  exchange(input: { clientId: string; code: string; redirectUri: string }): Promise<Omit<StoreGrantInput, 'clientId'>>;
}

export type ConnectRouteContext = Pick<AppContext, 'clients' | 'clock' | 'secretBox' | 'publicBaseUrl' | 'logger' | 'signedInUser'>;

export function connectCallbackUrl(publicBaseUrl: string, provider: string): string {
  return new URL(`/v1/oauth/${provider}/callback`, publicBaseUrl).toString();
}

function page(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><meta charset="utf-8"><title>${escape(title)}</title><h1>${escape(title)}</h1><p>${escape(text)}</p>`);
}

export function registerConnectRoutes(app: FastifyInstance, context: ConnectRouteContext, connections: OAuthConnections, flow: ConnectFlow): void {
  const { provider, label } = flow;
  const redirectUri = connectCallbackUrl(context.publicBaseUrl, provider);

  app.get(`/v1/oauth/${provider}/start`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const clientId = typeof query.client === 'string' ? query.client : '';
    if (!context.clients.get(clientId)) return reply.code(404).send({ error: 'unknown_client', message: `No office "${clientId}" is configured.` });
    const nowMs = context.clock.now().getTime();
    const ticket = typeof query.ticket === 'string' ? query.ticket : undefined;
    const user = ticket === undefined ? await context.signedInUser?.(request) : undefined;
    const allowed =
      (ticket !== undefined && verifyConnectTicket(context.secretBox, provider, ticket, clientId, nowMs)) || (user?.clientIds.includes(clientId) ?? false);
    if (!allowed) {
      return reply.code(401).send({
        error: 'not_allowed',
        message: `Connecting ${label} needs a connect link (valid one hour) or a signed-in staff member of ${clientId}.`,
      });
    }
    const state = signConnectState(context.secretBox, provider, clientId, nowMs);
    return reply.redirect(await flow.authorizeUrl({ clientId, redirectUri, state }), 302);
  });

  app.get(`/v1/oauth/${provider}/callback`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    const clientId = verifyConnectState(context.secretBox, provider, text('state') ?? '', context.clock.now().getTime());
    const office = clientId ? context.clients.get(clientId) : undefined;
    if (!clientId || !office) return page(reply, 400, 'Link expired', `This ${label} sign-in link is invalid or expired. Start the connection again.`);
    if (text('error'))
      return page(
        reply,
        400,
        `${label} was not connected`,
        `${label} answered "${text('error')}". Start the connection again and accept the access asked for.`,
      );
    const code = text('code');
    if (!code) return page(reply, 400, `${label} was not connected`, `${label} sent no authorization code. Start the connection again.`);
    try {
      const grant = await flow.exchange({ clientId, code, redirectUri });
      await connections.store({ clientId, ...grant });
    } catch (error) {
      const expired = error instanceof VendorError && !error.retryable;
      context.logger.warn({ err: error, clientId, provider }, 'OAuth code exchange failed');
      return page(
        reply,
        expired ? 400 : 502,
        `${label} was not connected`,
        expired
          ? `${label} refused the sign-in (${error.code}). Start the connection again.`
          : `${label} could not be reached to finish the connection. Try again in a minute.`,
      );
    }
    context.logger.info({ clientId, provider }, `${label} connected`);
    return page(reply, 200, `${label} is connected`, `Switchboard can now use ${label} for ${office.config.name}. You can close this window.`);
  });
}
