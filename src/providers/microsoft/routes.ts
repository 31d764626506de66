/**
 * Microsoft's connect flow for an office: `/v1/oauth/microsoft/start` and `/v1/oauth/microsoft/callback` (register
 * the latter as a Web redirect URI of the app registration, see docs/deploy.md). MSAL's token cache, which holds
 * the refresh token, is sealed in `oauth_connections`.
 */
import type { FastifyInstance } from 'fastify';
import { registerConnectRoutes, type ConnectFlow, type ConnectRouteContext } from '../../oauth/connect-routes.js';
import type { OAuthConnections } from '../../oauth/connections.js';
import { GRAPH_BASE } from './calendar.js';
import { MICROSOFT_PROVIDER } from './connection.js';
import { MICROSOFT_LOGIN, exchangeMicrosoftCode, microsoftAuthorizeUrl, type MicrosoftOAuthApp } from './oauth.js';

export interface MicrosoftConnectOptions {
  app: MicrosoftOAuthApp;
  /** The emulator's base URL in demo mode (identity platform); Microsoft's own otherwise. */
  loginBase?: string;
  /** The emulator's Graph base in demo mode; https://graph.microsoft.com/ otherwise. */
  graphBase?: string;
}

export function microsoftConnectFlow(options: MicrosoftConnectOptions): ConnectFlow {
  return {
    provider: MICROSOFT_PROVIDER,
    label: 'Microsoft 365',
    authorizeUrl: ({ redirectUri, state }) => microsoftAuthorizeUrl(options.app, { redirectUri, state, loginBase: options.loginBase }),
    async exchange({ code, redirectUri }) {
      const grant = await exchangeMicrosoftCode(options.app, { code, redirectUri, loginBase: options.loginBase });
      return {
        accountsServer: options.loginBase ?? MICROSOFT_LOGIN,
        apiBase: options.graphBase ?? GRAPH_BASE,
        // The tenant the user signed in to, so refreshes use it rather than `common`.
        realm: grant.tenantId ?? options.app.tenant,
        grant: grant.cache,
        accessToken: grant.accessToken,
        expiresInSeconds: grant.expiresInSeconds,
        ...(grant.username ? { ownerEmail: grant.username } : {}),
        scopes: grant.scopes.join(' '),
      };
    },
  };
}

/** Mounts the Microsoft connect routes; `connections` is the same store the calendar port reads. */
export function microsoftOAuthRoutes(
  app: FastifyInstance,
  context: ConnectRouteContext,
  connections: OAuthConnections,
  options: MicrosoftConnectOptions,
): void {
  registerConnectRoutes(app, context, connections, microsoftConnectFlow(options));
}
