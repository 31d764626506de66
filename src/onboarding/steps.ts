/**
 * The onboarding steps, shared by the dashboard wizard and `switchboard client add --answers`. Each step
 * validates its answers (every problem as `path: reason`), records them, saves the office version they imply
 * (a pure function of all answers, so a re-run changes nothing twice), talks to the vendor where the step says
 * so, and records its result. Credentials go to the office's sealed secrets, never into answers or results.
 */
import { IANAZone } from 'luxon';
import type { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { SecretKey } from '../config/secrets.js';
import { calendarPortOf } from '../booking/deps.js';
import { createSmtpMailers } from '../smtp/module.js';
import { createTwilioSenders } from '../twilio/senders.js';
import { setOfficeSecret } from '../offices/secrets.js';
import { loadOfficeDocuments, saveOfficeVersion } from '../offices/store.js';
import { hoursFromPreset, loadPack, proposeTimezone } from '../offices/packs.js';
import { EmulatorHttpClient } from '../providers/twilio/http-client.js';
import { createTwilioNumbers, type TwilioNumbers } from '../providers/twilio/numbers.js';
import { RetellManagement } from '../providers/retell/management.js';
import { postSlackMessage } from '../providers/slack/webhook.js';
import { retellSetupFor } from '../functions/tool-schemas.js';
import { alertsAnswers, basicsAnswers, calendarAnswers, emailAnswers, officeDocumentFrom, packAnswers, retellAnswers, textingAnswers } from './answers.js';
import { saveOnboarding, type Onboarding, type StepName, type StepResult } from './store.js';

const CALENDAR_PROVIDER_LABELS = { zoho: 'Zoho Calendar', google: 'Google Calendar', microsoft: 'Microsoft 365' } as const;

export interface StepProblemItem {
  path: string;
  message: string;
}

/** Answers that cannot be used: a 400 with every problem. */
export class StepProblem extends Error {
  constructor(readonly problems: StepProblemItem[]) {
    super(problems.map((problem) => (problem.path ? `${problem.path}: ${problem.message}` : problem.message)).join('; '));
    this.name = 'StepProblem';
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new StepProblem(result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
}

function failure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface StepDeps {
  context: AppContext;
  actor: string;
  /** This server's own URL, for the go-live check's simulated call (absent in a CLI run that does not listen). */
  selfUrl?: string;
}

/** Saves the office the answers describe (a new version only if something changed) and serves it at once. */
async function saveOffice(deps: StepDeps, onboarding: Onboarding): Promise<number | undefined> {
  const document = officeDocumentFrom(onboarding.answers);
  if (!document) return undefined;
  const { context } = deps;
  const saved = await saveOfficeVersion({ db: context.db, clock: context.clock, bus: context.bus }, { document, author: deps.actor, source: 'wizard' });
  if (!saved.ok) {
    if (saved.reason === 'conflict') throw new StepProblem([{ path: '', message: 'the office changed meanwhile; try again' }]);
    throw new StepProblem(saved.problems.map(({ path, message }) => ({ path, message })));
  }
  onboarding.clientId = saved.slug;
  await context.offices?.reload(saved.slug);
  return saved.version;
}

async function storeSecrets(deps: StepDeps, slug: string, values: Partial<Record<SecretKey, string | undefined>>): Promise<void> {
  const { context } = deps;
  let changed = false;
  for (const [name, value] of Object.entries(values) as [SecretKey, string | undefined][]) {
    if (value === undefined) continue;
    await setOfficeSecret({ db: context.db, clock: context.clock, bus: context.bus, secretBox: context.secretBox }, slug, name, value, deps.actor);
    changed = true;
  }
  if (changed) await context.offices?.reload(slug);
}

function requireOffice(deps: StepDeps, onboarding: Onboarding) {
  const slug = onboarding.clientId;
  const runtime = slug ? deps.context.clients.get(slug) : undefined;
  if (!slug || !runtime) throw new StepProblem([{ path: '', message: 'finish the basics and template pack steps first: the office does not exist yet' }]);
  return { slug, runtime };
}

function twilioNumbersFor(context: AppContext, slug: string): { numbers: TwilioNumbers; close(): void } {
  const runtime = context.clients.get(slug)!;
  const emulated = runtime.secrets.emulatedVendors.includes('twilio') && context.sandbox;
  const httpClient = emulated ? new EmulatorHttpClient({ baseUrl: context.env.sandboxTwilioUrl ?? context.sandbox!.twilio.url }) : undefined;
  return {
    numbers: createTwilioNumbers({
      accountSid: runtime.secrets.twilioAccountSid,
      authToken: runtime.secrets.twilioAuthToken,
      ...(httpClient ? { httpClient: httpClient.asRequestClient() } : {}),
    }),
    close: () => httpClient?.close(),
  };
}

function retellFor(context: AppContext, slug: string): RetellManagement {
  const runtime = context.clients.get(slug)!;
  const emulated = runtime.secrets.emulatedVendors.includes('retell') && context.sandbox;
  return new RetellManagement({ apiKey: runtime.secrets.retellApiKey, ...(emulated ? { baseUrl: context.sandbox!.retell.url } : {}) });
}

type Runner = (deps: StepDeps, onboarding: Onboarding, input: unknown) => Promise<{ ok: boolean; [key: string]: unknown }>;

const runners: Record<Exclude<StepName, 'golive'>, Runner> = {
  async basics(deps, onboarding, input) {
    const answers = parse(basicsAnswers, input);
    if (onboarding.clientId && onboarding.clientId !== answers.slug) {
      throw new StepProblem([{ path: 'slug', message: `this onboarding already created "${onboarding.clientId}"; an office's slug cannot change` }]);
    }
    const existing = await loadOfficeDocuments(deps.context.db, answers.slug);
    if (existing.length > 0 && onboarding.clientId !== answers.slug) {
      throw new StepProblem([{ path: 'slug', message: `an office "${answers.slug}" exists already; choose another slug` }]);
    }
    const proposal = proposeTimezone({ address: answers.address, phone: answers.officePhone });
    const timezone = answers.timezone ?? proposal.timezone ?? undefined;
    if (!timezone || !IANAZone.isValidZone(timezone)) {
      throw new StepProblem([
        {
          path: 'timezone',
          message: answers.timezone ? 'is not a known IANA time zone, e.g. "America/Chicago"' : `could not be proposed (${proposal.reason}); choose one`,
        },
      ]);
    }
    onboarding.answers.basics = { ...answers, timezone };
    const version = await saveOffice(deps, onboarding);
    return {
      ok: true,
      timezone,
      timezoneProposal: proposal,
      businessHours: answers.businessHours ?? (answers.hoursPreset ? hoursFromPreset(answers.hoursPreset) : null),
      ...(version ? { version } : {}),
    };
  },

  async pack(deps, onboarding, input) {
    if (!onboarding.answers.basics) throw new StepProblem([{ path: '', message: 'answer the basics step first' }]);
    const answers = parse(packAnswers, input);
    const pack = loadPack(answers.pack);
    if (!pack) throw new StepProblem([{ path: 'pack', message: `there is no template pack "${answers.pack}"` }]);
    onboarding.answers.pack = answers;
    const version = await saveOffice(deps, onboarding);
    return { ok: true, version, pack: pack.id, appointmentTypes: pack.office.appointmentTypes.map((type) => type.name) };
  },

  async calendar(deps, onboarding, input) {
    const { slug } = requireOffice(deps, onboarding);
    const answers = parse(calendarAnswers, input);
    const label = CALENDAR_PROVIDER_LABELS[answers.provider];
    const connectPath = `/v1/oauth/${answers.provider}/start?client=${encodeURIComponent(slug)}`;
    if (!answers.calendarId) {
      // Only the provider choice: saved so that the provider's connect flow and calendar list serve this office.
      onboarding.answers.calendar = answers;
      const version = await saveOffice(deps, onboarding);
      return { ok: false, version, provider: answers.provider, connectPath, message: `connect ${label}, then choose the calendar appointments go into` };
    }
    const previous = onboarding.answers.calendar;
    if (previous?.provider !== answers.provider || previous?.crmProvider !== answers.crmProvider) {
      // A changed provider first becomes the office's, so the calendar list below is the new provider's.
      onboarding.answers.calendar = { ...answers, calendarId: undefined };
      await saveOffice(deps, onboarding);
    }
    const calendar = calendarPortOf(deps.context);
    const calendars = await calendar.listCalendars(slug).catch((error: unknown) => {
      throw new StepProblem([{ path: '', message: `the calendar account could not be read (${failure(error)}); connect ${label} first (${connectPath})` }]);
    });
    if (!calendars.some((entry) => entry.id === answers.calendarId)) {
      throw new StepProblem([
        { path: 'calendarId', message: `is not one of the account's calendars (${calendars.map((entry) => entry.name).join(', ') || 'none'})` },
      ]);
    }
    onboarding.answers.calendar = answers;
    const version = await saveOffice(deps, onboarding);
    const now = deps.context.clock.now().getTime();
    try {
      const view = await calendar.view(slug, now, now + 7 * 24 * 60 * 60_000);
      return { ok: true, version, freeBusy: { ok: true, busyBlocks: view.busy.length, days: 7 } };
    } catch (error) {
      return { ok: false, version, freeBusy: { ok: false, message: failure(error) } };
    }
  },

  async texting(deps, onboarding, input) {
    const { slug, runtime } = requireOffice(deps, onboarding);
    const answers = parse(textingAnswers, input);
    await storeSecrets(deps, slug, { twilioAccountSid: answers.accountSid, twilioAuthToken: answers.authToken });
    const { numbers, close } = twilioNumbersFor(deps.context, slug);
    try {
      const credentials = await numbers.validateCredentials();
      if (!credentials.ok) throw new StepProblem([{ path: 'authToken', message: credentials.message }]);
      const owned = await numbers.listNumbers();
      const listed = owned.map((number) => ({ phoneNumber: number.phoneNumber, name: number.friendlyName, sms: number.capabilities.sms }));
      if (!answers.phoneNumber) return { ok: false, numbers: listed, message: 'choose the number texts come from' };
      const chosen = owned.find((number) => number.phoneNumber === answers.phoneNumber);
      if (!chosen)
        throw new StepProblem([
          { path: 'phoneNumber', message: `is not a number of this Twilio account (${listed.map((n) => n.phoneNumber).join(', ') || 'none'})` },
        ]);
      const base = deps.context.publicBaseUrl.replace(/\/$/, '');
      const configured = await numbers.configureNumber(chosen.sid, { smsUrl: `${base}/v1/twilio/${slug}/inbound` });
      if (!configured.ok) return { ok: false, numbers: listed, message: configured.message };
      onboarding.answers.texting = { phoneNumber: answers.phoneNumber };
      const version = await saveOffice(deps, onboarding);
      let testText: Record<string, unknown> | undefined;
      if (answers.testTo) {
        // A client of its own, closed after the test: the office's new secrets, not a cached client's.
        const senders = createTwilioSenders(deps.context);
        try {
          const sent = await senders.routeFor(slug).port.send({
            to: answers.testTo,
            from: answers.phoneNumber,
            body: `${runtime.config.name}: a test text from your new receptionist. Texting works.`,
          });
          testText = { ok: true, providerId: sent.providerId };
        } catch (error) {
          testText = { ok: false, message: failure(error) };
        } finally {
          senders.close();
        }
      }
      return {
        ok: testText?.ok !== false,
        version,
        numbers: listed,
        configured: { phoneNumber: chosen.phoneNumber, changed: configured.changed },
        ...(testText ? { testText } : {}),
        a2p:
          'US carriers require an A2P 10DLC campaign for business texting from a local number. Register it in the Twilio console; ' +
          "until an admin marks the office's campaign approved (senders.sms.a2pApproved), its marketing texts are held. Confirmations and reminders go out.",
      };
    } finally {
      close();
    }
  },

  async email(deps, onboarding, input) {
    const { slug, runtime } = requireOffice(deps, onboarding);
    const answers = parse(emailAnswers, input);
    await storeSecrets(deps, slug, { smtpUrl: answers.smtpUrl });
    if (answers.from) onboarding.answers.email = { from: answers.from };
    const version = await saveOffice(deps, onboarding);
    if (!answers.testTo) return { ok: true, version };
    const mailers = createSmtpMailers(deps.context);
    try {
      const config = deps.context.clients.get(slug)?.config ?? runtime.config;
      const sent = await mailers.routeFor(slug).port.send({
        from: config.senders.email.from,
        to: answers.testTo,
        subject: `${config.name}: test e-mail from your new receptionist`,
        text: `This is a test e-mail from Switchboard for ${config.name}. E-mail works.`,
      });
      return { ok: true, version, testEmail: { ok: true, messageId: sent.messageId } };
    } catch (error) {
      return { ok: false, version, testEmail: { ok: false, message: failure(error) } };
    } finally {
      await mailers.close();
    }
  },

  async alerts(deps, onboarding, input) {
    const { slug } = requireOffice(deps, onboarding);
    const answers = parse(alertsAnswers, input);
    await storeSecrets(deps, slug, { slackWebhookUrl: answers.slackWebhookUrl });
    const runtime = deps.context.clients.get(slug)!;
    const url = runtime.secrets.slackWebhookUrl;
    if (!answers.test || !url) return { ok: true, slack: url ? 'set' : 'not set: alerts go by e-mail and to the dashboard' };
    try {
      await postSlackMessage(url, { text: `Switchboard: alerts for ${runtime.config.name} will arrive here.` });
      return { ok: true, slackTest: { ok: true } };
    } catch (error) {
      return { ok: false, slackTest: { ok: false, message: failure(error) } };
    }
  },

  async retell(deps, onboarding, input) {
    const { slug } = requireOffice(deps, onboarding);
    const answers = parse(retellAnswers, input);
    await storeSecrets(deps, slug, { retellApiKey: answers.apiKey });
    const { context } = deps;
    const runtime = context.clients.get(slug)!;
    const retell = retellFor(context, slug);
    const key = await retell.validateApiKey();
    if (!key.ok) throw new StepProblem([{ path: 'apiKey', message: key.message }]);
    const phoneNumber = onboarding.answers.texting?.phoneNumber;
    if (!phoneNumber) throw new StepProblem([{ path: '', message: "finish the texting step first: the agent answers the office's Twilio number" }]);
    let agentId = answers.agentId ?? onboarding.answers.retell?.agentId;
    if (!agentId && context.sandbox && runtime.secrets.emulatedVendors.includes('retell')) {
      // Demo: the agency would have made the agent in Retell's dashboard; the emulator stands in for that.
      agentId = `agent_${slug.replace(/-/g, '_')}_demo`;
      context.sandbox.retell.seedOffice({ agentId, agentName: `${runtime.config.name} receptionist`, phoneNumber });
    }
    const agents = await retell.listAgents();
    if (!agentId) return { ok: false, agents, message: 'choose the agent that answers this office' };
    if (!agents.some((agent) => agent.agentId === agentId)) throw new StepProblem([{ path: 'agentId', message: `is not an agent of this Retell workspace` }]);
    onboarding.answers.retell = { agentId };
    const version = await saveOffice(deps, onboarding);
    const setup = retellSetupFor(context.publicBaseUrl, runtime.config);
    const sync = await retell.syncAgentTools({
      agentId,
      tools: setup.tools,
      webhookUrl: setup.webhookUrl,
      phoneNumber,
      inboundWebhookUrl: setup.inboundWebhookUrl,
    });
    if (!sync.ok) return { ok: false, version, agents, message: sync.message };
    return { ok: true, version, agentId, tools: sync.tools, numberAgent: sync.numberAgent };
  },
};

/** Runs one step and records its answers and result on the onboarding (also when the step reports a problem). */
export async function runStep(deps: StepDeps, onboarding: Onboarding, step: Exclude<StepName, 'golive'>, input: unknown): Promise<StepResult> {
  const outcome = await runners[step](deps, onboarding, input);
  const result: StepResult = { ...outcome, at: deps.context.clock.now().toISOString() };
  onboarding.results[step] = result;
  await saveOnboarding(deps.context.db, deps.context.clock, onboarding);
  return result;
}
