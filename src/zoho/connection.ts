/**
 * A client's Zoho connection: tokens sealed in `oauth_connections` (they survive restarts), an access token
 * refreshed ahead of expiry, one refresh at a time per connection across requests (in-process single flight)
 * and across instances (row lock), and a `broken` state that fails fast instead of hammering Zoho's token
 * endpoint, which throttles after about ten refreshes in ten minutes.
 */
import type { AppContext } from '../app-context.js';
import { VendorError, errorMessage } from '../core/errors.js';
import { maskText } from '../log/mask.js';
import {
  ZOHO_DATA_CENTERS,
  dataCenterOfAccountsServer,
  fetchUserInfo,
  isDataCenter,
  refreshAccessToken,
  type TokenAnswer,
  type ZohoDataCenter,
  type ZohoOAuthApp,
} from '../providers/zoho/accounts.js';

export const ZOHO_PROVIDER = 'zoho';
/** Refresh this long before Zoho's expiry, so no request goes out with a token about to die. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** Token-endpoint answers that mean the refresh token is dead (revoked, evicted by the 20-token limit). */
const DEAD_GRANT_CODES = new Set(['invalid_code', 'invalid_grant']);

export interface ZohoAccess {
  accessToken: string;
  apiDomain: string;
  accountsServer: string;
  dataCenter: string;
  /** The Zoho user who connected (the calendar owner unless the config names another). */
  ownerEmail: string | undefined;
  expiresAt: Date;
}

/** Zoho cannot be used for this client until a person connects (again). Not retryable: fail fast. */
export class ZohoConnectionBroken extends VendorError {
  readonly clientId: string;
  readonly reason: 'not_connected' | 'broken';
  constructor(clientId: string, reason: 'not_connected' | 'broken', detail?: string) {
    super({
      vendor: 'zoho',
      code: reason === 'broken' ? 'ZOHO_CONNECTION_BROKEN' : 'ZOHO_NOT_CONNECTED',
      message:
        reason === 'broken'
          ? `The Zoho connection for ${clientId} is broken${detail ? ` (${detail})` : ''}; reconnect it with \`switchboard zoho connect --client ${clientId}\` or from Connections in the dashboard.`
          : `Zoho is not connected for ${clientId}; connect it with \`switchboard zoho connect --client ${clientId}\`.`,
      retryable: false,
    });
    this.name = 'ZohoConnectionBroken';
    this.clientId = clientId;
    this.reason = reason;
  }
}

/** Access tokens this process holds per office, and the refresh running for each (single flight). */
export class ZohoTokenCache {
  readonly cache = new Map<string, ZohoAccess>();
  readonly inflight = new Map<string, Promise<ZohoAccess>>();
}

function stateOf(context: Pick<AppContext, 'zohoTokens'>): ZohoTokenCache {
  return context.zohoTokens;
}

/** The OAuth app (client id and secret) a client's config points at. */
export function oauthApp(context: AppContext, clientId: string, redirectUri?: string): ZohoOAuthApp {
  const client = context.clients.get(clientId);
  if (!client) throw new Error(`Unknown client ${clientId}`);
  return { clientId: client.secrets.zohoClientId, clientSecret: client.secrets.zohoClientSecret, redirectUri };
}

/** A valid access token for the client's Zoho account, refreshed when it is within REFRESH_AHEAD_MS of expiry. */
export async function getZohoAccess(context: AppContext, clientId: string): Promise<ZohoAccess> {
  const state = stateOf(context);
  const cached = state.cache.get(clientId);
  if (cached && cached.expiresAt.getTime() - REFRESH_AHEAD_MS > context.clock.now().getTime()) return cached;
  const running = state.inflight.get(clientId);
  if (running) return running;
  const loading = loadOrRefresh(context, clientId).finally(() => state.inflight.delete(clientId));
  state.inflight.set(clientId, loading);
  return loading;
}

/** After Zoho refused `accessToken` (401 INVALID_TOKEN): forget it so the next call refreshes once. */
export async function invalidateZohoAccess(context: AppContext, clientId: string, accessToken: string): Promise<void> {
  const state = stateOf(context);
  if (state.cache.get(clientId)?.accessToken === accessToken) state.cache.delete(clientId);
  const row = await readConnection(context, clientId);
  if (!row?.access_token_sealed) return;
  // Another instance may already have refreshed: only expire the token that actually failed.
  if (openSafely(context, row.access_token_sealed) !== accessToken) return;
  await context.db.updateTable('oauth_connections').set({ access_expires_at: null, updated_at: context.clock.now() }).where('id', '=', row.id).execute();
}

function readConnection(context: AppContext, clientId: string) {
  return context.db.selectFrom('oauth_connections').selectAll().where('client_id', '=', clientId).where('provider', '=', ZOHO_PROVIDER).executeTakeFirst();
}

function openSafely(context: AppContext, sealed: string): string | undefined {
  try {
    return context.secretBox.open(sealed);
  } catch {
    return undefined;
  }
}

type RefreshOutcome =
  | { kind: 'access'; access: ZohoAccess }
  | { kind: 'broken'; detail: string; now: boolean }
  | { kind: 'not_connected' }
  | { kind: 'failed'; error: VendorError };

async function loadOrRefresh(context: AppContext, clientId: string): Promise<ZohoAccess> {
  const state = stateOf(context);
  const row = await readConnection(context, clientId);
  if (!row) throw new ZohoConnectionBroken(clientId, 'not_connected');
  if (row.status === 'broken') throw new ZohoConnectionBroken(clientId, 'broken', row.last_error ?? undefined);
  const fresh = usableAccess(context, row);
  if (fresh) {
    state.cache.set(clientId, fresh);
    return fresh;
  }

  const outcome = await context.db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
    // The row lock makes every other instance wait here and then reuse the token this one stores.
    const locked = await trx.selectFrom('oauth_connections').selectAll().where('id', '=', row.id).forUpdate().executeTakeFirst();
    if (!locked) return { kind: 'not_connected' };
    if (locked.status === 'broken') return { kind: 'broken', detail: locked.last_error ?? 'broken', now: false };
    const already = usableAccess(context, locked);
    if (already) return { kind: 'access', access: already };
    const refreshToken = openSafely(context, locked.refresh_token_sealed);
    const now = context.clock.now();
    const markBroken = async (detail: string) => {
      await trx
        .updateTable('oauth_connections')
        .set({ status: 'broken', last_error: detail, broken_at: now, updated_at: now })
        .where('id', '=', locked.id)
        .execute();
      return { kind: 'broken', detail, now: true } as const;
    };
    if (refreshToken === undefined) {
      return markBroken('the stored refresh token cannot be decrypted (was SWITCHBOARD_SECRET_KEY changed?)');
    }
    let answer: TokenAnswer;
    try {
      answer = await refreshAccessToken(locked.accounts_server, oauthApp(context, clientId), refreshToken);
    } catch (error) {
      const vendorError =
        error instanceof VendorError ? error : new VendorError({ vendor: 'zoho-accounts', code: 'unexpected', message: errorMessage(error), retryable: true });
      if (DEAD_GRANT_CODES.has(vendorError.code)) return markBroken(`Zoho refused the refresh token (${vendorError.code})`);
      await trx
        .updateTable('oauth_connections')
        .set({ last_error: maskText(vendorError.message), updated_at: now })
        .where('id', '=', locked.id)
        .execute();
      return { kind: 'failed', error: vendorError };
    }
    const expiresAt = new Date(now.getTime() + answer.expiresInSeconds * 1000);
    await trx
      .updateTable('oauth_connections')
      .set((eb) => ({
        access_token_sealed: context.secretBox.seal(answer.accessToken),
        access_expires_at: expiresAt,
        api_domain: answer.apiDomain,
        status: 'ok',
        last_error: null,
        refreshed_at: now,
        refresh_count: eb('refresh_count', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', locked.id)
      .execute();
    return { kind: 'access', access: accessOf(locked, answer.accessToken, answer.apiDomain, expiresAt) };
  });

  switch (outcome.kind) {
    case 'access':
      state.cache.set(clientId, outcome.access);
      return outcome.access;
    case 'not_connected':
      throw new ZohoConnectionBroken(clientId, 'not_connected');
    case 'failed':
      throw outcome.error;
    case 'broken':
      state.cache.delete(clientId);
      if (outcome.now) {
        // Raised once: only the instance that flipped the row (under its lock) gets here with now=true.
        await context.alerts.raise({
          clientId,
          source: 'zoho.oauth',
          fingerprint: `zoho.oauth:broken:${clientId}`,
          severity: 'critical',
          message:
            `The Zoho connection for ${clientId} stopped working: ${outcome.detail}. Booking and CRM sync are paused ` +
            `until someone reconnects Zoho (switchboard zoho connect --client ${clientId}, or Connections in the dashboard).`,
        });
      }
      throw new ZohoConnectionBroken(clientId, 'broken', outcome.detail);
  }
}

type ConnectionRow = NonNullable<Awaited<ReturnType<typeof readConnection>>>;

function usableAccess(context: AppContext, row: ConnectionRow): ZohoAccess | undefined {
  if (!row.access_token_sealed || !row.access_expires_at) return undefined;
  const expiresAt = new Date(row.access_expires_at);
  if (expiresAt.getTime() - REFRESH_AHEAD_MS <= context.clock.now().getTime()) return undefined;
  const token = openSafely(context, row.access_token_sealed);
  return token ? accessOf(row, token, row.api_domain, expiresAt) : undefined;
}

function accessOf(row: ConnectionRow, accessToken: string, apiDomain: string, expiresAt: Date): ZohoAccess {
  return {
    accessToken,
    apiDomain,
    accountsServer: row.accounts_server,
    dataCenter: row.data_center,
    ownerEmail: row.owner_email ?? undefined,
    expiresAt,
  };
}

export interface StoreConnectionInput {
  clientId: string;
  dataCenter: string;
  accountsServer: string;
  refreshToken: string;
  tokens: TokenAnswer;
  scopes?: string;
}

/** Saves a fresh grant (connect flow or imported token), replacing a broken or older one. */
export async function storeConnection(context: AppContext, input: StoreConnectionInput): Promise<void> {
  const now = context.clock.now();
  let ownerEmail: string | undefined;
  try {
    ownerEmail = (await fetchUserInfo(input.accountsServer, input.tokens.accessToken)).email;
  } catch (error) {
    context.logger.warn({ err: error, clientId: input.clientId }, 'Could not read the Zoho user; free/busy will use the configured owner email');
  }
  const values = {
    data_center: input.dataCenter,
    accounts_server: input.accountsServer,
    api_domain: input.tokens.apiDomain,
    refresh_token_sealed: context.secretBox.seal(input.refreshToken),
    access_token_sealed: context.secretBox.seal(input.tokens.accessToken),
    access_expires_at: new Date(now.getTime() + input.tokens.expiresInSeconds * 1000),
    owner_email: ownerEmail ?? null,
    scopes: input.scopes ?? null,
    status: 'ok' as const,
    last_error: null,
    connected_at: now,
    refreshed_at: now,
    broken_at: null,
    updated_at: now,
  };
  await context.db
    .insertInto('oauth_connections')
    .values({ client_id: input.clientId, provider: ZOHO_PROVIDER, ...values })
    .onConflict((conflict) => conflict.columns(['client_id', 'provider']).doUpdateSet(values))
    .execute();
  stateOf(context).cache.delete(input.clientId);
}

/** The accounts server for a data center, or the sandbox emulator when this client's Zoho is emulated. */
export function accountsServerFor(context: AppContext, clientId: string, dataCenter: string): string {
  const client = context.clients.get(clientId);
  if (client?.secrets.emulatedVendors.includes('zoho') && context.sandbox) return context.sandbox.zoho.url;
  if (!isDataCenter(dataCenter)) throw new Error(`Unknown Zoho data center "${dataCenter}" (use one of us, eu, in, au, jp, ca, sa, cn).`);
  return ZOHO_DATA_CENTERS[dataCenter].accounts;
}

/**
 * Stores a refresh token made in Zoho's API console: refreshes once to prove it works and learn the
 * `api_domain`, then saves it like the connect flow does.
 */
export async function importRefreshToken(
  context: AppContext,
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- names the known data centres for the reader; any code is accepted
  input: { clientId: string; dataCenter: ZohoDataCenter | string; refreshToken: string; accountsServer?: string },
): Promise<void> {
  const accountsServer = input.accountsServer ?? accountsServerFor(context, input.clientId, input.dataCenter);
  const tokens = await refreshAccessToken(accountsServer, oauthApp(context, input.clientId), input.refreshToken);
  await storeConnection(context, {
    clientId: input.clientId,
    dataCenter: dataCenterOfAccountsServer(accountsServer) ?? input.dataCenter,
    accountsServer,
    refreshToken: input.refreshToken,
    tokens,
  });
}

export interface ConnectionSummary {
  clientId: string;
  status: 'ok' | 'refreshing' | 'broken' | 'not_connected';
  dataCenter?: string;
  ownerEmail?: string;
  accessExpiresAt?: Date;
  lastError?: string;
  connectedAt?: Date;
  refreshedAt?: Date;
}

/** What the dashboard and /readyz show about a connection; never a token. */
export async function describeConnection(context: AppContext, clientId: string): Promise<ConnectionSummary> {
  const row = await readConnection(context, clientId);
  if (!row) return { clientId, status: 'not_connected' };
  return {
    clientId,
    status: row.status,
    dataCenter: row.data_center,
    ownerEmail: row.owner_email ?? undefined,
    accessExpiresAt: row.access_expires_at ? new Date(row.access_expires_at) : undefined,
    lastError: row.last_error ?? undefined,
    connectedAt: new Date(row.connected_at),
    refreshedAt: row.refreshed_at ? new Date(row.refreshed_at) : undefined,
  };
}
