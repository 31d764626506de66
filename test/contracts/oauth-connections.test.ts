/**
 * The Google and Microsoft connections: the connect flow through the routes (start → consent at the emulator →
 * callback), grants sealed at rest, one refresh across instances, Microsoft's rotating refresh token kept, and a
 * dead grant marking the connection broken with one alert. On PGlite and PostgreSQL.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConnectRoutes, type ConnectFlow, type ConnectRouteContext } from '../../src/oauth/connect-routes.js';
import { OAuthConnectionBroken, OAuthConnections, type OAuthProviderSpec } from '../../src/oauth/connections.js';
import { connectLink } from '../../src/oauth/signed-state.js';
import { googleConnectionSpec } from '../../src/providers/google/connection.js';
import { googleConnectFlow } from '../../src/providers/google/routes.js';
import { microsoftConnectionSpec } from '../../src/providers/microsoft/connection.js';
import { microsoftConnectFlow } from '../../src/providers/microsoft/routes.js';
import { silentLogger } from '../../src/log/logger.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/sandbox/google/index.js';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '../../src/sandbox/microsoft/index.js';
import { BACKENDS } from '../support/databases.js';
import { microsoftApp } from './microsoft-harness.js';
import { OFFICE, aConnectionWorld, type ConnectionWorld } from './support.js';

const googleApp = { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret' };
const HOUR = 60 * 60_000;

interface Provider {
  name: 'google' | 'microsoft';
  spec: OAuthProviderSpec;
  flow: ConnectFlow;
  refreshes(): number;
  revokeAll(): void;
  denyNext(): void;
  tokenEndpointDown(times: number): void;
  close(): Promise<void>;
}

async function providers(world: ConnectionWorld): Promise<Provider[]> {
  const google: GoogleEmulator = await startGoogleEmulator({ ...googleApp, clock: world.clock });
  const microsoft: MicrosoftEmulator = await startMicrosoftEmulator({ ...microsoftApp, clock: world.clock });
  return [
    {
      name: 'google',
      spec: googleConnectionSpec(googleApp),
      flow: googleConnectFlow({ app: googleApp, accountsBase: google.url, apiRoot: google.apiRoot }),
      refreshes: () => google.tokenRequests.refresh_token ?? 0,
      revokeAll: () => google.revokeAll(),
      denyNext: () => google.denyNextAuthorization(),
      // google-auth-library retries the token POST on 5xx itself (three times): all four attempts fail.
      tokenEndpointDown: (times) => google.emulator.faults.failNext(times * 4, 503, { error: 'temporarily_unavailable' }, { match: '/token' }),
      close: () => google.close(),
    },
    {
      name: 'microsoft',
      spec: microsoftConnectionSpec(microsoftApp),
      flow: microsoftConnectFlow({ app: microsoftApp, loginBase: microsoft.url, graphBase: microsoft.graphBase }),
      refreshes: () => microsoft.tokenRequests.refresh_token ?? 0,
      revokeAll: () => microsoft.revokeAll(),
      denyNext: () => microsoft.denyNextAuthorization(),
      tokenEndpointDown: (times) =>
        microsoft.emulator.faults.failNext(
          times,
          503,
          { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred.' },
          { match: '/oauth2/v2.0/token' },
        ),
      close: () => microsoft.close(),
    },
  ];
}

describe.each(BACKENDS)('Google and Microsoft connections on %s', (backend) => {
  let world: ConnectionWorld;
  let all: Provider[];
  let server: FastifyInstance;
  let base: string;
  const stores = new Map<string, OAuthConnections>();

  beforeAll(async () => {
    world = await aConnectionWorld({ backend });
    all = await providers(world);
    server = Fastify();
    await server.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    await server.close();
    server = Fastify();
    const context = {
      clients: { get: (id: string) => (id === OFFICE ? { config: { name: 'Contract Office' } } : undefined) },
      clock: world.clock,
      secretBox: world.deps.secretBox,
      publicBaseUrl: base,
      logger: silentLogger(),
      signedInUser: async () => undefined,
    } as unknown as ConnectRouteContext;
    for (const provider of all) {
      const store = new OAuthConnections(world.deps, provider.spec);
      stores.set(provider.name, store);
      registerConnectRoutes(server, context, store, provider.flow);
    }
    await server.listen({ port: Number(new URL(base).port), host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    for (const provider of all ?? []) await provider.close();
    await world?.database.dispose();
  });

  /** What the admin's browser does: start link → consent page (auto-approves) → callback page. */
  async function connect(provider: Provider): Promise<{ status: number; text: string }> {
    const link = connectLink(base, world.deps.secretBox, provider.name, OFFICE, world.clock.now().getTime());
    const start = await fetch(link, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = await fetch(consent.headers.get('location')!);
    return { status: callback.status, text: await callback.text() };
  }

  for (const name of ['google', 'microsoft'] as const) {
    describe(name, () => {
      const provider = () => all.find((candidate) => candidate.name === name)!;
      const store = () => stores.get(name)!;

      it('refuses to start without a connect link or a signed-in user, and for an unknown office', async () => {
        expect((await fetch(`${base}/v1/oauth/${name}/start?client=${OFFICE}`, { redirect: 'manual' })).status).toBe(401);
        expect((await fetch(`${base}/v1/oauth/${name}/start?client=nobody&ticket=x`, { redirect: 'manual' })).status).toBe(404);
        expect((await fetch(`${base}/v1/oauth/${name}/callback?state=forged&code=x`)).status).toBe(400);
      });

      it('a declined consent stores nothing and says so', async () => {
        provider().denyNext();
        const answer = await connect(provider());
        expect(answer.status).toBe(400);
        expect(answer.text).toContain('access_denied');
        expect((await store().describe(OFFICE)).status).toBe('not_connected');
      });

      it('the connect flow stores the grant sealed, and the access token is usable at once', async () => {
        const answer = await connect(provider());
        expect(answer.status).toBe(200);
        expect(answer.text).toContain('is connected');
        const row = await world.database.db
          .selectFrom('oauth_connections')
          .selectAll()
          .where('client_id', '=', OFFICE)
          .where('provider', '=', name)
          .executeTakeFirstOrThrow();
        const access = await store().getAccess(OFFICE);
        expect(row.refresh_token_sealed).toMatch(/^v1\./);
        expect(JSON.stringify(row)).not.toContain(access.accessToken);
        expect(world.deps.secretBox.open(row.access_token_sealed!)).toBe(access.accessToken);
        expect(provider().refreshes()).toBe(0);
      });

      it('two instances needing a refresh at once make exactly one refresh and share its token', async () => {
        const other = new OAuthConnections(world.deps, provider().spec);
        await store().getAccess(OFFICE);
        world.clock.advance(HOUR);
        const before = provider().refreshes();
        const tokens = await Promise.all([store(), other, store(), other].map((instance) => instance.getAccess(OFFICE)));
        expect(provider().refreshes()).toBe(before + 1);
        expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
      });

      it('keeps what the token endpoint rotates, so the next refresh works from the new grant', async () => {
        const sealedGrant = async () =>
          world.deps.secretBox.open(
            (
              await world.database.db
                .selectFrom('oauth_connections')
                .select('refresh_token_sealed')
                .where('client_id', '=', OFFICE)
                .where('provider', '=', name)
                .executeTakeFirstOrThrow()
            ).refresh_token_sealed,
          );
        const before = await sealedGrant();
        world.clock.advance(HOUR);
        await store().getAccess(OFFICE);
        // Microsoft replaces the refresh token on every use (MSAL's cache changes); Google keeps it.
        if (name === 'microsoft') expect(await sealedGrant()).not.toBe(before);
        else expect(await sealedGrant()).toBe(before);
        world.clock.advance(HOUR);
        await expect(store().getAccess(OFFICE)).resolves.toMatchObject({ clientId: OFFICE });
      });

      it('a token endpoint outage is a retryable failure that leaves the connection usable', async () => {
        await store().getAccess(OFFICE);
        world.clock.advance(HOUR);
        provider().tokenEndpointDown(1);
        const error = await store()
          .getAccess(OFFICE)
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ retryable: true });
        expect(error).not.toBeInstanceOf(OAuthConnectionBroken);
        const summary = await store().describe(OFFICE);
        expect(summary.status).toBe('ok');
        expect(summary.lastError).toBeDefined();
        await expect(store().getAccess(OFFICE)).resolves.toMatchObject({ clientId: OFFICE });
        expect((await store().describe(OFFICE)).lastError).toBeUndefined();
        expect(world.alerts.filter((alert) => alert.source === `${name}.oauth`)).toHaveLength(0);
      });

      it('a revoked grant marks the connection broken, alerts once, and later calls fail fast', async () => {
        await store().getAccess(OFFICE);
        provider().revokeAll();
        world.clock.advance(HOUR);
        const refreshesBefore = provider().refreshes();
        await expect(store().getAccess(OFFICE)).rejects.toBeInstanceOf(OAuthConnectionBroken);
        await expect(store().getAccess(OFFICE)).rejects.toThrow(/broken/);
        expect(provider().refreshes()).toBe(refreshesBefore + 1);
        const alerts = world.alerts.filter((alert) => alert.source === `${name}.oauth`);
        expect(alerts).toHaveLength(1);
        expect(alerts[0]!.severity).toBe('critical');
        expect((await store().describe(OFFICE)).status).toBe('broken');
        // Connecting again repairs it.
        expect((await connect(provider())).status).toBe(200);
        expect((await store().describe(OFFICE)).status).toBe('ok');
      });
    });
  }
});
