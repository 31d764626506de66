/**
 * Google's OAuth 2.0 endpoints as the emulator plays them: the consent redirect (`/o/oauth2/v2/auth`), the token
 * endpoint (code exchange and refresh, HTTP 400 `invalid_grant` for anything dead), revoke, and bearer checks for
 * the Calendar routes. A refresh token comes only with `access_type=offline`, and again for a returning user only
 * with `prompt=consent`, as at Google.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TESTING_REFRESH_TTL_MS, type GoogleAccessToken, type GoogleState } from './state.js';

const CODE_TTL_MS = 10 * 60_000;

export function issueRefreshToken(state: GoogleState, scopes: string[]): string {
  const token = state.newToken('1//');
  state.refreshTokens.set(token, { token, scopes, createdAt: state.nowMs() });
  return token;
}

export function issueAccessToken(state: GoogleState, refreshToken: string | undefined, scopes: string[]): GoogleAccessToken {
  const record = { token: state.newToken('ya29.'), refreshToken, scopes, expiresAt: state.nowMs() + state.accessTokenTtlMs };
  state.accessTokens.set(record.token, record);
  return record;
}

export function revokeRefreshToken(state: GoogleState, token: string): void {
  state.refreshTokens.delete(token);
  for (const access of [...state.accessTokens.values()]) if (access.refreshToken === token) state.accessTokens.delete(access.token);
}

/** A JWT-shaped ID token (unsigned: `alg: none`); only its claims are read by clients. */
function idToken(state: GoogleState): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(state.nowMs() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'https://accounts.google.com', aud: state.clientId, sub: '1000000001', email: state.userEmail, email_verified: true, iat: now, exp: now + 3600 })}.`;
}

function redirectAllowed(state: GoogleState, uri: string): boolean {
  if (state.redirectUris) return state.redirectUris.includes(uri);
  try {
    return ['http:', 'https:'].includes(new URL(uri).protocol);
  } catch {
    return false;
  }
}

function refreshTokenAlive(state: GoogleState, token: string): boolean {
  const record = state.refreshTokens.get(token);
  if (!record) return false;
  if (state.testingApp && state.nowMs() - record.createdAt >= TESTING_REFRESH_TTL_MS) {
    revokeRefreshToken(state, token);
    return false;
  }
  return true;
}

export type BearerCheck = { ok: true; token: GoogleAccessToken } | { ok: false };

export function authenticate(state: GoogleState, request: FastifyRequest): BearerCheck {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(request.headers.authorization ?? ''));
  const token = match?.[1] ? state.accessTokens.get(match[1]) : undefined;
  if (!token || token.expiresAt <= state.nowMs()) return { ok: false };
  if (token.refreshToken !== undefined && !state.refreshTokens.has(token.refreshToken)) return { ok: false };
  return { ok: true, token };
}

function clientCredentials(request: FastifyRequest, body: Record<string, string>): { id?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { id, secret };
  }
  return { id: body.client_id, secret: body.client_secret };
}

export function registerAccountsRoutes(app: FastifyInstance, state: GoogleState): void {
  app.get('/o/oauth2/v2/auth', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    if (query.client_id !== state.clientId)
      return reply.code(401).type('text/html').send('<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>');
    const redirectUri = query.redirect_uri ?? '';
    if (!redirectAllowed(state, redirectUri)) return reply.code(400).type('text/html').send('<h1>Error 400: redirect_uri_mismatch</h1>');
    const target = new URL(redirectUri);
    if (query.state !== undefined) target.searchParams.set('state', query.state);
    const scopes = (query.scope ?? '').split(/\s+/).filter(Boolean);
    if (query.response_type !== 'code' || scopes.length === 0) {
      target.searchParams.set('error', 'invalid_request');
      return reply.redirect(target.toString(), 302);
    }
    if (state.denyNextAuthorization) {
      state.denyNextAuthorization = false;
      target.searchParams.set('error', 'access_denied');
      return reply.redirect(target.toString(), 302);
    }
    const offline = query.access_type === 'offline';
    const forced = (query.prompt ?? '').split(/\s+/).includes('consent');
    const grantsRefreshToken = offline && (forced || !state.consented.has(state.clientId));
    state.consented.add(state.clientId);
    const code = state.newToken('4/');
    state.codes.set(code, { scopes, redirectUri, grantsRefreshToken, expiresAt: state.nowMs() + CODE_TTL_MS, used: false });
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scopes.join(' '));
    return reply.redirect(target.toString(), 302);
  });

  app.post('/token', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const grantType = body.grant_type ?? 'unknown';
    state.tokenRequests[grantType] = (state.tokenRequests[grantType] ?? 0) + 1;
    const fail = (status: number, error: string, description: string) => reply.code(status).send({ error, error_description: description });
    const credentials = clientCredentials(request, body);
    if (credentials.id !== state.clientId || credentials.secret !== state.clientSecret) return fail(401, 'invalid_client', 'Unauthorized');

    if (grantType === 'authorization_code') {
      const grant = body.code ? state.codes.get(body.code) : undefined;
      if (!grant || grant.used || grant.expiresAt <= state.nowMs()) return fail(400, 'invalid_grant', 'Malformed auth code.');
      if (grant.redirectUri !== body.redirect_uri) return fail(400, 'redirect_uri_mismatch', 'Bad Request');
      grant.used = true;
      const refreshToken = grant.grantsRefreshToken ? issueRefreshToken(state, grant.scopes) : undefined;
      const access = issueAccessToken(state, refreshToken, grant.scopes);
      return {
        access_token: access.token,
        expires_in: Math.round(state.accessTokenTtlMs / 1000),
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
        id_token: idToken(state),
      };
    }
    if (grantType === 'refresh_token') {
      const token = body.refresh_token ?? '';
      if (!refreshTokenAlive(state, token)) return fail(400, 'invalid_grant', 'Token has been expired or revoked.');
      const record = state.refreshTokens.get(token)!;
      const access = issueAccessToken(state, token, record.scopes);
      return { access_token: access.token, expires_in: Math.round(state.accessTokenTtlMs / 1000), scope: record.scopes.join(' '), token_type: 'Bearer' };
    }
    return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  });

  app.post('/revoke', async (request, reply) => {
    const token = String((request.query as Record<string, unknown>).token ?? (request.body as Record<string, unknown> | undefined)?.token ?? '');
    const access = state.accessTokens.get(token);
    // Revoking an access token revokes the refresh token it came from as well.
    const refresh = state.refreshTokens.has(token) ? token : access?.refreshToken;
    if (!refresh && !access) return reply.code(400).send({ error: 'invalid_token', error_description: 'Token expired or revoked' });
    if (refresh) revokeRefreshToken(state, refresh);
    if (access) state.accessTokens.delete(access.token);
    return {};
  });
}
