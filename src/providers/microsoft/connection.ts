/**
 * The Microsoft side of an office's OAuth connection: the sealed grant is MSAL's serialised token cache, and a
 * refresh hands back the cache MSAL rewrote (Microsoft replaces the refresh token on every use).
 */
import type { OAuthProviderSpec } from '../../oauth/connections.js';
import { MICROSOFT_LOGIN, refreshMicrosoftToken, type MicrosoftOAuthApp } from './oauth.js';

export const MICROSOFT_PROVIDER = 'microsoft';

/** The identity base to use: undefined for Microsoft itself, else the emulator. */
export function loginBaseOf(accountsServer: string): string | undefined {
  return accountsServer === MICROSOFT_LOGIN ? undefined : accountsServer;
}

export function microsoftConnectionSpec(app: Omit<MicrosoftOAuthApp, 'tenant'> & { tenant?: string }): OAuthProviderSpec {
  return {
    provider: MICROSOFT_PROVIDER,
    label: 'Microsoft 365',
    async refresh(grant, connection) {
      const answer = await refreshMicrosoftToken({ ...app, tenant: connection.realm || app.tenant || 'common' }, grant, loginBaseOf(connection.accountsServer));
      return { accessToken: answer.accessToken, expiresInSeconds: answer.expiresInSeconds, grant: answer.cache };
    },
    // MSAL's InteractionRequiredAuthError / invalid_grant: expired or revoked refresh token, consent or MFA needed.
    isDeadGrant: (error) => error.code === 'invalid_grant',
  };
}
