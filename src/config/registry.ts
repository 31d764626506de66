/**
 * The offices being served, with their resolved secrets, looked up by slug. Offices are data: the registry
 * changes while the server runs (a new version saved on this or another instance), and modules that keep
 * per-office work (reconcile chains, demo connections) subscribe to those changes. An office whose stored
 * configuration cannot be served is kept aside as broken, with its problems, while the others serve on.
 */
import type { ClientConfig, ConfigProblem } from './client-schema.js';
import type { ClientSecrets } from './secrets.js';

export interface ClientRuntime {
  config: ClientConfig;
  secrets: ClientSecrets;
  /** The `client_versions.version` this runtime was built from (undefined for offices built in tests). */
  version?: number;
}

export interface BrokenOffice {
  slug: string;
  problems: ConfigProblem[];
}

export type OfficeChangeKind = 'added' | 'updated' | 'removed';
export type OfficeListener = (slug: string, change: OfficeChangeKind, runtime: ClientRuntime | undefined) => void | Promise<void>;

export class ClientRegistry {
  private readonly bySlug: Map<string, ClientRuntime>;
  private readonly brokenBySlug = new Map<string, BrokenOffice>();
  private readonly listeners = new Set<OfficeListener>();

  constructor(clients: ClientRuntime[] = []) {
    this.bySlug = new Map(clients.map((client) => [client.config.slug, client]));
  }

  get(slug: string): ClientRuntime | undefined {
    return this.bySlug.get(slug);
  }

  all(): ClientRuntime[] {
    return [...this.bySlug.values()];
  }

  slugs(): string[] {
    return [...this.bySlug.keys()];
  }

  /** Offices that exist but cannot be served, with what is wrong. */
  broken(): BrokenOffice[] {
    return [...this.brokenBySlug.values()];
  }

  /** Serves `runtime` from now on (replacing an earlier version) and tells the listeners. */
  async set(runtime: ClientRuntime): Promise<void> {
    const slug = runtime.config.slug;
    const change: OfficeChangeKind = this.bySlug.has(slug) ? 'updated' : 'added';
    this.bySlug.set(slug, runtime);
    this.brokenBySlug.delete(slug);
    await this.notify(slug, change, runtime);
  }

  /**
   * Records that `slug` cannot be loaded. An office already being served keeps its last good version
   * (a bad edit never takes a working office down); the problems still show as broken.
   */
  markBroken(slug: string, problems: ConfigProblem[]): void {
    this.brokenBySlug.set(slug, { slug, problems });
  }

  async remove(slug: string): Promise<void> {
    this.brokenBySlug.delete(slug);
    if (!this.bySlug.delete(slug)) return;
    await this.notify(slug, 'removed', undefined);
  }

  subscribe(listener: OfficeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async notify(slug: string, change: OfficeChangeKind, runtime: ClientRuntime | undefined): Promise<void> {
    for (const listener of this.listeners) await listener(slug, change, runtime);
  }
}
