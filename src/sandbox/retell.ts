/**
 * A faithful local Retell management API (reference/retell-management.md): Retell LLMs with their tools, agents
 * and phone numbers, behind `Authorization: Bearer <API key>`, answering errors as `{"status":"error","message"}`.
 * retell-sdk's own client points at it through `baseURL`. Updates edit the latest draft (a published version is
 * left alone and a new draft made), list endpoints page with `pagination_key`, buying a number is recorded like any
 * call so tests can prove it never happened. Only the latest version of each resource is kept: a read of an older
 * `version` answers 404.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { EmulatedVendor, startVendor, type Emulator } from './emulator.js';
import {
  LEGACY_PHONE_FIELDS,
  agentCreateSchema,
  agentUpdateSchema,
  describeProblem,
  llmBodySchema,
  phoneCreateSchema,
  phoneImportSchema,
  phoneUpdateSchema,
} from './retell-validation.js';

type Json = Record<string, unknown>;

/** Retell's documented messages (reference §1). */
export const RETELL_MESSAGES = {
  badRequest: 'Invalid request format, please check API reference.',
  unauthorized: 'API key is missing or invalid.',
  notFound: 'The requested resource was not found.',
  rateLimited: 'Account rate limited, please throttle your requests.',
  serverError: 'An unexpected server error occurred.',
} as const;

export function retellErrorBody(message: string): { status: 'error'; message: string } {
  return { status: 'error', message };
}

export interface RetellOfficeSeed {
  /** The agent id the office's config lists (`retell.agentIds`). */
  agentId: string;
  agentName?: string;
  /** The number callers dial, imported into Retell (E.164); none when omitted. */
  phoneNumber?: string;
  webhookUrl?: string;
  inboundWebhookUrl?: string;
  /** The agent's `language` (a locale or a list of them); en-US when omitted, as Retell defaults. */
  language?: string | string[];
}

export interface RetellEmulatorOptions {
  apiKey: string;
  clock?: Clock;
  /** Agents, LLMs and numbers to create at start, one set per office. */
  offices?: RetellOfficeSeed[];
  port?: number;
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  pagination_key: z.string().optional(),
  sort_order: z.enum(['ascending', 'descending']).optional(),
});
const versionQuery = z.object({ version: z.coerce.number().int().min(0).optional() });

export class RetellEmulator extends EmulatedVendor {
  readonly llms = new Map<string, Json>();
  readonly agents = new Map<string, Json>();
  readonly phoneNumbers = new Map<string, Json>();
  private readonly apiKey: string;
  private readonly clock: Clock;
  /** Creation order of every resource id, which lists sort by. */
  private readonly createdOrder = new Map<string, number>();
  private sequence = 0;

  private constructor(emulator: Emulator, options: RetellEmulatorOptions) {
    super(emulator);
    this.apiKey = options.apiKey;
    this.clock = options.clock ?? systemClock;
  }

  static async start(options: RetellEmulatorOptions): Promise<RetellEmulator> {
    const retell = await startVendor({ name: 'retell', port: options.port }, (emulator) => {
      const instance = new RetellEmulator(emulator, options);
      instance.registerRoutes(emulator.app);
      return instance;
    });
    for (const office of options.offices ?? []) retell.seedOffice(office);
    return retell;
  }

  /** An office as a person would have set it up in Retell's dashboard: an LLM without tools, its agent, its number. */
  seedOffice(seed: RetellOfficeSeed): { llmId: string; agentId: string; phoneNumber?: string } {
    const existing = this.agents.get(seed.agentId);
    const llmId = existing ? String((existing.response_engine as Json).llm_id) : this.newId('llm_');
    if (!existing) {
      this.llms.set(llmId, this.llmRecord(llmId, { general_prompt: `You are the receptionist of ${seed.agentName ?? 'the office'}.`, general_tools: [] }));
      this.agents.set(
        seed.agentId,
        this.agentRecord(seed.agentId, {
          agent_name: seed.agentName ?? seed.agentId,
          voice_id: 'retell-Cimo',
          language: seed.language ?? 'en-US',
          response_engine: { type: 'retell-llm', llm_id: llmId },
          webhook_url: seed.webhookUrl ?? null,
        }),
      );
    }
    if (seed.phoneNumber && !this.phoneNumbers.has(seed.phoneNumber)) {
      this.phoneNumbers.set(
        seed.phoneNumber,
        this.phoneRecord(seed.phoneNumber, 'custom', {
          nickname: seed.agentName ?? null,
          inbound_agents: [{ agent_id: seed.agentId, weight: 1 }],
          inbound_webhook_url: seed.inboundWebhookUrl ?? null,
          termination_uri: 'switchboard-demo.pstn.twilio.com',
        }),
      );
    }
    return { llmId, agentId: seed.agentId, ...(seed.phoneNumber ? { phoneNumber: seed.phoneNumber } : {}) };
  }

  /** The custom tools on an agent's LLM, by name (what a call would be able to use). */
  toolsOf(agentId: string): Json[] {
    const agent = this.agents.get(agentId);
    const llm = agent ? this.llms.get(String((agent.response_engine as Json).llm_id)) : undefined;
    return ((llm?.general_tools as Json[] | null | undefined) ?? []).map((tool) => ({ ...tool }));
  }

  /** The next `times` API calls whose path contains `match` answer 429 as Retell does when throttling. */
  rateLimitNext(times = 1, match?: string): void {
    this.emulator.faults.failNext(times, 429, retellErrorBody(RETELL_MESSAGES.rateLimited), { match });
  }

  /** The next `times` API calls whose path contains `match` answer 500 without doing anything. */
  failNext(times = 1, match?: string): void {
    this.emulator.faults.failNext(times, 500, retellErrorBody(RETELL_MESSAGES.serverError), { match });
  }

  /** Buying a number takes `ms` (Retell buys it from the carrier while the request waits). */
  slowNumberPurchases(ms: number): void {
    this.emulator.faults.latency(ms, { match: '/create-phone-number' });
  }

  reset(): void {
    this.emulator.reset();
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }

  private registerRoutes(app: FastifyInstance): void {
    app.setNotFoundHandler((_request, reply) => reply.code(404).send(retellErrorBody(RETELL_MESSAGES.notFound)));
    app.setErrorHandler((error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      const message = status === 413 ? 'Request body is too large.' : status < 500 ? RETELL_MESSAGES.badRequest : RETELL_MESSAGES.serverError;
      return reply.code(status).send(retellErrorBody(message));
    });
    app.get('/__sandbox/retell/state', async () => ({
      llms: [...this.llms.values()],
      agents: [...this.agents.values()],
      phone_numbers: [...this.phoneNumbers.values()].map((record) => this.phoneView(record)),
    }));

    void app.register(async (api) => {
      api.addHook('preHandler', async (request, reply) => {
        const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
        if (match?.[1]?.trim() !== this.apiKey) return reply.code(401).send(retellErrorBody(RETELL_MESSAGES.unauthorized));
      });
      type Id = { Params: { id: string } };

      api.post('/create-retell-llm', (request, reply) => this.createLlm(request, reply));
      api.get<Id>('/get-retell-llm/:id', (request, reply) => this.readVersioned(this.llms, request, reply));
      api.patch<Id>('/update-retell-llm/:id', (request, reply) => this.updateLlm(request, reply));
      api.get('/v2/list-retell-llms', (request, reply) => this.list(this.llms, request, reply, (record) => record));
      api.delete<Id>('/delete-retell-llm/:id', (request, reply) => this.deleteLlm(request, reply));

      api.post('/create-agent', (request, reply) => this.createAgent(request, reply));
      api.get<Id>('/get-agent/:id', (request, reply) => this.readVersioned(this.agents, request, reply));
      api.patch<Id>('/update-agent/:id', (request, reply) => this.updateAgent(request, reply));
      api.post('/v2/list-agents', (request, reply) => this.listAgents(request, reply));
      api.post<Id>('/publish-agent-version/:id', (request, reply) => this.publishAgent(request, reply));
      api.delete<Id>('/delete-agent/:id', async (request, reply) => {
        if (!this.agents.delete(request.params.id)) return notFound(reply);
        return reply.code(204).send();
      });

      api.post('/create-phone-number', (request, reply) => this.createPhoneNumber(request, reply, 'buy'));
      api.post('/import-phone-number', (request, reply) => this.createPhoneNumber(request, reply, 'import'));
      // find-my-way decodes %2B but leaves a literal '+' alone: the SDK sends E.164 numbers with a literal '+'.
      api.get<Id>('/get-phone-number/:id', async (request, reply) => {
        const record = this.phoneNumbers.get(request.params.id);
        return record ? this.phoneView(record) : notFound(reply);
      });
      api.patch<Id>('/update-phone-number/:id', (request, reply) => this.updatePhoneNumber(request, reply));
      api.get('/v2/list-phone-numbers', (request, reply) => this.list(this.phoneNumbers, request, reply, (record) => this.phoneView(record)));
      api.delete<Id>('/delete-phone-number/:id', async (request, reply) => {
        if (!this.phoneNumbers.delete(request.params.id)) return notFound(reply);
        return reply.code(204).send();
      });
    });
  }

  private createLlm(request: FastifyRequest, reply: FastifyReply): unknown {
    const body = parseBody(llmBodySchema, request.body, reply);
    if (!body) return reply;
    const id = this.newId('llm_');
    this.llms.set(id, this.llmRecord(id, body));
    return reply.code(201).send(this.llms.get(id));
  }

  private updateLlm(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const record = this.llms.get(request.params.id);
    if (!record) return notFound(reply);
    const body = parseBody(llmBodySchema, request.body ?? {}, reply);
    if (!body) return reply;
    return this.applyUpdate(record, body, request, reply);
  }

  private deleteLlm(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const id = request.params.id;
    if (!this.llms.has(id)) return notFound(reply);
    const force = (request.query as Json).force_delete === 'true';
    const user = [...this.agents.values()].find((agent) => (agent.response_engine as Json).llm_id === id);
    if (user && !force)
      return badRequest(reply, `The Retell LLM ${id} is used by agent ${String(user.agent_id)}; change the agent first or pass force_delete.`);
    this.llms.delete(id);
    return reply.code(204).send();
  }

  private createAgent(request: FastifyRequest, reply: FastifyReply): unknown {
    const body = parseBody(agentCreateSchema, request.body, reply);
    if (!body) return reply;
    if (!this.engineExists(body.response_engine, reply)) return reply;
    const id = this.newId('agent_');
    this.agents.set(id, this.agentRecord(id, body));
    return reply.code(201).send(this.agents.get(id));
  }

  private updateAgent(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const record = this.agents.get(request.params.id);
    if (!record) return notFound(reply);
    const body = parseBody(agentUpdateSchema, request.body ?? {}, reply);
    if (!body) return reply;
    if (body.response_engine && !this.engineExists(body.response_engine, reply)) return reply;
    return this.applyUpdate(record, body, request, reply);
  }

  private listAgents(request: FastifyRequest, reply: FastifyReply): unknown {
    const filter = z
      .object({ filter_criteria: z.object({ query: z.string().optional() }).loose().optional() })
      .loose()
      .safeParse(request.body ?? {});
    if (!filter.success) return badRequest(reply, describeProblem(filter.error));
    const query = filter.data.filter_criteria?.query?.toLowerCase();
    const matching = new Map(
      [...this.agents].filter(
        ([id, agent]) =>
          !query ||
          String(agent.agent_name ?? '')
            .toLowerCase()
            .includes(query) ||
          id.toLowerCase().includes(query),
      ),
    );
    return this.list(matching, request, reply, (agent) => ({
      agent_id: agent.agent_id,
      agent_name: agent.agent_name ?? '',
      channel: 'voice',
      tags: {},
      user_modified_timestamp: agent.last_modification_timestamp,
    }));
  }

  private publishAgent(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const agent = this.agents.get(request.params.id);
    if (!agent) return notFound(reply);
    const body = z
      .object({ version: z.int().min(0) })
      .loose()
      .safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, describeProblem(body.error));
    if (body.data.version !== agent.version) return notFound(reply);
    agent.is_published = true;
    // Publishing an agent publishes the version of its response engine it uses.
    const llm = this.llms.get(String((agent.response_engine as Json).llm_id));
    if (llm) llm.is_published = true;
    return reply.code(200).send();
  }

  private createPhoneNumber(request: FastifyRequest, reply: FastifyReply, how: 'buy' | 'import'): unknown {
    if (!this.refuseLegacyFields(request.body, reply)) return reply;
    const body = parseBody(how === 'buy' ? phoneCreateSchema : phoneImportSchema, request.body, reply);
    if (!body) return reply;
    if (!this.agentsExist(body, reply)) return reply;
    const number = typeof body.phone_number === 'string' ? body.phone_number : this.freeNumber(typeof body.area_code === 'number' ? body.area_code : 415);
    if (this.phoneNumbers.has(number)) return badRequest(reply, `The phone number ${number} is already in this workspace.`);
    const { sip_trunk_auth_username: authUsername, sip_trunk_auth_password: _password, ...fields } = body;
    const record = this.phoneRecord(number, how === 'buy' ? (body.number_provider === 'telnyx' ? 'retell-telnyx' : 'retell-twilio') : 'custom', {
      ...fields,
      ...(authUsername === undefined ? {} : { auth_username: authUsername }),
    });
    this.phoneNumbers.set(number, record);
    return reply.code(201).send(this.phoneView(record));
  }

  private updatePhoneNumber(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const record = this.phoneNumbers.get(request.params.id);
    if (!record) return notFound(reply);
    if (!this.refuseLegacyFields(request.body, reply)) return reply;
    const body = parseBody(phoneUpdateSchema, request.body ?? {}, reply);
    if (!body) return reply;
    if (!this.agentsExist(body, reply)) return reply;
    const { auth_password: _password, ...fields } = body;
    Object.assign(record, fields, { last_modification_timestamp: this.nowMs() });
    return this.phoneView(record);
  }

  private readVersioned(store: Map<string, Json>, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): unknown {
    const record = store.get(request.params.id);
    const query = versionQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, describeProblem(query.error));
    if (!record || (query.data.version !== undefined && query.data.version !== record.version)) return notFound(reply);
    return record;
  }

  /** PATCH semantics: the fields sent replace the stored ones (`general_tools` whole); a published version forks a draft. */
  private applyUpdate(record: Json, body: Json, request: FastifyRequest, reply: FastifyReply): unknown {
    const query = versionQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, describeProblem(query.error));
    if (query.data.version !== undefined && query.data.version !== record.version) {
      return badRequest(reply, `Only the latest version (${String(record.version)}) can be updated.`);
    }
    if (record.is_published === true) {
      record.version = Number(record.version) + 1;
      record.is_published = false;
    }
    Object.assign(record, body, { last_modification_timestamp: this.nowMs() });
    return record;
  }

  private list(store: Map<string, Json>, request: FastifyRequest, reply: FastifyReply, view: (record: Json) => unknown): unknown {
    const query = listQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, describeProblem(query.error));
    const { limit = 50, pagination_key: after, sort_order: order = 'descending' } = query.data;
    const ids = [...store.keys()].sort((a, b) => (this.createdOrder.get(a) ?? 0) - (this.createdOrder.get(b) ?? 0));
    if (order === 'descending') ids.reverse();
    const start = after === undefined ? 0 : ids.indexOf(after) + 1;
    if (after !== undefined && start === 0) return badRequest(reply, `Unknown pagination_key ${after}.`);
    const page = ids.slice(start, start + limit);
    const hasMore = start + page.length < ids.length;
    return {
      items: page.map((id) => view(store.get(id)!)),
      has_more: hasMore,
      ...(hasMore ? { pagination_key: page[page.length - 1] } : {}),
    };
  }

  private engineExists(engine: Json, reply: FastifyReply): boolean {
    if (engine.type === 'retell-llm' && !this.llms.has(String(engine.llm_id))) {
      void badRequest(reply, `response_engine.llm_id: no Retell LLM ${String(engine.llm_id)} in this workspace.`);
      return false;
    }
    return true;
  }

  private agentsExist(body: Json, reply: FastifyReply): boolean {
    for (const field of ['inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents']) {
      for (const entry of (body[field] as Json[] | null | undefined) ?? []) {
        if (!this.agents.has(String(entry.agent_id))) {
          void badRequest(reply, `${field}: no agent ${String(entry.agent_id)} in this workspace.`);
          return false;
        }
      }
    }
    return true;
  }

  private refuseLegacyFields(body: unknown, reply: FastifyReply): boolean {
    const legacy = Object.keys(LEGACY_PHONE_FIELDS).find((field) => body && typeof body === 'object' && field in body);
    if (!legacy) return true;
    void badRequest(reply, `${legacy} is no longer supported; use ${LEGACY_PHONE_FIELDS[legacy]} (a weighted list of agents).`);
    return false;
  }

  private llmRecord(id: string, body: Json): Json {
    this.createdOrder.set(id, ++this.sequence);
    return { model: 'gpt-4.1', model_temperature: 0, ...body, llm_id: id, version: 0, is_published: false, last_modification_timestamp: this.nowMs() };
  }

  private agentRecord(id: string, body: Json): Json {
    this.createdOrder.set(id, ++this.sequence);
    return {
      language: 'en-US',
      timezone: 'America/Los_Angeles',
      webhook_timeout_ms: 10_000,
      ...body,
      agent_id: id,
      version: 0,
      base_version: null,
      is_published: false,
      last_modification_timestamp: this.nowMs(),
    };
  }

  private phoneRecord(number: string, type: 'retell-twilio' | 'retell-telnyx' | 'custom', fields: Json): Json {
    this.createdOrder.set(number, ++this.sequence);
    const areaCode = /^\+1(\d{3})/.exec(number)?.[1];
    return {
      phone_number: number,
      phone_number_type: type,
      phone_number_pretty: prettyNumber(number),
      ...(areaCode ? { area_code: Number(areaCode) } : {}),
      nickname: null,
      inbound_agents: null,
      outbound_agents: null,
      inbound_sms_agents: null,
      outbound_sms_agents: null,
      inbound_webhook_url: null,
      inbound_sms_webhook_url: null,
      fallback_number: null,
      ...fields,
      last_modification_timestamp: this.nowMs(),
    };
  }

  /** The number as Retell answers it: trunk settings grouped, the trunk password never echoed. */
  private phoneView(record: Json): Json {
    const { termination_uri: terminationUri, auth_username: authUsername, transport, auth_password: _password, ...rest } = record;
    if (record.phone_number_type !== 'custom') return rest;
    return {
      ...rest,
      sip_outbound_trunk_config: { termination_uri: terminationUri ?? null, auth_username: authUsername ?? null, transport: transport ?? 'TCP' },
    };
  }

  private freeNumber(areaCode: number): string {
    for (let line = 100; line < 10_000; line += 1) {
      const number = `+1${areaCode}555${String(line).padStart(4, '0')}`;
      if (!this.phoneNumbers.has(number)) return number;
    }
    throw new Error(`retell emulator: no free numbers left in area code ${areaCode}`);
  }

  private newId(prefix: string): string {
    return prefix + randomBytes(12).toString('hex');
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}

export function startRetellEmulator(options: RetellEmulatorOptions): Promise<RetellEmulator> {
  return RetellEmulator.start(options);
}

function parseBody<T extends z.ZodType<Json>>(schema: T, body: unknown, reply: FastifyReply): z.infer<T> | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  void badRequest(reply, describeProblem(parsed.error));
  return undefined;
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send(retellErrorBody(message));
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).send(retellErrorBody(RETELL_MESSAGES.notFound));
}

function prettyNumber(number: string): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return match ? `+1 (${match[1]}) ${match[2]}-${match[3]}` : number;
}
