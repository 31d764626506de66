/**
 * Plays a realistic Retell call against a running Switchboard: call_inbound, call_started, transcript updates,
 * function calls, call_ended and call_analyzed, each signed with retell-sdk exactly as Retell signs. Options
 * duplicate, reorder and delay the webhook events to show the intake is idempotent and order-independent.
 * The CLI (`switchboard simulate-call`) and the dashboard both call `simulateCall`.
 */
import { randomBytes } from 'node:crypto';
import { sign } from 'retell-sdk';
import type { ClientConfig } from '../config/client-schema.js';
import { DEMO_SECRETS } from '../config/demo-secrets.js';
import type { Scenario } from './call-scenarios.js';

export { SCENARIOS, type Scenario } from './call-scenarios.js';

/** The office a simulated call rings: what the agent says and books. */
export interface SimulatedOffice {
  name: string;
  agentId: string;
  officePhone: string;
  appointmentType: { id: string; name: string };
  /** Each agent's Retell language (`retell.agentLanguages`): a Spanish scenario rings the office's Spanish agent. */
  agentLanguages?: Record<string, string | string[]>;
}

/** Any office's simulator profile: its first agent, its number, its default (or first) appointment type. */
export function simulatedOfficeOf(config: ClientConfig): SimulatedOffice {
  const type = config.appointmentTypes.find((candidate) => candidate.default) ?? config.appointmentTypes[0]!;
  const agentId = config.retell.agentIds[0];
  if (!agentId) throw new Error(`${config.name} has no Retell agent yet; connect one before simulating a call.`);
  return {
    name: config.name,
    agentId,
    officePhone: config.officePhone,
    appointmentType: { id: type.id, name: type.name },
    agentLanguages: config.retell.agentLanguages,
  };
}

const DEFAULT_OFFICE: SimulatedOffice = {
  name: 'Smart Tax Nation',
  agentId: 'agent_stn_demo_0001',
  officePhone: '+12125550142',
  appointmentType: { id: 'individual-return', name: 'individual tax return' },
  agentLanguages: { agent_stn_demo_0001: 'en-US', agent_stn_demo_es_0001: 'es-419' },
};

/** Asks a running demo server for an office's simulator profile (signed with the office's Retell key). */
export async function fetchSimulatedOffice(baseUrl: string, client: string, apiKey: string = DEMO_SECRETS.RETELL_API_KEY): Promise<SimulatedOffice> {
  const raw = JSON.stringify({ purpose: 'simulator' });
  const response = await fetch(`${baseUrl.replace(/\/$/, '')}/v1/retell/${encodeURIComponent(client)}/simulator`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(raw, apiKey) },
    body: raw,
  });
  const body = (await response.json().catch(() => ({}))) as Partial<SimulatedOffice> & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `The server answered ${response.status}.`);
  return body as SimulatedOffice;
}

export interface SimulateCallOptions {
  /** Base URL of the running server, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  client: string;
  from: string;
  scenario: Scenario;
  /** The office's Retell API key (default: the demo key). */
  apiKey?: string;
  /** The office called (default: Smart Tax Nation's demo profile). */
  office?: SimulatedOffice;
  /** The caller gives this e-mail address (so the confirmation also goes by e-mail). */
  callerEmail?: string;
  agentId?: string;
  toNumber?: string;
  /** Send every webhook event twice. */
  duplicate?: boolean;
  /** Send call_analyzed before call_ended (and call_ended before call_started). */
  reorder?: boolean;
  /** Wait this long between steps (ms). */
  delayMs?: number;
  /** Start time of the simulated call (default now). */
  startAt?: Date;
  fetchImpl?: typeof fetch;
}

export interface SimulationStep {
  kind: 'inbound' | 'event' | 'function';
  name: string;
  status: number;
  body: unknown;
}

export interface SimulationResult {
  callId: string;
  steps: SimulationStep[];
  /** Steps that did not answer 2xx (e.g. a 404 for booking functions that are not installed). */
  problems: string[];
}

interface Turn {
  role: 'agent' | 'user';
  content: string;
}

interface ScenarioScript {
  /** The caller's language: the call rings an agent set to it when the office has one. */
  language?: string;
  turns: Turn[];
  /** Args may depend on earlier function answers (by function name), as an agent's would. */
  functions: Array<{ name: string; args: Record<string, unknown> | ((answers: Record<string, unknown>) => Record<string, unknown>) }>;
  durationMs: number;
  disconnection: string;
  analysis: Record<string, unknown>;
}

/** The office's agent set to `language` ("es" matches es-419, es-ES…), else its first agent. */
function agentSpeaking(office: SimulatedOffice, language: string | undefined): string {
  if (!language) return office.agentId;
  const speaks = (setting: string | string[]) => [setting].flat().every((tag) => tag.toLowerCase().split('-')[0] === language);
  const found = Object.entries(office.agentLanguages ?? {}).find(([, setting]) => speaks(setting));
  return found?.[0] ?? office.agentId;
}

interface OfferedSlot {
  start?: unknown;
  staff_id?: unknown;
}

/**
 * What an agent books from an availability answer: the first slot on the day asked, else the first of the nearest open
 * day, with the slot's person when the office has several (`staff`, as check_calendar_availability's answer says).
 */
function firstOffered(answer: unknown): { start?: string; staff?: string } {
  const offered = answer as { slots?: OfferedSlot[]; nearest_open_days?: Array<{ first_slot?: OfferedSlot }> } | undefined;
  const slot = Array.isArray(offered?.slots) && offered.slots.length > 0 ? offered.slots[0] : offered?.nearest_open_days?.[0]?.first_slot;
  return {
    ...(typeof slot?.start === 'string' ? { start: slot.start } : {}),
    ...(typeof slot?.staff_id === 'string' ? { staff: slot.staff_id } : {}),
  };
}

function nextWeekday(from: Date): string {
  const date = new Date(from.getTime() + 2 * 86_400_000);
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

function script(scenario: Scenario, startAt: Date, office: SimulatedOffice, callerEmail?: string): ScenarioScript {
  const type = office.appointmentType;
  switch (scenario) {
    case 'new-caller-books': {
      const date = nextWeekday(startAt);
      return {
        turns: [
          { role: 'agent', content: `Thanks for calling ${office.name}, this is the virtual receptionist. How can I help?` },
          { role: 'user', content: `Hi, I'd like to book an appointment, a ${type.name.toLowerCase()}.` },
          { role: 'agent', content: 'Happy to help. May I have your name?' },
          { role: 'user', content: "It's Jordan Rivera." },
          { role: 'agent', content: 'Thanks Jordan. Let me check what we have open.' },
          { role: 'user', content: 'Something in the afternoon would be great.' },
          { role: 'agent', content: "You're booked. We'll text you a confirmation." },
        ],
        functions: [
          { name: 'save_caller_details', args: { name: 'Jordan Rivera', ...(callerEmail ? { email: callerEmail } : {}) } },
          { name: 'check_calendar_availability', args: { date, appointment_type: type.id } },
          {
            name: 'book_appointment',
            // As the agent does: book the first slot the availability check offered.
            args: (answers) => ({ ...firstOffered(answers.check_calendar_availability), appointment_type: type.id, name: 'Jordan Rivera' }),
          },
        ],
        durationMs: 184_000,
        disconnection: 'agent_hangup',
        analysis: {
          call_summary: `New caller Jordan Rivera booked a ${type.name.toLowerCase()} appointment.`,
          user_sentiment: 'Positive',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: { intent: 'book_appointment', caller_name: 'Jordan Rivera' },
        },
      };
    }
    case 'new-caller-books-es': {
      const date = nextWeekday(startAt);
      return {
        language: 'es',
        turns: [
          { role: 'agent', content: `Gracias por llamar a ${office.name}, le atiende la recepcionista virtual. ¿En qué le puedo ayudar?` },
          { role: 'user', content: 'Hola, buenas tardes. Quisiera hacer una cita para mis impuestos, por favor.' },
          { role: 'agent', content: 'Con mucho gusto. ¿Me da su nombre, por favor?' },
          { role: 'user', content: 'Me llamo Carmen Rivera.' },
          { role: 'agent', content: 'Gracias, Carmen. Déjeme ver qué tenemos libre.' },
          { role: 'user', content: 'Por la tarde, si es posible.' },
          { role: 'agent', content: 'Listo, su cita está reservada. Le enviaremos la confirmación por mensaje de texto.' },
        ],
        functions: [
          { name: 'save_caller_details', args: { name: 'Carmen Rivera', ...(callerEmail ? { email: callerEmail } : {}) } },
          { name: 'check_calendar_availability', args: { date, appointment_type: type.id } },
          {
            name: 'book_appointment',
            args: (answers) => ({ ...firstOffered(answers.check_calendar_availability), appointment_type: type.id, name: 'Carmen Rivera' }),
          },
        ],
        durationMs: 196_000,
        disconnection: 'agent_hangup',
        analysis: {
          call_summary: 'Nueva clienta, Carmen Rivera, reservó una cita.',
          user_sentiment: 'Positive',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: { intent: 'book_appointment', caller_name: 'Carmen Rivera' },
        },
      };
    }
    case 'returning-caller-question':
      return {
        turns: [
          { role: 'agent', content: `Welcome back to ${office.name}! How can I help today?` },
          { role: 'user', content: 'What should I bring for my appointment?' },
          { role: 'agent', content: 'Everything to bring is in your confirmation text; I can read it to you now.' },
          { role: 'user', content: 'Great, thanks.' },
        ],
        functions: [],
        durationMs: 75_000,
        disconnection: 'user_hangup',
        analysis: {
          call_summary: 'Returning caller asked what documents to bring.',
          user_sentiment: 'Positive',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: { intent: 'question' },
        },
      };
    case 'caller-opts-out':
      return {
        turns: [
          { role: 'agent', content: `Thanks for calling ${office.name}. How can I help?` },
          { role: 'user', content: 'Please stop texting me.' },
          { role: 'agent', content: "Done, you won't get more texts from us." },
        ],
        functions: [{ name: 'opt_out', args: { channel: 'sms' } }],
        durationMs: 41_000,
        disconnection: 'user_hangup',
        analysis: {
          call_summary: 'Caller asked to stop receiving text messages.',
          user_sentiment: 'Neutral',
          call_successful: true,
          in_voicemail: false,
          custom_analysis_data: { intent: 'opt_out' },
        },
      };
    case 'caller-hangs-up-early':
      return {
        turns: [{ role: 'agent', content: `Thanks for calling ${office.name}, how can I` }],
        functions: [],
        durationMs: 6_000,
        disconnection: 'user_hangup',
        analysis: { call_summary: 'The caller hung up before saying anything.', user_sentiment: 'Unknown', call_successful: false, in_voicemail: false },
      };
  }
}

export async function simulateCall(options: SimulateCallOptions): Promise<SimulationResult> {
  const doFetch = options.fetchImpl ?? fetch;
  const apiKey = options.apiKey ?? DEMO_SECRETS.RETELL_API_KEY;
  const office = options.office ?? DEFAULT_OFFICE;
  const toNumber = options.toNumber ?? office.officePhone;
  const base = options.baseUrl.replace(/\/$/, '');
  const callId = `call_sim_${randomBytes(8).toString('hex')}`;
  const startAt = options.startAt ?? new Date();
  const plan = script(options.scenario, startAt, office, options.callerEmail);
  const agentId = options.agentId ?? agentSpeaking(office, plan.language);
  const steps: SimulationStep[] = [];
  const problems: string[] = [];
  const pause = () => (options.delayMs ? new Promise((resolve) => setTimeout(resolve, options.delayMs)) : Promise.resolve());

  const send = async (kind: SimulationStep['kind'], name: string, path: string, payload: unknown) => {
    const raw = JSON.stringify(payload);
    const signature = await sign(raw, apiKey);
    const response = await doFetch(`${base}/v1/retell/${options.client}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': signature },
      body: raw,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep text
    }
    steps.push({ kind, name, status: response.status, body });
    if (response.status >= 300) problems.push(`${name} answered ${response.status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    else if (kind === 'function' && (body as { ok?: unknown } | undefined)?.ok === false) {
      problems.push(`${name} answered ok: false: ${String((body as { message?: unknown }).message ?? '')}`);
    }
    await pause();
    return body;
  };
  const answers: Record<string, unknown> = {};

  const baseCall = {
    call_type: 'phone_call',
    call_id: callId,
    agent_id: agentId,
    agent_version: 1,
    direction: 'inbound',
    from_number: options.from,
    to_number: toNumber,
    start_timestamp: startAt.getTime(),
  };
  const transcriptUntil = (count: number) => plan.turns.slice(0, count);
  const transcriptText = (turns: Turn[]) => turns.map((t) => `${t.role === 'agent' ? 'Agent' : 'User'}: ${t.content}`).join('\n');
  const transcriptObject = (turns: Turn[]) =>
    turns.map((t, i) => ({
      role: t.role,
      content: t.content,
      words: t.content.split(' ').map((word, w) => ({ word, start: i * 5 + w * 0.3, end: i * 5 + w * 0.3 + 0.25 })),
    }));

  await send('inbound', 'call_inbound', '/inbound', {
    event: 'call_inbound',
    call_inbound: { agent_id: agentId, agent_version: 1, from_number: options.from, to_number: toNumber, call_id: callId },
  });

  const started = { event: 'call_started', call: { ...baseCall, call_status: 'ongoing' } };
  if (!options.reorder) await sendEvent(started);

  const functionsAt = plan.functions.length > 0 ? Math.max(1, Math.floor(plan.turns.length / (plan.functions.length + 1))) : 0;
  for (let turn = 1; turn <= plan.turns.length; turn++) {
    const turns = transcriptUntil(turn);
    await sendEvent(
      {
        event: 'transcript_updated',
        call: { ...baseCall, call_status: 'ongoing', transcript: transcriptText(turns), transcript_object: transcriptObject(turns) },
      },
      false,
    );
    const index = functionsAt > 0 && turn % functionsAt === 0 ? turn / functionsAt - 1 : -1;
    const fn = index >= 0 ? plan.functions[index] : undefined;
    if (fn) {
      const args = typeof fn.args === 'function' ? fn.args(answers) : fn.args;
      answers[fn.name] = await send('function', fn.name, `/functions/${fn.name}`, {
        name: fn.name,
        args,
        call: { ...baseCall, call_status: 'ongoing', transcript: transcriptText(turns) },
      });
    }
  }

  const endAt = startAt.getTime() + plan.durationMs;
  const finished = {
    ...baseCall,
    call_status: 'ended',
    end_timestamp: endAt,
    duration_ms: plan.durationMs,
    transcript: transcriptText(plan.turns),
    transcript_object: transcriptObject(plan.turns),
    disconnection_reason: plan.disconnection,
    recording_url: `https://example.invalid/recordings/${callId}.wav`,
  };
  const ended = { event: 'call_ended', call: finished };
  const analyzed = { event: 'call_analyzed', call: { ...finished, call_analysis: plan.analysis } };
  if (options.reorder) {
    await sendEvent(analyzed);
    await sendEvent(ended);
    await sendEvent(started);
  } else {
    await sendEvent(ended);
    await sendEvent(analyzed);
  }
  return { callId, steps, problems };

  async function sendEvent(payload: { event: string; call: Record<string, unknown> }, allowDuplicate = true) {
    await send('event', payload.event, '/webhook', payload);
    if (options.duplicate && allowDuplicate) await send('event', `${payload.event} (duplicate)`, '/webhook', payload);
  }
}
