/**
 * Zoho Accounts (OAuth 2.0) as the emulator plays it: consent redirect, code exchange, refresh, revoke and
 * user info, with Zoho's limits (refresh throttle, 15 access tokens per refresh token, 20 refresh tokens per
 * client) and its habit of answering token errors with HTTP 200 and an `error` field.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessTokenRecord, RefreshTokenRecord, ZohoState } from './state.js';

export const ALL_SCOPES = ['ZohoCalendar.calendar.ALL', 'ZohoCalendar.event.ALL', 'ZohoCalendar.freebusy.READ', 'ZohoCRM.modules.ALL', 'ZohoCRM.settings.READ'];

export const THROTTLED_BODY = {
  error_description: 'You have made too many requests continuously. Please try again after some time.',
  error: 'Access Denied',
  status: 'failure',
} as const;

export type Authentication = { ok: true; token: AccessTokenRecord } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

export function parseScopes(scope: unknown): string[] {
  if (typeof scope !== 'string') return [];
  return scope
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Reads `Authorization: Zoho-oauthtoken …` (or `Bearer …`, which Zoho also accepts) and checks it by the clock. */
export function authenticate(state: ZohoState, request: FastifyRequest): Authentication {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return { ok: false, reason: 'missing' };
  const match = /^(zoho-oauthtoken|bearer)\s+(\S+)\s*$/i.exec(header);
  if (!match?.[2]) return { ok: false, reason: 'missing' };
  const token = state.accessTokens.get(match[2]);
  if (!token) return { ok: false, reason: 'invalid' };
  if (token.expiresAt <= state.nowMs()) return { ok: false, reason: 'expired' };
  return { ok: true, token };
}

/** Whether the token's scopes reach a service. Deliberately coarse: any scope of the service's family counts. */
export function hasScope(token: AccessTokenRecord, service: 'crm' | 'calendar'): boolean {
  const prefix = service === 'crm' ? 'zohocrm.modules.' : 'zohocalendar.';
  return token.scopes.some((scope) => scope.toLowerCase().startsWith(prefix));
}

export function issueRefreshToken(state: ZohoState, scopes: string[] = ALL_SCOPES): RefreshTokenRecord {
  const record: RefreshTokenRecord = { token: state.newToken(), scopes, createdAt: state.nowMs(), refreshes: [] };
  state.refreshTokens.set(record.token, record);
  // Zoho keeps at most 20 refresh tokens per user and client; a new one silently deletes the oldest.
  while (state.refreshTokens.size > state.limits.refreshTokensPerClient) {
    const oldest = state.refreshTokens.keys().next().value;
    if (oldest === undefined) break;
    revokeRefreshToken(state, oldest);
  }
  return record;
}

export function issueAccessToken(state: ZohoState, refreshToken: string | undefined, scopes: string[]): AccessTokenRecord {
  const now = state.nowMs();
  const record: AccessTokenRecord = {
    token: state.newToken(),
    refreshToken,
    scopes,
    issuedAt: now,
    expiresAt: now + state.accessTokenTtlMs,
  };
  state.accessTokens.set(record.token, record);
  if (refreshToken !== undefined) {
    const live = [...state.accessTokens.values()]
      .filter((token) => token.refreshToken === refreshToken && token.expiresAt > now)
      .sort((a, b) => a.issuedAt - b.issuedAt);
    for (const token of live.slice(0, Math.max(0, live.length - state.limits.accessTokensPerRefreshToken))) {
      state.accessTokens.delete(token.token);
    }
  }
  return record;
}

export function revokeRefreshToken(state: ZohoState, refreshToken: string): boolean {
  const existed = state.refreshTokens.delete(refreshToken);
  for (const token of [...state.accessTokens.values()]) {
    if (token.refreshToken === refreshToken) state.accessTokens.delete(token.token);
  }
  return existed;
}

/** A code as the Self Client console makes it: no redirect URI, valid 10 minutes, grants a refresh token. */
export function issueSelfClientCode(state: ZohoState, scopes: string[] = ALL_SCOPES): string {
  const code = state.newToken();
  state.codes.set(code, {
    code,
    scopes,
    redirectUri: undefined,
    grantsRefreshToken: true,
    expiresAt: state.nowMs() + state.limits.selfClientCodeTtlMs,
    used: false,
  });
  return code;
}

function redirectAllowed(state: ZohoState, redirectUri: string): boolean {
  if (state.redirectUris) return state.redirectUris.includes(redirectUri);
  try {
    const url = new URL(redirectUri);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Zoho accepts token parameters in the query string or a form body; merge both. */
function tokenParams(request: FastifyRequest): Record<string, unknown> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  let body: Record<string, unknown> = {};
  if (typeof request.body === 'string') body = Object.fromEntries(new URLSearchParams(request.body));
  else if (request.body && typeof request.body === 'object') body = request.body as Record<string, unknown>;
  return { ...query, ...body };
}

export function registerAccountsRoutes(app: FastifyInstance, state: ZohoState): void {
  app.get('/oauth/v2/auth', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const clientId = stringParam(query, 'client_id');
    const redirectUri = stringParam(query, 'redirect_uri');
    const stateParam = stringParam(query, 'state');
    // Zoho shows an error page (no redirect) when the client or the redirect URI cannot be trusted.
    if (clientId !== state.clientId) return reply.code(400).send({ error: 'invalid_client' });
    if (!redirectUri || !redirectAllowed(state, redirectUri)) {
      return reply.code(400).send({ error: 'invalid_redirect_uri' });
    }
    const target = new URL(redirectUri);
    const answer = (params: Record<string, string>) => {
      if (stateParam !== undefined) target.searchParams.set('state', stateParam);
      for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
      return reply.redirect(target.toString(), 302);
    };
    if (stringParam(query, 'response_type') !== 'code') return answer({ error: 'unsupported_response_type' });
    const scopes = parseScopes(query.scope);
    if (scopes.length === 0) return answer({ error: 'invalid_scope' });
    if (state.denyNextAuthorization) {
      state.denyNextAuthorization = false;
      return answer({ error: 'access_denied' });
    }
    // Without prompt=consent Zoho only hands out a refresh token on the user's first consent.
    const offline = stringParam(query, 'access_type') === 'offline';
    const forcedConsent = stringParam(query, 'prompt') === 'consent';
    const code = state.newToken();
    state.codes.set(code, {
      code,
      scopes,
      redirectUri,
      grantsRefreshToken: offline && (forcedConsent || state.refreshTokens.size === 0),
      expiresAt: state.nowMs() + state.limits.authorizationCodeTtlMs,
      used: false,
    });
    return answer({ code, location: state.location, 'accounts-server': state.baseUrl });
  });

  app.post('/oauth/v2/token', async (request, reply) => {
    const params = tokenParams(request);
    const grantType = stringParam(params, 'grant_type') ?? 'missing';
    state.tokenRequests[grantType] = (state.tokenRequests[grantType] ?? 0) + 1;
    // Zoho answers token errors with HTTP 200 and an `error` field; only the throttle uses a 4xx.
    if (stringParam(params, 'client_id') !== state.clientId) return { error: 'invalid_client' };
    if (stringParam(params, 'client_secret') !== state.clientSecret) return { error: 'invalid_client_secret' };
    const tokenAnswer = (access: AccessTokenRecord, refreshToken?: string) => ({
      access_token: access.token,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      api_domain: state.baseUrl,
      token_type: 'Bearer',
      expires_in: Math.round(state.accessTokenTtlMs / 1000),
    });

    if (grantType === 'authorization_code') {
      const code = state.codes.get(stringParam(params, 'code') ?? '');
      if (!code || code.used || code.expiresAt <= state.nowMs()) return { error: 'invalid_code' };
      if (code.redirectUri !== undefined && stringParam(params, 'redirect_uri') !== code.redirectUri) {
        return { error: 'invalid_redirect_uri' };
      }
      code.used = true;
      const refresh = code.grantsRefreshToken ? issueRefreshToken(state, code.scopes) : undefined;
      const access = issueAccessToken(state, refresh?.token, code.scopes);
      return tokenAnswer(access, refresh?.token);
    }

    if (grantType === 'refresh_token') {
      const refresh = state.refreshTokens.get(stringParam(params, 'refresh_token') ?? '');
      if (!refresh) return { error: 'invalid_code' };
      const now = state.nowMs();
      refresh.refreshes = refresh.refreshes.filter((at) => at > now - state.limits.refreshWindowMs);
      if (refresh.refreshes.length >= state.limits.refreshesPerWindow) {
        return reply.code(400).send(THROTTLED_BODY);
      }
      refresh.refreshes.push(now);
      return tokenAnswer(issueAccessToken(state, refresh.token, refresh.scopes));
    }

    return { error: 'unsupported_grant_type' };
  });

  app.post('/oauth/v2/token/revoke', async (request) => {
    const token = stringParam(tokenParams(request), 'token');
    if (token !== undefined && !revokeRefreshToken(state, token)) state.accessTokens.delete(token);
    // Revoking twice (or an unknown token) is answered the same, so a retried revoke is harmless.
    return { status: 'success' };
  });

  app.get('/oauth/user/info', async (request, reply) => {
    const auth = authenticate(state, request);
    if (!auth.ok) return reply.code(401).send({ error: 'invalid_oauthtoken' });
    return {
      Email: state.user.email,
      First_Name: state.user.firstName,
      Last_Name: state.user.lastName,
      ZUID: state.user.zuid,
      Display_Name: state.user.displayName,
    };
  });
}
