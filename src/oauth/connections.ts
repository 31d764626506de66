/**
 * An office's OAuth connection to one provider (Google, Microsoft, …), vendor-neutral: the grant sealed in
 * `oauth_connections`, an access token refreshed ahead of expiry, one refresh at a time per connection inside the
 * process (single flight) and across instances (the row lock), and a `broken` state that fails fast and alerts
 * once instead of hammering a token endpoint with a dead grant. Each provider supplies only how to refresh and
 * which token-endpoint answers mean "the grant is dead". The same mechanism as src/zoho/connection.ts, without
 * its Zoho data-center specifics (the Zoho module can move onto this store; see docs/open-threads.md).
 */
import type { AppContext } from '../app-context.js';
import { VendorError, errorMessage } from '../core/errors.js';
import type { OauthConnectionRow } from '../db/tables/booking.js';
import { maskText } from '../log/mask.js';

/** Refresh this long before expiry, so no request goes out with a token about to die. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

export type OAuthConnectionDeps = Pick<AppContext, 'db' | 'secretBox' | 'clock' | 'alerts' | 'logger'>;

/** What a token endpoint handed out. `grant` replaces the stored one when the provider rotates it. */
export interface TokenGrant {
  accessToken: string;
  expiresInSeconds: number;
  /** The refresh token (or, for MSAL, the serialised token cache that holds it); absent = keep the stored one. */
  grant?: string;
}

export interface OAuthProviderSpec {
  /** `oauth_connections.provider`, e.g. `google`. */
  provider: string;
  /** For people: "Google Calendar". */
  label: string;
  /** Exchanges the stored grant for a fresh access token. Throws VendorError on failure. */
  refresh(grant: string, connection: StoredConnection): Promise<TokenGrant>;
  /** Whether a refresh failure means the grant is dead (revoked, expired): reconnect needed, stop retrying. */
  isDeadGrant(error: VendorError): boolean;
}

export interface StoredConnection {
  clientId: string;
  /** The token endpoint's base (real vendor or emulator), as stored at connect time. */
  accountsServer: string;
  /** The API base (real vendor or emulator). */
  apiBase: string;
  /** Free-form provider detail: Google `global`, Microsoft tenant. */
  realm: string;
  ownerEmail: string | undefined;
  scopes: string | undefined;
}

export interface OAuthAccess extends StoredConnection {
  accessToken: string;
  expiresAt: Date;
}

/** The provider cannot be used for this office until a person connects (again). Not retryable: fail fast. */
export class OAuthConnectionBroken extends VendorError {
  readonly clientId: string;
  readonly reason: 'not_connected' | 'broken';
  constructor(provider: string, label: string, clientId: string, reason: 'not_connected' | 'broken', detail?: string) {
    super({
      vendor: provider,
      code: reason === 'broken' ? 'CONNECTION_BROKEN' : 'NOT_CONNECTED',
      message:
        reason === 'broken'
          ? `The ${label} connection for ${clientId} is broken${detail ? ` (${detail})` : ''}; reconnect it from Connections in the dashboard (/v1/oauth/${provider}/start?client=${clientId}).`
          : `${label} is not connected for ${clientId}; connect it from Connections in the dashboard (/v1/oauth/${provider}/start?client=${clientId}).`,
      retryable: false,
    });
    this.name = 'OAuthConnectionBroken';
    this.clientId = clientId;
    this.reason = reason;
  }
}

export interface StoreGrantInput {
  clientId: string;
  accountsServer: string;
  apiBase: string;
  realm: string;
  grant: string;
  accessToken: string;
  expiresInSeconds: number;
  ownerEmail?: string;
  scopes?: string;
}

export interface ConnectionSummary {
  clientId: string;
  provider: string;
  status: 'ok' | 'refreshing' | 'broken' | 'not_connected';
  ownerEmail?: string;
  scopes?: string;
  accessExpiresAt?: Date;
  lastError?: string;
  connectedAt?: Date;
  refreshedAt?: Date;
}

type RefreshOutcome =
  | { kind: 'access'; access: OAuthAccess }
  | { kind: 'broken'; detail: string; now: boolean }
  | { kind: 'not_connected' }
  | { kind: 'failed'; error: VendorError };

/**
 * One provider's connections for one running app. Holds the in-process cache and in-flight refreshes, so make one
 * per app (the provider module does, in its setUp) and share it between the calendar port and the routes.
 */
export class OAuthConnections {
  private readonly cache = new Map<string, OAuthAccess>();
  private readonly inflight = new Map<string, Promise<OAuthAccess>>();

  constructor(
    private readonly deps: OAuthConnectionDeps,
    readonly spec: OAuthProviderSpec,
  ) {}

  /** A valid access token, refreshed when it is within REFRESH_AHEAD_MS of expiry. */
  async getAccess(clientId: string): Promise<OAuthAccess> {
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt.getTime() - REFRESH_AHEAD_MS > this.deps.clock.now().getTime()) return cached;
    const running = this.inflight.get(clientId);
    if (running) return running;
    const loading = this.loadOrRefresh(clientId).finally(() => this.inflight.delete(clientId));
    this.inflight.set(clientId, loading);
    return loading;
  }

  /** After the API refused `accessToken` (401): forget it so the next call refreshes once. */
  /**
   * Runs `work` with the office's access token; when the vendor answers 401 (expired or revoked token) the token is
   * refreshed once and `work` runs once more.
   */
  async withAccess<T>(clientId: string, work: (access: OAuthAccess) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const access = await this.getAccess(clientId);
      try {
        return await work(access);
      } catch (error) {
        if (attempt === 1 && error instanceof VendorError && error.status === 401) {
          await this.invalidate(clientId, access.accessToken);
          continue;
        }
        throw error;
      }
    }
  }

  async invalidate(clientId: string, accessToken: string): Promise<void> {
    if (this.cache.get(clientId)?.accessToken === accessToken) this.cache.delete(clientId);
    const row = await this.read(clientId);
    if (!row?.access_token_sealed) return;
    // Another instance may already have refreshed: only expire the token that actually failed.
    if (this.openSafely(row.access_token_sealed) !== accessToken) return;
    await this.deps.db.updateTable('oauth_connections').set({ access_expires_at: null, updated_at: this.deps.clock.now() }).where('id', '=', row.id).execute();
  }

  /** Saves a fresh grant (connect flow), replacing a broken or older one. */
  async store(input: StoreGrantInput): Promise<void> {
    const now = this.deps.clock.now();
    const values = {
      data_center: input.realm,
      accounts_server: input.accountsServer,
      api_domain: input.apiBase,
      refresh_token_sealed: this.deps.secretBox.seal(input.grant),
      access_token_sealed: this.deps.secretBox.seal(input.accessToken),
      access_expires_at: new Date(now.getTime() + input.expiresInSeconds * 1000),
      owner_email: input.ownerEmail ?? null,
      scopes: input.scopes ?? null,
      status: 'ok' as const,
      last_error: null,
      connected_at: now,
      refreshed_at: now,
      broken_at: null,
      updated_at: now,
    };
    await this.deps.db
      .insertInto('oauth_connections')
      .values({ client_id: input.clientId, provider: this.spec.provider, ...values })
      .onConflict((conflict) => conflict.columns(['client_id', 'provider']).doUpdateSet(values))
      .execute();
    this.cache.delete(input.clientId);
  }

  /** What the dashboard and /readyz show about a connection; never a token. */
  async describe(clientId: string): Promise<ConnectionSummary> {
    const row = await this.read(clientId);
    const provider = this.spec.provider;
    if (!row) return { clientId, provider, status: 'not_connected' };
    return {
      clientId,
      provider,
      status: row.status,
      ownerEmail: row.owner_email ?? undefined,
      scopes: row.scopes ?? undefined,
      accessExpiresAt: row.access_expires_at ? new Date(row.access_expires_at) : undefined,
      lastError: row.last_error ?? undefined,
      connectedAt: new Date(row.connected_at),
      refreshedAt: row.refreshed_at ? new Date(row.refreshed_at) : undefined,
    };
  }

  private read(clientId: string): Promise<ConnectionRow | undefined> {
    return this.deps.db
      .selectFrom('oauth_connections')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('provider', '=', this.spec.provider)
      .executeTakeFirst();
  }

  private openSafely(sealed: string): string | undefined {
    try {
      return this.deps.secretBox.open(sealed);
    } catch {
      return undefined;
    }
  }

  private broken(clientId: string, reason: 'not_connected' | 'broken', detail?: string): OAuthConnectionBroken {
    return new OAuthConnectionBroken(this.spec.provider, this.spec.label, clientId, reason, detail);
  }

  private async loadOrRefresh(clientId: string): Promise<OAuthAccess> {
    const { db, clock, secretBox } = this.deps;
    const row = await this.read(clientId);
    if (!row) throw this.broken(clientId, 'not_connected');
    if (row.status === 'broken') throw this.broken(clientId, 'broken', row.last_error ?? undefined);
    const fresh = this.usableAccess(row);
    if (fresh) {
      this.cache.set(clientId, fresh);
      return fresh;
    }

    const outcome = await db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
      // The row lock makes every other instance wait here and then reuse the token this one stores.
      const locked = await trx.selectFrom('oauth_connections').selectAll().where('id', '=', row.id).forUpdate().executeTakeFirst();
      if (!locked) return { kind: 'not_connected' };
      if (locked.status === 'broken') return { kind: 'broken', detail: locked.last_error ?? 'broken', now: false };
      const already = this.usableAccess(locked);
      if (already) return { kind: 'access', access: already };
      const grant = this.openSafely(locked.refresh_token_sealed);
      const now = clock.now();
      const markBroken = async (detail: string) => {
        await trx
          .updateTable('oauth_connections')
          .set({ status: 'broken', last_error: detail, broken_at: now, updated_at: now })
          .where('id', '=', locked.id)
          .execute();
        return { kind: 'broken', detail, now: true } as const;
      };
      if (grant === undefined) return markBroken('the stored grant cannot be decrypted (was SWITCHBOARD_SECRET_KEY changed?)');
      let answer: TokenGrant;
      try {
        answer = await this.spec.refresh(grant, storedOf(locked));
      } catch (error) {
        const vendorError =
          error instanceof VendorError
            ? error
            : new VendorError({ vendor: this.spec.provider, code: 'unexpected', message: errorMessage(error), retryable: true });
        if (this.spec.isDeadGrant(vendorError)) return markBroken(`${this.spec.label} refused the refresh token (${vendorError.code})`);
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
          access_token_sealed: secretBox.seal(answer.accessToken),
          access_expires_at: expiresAt,
          // Microsoft replaces the refresh token on every use: keep the newest.
          ...(answer.grant === undefined ? {} : { refresh_token_sealed: secretBox.seal(answer.grant) }),
          status: 'ok',
          last_error: null,
          refreshed_at: now,
          refresh_count: eb('refresh_count', '+', 1),
          updated_at: now,
        }))
        .where('id', '=', locked.id)
        .execute();
      return { kind: 'access', access: { ...storedOf(locked), accessToken: answer.accessToken, expiresAt } };
    });

    switch (outcome.kind) {
      case 'access':
        this.cache.set(clientId, outcome.access);
        return outcome.access;
      case 'not_connected':
        throw this.broken(clientId, 'not_connected');
      case 'failed':
        throw outcome.error;
      case 'broken': {
        this.cache.delete(clientId);
        if (outcome.now) {
          const source = `${this.spec.provider}.oauth`;
          // Raised once: only the instance that flipped the row (under its lock) gets here with now=true.
          await this.deps.alerts.raise({
            clientId,
            source,
            fingerprint: `${source}:broken:${clientId}`,
            severity: 'critical',
            message:
              `The ${this.spec.label} connection for ${clientId} stopped working: ${outcome.detail}. Booking is paused ` +
              `until someone reconnects ${this.spec.label} from Connections in the dashboard.`,
          });
        }
        throw this.broken(clientId, 'broken', outcome.detail);
      }
    }
  }

  private usableAccess(row: ConnectionRow): OAuthAccess | undefined {
    if (!row.access_token_sealed || !row.access_expires_at) return undefined;
    const expiresAt = new Date(row.access_expires_at);
    if (expiresAt.getTime() - REFRESH_AHEAD_MS <= this.deps.clock.now().getTime()) return undefined;
    const token = this.openSafely(row.access_token_sealed);
    return token ? { ...storedOf(row), accessToken: token, expiresAt } : undefined;
  }
}

type ConnectionRow = OauthConnectionRow;

function storedOf(row: ConnectionRow): StoredConnection {
  return {
    clientId: row.client_id,
    accountsServer: row.accounts_server,
    apiBase: row.api_domain,
    realm: row.data_center,
    ownerEmail: row.owner_email ?? undefined,
    scopes: row.scopes ?? undefined,
  };
}
