/** The Google side of an office's OAuth connection: how to refresh, and which answers mean "reconnect". */
import type { OAuthProviderSpec } from '../../oauth/connections.js';
import { GOOGLE_ACCOUNTS, refreshGoogleToken, type GoogleOAuthApp } from './oauth.js';

export const GOOGLE_PROVIDER = 'google';

/** The token endpoint base to use: undefined for Google itself (the library's defaults), else the emulator. */
export function accountsBaseOf(accountsServer: string): string | undefined {
  return accountsServer === GOOGLE_ACCOUNTS ? undefined : accountsServer;
}

export function googleConnectionSpec(app: GoogleOAuthApp): OAuthProviderSpec {
  return {
    provider: GOOGLE_PROVIDER,
    label: 'Google Calendar',
    async refresh(grant, connection) {
      // Google keeps the refresh token on refresh (no rotation): only the access token changes.
      return refreshGoogleToken(app, grant, accountsBaseOf(connection.accountsServer));
    },
    // invalid_grant: revoked, unused for six months, over the 100-token limit, or a Testing app's 7-day expiry.
    isDeadGrant: (error) => error.code === 'invalid_grant',
  };
}
