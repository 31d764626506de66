/**
 * Per-office work a module keeps while an office is served (a readiness check, a reconcile chain, a demo
 * connection): started for every office served now and for each office added later, restarted when an
 * office's configuration changes, stopped when it is removed. This is how modules follow offices that are
 * added on a running server instead of reading the list once at start.
 */
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { PermanentError } from '../core/errors.js';
import type { HealthCheck } from '../http/health.js';

type Stop = () => void;
export type OfficeStarter = (runtime: ClientRuntime) => Promise<Stop | void> | Stop | void;

export async function perOffice(context: AppContext, start: OfficeStarter): Promise<void> {
  const running = new Map<string, Stop | undefined>();
  const run = async (runtime: ClientRuntime) => {
    running.get(runtime.config.slug)?.();
    try {
      running.set(runtime.config.slug, (await start(runtime)) ?? undefined);
    } catch (error) {
      running.delete(runtime.config.slug);
      context.logger.warn({ err: error, clientId: runtime.config.slug }, 'Could not set up an office');
    }
  };
  const unsubscribe = context.clients.subscribe(async (slug, change, runtime) => {
    if (change === 'removed' || !runtime) {
      running.get(slug)?.();
      running.delete(slug);
    } else {
      await run(runtime);
    }
  });
  context.onClose.push(unsubscribe);
  for (const runtime of context.clients.all()) await run(runtime);
}

/** A readiness check per served office (e.g. `zoho:<slug>`), present exactly while the office is served. */
export async function perOfficeHealthCheck(context: AppContext, make: (runtime: ClientRuntime) => HealthCheck | undefined): Promise<void> {
  await perOffice(context, (runtime) => {
    const check = make(runtime);
    if (!check) return;
    context.health.push(check);
    return () => {
      const index = context.health.indexOf(check);
      if (index >= 0) context.health.splice(index, 1);
    };
  });
}

/**
 * Loads a provider's SDK in the background as soon as an office that uses it is served (at start, or when such an
 * office is added or switched to the provider), so its first request inside a live call's time budget does not wait
 * for the import. A server none of whose offices uses the provider never loads it. A failed load is logged; the first
 * request tries again.
 */
export async function preloadForOffices(
  context: AppContext,
  uses: (runtime: ClientRuntime) => boolean,
  load: () => Promise<unknown>,
  label: string,
): Promise<void> {
  await perOffice(context, (runtime) => {
    if (uses(runtime)) load().catch((error: unknown) => context.logger.warn({ err: error }, `Could not load the ${label} SDK`));
  });
}

/** What a module built for each office it has served so far (`perOfficeCache`). */
export interface PerOfficeCache<T> {
  /** The office's value, built now if the office is new or changed since; PermanentError for an unknown office. */
  get(clientId: string): T;
  /** Stops following the offices and forgets what was built. */
  close(): void;
}

/**
 * A value a module builds for an office on its first use and keeps until the office changes or is removed (a
 * vendor's client with the office's keys and sender): a changed office gets a fresh one on its next use. A build
 * that throws keeps nothing, so the next use tries again.
 */
export function perOfficeCache<T>(context: Pick<AppContext, 'clients'>, build: (runtime: ClientRuntime) => T): PerOfficeCache<T> {
  const built = new Map<string, T>();
  const unsubscribe = context.clients.subscribe((slug) => {
    built.delete(slug);
  });
  return {
    get(clientId) {
      if (built.has(clientId)) return built.get(clientId)!;
      const runtime = context.clients.get(clientId);
      if (!runtime) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const value = build(runtime);
      built.set(clientId, value);
      return value;
    },
    close() {
      unsubscribe();
      built.clear();
    },
  };
}
