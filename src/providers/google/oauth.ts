/**
 * Google's OAuth 2.0 web-server flow through google-auth-library's OAuth2Client: the consent URL, the code
 * exchange and the refresh. The library computes `expiry_date` from the machine's own clock, so the seconds left
 * are handed back instead and the caller dates them with its injected clock. The library is loaded by the first of
 * these calls, so a server whose offices use no Google calendar never loads it.
 */
import type { OAuth2Client } from 'google-auth-library';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';

export const GOOGLE_ACCOUNTS = 'https://oauth2.googleapis.com';

/**
 * Incremental authorisation: booking asks only for what it uses (per method, from the SDK's scope lists).
 * `calendar.events` covers events insert/patch/delete/list/get; `calendar.freebusy` covers freeBusy.query, which
 * `calendar.events` does not; `calendar.calendarlist.readonly` lists the calendars for the onboarding picker.
 * `include_granted_scopes=true` keeps scopes granted earlier on the same grant, so a later feature can ask for
 * its own scope alone. All three are "sensitive" scopes: the consent screen needs Google's verification.
 */
export const GOOGLE_CALENDAR_SCOPES = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.calendarlist.readonly',
  'https://www.googleapis.com/auth/calendar.freebusy',
] as const;

export interface GoogleOAuthApp {
  clientId: string;
  clientSecret: string;
}

/** google-auth-library's OAuth2Client class, loaded on first use (calendar.ts shares it). */
export const loadOAuth2Client = lazy(() => import('google-auth-library').then(({ OAuth2Client }) => OAuth2Client));

/** Where the OAuth endpoints live: Google, or the sandbox emulator's base URL. */
export async function googleOAuthClient(app: GoogleOAuthApp, options: { redirectUri?: string; accountsBase?: string } = {}): Promise<OAuth2Client> {
  const base = options.accountsBase;
  const OAuth2Client = await loadOAuth2Client();
  return new OAuth2Client({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: options.redirectUri,
    ...(base
      ? {
          endpoints: {
            oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`,
            oauth2TokenUrl: `${base}/token`,
            oauth2RevokeUrl: `${base}/revoke`,
          },
        }
      : {}),
  });
}

export async function googleAuthorizeUrl(
  app: GoogleOAuthApp,
  input: { redirectUri: string; state: string; accountsBase?: string; loginHint?: string },
): Promise<string> {
  const client = await googleOAuthClient(app, { redirectUri: input.redirectUri, accountsBase: input.accountsBase });
  return client.generateAuthUrl({
    access_type: 'offline',
    // Google hands out a refresh token only on the first consent unless consent is asked again.
    prompt: 'consent',
    include_granted_scopes: true,
    scope: [...GOOGLE_CALENDAR_SCOPES],
    state: input.state,
    ...(input.loginHint ? { login_hint: input.loginHint } : {}),
  });
}

export interface GoogleTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresInSeconds: number;
  /** What the user actually granted (granular consent may untick scopes). */
  scope: string | undefined;
  idToken: string | undefined;
}

function secondsLeft(expiryDate: number | null | undefined): number {
  // google-auth-library turned `expires_in` into an absolute time on the machine clock; undo that.
  return expiryDate ? Math.max(0, Math.round((expiryDate - Date.now()) / 1000)) : 3599;
}

export async function exchangeGoogleCode(app: GoogleOAuthApp, input: { code: string; redirectUri: string; accountsBase?: string }): Promise<GoogleTokens> {
  const client = await googleOAuthClient(app, { redirectUri: input.redirectUri, accountsBase: input.accountsBase });
  try {
    const { tokens } = await client.getToken({ code: input.code, redirect_uri: input.redirectUri });
    if (!tokens.access_token) throw new Error('no access_token in the answer');
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? undefined,
      expiresInSeconds: secondsLeft(tokens.expiry_date),
      scope: tokens.scope ?? undefined,
      idToken: tokens.id_token ?? undefined,
    };
  } catch (error) {
    throw googleTokenError(error, 'exchange the authorization code');
  }
}

export async function refreshGoogleToken(
  app: GoogleOAuthApp,
  refreshToken: string,
  accountsBase?: string,
): Promise<{ accessToken: string; expiresInSeconds: number }> {
  const client = await googleOAuthClient(app, { accountsBase });
  client.setCredentials({ refresh_token: refreshToken });
  try {
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('no access_token in the answer');
    return { accessToken: token, expiresInSeconds: secondsLeft(client.credentials.expiry_date) };
  } catch (error) {
    throw googleTokenError(error, 'refresh the access token');
  }
}

/** The e-mail of the connected Google account, from the ID token's claims (no signature check needed: it came
 * straight from the token endpoint over TLS). */
export function emailInIdToken(idToken: string | undefined): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { email?: unknown };
    return typeof claims.email === 'string' ? claims.email : undefined;
  } catch {
    return undefined;
  }
}

/** Token-endpoint failures: `invalid_grant` (revoked, expired, re-used code) is permanent; 5xx and no answer are not. */
export function googleTokenError(error: unknown, what: string): VendorError {
  if (error instanceof VendorError) return error;
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  const data = (response?.data ?? {}) as { error?: unknown; error_description?: unknown };
  const status = response?.status;
  const code = typeof data.error === 'string' ? data.error : status ? `HTTP_${status}` : 'network_error';
  const description = typeof data.error_description === 'string' ? `: ${data.error_description}` : '';
  return new VendorError({
    vendor: 'google-oauth',
    code,
    message: `Google could not ${what} (${code}${description}).`,
    retryable: status === undefined || status === 429 || status >= 500,
    status,
    response: data,
    cause: error,
  });
}
