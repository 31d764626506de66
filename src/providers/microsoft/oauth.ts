/**
 * Microsoft identity platform through MSAL Node's ConfidentialClientApplication: the consent URL, the code
 * exchange and the refresh. MSAL never hands out the refresh token; it lives in MSAL's token cache, so the grant we
 * seal in `oauth_connections` is that cache, serialised (one cache per connection). The authority must be https
 * (MSAL refuses others), so the emulator is reached through `system.networkClient`, which sends MSAL's requests for
 * login.microsoftonline.com to the emulator's base URL instead. MSAL is loaded by the first of these calls, so a
 * server whose offices use no Microsoft 365 calendar never loads it.
 */
import type { AuthenticationResult, ConfidentialClientApplication, INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';

/** The loaded MSAL, once a call has asked for it: microsoftTokenError reads its error class from here. */
export const loadMsal = lazy(() => import('@azure/msal-node'));

export const MICROSOFT_LOGIN = 'https://login.microsoftonline.com';
/** Delegated scopes: events read/write (incl. getSchedule and calendars) and the profile for the mailbox address. */
export const MICROSOFT_CALENDAR_SCOPES = ['Calendars.ReadWrite', 'User.Read'];

export interface MicrosoftOAuthApp {
  clientId: string;
  clientSecret: string;
  /** `common` (work/school and personal), `organizations`, `consumers` or a tenant id. */
  tenant: string;
}

/** Sends MSAL's requests for login.microsoftonline.com to `base` (the emulator); everything else as is. */
export function redirectingNetworkClient(base: string): INetworkModule {
  const rewrite = (url: string) => (url.startsWith(MICROSOFT_LOGIN) ? `${base}${url.slice(MICROSOFT_LOGIN.length)}` : url);
  const send = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    const response = await fetch(rewrite(url), {
      method,
      headers: options?.headers,
      body: method === 'POST' ? options?.body : undefined,
      signal: AbortSignal.timeout(timeout ?? 10_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 200) };
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { headers, body: body as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** A fresh MSAL application holding one connection's cache (`cache`, when given). */
export async function msalApplication(app: MicrosoftOAuthApp, options: { loginBase?: string; cache?: string } = {}): Promise<ConfidentialClientApplication> {
  const { ConfidentialClientApplication } = await loadMsal();
  const cca = new ConfidentialClientApplication({
    auth: { clientId: app.clientId, clientSecret: app.clientSecret, authority: `${MICROSOFT_LOGIN}/${app.tenant}` },
    ...(options.loginBase ? { system: { networkClient: redirectingNetworkClient(options.loginBase) } } : {}),
  });
  if (options.cache) cca.getTokenCache().deserialize(options.cache);
  return cca;
}

export async function microsoftAuthorizeUrl(
  app: MicrosoftOAuthApp,
  input: { redirectUri: string; state: string; loginBase?: string; loginHint?: string },
): Promise<string> {
  const cca = await msalApplication(app, { loginBase: input.loginBase });
  const url = await cca.getAuthCodeUrl({
    scopes: MICROSOFT_CALENDAR_SCOPES,
    redirectUri: input.redirectUri,
    state: input.state,
    prompt: 'select_account',
    ...(input.loginHint ? { loginHint: input.loginHint } : {}),
  });
  // The browser goes to the emulator too when there is one.
  return input.loginBase && url.startsWith(MICROSOFT_LOGIN) ? `${input.loginBase}${url.slice(MICROSOFT_LOGIN.length)}` : url;
}

export interface MicrosoftGrant {
  accessToken: string;
  expiresInSeconds: number;
  /** The serialised MSAL token cache (holds the refresh token): seal it. */
  cache: string;
  username: string | undefined;
  homeAccountId: string | undefined;
  tenantId: string | undefined;
  scopes: string[];
}

function grantOf(cca: ConfidentialClientApplication, result: AuthenticationResult): MicrosoftGrant {
  return {
    accessToken: result.accessToken,
    // MSAL dates expiry on the machine clock; hand back the seconds left so the caller dates them with its clock.
    expiresInSeconds: result.expiresOn ? Math.max(0, Math.round((result.expiresOn.getTime() - Date.now()) / 1000)) : 3599,
    cache: cca.getTokenCache().serialize(),
    username: result.account?.username || undefined,
    homeAccountId: result.account?.homeAccountId,
    tenantId: result.account?.tenantId || result.tenantId || undefined,
    scopes: result.scopes,
  };
}

export async function exchangeMicrosoftCode(app: MicrosoftOAuthApp, input: { code: string; redirectUri: string; loginBase?: string }): Promise<MicrosoftGrant> {
  const cca = await msalApplication(app, { loginBase: input.loginBase });
  try {
    const result = await cca.acquireTokenByCode({ code: input.code, redirectUri: input.redirectUri, scopes: MICROSOFT_CALENDAR_SCOPES });
    return grantOf(cca, result);
  } catch (error) {
    throw microsoftTokenError(error, 'exchange the authorization code');
  }
}

/** A new access token from the cached refresh token (MSAL stores the rotated refresh token in the cache it returns). */
export async function refreshMicrosoftToken(app: MicrosoftOAuthApp, cache: string, loginBase?: string): Promise<MicrosoftGrant> {
  const cca = await msalApplication(app, { loginBase, cache });
  const [account] = await cca.getTokenCache().getAllAccounts();
  if (!account) {
    throw new VendorError({
      vendor: 'microsoft-identity',
      code: 'invalid_grant',
      message: 'The stored Microsoft token cache holds no account.',
      retryable: false,
    });
  }
  try {
    const result = await cca.acquireTokenSilent({ account, scopes: MICROSOFT_CALENDAR_SCOPES, forceRefresh: true });
    if (!result) throw new Error('MSAL returned no token');
    return grantOf(cca, result);
  } catch (error) {
    throw microsoftTokenError(error, 'refresh the access token');
  }
}

/**
 * MSAL's failures: InteractionRequiredAuthError (expired/revoked refresh token, consent or MFA needed) and a server
 * `invalid_grant` mean "reconnect"; network trouble and 5xx may pass.
 */
export function microsoftTokenError(error: unknown, what: string): VendorError {
  if (error instanceof VendorError) return error;
  const details = error as { errorCode?: string; errorMessage?: string; subError?: string; status?: number; message?: string };
  // An MSAL error exists only once MSAL has loaded; before that, nothing is one of its classes.
  const msal = loadMsal.value;
  const interaction = msal !== undefined && error instanceof msal.InteractionRequiredAuthError;
  const code = interaction || details.errorCode === 'invalid_grant' ? 'invalid_grant' : (details.errorCode ?? 'unexpected');
  return new VendorError({
    vendor: 'microsoft-identity',
    code,
    message: `Microsoft could not ${what} (${code}${details.errorMessage ? `: ${details.errorMessage.split('\n')[0]}` : ''}).`,
    // Anything but a dead grant or a misconfigured app may pass (network trouble, 5xx, throttling).
    retryable: !['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_request'].includes(code),
    status: details.status,
    cause: error,
  });
}
