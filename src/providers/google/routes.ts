/**
 * Google's connect flow for an office: `/v1/oauth/google/start` and `/v1/oauth/google/callback` (register the
 * latter as an authorised redirect URI, see docs/deploy.md). The refresh token is sealed in `oauth_connections`.
 */
import type { FastifyInstance } from 'fastify';
import { VendorError } from '../../core/errors.js';
import { registerConnectRoutes, type ConnectFlow, type ConnectRouteContext } from '../../oauth/connect-routes.js';
import type { OAuthConnections } from '../../oauth/connections.js';
import { GOOGLE_API_ROOT } from './calendar.js';
import { GOOGLE_PROVIDER } from './connection.js';
import { GOOGLE_ACCOUNTS, GOOGLE_CALENDAR_SCOPES, emailInIdToken, exchangeGoogleCode, googleAuthorizeUrl, type GoogleOAuthApp } from './oauth.js';

export interface GoogleConnectOptions {
  app: GoogleOAuthApp;
  /** The emulator's base URL in demo mode (consent page and token endpoint); Google's own otherwise. */
  accountsBase?: string;
  /** The emulator's API root in demo mode; https://www.googleapis.com/ otherwise. */
  apiRoot?: string;
}

export function googleConnectFlow(options: GoogleConnectOptions): ConnectFlow {
  return {
    provider: GOOGLE_PROVIDER,
    label: 'Google Calendar',
    authorizeUrl: ({ redirectUri, state }) => googleAuthorizeUrl(options.app, { redirectUri, state, accountsBase: options.accountsBase }),
    async exchange({ code, redirectUri }) {
      const tokens = await exchangeGoogleCode(options.app, { code, redirectUri, accountsBase: options.accountsBase });
      if (!tokens.refreshToken) {
        throw new VendorError({
          vendor: 'google-oauth',
          code: 'no_refresh_token',
          message: 'Google handed out no refresh token (offline access was not granted).',
          retryable: false,
        });
      }
      // Granular consent lets the user untick scopes: refuse a grant booking cannot work with.
      const granted = new Set((tokens.scope ?? '').split(/\s+/));
      const missing = GOOGLE_CALENDAR_SCOPES.filter((scope) => !granted.has(scope));
      if (missing.length) {
        throw new VendorError({
          vendor: 'google-oauth',
          code: 'insufficient_scope',
          message: `Google granted no access to ${missing.join(', ')}.`,
          retryable: false,
        });
      }
      const ownerEmail = emailInIdToken(tokens.idToken);
      return {
        accountsServer: options.accountsBase ?? GOOGLE_ACCOUNTS,
        apiBase: options.apiRoot ?? GOOGLE_API_ROOT,
        realm: 'global',
        grant: tokens.refreshToken,
        accessToken: tokens.accessToken,
        expiresInSeconds: tokens.expiresInSeconds,
        ...(ownerEmail ? { ownerEmail } : {}),
        ...(tokens.scope ? { scopes: tokens.scope } : {}),
      };
    },
  };
}

/** Mounts the Google connect routes; `connections` is the same store the calendar port reads. */
export function googleOAuthRoutes(app: FastifyInstance, context: ConnectRouteContext, connections: OAuthConnections, options: GoogleConnectOptions): void {
  registerConnectRoutes(app, context, connections, googleConnectFlow(options));
}
