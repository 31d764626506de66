/**
 * Which vendor serves an office for one kind of port (its calendar, its CRM, the providers of its SMS and e-mail
 * chains). Vendor modules register a factory under their provider name (`context.calendars.register('zoho', …)`);
 * domain code asks `portFor(clientId)` and gets the port of the provider the office's document chose, or, where an
 * office lists several in order (messaging's chains), `portOf(provider, clientId)` for each one it lists, never
 * naming a vendor itself.
 */
export type PortFactory<Port> = (clientId: string) => Port;

export interface ProviderRegistryOptions {
  /** "calendar", "CRM": for messages. */
  kind: string;
  /** The provider the office's document chose (undefined: unknown office). */
  providerOf(clientId: string): string | undefined;
  /** The domain error to throw when no port can serve the office (unknown office, provider not installed). */
  unavailable(clientId: string, provider: string | undefined, message: string): Error;
}

export class ProviderRegistry<Port> {
  private readonly factories = new Map<string, PortFactory<Port>>();

  constructor(private readonly options: ProviderRegistryOptions) {}

  /** A vendor module offers its port under `provider` (the word an office document uses to choose it). */
  register(provider: string, factory: PortFactory<Port>): void {
    this.factories.set(provider, factory);
  }

  /** Provider names that have a port, in registration order. */
  providers(): string[] {
    return [...this.factories.keys()];
  }

  has(provider: string): boolean {
    return this.factories.has(provider);
  }

  /** The provider the office chose (whether or not it is installed). */
  providerFor(clientId: string): string | undefined {
    return this.options.providerOf(clientId);
  }

  /** The port of the office's chosen provider; throws the registry's domain error when there is none. */
  portFor(clientId: string): Port {
    const provider = this.options.providerOf(clientId);
    if (provider === undefined) {
      throw this.options.unavailable(clientId, undefined, `No office "${clientId}" is served, so it has no ${this.options.kind}.`);
    }
    return this.portOf(provider, clientId);
  }

  /** The port of one provider the office lists (a chain's entry); throws the registry's domain error when not installed. */
  portOf(provider: string, clientId: string): Port {
    const factory = this.factories.get(provider);
    if (!factory) {
      const installed = this.providers();
      throw this.options.unavailable(
        clientId,
        provider,
        `The office ${clientId} uses "${provider}" as its ${this.options.kind}, but no module provides it` +
          ` (available: ${installed.length > 0 ? installed.join(', ') : 'none'}). Choose another provider in the office document.`,
      );
    }
    return factory(clientId);
  }
}
