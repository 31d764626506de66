import { describe, expect, it } from 'vitest';
import { THROTTLED_BODY } from '../../../src/sandbox/zoho/index.js';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, aZohoEmulator, api, call, postForm } from './support.js';

type Zoho = Awaited<ReturnType<typeof aZohoEmulator>>['zoho'];

function authorizeUrl(zoho: Zoho, overrides: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    scope: 'ZohoCalendar.calendar.ALL,ZohoCalendar.event.ALL,ZohoCRM.modules.ALL',
    redirect_uri: REDIRECT_URI,
    access_type: 'offline',
    prompt: 'consent',
    state: 'csrf-123',
    ...overrides,
  });
  return `${zoho.url}/oauth/v2/auth?${params.toString()}`;
}

async function authorize(zoho: Zoho, overrides: Record<string, string> = {}): Promise<URL> {
  const answer = await call(authorizeUrl(zoho, overrides));
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

function exchange(zoho: Zoho, code: string, overrides: Record<string, string> = {}) {
  return postForm(`${zoho.url}/oauth/v2/token`, {
    grant_type: 'authorization_code',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uri: REDIRECT_URI,
    code,
    ...overrides,
  });
}

function refresh(zoho: Zoho, refreshToken: string) {
  return postForm(`${zoho.url}/oauth/v2/token`, {
    grant_type: 'refresh_token',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: refreshToken,
  });
}

describe('Zoho emulator: OAuth', () => {
  it('redirects back with a code, the location and its own base URL as accounts-server', async () => {
    const { zoho } = await aZohoEmulator();
    const redirect = await authorize(zoho);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('state')).toBe('csrf-123');
    expect(redirect.searchParams.get('code')).toMatch(/^1000\./);
    expect(redirect.searchParams.get('location')).toBe('us');
    expect(redirect.searchParams.get('accounts-server')).toBe(zoho.url);
  });

  it('exchanges a code once for tokens whose api_domain is the emulator, then refuses the same code', async () => {
    const { zoho } = await aZohoEmulator();
    const code = (await authorize(zoho)).searchParams.get('code') ?? '';

    const first = await exchange(zoho, code);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      access_token: expect.stringMatching(/^1000\./),
      refresh_token: expect.stringMatching(/^1000\./),
      api_domain: zoho.url,
      token_type: 'Bearer',
      expires_in: 3600,
    });
    const info = await api(zoho, first.json.access_token, 'GET', '/oauth/user/info');
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ Email: 'owner@office.example', ZUID: expect.any(String) });

    const second = await exchange(zoho, code);
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ error: 'invalid_code' });
    expect(zoho.tokenRequests).toEqual({ authorization_code: 2 });
  });

  it('expires an unused code after two minutes by the clock', async () => {
    const { zoho, clock } = await aZohoEmulator();
    const code = (await authorize(zoho)).searchParams.get('code') ?? '';
    clock.advance(2 * 60_000 + 1);
    expect((await exchange(zoho, code)).json).toEqual({ error: 'invalid_code' });
  });

  it('accepts the exchange parameters in the query string as well as a form body', async () => {
    const { zoho } = await aZohoEmulator();
    const code = (await authorize(zoho)).searchParams.get('code') ?? '';
    const query = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI,
      code,
    });
    const answer = await call(`${zoho.url}/oauth/v2/token?${query.toString()}`, { method: 'POST' });
    expect(answer.json.access_token).toMatch(/^1000\./);
  });

  it('answers client, secret and redirect errors with HTTP 200 and an error field', async () => {
    const { zoho } = await aZohoEmulator();
    const code = (await authorize(zoho)).searchParams.get('code') ?? '';
    const wrongClient = await exchange(zoho, code, { client_id: '1000.OTHER' });
    expect([wrongClient.status, wrongClient.json]).toEqual([200, { error: 'invalid_client' }]);
    const wrongSecret = await exchange(zoho, code, { client_secret: 'nope' });
    expect([wrongSecret.status, wrongSecret.json]).toEqual([200, { error: 'invalid_client_secret' }]);
    const wrongRedirect = await exchange(zoho, code, { redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    expect([wrongRedirect.status, wrongRedirect.json]).toEqual([200, { error: 'invalid_redirect_uri' }]);
    // None of the failed attempts used up the code.
    expect((await exchange(zoho, code)).json.refresh_token).toMatch(/^1000\./);
  });

  it('refuses an unknown client or an unregistered redirect URI without redirecting', async () => {
    const { zoho } = await aZohoEmulator();
    const unknownClient = await call(authorizeUrl(zoho, { client_id: '1000.OTHER' }));
    expect([unknownClient.status, unknownClient.json]).toEqual([400, { error: 'invalid_client' }]);
    const badRedirect = await call(authorizeUrl(zoho, { redirect_uri: 'https://evil.example/cb' }));
    expect([badRedirect.status, badRedirect.json]).toEqual([400, { error: 'invalid_redirect_uri' }]);
  });

  it('sends error=access_denied once when told the user denies consent', async () => {
    const { zoho } = await aZohoEmulator();
    zoho.denyNextAuthorization();
    const denied = await authorize(zoho);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('csrf-123');
    expect(denied.searchParams.get('code')).toBeNull();
    expect((await authorize(zoho)).searchParams.get('code')).toMatch(/^1000\./);
  });

  it('gives no new refresh token on a repeat consent without prompt=consent', async () => {
    const { zoho } = await aZohoEmulator();
    const first = await exchange(zoho, (await authorize(zoho)).searchParams.get('code') ?? '');
    expect(first.json.refresh_token).toBeDefined();
    const again = await exchange(zoho, (await authorize(zoho, { prompt: 'none' })).searchParams.get('code') ?? '');
    expect(again.json.access_token).toMatch(/^1000\./);
    expect(again.json.refresh_token).toBeUndefined();
  });

  it('refreshes without rotating the refresh token, and old access tokens expire by the clock', async () => {
    const { zoho, clock } = await aZohoEmulator();
    const tokens = (await exchange(zoho, (await authorize(zoho)).searchParams.get('code') ?? '')).json;
    clock.advance(59 * 60_000);
    expect((await api(zoho, tokens.access_token, 'GET', '/oauth/user/info')).status).toBe(200);
    clock.advance(60_000);
    expect((await api(zoho, tokens.access_token, 'GET', '/oauth/user/info')).status).toBe(401);

    const refreshed = await refresh(zoho, tokens.refresh_token);
    expect(refreshed.json).toEqual({
      access_token: expect.stringMatching(/^1000\./),
      api_domain: zoho.url,
      token_type: 'Bearer',
      expires_in: 3600,
    });
    expect((await api(zoho, refreshed.json.access_token, 'GET', '/oauth/user/info')).status).toBe(200);
    expect(zoho.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 1 });
  });

  it('throttles the eleventh refresh within ten minutes with HTTP 400, then allows refreshing again later', async () => {
    const { zoho, clock } = await aZohoEmulator();
    const refreshToken = zoho.issueRefreshToken();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await refresh(zoho, refreshToken)).json.access_token).toBeDefined();
      clock.advance(30_000);
    }
    const throttled = await refresh(zoho, refreshToken);
    expect(throttled.status).toBe(400);
    expect(throttled.json).toEqual({
      error_description: 'You have made too many requests continuously. Please try again after some time.',
      error: 'Access Denied',
      status: 'failure',
    });
    expect(throttled.json).toEqual(THROTTLED_BODY);
    clock.advance(5 * 60_000);
    expect((await refresh(zoho, refreshToken)).json.access_token).toBeDefined();
  });

  it('keeps at most fifteen live access tokens per refresh token, invalidating the oldest', async () => {
    const { zoho } = await aZohoEmulator({ limits: { refreshesPerWindow: 100 } });
    const refreshToken = zoho.issueRefreshToken();
    const accessTokens: string[] = [];
    for (let attempt = 0; attempt < 16; attempt += 1) {
      accessTokens.push((await refresh(zoho, refreshToken)).json.access_token);
    }
    expect(zoho.liveAccessTokens(refreshToken)).toHaveLength(15);
    expect((await api(zoho, accessTokens[0] ?? '', 'GET', '/oauth/user/info')).status).toBe(401);
    expect((await api(zoho, accessTokens[1] ?? '', 'GET', '/oauth/user/info')).status).toBe(200);
  });

  it('silently deletes the oldest refresh token when a twenty-first is created', async () => {
    const { zoho } = await aZohoEmulator();
    const first = zoho.issueRefreshToken();
    for (let count = 0; count < 19; count += 1) zoho.issueRefreshToken();
    expect((await refresh(zoho, first)).json.access_token).toBeDefined();
    // The 21st grant, here through the consent flow as a second environment would do it.
    await exchange(zoho, (await authorize(zoho)).searchParams.get('code') ?? '');
    expect(zoho.refreshTokens()).toHaveLength(20);
    expect((await refresh(zoho, first)).json).toEqual({ error: 'invalid_code' });
  });

  it('revokes a refresh token together with its access tokens', async () => {
    const { zoho } = await aZohoEmulator();
    const { refreshToken, accessToken } = zoho.issueTokens();
    const revoked = await call(`${zoho.url}/oauth/v2/token/revoke?token=${encodeURIComponent(refreshToken)}`, {
      method: 'POST',
    });
    expect(revoked.status).toBe(200);
    expect((await refresh(zoho, refreshToken)).json).toEqual({ error: 'invalid_code' });
    expect((await api(zoho, accessToken, 'GET', '/crm/v8/Leads/search?phone=1')).json).toEqual({
      code: 'INVALID_TOKEN',
      details: {},
      message: 'invalid oauth token',
      status: 'error',
    });
  });

  it('makes every token invalid after revokeAll and only access tokens after expireAccessTokens', async () => {
    const { zoho } = await aZohoEmulator();
    const { refreshToken, accessToken } = zoho.issueTokens();
    zoho.expireAccessTokens();
    expect((await api(zoho, accessToken, 'GET', '/oauth/user/info')).status).toBe(401);
    expect((await refresh(zoho, refreshToken)).json.access_token).toBeDefined();
    zoho.revokeAll();
    expect((await refresh(zoho, refreshToken)).json).toEqual({ error: 'invalid_code' });
  });

  it('exchanges a Self Client code without a redirect URI within ten minutes', async () => {
    const { zoho, clock } = await aZohoEmulator();
    const code = zoho.issueSelfClientCode();
    clock.advance(9 * 60_000);
    const answer = await postForm(`${zoho.url}/oauth/v2/token`, {
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code,
    });
    expect(answer.json.refresh_token).toMatch(/^1000\./);
  });

  it('accepts Bearer as well as Zoho-oauthtoken', async () => {
    const { zoho } = await aZohoEmulator();
    const { accessToken } = zoho.issueTokens();
    const answer = await call(`${zoho.url}/oauth/user/info`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(answer.status).toBe(200);
  });
});
