/**
 * Keeps the running registry equal to the database: loads every active office at start, and reloads one
 * office when any instance announces a change (NOTIFY `office.changed`), so an edit is served everywhere
 * within moments and without a restart. An office that cannot be built (its stored document no longer
 * validates, a credential is missing in live mode) is marked broken; a working office keeps its last good
 * version until the problem is fixed, and every other office keeps serving.
 */
import type { Kysely } from 'kysely';
import type { ConfigProblem } from '../config/client-schema.js';
import type { SandboxCredentials } from '../config/demo-secrets.js';
import type { ClientRegistry, ClientRuntime } from '../config/registry.js';
import { resolveSecretsWithProblems, type EnvSource, type SecretProblem, type SwitchboardMode } from '../config/secrets.js';
import type { SecretBox } from '../core/crypto.js';
import type { DB } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { Sandbox } from '../sandbox/index.js';
import { loadStoredSecrets } from './secrets.js';
import { loadOfficeDocuments, OFFICE_CHANGED_EVENT, type StoredOffice } from './store.js';
import { validateOfficeDocument } from './validate.js';

export interface OfficeLoaderDeps {
  db: Kysely<DB>;
  secretBox: SecretBox;
  env: EnvSource;
  mode: SwitchboardMode;
  registry: ClientRegistry;
  logger: Logger;
  sandbox?: Sandbox;
  /** Credentials of the vendors emulated in live mode (SANDBOX=1), shared with the in-process emulators. */
  sandboxCredentials?: SandboxCredentials;
}

export type BuildResult =
  { ok: true; runtime: ClientRuntime; secretProblems: SecretProblem[] } | { ok: false; problems: ConfigProblem[]; secretProblems: SecretProblem[] };

export class OfficeLoader {
  /** One reload at a time per office, in order, so a burst of changes ends on the newest. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: OfficeLoaderDeps) {}

  /** Builds an office's runtime from its stored document and credentials, without serving it. */
  async build(stored: StoredOffice): Promise<BuildResult> {
    const others = this.deps.registry.all().map((runtime) => runtime.config);
    const validation = validateOfficeDocument(stored.document, stored.slug, others);
    if (!validation.ok) return { ok: false, problems: validation.problems, secretProblems: [] };
    const config = validation.config;
    let storedSecrets;
    try {
      storedSecrets = await loadStoredSecrets(this.deps.db, this.deps.secretBox, config.slug);
    } catch {
      const problem = { file: config.slug, path: 'secrets', message: 'a stored credential cannot be opened with this SWITCHBOARD_SECRET_KEY; enter it again' };
      return { ok: false, problems: [problem], secretProblems: [] };
    }
    const { secrets, problems } = resolveSecretsWithProblems(config, this.deps.env, this.deps.mode, storedSecrets, this.deps.sandboxCredentials);
    if (problems.length > 0) {
      return { ok: false, problems: problems.map((p) => ({ file: config.slug, path: p.path, message: p.message })), secretProblems: problems };
    }
    const sandbox = this.deps.sandbox;
    if (sandbox) {
      // Emulated vendors: the office's endpoints are the local emulators.
      if (secrets.emulatedVendors.includes('smtp')) secrets.smtpUrl ??= sandbox.smtp.url;
      if (secrets.emulatedVendors.includes('slack')) secrets.slackWebhookUrl ??= sandbox.slack.webhookUrl(config.slug);
      // The office's agent, LLM and number exist in the Retell emulator, its number in the Twilio account (idempotent).
      sandbox.seedOffice({
        name: config.name,
        retellAgentIds: config.retell.agentIds,
        agentLanguages: config.retell.agentLanguages,
        phoneNumber: config.senders.sms.from,
      });
    }
    return { ok: true, runtime: { config, secrets, version: stored.version }, secretProblems: [] };
  }

  /** Loads every active office; returns the problems of each office that could not be served. */
  async loadAll(): Promise<{ slug: string; problems: ConfigProblem[]; secretProblems: SecretProblem[] }[]> {
    const stored = await loadOfficeDocuments(this.deps.db);
    const failures: { slug: string; problems: ConfigProblem[]; secretProblems: SecretProblem[] }[] = [];
    // Two passes: cross-office rules compare against offices already served, so serve the valid ones first.
    for (const office of stored) {
      const built = await this.build(office);
      if (built.ok) await this.deps.registry.set(built.runtime);
      else {
        this.deps.registry.markBroken(office.slug, built.problems);
        failures.push({ slug: office.slug, problems: built.problems, secretProblems: built.secretProblems });
      }
    }
    const active = new Set(stored.map((office) => office.slug));
    for (const slug of this.deps.registry.slugs()) if (!active.has(slug)) await this.deps.registry.remove(slug);
    return failures;
  }

  /** Re-reads one office from the database and serves what it now says (or stops serving a removed one). */
  reload(slug: string): Promise<void> {
    const previous = this.queues.get(slug) ?? Promise.resolve();
    const next = previous.then(() => this.reloadNow(slug));
    const settled = next.catch((error: unknown) => {
      this.deps.logger.error({ err: error, clientId: slug }, 'Could not reload an office');
    });
    this.queues.set(slug, settled);
    void settled.then(() => {
      if (this.queues.get(slug) === settled) this.queues.delete(slug);
    });
    return next;
  }

  private async reloadNow(slug: string): Promise<void> {
    const [stored] = await loadOfficeDocuments(this.deps.db, slug);
    if (!stored) {
      await this.deps.registry.remove(slug);
      return;
    }
    const built = await this.build(stored);
    if (built.ok) {
      await this.deps.registry.set(built.runtime);
      this.deps.logger.info({ clientId: slug, version: stored.version }, 'Office configuration loaded');
    } else {
      this.deps.registry.markBroken(slug, built.problems);
      this.deps.logger.warn(
        { clientId: slug, version: stored.version, problems: built.problems.length },
        'Office configuration cannot be served; kept the last good version',
      );
    }
  }

  /** Reloads on every `office.changed` from any instance. Returns the unsubscribe function. */
  watch(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type === OFFICE_CHANGED_EVENT && typeof event.clientId === 'string') void this.reload(event.clientId).catch(() => undefined);
    });
  }
}
