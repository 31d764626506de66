/**
 * The Microsoft identity platform (v2.0 endpoints) as the emulator plays it: instance discovery and OpenID
 * metadata (for MSAL), the authorize redirect, and the token endpoint for codes and refresh tokens. Tokens answer
 * with `client_info` and an (unsigned) ID token as MSAL expects; refresh tokens rotate on every use; dead grants
 * answer HTTP 400 `invalid_grant` with an AADSTS code.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TENANT_ID, USER_OID, type MicrosoftAccessToken, type MicrosoftState } from './state.js';

const CODE_TTL_MS = 10 * 60_000;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export function issueRefreshToken(state: MicrosoftState, scopes: string[]): string {
  const token = state.newToken('0.AX');
  state.refreshTokens.set(token, { token, scopes, createdAt: state.nowMs() });
  return token;
}

export function issueAccessToken(state: MicrosoftState, refreshToken: string | undefined, scopes: string[]): MicrosoftAccessToken {
  const record = { token: state.newToken('eyJ0eXAi.'), refreshToken, scopes, expiresAt: state.nowMs() + state.accessTokenTtlMs };
  state.accessTokens.set(record.token, record);
  return record;
}

export function revokeAll(state: MicrosoftState): void {
  state.refreshTokens.clear();
  state.accessTokens.clear();
}

export function authenticate(state: MicrosoftState, request: FastifyRequest): MicrosoftAccessToken | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(request.headers.authorization ?? ''));
  const token = match?.[1] ? state.accessTokens.get(match[1]) : undefined;
  return token && token.expiresAt > state.nowMs() ? token : undefined;
}

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function idToken(state: MicrosoftState): string {
  const now = Math.floor(state.nowMs() / 1000);
  return `${part({ typ: 'JWT', alg: 'none' })}.${part({
    aud: state.clientId,
    iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    name: 'Front Desk',
    oid: USER_OID,
    preferred_username: state.userEmail,
    sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
    tid: TENANT_ID,
    ver: '2.0',
  })}.`;
}

function aadError(status: number, error: string, aadsts: number, description: string) {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [aadsts],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

function redirectAllowed(state: MicrosoftState, uri: string): boolean {
  if (state.redirectUris) return state.redirectUris.includes(uri);
  try {
    return ['http:', 'https:'].includes(new URL(uri).protocol);
  } catch {
    return false;
  }
}

/** Scopes as granted: Graph's `https://graph.microsoft.com/` prefix dropped, OIDC scopes kept apart. */
function resourceScopes(scope: string | undefined): string[] {
  return (scope ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => name.replace(/^https:\/\/graph\.microsoft\.com\//i, ''))
    .filter((name) => !OIDC_SCOPES.has(name.toLowerCase()));
}

export function registerIdentityRoutes(app: FastifyInstance, state: MicrosoftState): void {
  app.get('/common/discovery/instance', async () => ({
    tenant_discovery_endpoint: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    'api-version': '1.1',
    metadata: [
      {
        preferred_network: 'login.microsoftonline.com',
        preferred_cache: 'login.windows.net',
        aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
      },
    ],
  }));

  app.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/openid-configuration', async (request) => {
    const tenant = request.params.tenant;
    const base = 'https://login.microsoftonline.com';
    return {
      token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
      issuer: `${base}/{tenantid}/v2.0`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    };
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    if (query.client_id !== state.clientId) {
      return reply
        .code(400)
        .type('text/html')
        .send(`<h1>AADSTS700016</h1><p>Application with identifier '${query.client_id ?? ''}' was not found.</p>`);
    }
    const redirectUri = query.redirect_uri ?? '';
    if (!redirectAllowed(state, redirectUri)) {
      return reply.code(400).type('text/html').send('<h1>AADSTS50011</h1><p>The redirect URI specified in the request does not match.</p>');
    }
    const target = new URL(redirectUri);
    if (query.state !== undefined) target.searchParams.set('state', query.state);
    if (state.denyNextAuthorization) {
      state.denyNextAuthorization = false;
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
      return reply.redirect(target.toString(), 302);
    }
    const code = state.newToken('0.AXcode');
    state.codes.set(code, { scopes: resourceScopes(query.scope), redirectUri, expiresAt: state.nowMs() + CODE_TTL_MS, used: false });
    target.searchParams.set('code', code);
    if (query.client_info === '1') target.searchParams.set('client_info', part({ uid: USER_OID, utid: TENANT_ID }));
    target.searchParams.set('session_state', randomUUID());
    return reply.redirect(target.toString(), 302);
  });

  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const grantType = body.grant_type ?? 'unknown';
    state.tokenRequests[grantType] = (state.tokenRequests[grantType] ?? 0) + 1;
    const fail = (error: { status: number; body: unknown }) => reply.code(error.status).send(error.body);
    if (body.client_id !== state.clientId || body.client_secret !== state.clientSecret) {
      return fail(aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.'));
    }
    const answer = (scopes: string[], refreshToken: string) => {
      const access = issueAccessToken(state, refreshToken, scopes);
      const ttl = Math.round(state.accessTokenTtlMs / 1000);
      return {
        token_type: 'Bearer',
        scope: scopes.map((name) => `https://graph.microsoft.com/${name}`).join(' '),
        expires_in: ttl,
        ext_expires_in: ttl,
        access_token: access.token,
        refresh_token: refreshToken,
        id_token: idToken(state),
        client_info: part({ uid: USER_OID, utid: TENANT_ID }),
      };
    };
    if (grantType === 'authorization_code') {
      const code = body.code ? state.codes.get(body.code) : undefined;
      if (!code || code.used || code.expiresAt <= state.nowMs())
        return fail(aadError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity.'));
      if (code.redirectUri !== body.redirect_uri)
        return fail(aadError(400, 'invalid_grant', 50011, 'The redirect URI specified in the request does not match the redirect URI used to get the code.'));
      code.used = true;
      return answer(code.scopes, issueRefreshToken(state, code.scopes));
    }
    if (grantType === 'refresh_token') {
      const old = body.refresh_token ? state.refreshTokens.get(body.refresh_token) : undefined;
      if (!old) return fail(aadError(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity.'));
      // A new refresh token on every use; the old one is not revoked.
      return answer(old.scopes, issueRefreshToken(state, old.scopes));
    }
    return fail(aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`));
  });
}
