/** The loaded client configurations with their resolved secrets, looked up by slug. */
import type { ClientConfig } from './client-schema.js';
import type { ClientSecrets } from './secrets.js';

export interface ClientRuntime {
  config: ClientConfig;
  secrets: ClientSecrets;
}

export class ClientRegistry {
  private readonly bySlug: Map<string, ClientRuntime>;

  constructor(clients: ClientRuntime[]) {
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
}
