/**
 * The Zoho connect flow: `GET /v1/oauth/zoho/start?client=…` sends the browser to Zoho with a signed,
 * expiring state; `GET /v1/oauth/zoho/callback` checks it, follows the data center Zoho names, exchanges the
 * code and stores the tokens.
 *
 * Who may start: a holder of a CLI-printed ticket, or a signed-in dashboard user who sees the office
 * (`context.signedInUser`, set by the dashboard module).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { VendorError } from '../core/errors.js';
import { ZOHO_DATA_CENTERS, ZOHO_DATA_CENTER_CODES, authorizeUrl, dataCenterOfAccountsServer, exchangeCode, isDataCenter } from '../providers/zoho/accounts.js';
import { accountsServerFor, oauthApp, storeConnection } from './connection.js';
import { signState, verifyState, verifyTicket } from './oauth-state.js';

/** A signed-in user may start the connect flow for the offices they can see. */
async function signedInFor(context: AppContext, request: FastifyRequest, clientId: string): Promise<boolean> {
  const user = await context.signedInUser?.(request);
  return user !== undefined && user.clientIds.includes(clientId);
}

export function callbackUrl(context: AppContext): string {
  return new URL('/v1/oauth/zoho/callback', context.publicBaseUrl).toString();
}

/** The data center the office's document names (us when it has no zoho settings yet). */
function zohoDataCenterOf(context: AppContext, clientId: string): string {
  return context.clients.get(clientId)?.config.zoho?.dataCenter ?? 'us';
}

function page(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><meta charset="utf-8"><title>${escape(title)}</title><h1>${escape(title)}</h1><p>${escape(text)}</p>`);
}

/** Only Zoho's own accounts servers (or our emulator) may receive the client secret in the code exchange. */
function trustedAccountsServer(context: AppContext, clientId: string, given: string | undefined, location: string | undefined): string {
  const emulated = context.clients.get(clientId)?.secrets.emulatedVendors.includes('zoho') && context.sandbox;
  if (given) {
    if (dataCenterOfAccountsServer(given)) return new URL(given).origin;
    if (emulated && new URL(given).origin === new URL(context.sandbox!.zoho.url).origin) return context.sandbox!.zoho.url;
    throw new Error(`untrusted accounts-server ${given}`);
  }
  const dc = location && isDataCenter(location) ? location : zohoDataCenterOf(context, clientId);
  return accountsServerFor(context, clientId, dc);
}

export function zohoOAuthRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/oauth/zoho/start', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const clientId = typeof query.client === 'string' ? query.client : '';
    const client = context.clients.get(clientId);
    if (!client) return reply.code(404).send({ error: 'unknown_client', message: `No client "${clientId}" is configured.` });
    const ticket = typeof query.ticket === 'string' ? query.ticket : undefined;
    const nowMs = context.clock.now().getTime();
    const allowed = (ticket !== undefined && verifyTicket(context.secretBox, ticket, clientId, nowMs)) || (await signedInFor(context, request, clientId));
    if (!allowed) {
      return reply.code(401).send({
        error: 'not_allowed',
        message: `Starting a Zoho connection needs a link from \`switchboard zoho connect --client ${clientId}\` (valid one hour) or a signed-in staff member.`,
      });
    }
    const accountsServer = accountsServerFor(context, clientId, zohoDataCenterOf(context, clientId));
    const target = authorizeUrl(accountsServer, oauthApp(context, clientId, callbackUrl(context)), {
      state: signState(context.secretBox, clientId, nowMs),
    });
    return reply.redirect(target, 302);
  });

  app.get('/v1/oauth/zoho/callback', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    const clientId = verifyState(context.secretBox, text('state') ?? '', context.clock.now().getTime());
    if (!clientId || !context.clients.get(clientId)) {
      return page(reply, 400, 'Link expired', 'This Zoho sign-in link is invalid or expired. Start the connection again.');
    }
    if (text('error')) {
      return page(reply, 400, 'Zoho was not connected', `Zoho answered "${text('error')}". Start the connection again and choose Accept.`);
    }
    const code = text('code');
    if (!code) return page(reply, 400, 'Zoho was not connected', 'Zoho sent no authorization code. Start the connection again.');
    let accountsServer: string;
    try {
      accountsServer = trustedAccountsServer(context, clientId, text('accounts-server'), text('location'));
    } catch {
      return page(reply, 400, 'Zoho was not connected', 'The data center Zoho named is not a Zoho accounts server.');
    }
    const location = text('location');
    const dataCenter =
      dataCenterOfAccountsServer(accountsServer) ??
      (location && (ZOHO_DATA_CENTER_CODES as readonly string[]).includes(location) ? location : zohoDataCenterOf(context, clientId));
    try {
      const tokens = await exchangeCode(accountsServer, oauthApp(context, clientId, callbackUrl(context)), code);
      if (!tokens.refreshToken) {
        return page(reply, 400, 'Zoho was not connected', 'Zoho did not hand out a refresh token. Start the connection again (it asks for offline access).');
      }
      await storeConnection(context, { clientId, dataCenter, accountsServer, refreshToken: tokens.refreshToken, tokens });
    } catch (error) {
      const expired = error instanceof VendorError && error.code === 'invalid_code';
      context.logger.warn({ err: error, clientId }, 'Zoho code exchange failed');
      return page(
        reply,
        expired ? 400 : 502,
        'Zoho was not connected',
        expired
          ? 'The Zoho sign-in code expired or was already used. Start the connection again.'
          : 'Zoho could not be reached to finish the connection. Try again in a minute.',
      );
    }
    context.logger.info({ clientId, dataCenter }, 'Zoho connected');
    const region = isDataCenter(dataCenter) ? ZOHO_DATA_CENTERS[dataCenter].accounts : accountsServer;
    return page(
      reply,
      200,
      'Zoho is connected',
      `Switchboard can now use Zoho (${region}) for ${context.clients.get(clientId)!.config.name}. You can close this window.`,
    );
  });
}
