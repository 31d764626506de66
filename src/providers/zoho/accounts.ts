/**
 * Zoho Accounts (OAuth 2.0) for every data center: authorize URL, code exchange, refresh, revoke, user info.
 * Zoho answers token errors with HTTP 200 and an `error` field, so the body decides, never the status alone.
 */
import { VendorError } from '../../core/errors.js';

export const ZOHO_DATA_CENTER_CODES = ['us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'cn'] as const;
export type ZohoDataCenter = (typeof ZOHO_DATA_CENTER_CODES)[number];

interface DataCenterDomains {
  accounts: string;
  api: string;
  calendar: string;
}

export const ZOHO_DATA_CENTERS: Record<ZohoDataCenter, DataCenterDomains> = {
  us: { accounts: 'https://accounts.zoho.com', api: 'https://www.zohoapis.com', calendar: 'https://calendar.zoho.com' },
  eu: { accounts: 'https://accounts.zoho.eu', api: 'https://www.zohoapis.eu', calendar: 'https://calendar.zoho.eu' },
  in: { accounts: 'https://accounts.zoho.in', api: 'https://www.zohoapis.in', calendar: 'https://calendar.zoho.in' },
  au: {
    accounts: 'https://accounts.zoho.com.au',
    api: 'https://www.zohoapis.com.au',
    calendar: 'https://calendar.zoho.com.au',
  },
  jp: { accounts: 'https://accounts.zoho.jp', api: 'https://www.zohoapis.jp', calendar: 'https://calendar.zoho.jp' },
  ca: { accounts: 'https://accounts.zohocloud.ca', api: 'https://www.zohoapis.ca', calendar: 'https://calendar.zohocloud.ca' },
  sa: { accounts: 'https://accounts.zoho.sa', api: 'https://www.zohoapis.sa', calendar: 'https://calendar.zoho.sa' },
  cn: {
    accounts: 'https://accounts.zoho.com.cn',
    api: 'https://www.zohoapis.com.cn',
    calendar: 'https://calendar.zoho.com.cn',
  },
};

export const ZOHO_SCOPES = [
  'ZohoCalendar.calendar.ALL',
  'ZohoCalendar.event.ALL',
  'ZohoCalendar.freebusy.READ',
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.READ',
  'AaaServer.profile.READ',
];

export function isDataCenter(value: string): value is ZohoDataCenter {
  return (ZOHO_DATA_CENTER_CODES as readonly string[]).includes(value);
}

/** The data center whose accounts server is `url` (undefined for a sandbox or unknown host). */
export function dataCenterOfAccountsServer(url: string): ZohoDataCenter | undefined {
  const origin = safeOrigin(url);
  return ZOHO_DATA_CENTER_CODES.find((dc) => ZOHO_DATA_CENTERS[dc].accounts === origin);
}

/**
 * Where Calendar v1 lives for a connection. Real Zoho: the calendar domain of the data center the token's
 * `api_domain` belongs to. Anything else (the sandbox) serves Calendar at its `api_domain`.
 */
export function calendarBaseUrl(apiDomain: string): string {
  const origin = safeOrigin(apiDomain);
  const dc = ZOHO_DATA_CENTER_CODES.find((code) => ZOHO_DATA_CENTERS[code].api === origin);
  return `${dc ? ZOHO_DATA_CENTERS[dc].calendar : (origin ?? apiDomain.replace(/\/+$/, ''))}/api/v1`;
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export interface ZohoOAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUri?: string;
}

export interface TokenAnswer {
  accessToken: string;
  refreshToken?: string;
  apiDomain: string;
  expiresInSeconds: number;
}

export interface AccountsRequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Token-endpoint error codes that mean the grant itself is dead: retrying cannot help, a person must reconnect. */
const DEAD_GRANT_ERRORS = new Set(['invalid_code', 'invalid_grant', 'invalid_client', 'invalid_client_secret']);

export function authorizeUrl(accountsServer: string, app: ZohoOAuthApp, options: { state: string; scopes?: string[] }): string {
  const url = new URL('/oauth/v2/auth', accountsServer);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', app.clientId);
  url.searchParams.set('scope', (options.scopes ?? ZOHO_SCOPES).join(','));
  if (app.redirectUri) url.searchParams.set('redirect_uri', app.redirectUri);
  // offline + consent: the only combination that reliably hands out a refresh token.
  url.searchParams.set('access_type', 'offline');
  url.searchParams.set('prompt', 'consent');
  url.searchParams.set('state', options.state);
  return url.toString();
}

export async function exchangeCode(accountsServer: string, app: ZohoOAuthApp, code: string, options: AccountsRequestOptions = {}): Promise<TokenAnswer> {
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    code,
  };
  if (app.redirectUri) params.redirect_uri = app.redirectUri;
  return tokenRequest(accountsServer, params, options);
}

export async function refreshAccessToken(
  accountsServer: string,
  app: ZohoOAuthApp,
  refreshToken: string,
  options: AccountsRequestOptions = {},
): Promise<TokenAnswer> {
  return tokenRequest(
    accountsServer,
    { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: refreshToken },
    options,
  );
}

export async function revokeToken(accountsServer: string, token: string, options: AccountsRequestOptions = {}): Promise<void> {
  const url = new URL('/oauth/v2/token/revoke', accountsServer);
  url.searchParams.set('token', token);
  const response = await send(url.toString(), { method: 'POST' }, options);
  if (!response.ok) throw accountsError(response.status, await readJson(response));
}

export interface ZohoUserInfo {
  email: string;
  displayName?: string;
}

export async function fetchUserInfo(accountsServer: string, accessToken: string, options: AccountsRequestOptions = {}): Promise<ZohoUserInfo> {
  const response = await send(
    new URL('/oauth/user/info', accountsServer).toString(),
    { method: 'GET', headers: { authorization: `Zoho-oauthtoken ${accessToken}` } },
    options,
  );
  const body = await readJson(response);
  if (!response.ok || typeof body?.Email !== 'string') throw accountsError(response.status, body);
  return { email: body.Email, displayName: typeof body.Display_Name === 'string' ? body.Display_Name : undefined };
}

async function tokenRequest(accountsServer: string, params: Record<string, string>, options: AccountsRequestOptions): Promise<TokenAnswer> {
  const response = await send(
    new URL('/oauth/v2/token', accountsServer).toString(),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    },
    options,
  );
  const body = await readJson(response);
  if (!response.ok || !body || typeof body.error === 'string' || typeof body.access_token !== 'string') {
    throw accountsError(response.status, body);
  }
  const expires = Number(body.expires_in ?? body.expires_in_sec ?? 3600);
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    apiDomain: typeof body.api_domain === 'string' ? body.api_domain : ZOHO_DATA_CENTERS.us.api,
    // Older servers sent milliseconds in `expires_in`; anything over a day is read as milliseconds.
    expiresInSeconds: Number.isFinite(expires) && expires > 0 ? (expires > 86_400 ? expires / 1000 : expires) : 3600,
  };
}

function isThrottle(status: number, body: Record<string, unknown> | undefined): boolean {
  const description = typeof body?.error_description === 'string' ? body.error_description : '';
  return status === 429 || /too many requests/i.test(description) || body?.error === 'Access Denied';
}

export function accountsError(status: number, body: Record<string, unknown> | undefined): VendorError {
  if (isThrottle(status, body)) {
    return new VendorError({
      vendor: 'zoho-accounts',
      code: 'throttled',
      message: 'Zoho Accounts is throttling token requests (too many refreshes); try again in a few minutes.',
      retryable: true,
      status,
    });
  }
  const code = typeof body?.error === 'string' ? body.error : status >= 500 ? 'server_error' : 'unexpected_answer';
  const dead = DEAD_GRANT_ERRORS.has(code);
  return new VendorError({
    vendor: 'zoho-accounts',
    code,
    message: dead ? `Zoho Accounts refused the grant (${code}): the connection must be made again.` : `Zoho Accounts answered ${status} (${code}).`,
    retryable: !dead && (status >= 500 || code === 'server_error'),
    status,
  });
}

async function send(url: string, init: RequestInit, options: AccountsRequestOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await (options.fetch ?? fetch)(url, { ...init, signal });
  } catch (error) {
    const timedOut = timeout.aborted;
    throw new VendorError({
      vendor: 'zoho-accounts',
      code: timedOut ? 'timeout' : options.signal?.aborted ? 'aborted' : 'network_error',
      message: timedOut ? 'Zoho Accounts did not answer in time.' : `Could not reach Zoho Accounts: ${(error as Error).message}`,
      retryable: true,
      cause: error,
    });
  }
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
