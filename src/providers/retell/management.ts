/**
 * Retell's management API through retell-sdk (reference/retell-management.md): read agents and numbers, and wire an
 * existing agent to Switchboard with `syncAgentTools`. It never buys or creates a phone number (a retried
 * create-phone-number can buy two), and every write here is a full replacement of a field, so the SDK's own retries
 * of 408/409/429/5xx and lost answers are safe to repeat. Reads come first and writes happen only where something
 * differs: a second run changes nothing.
 */
import Retell, { APIConnectionError, APIError } from 'retell-sdk';
import { canonicalJson } from '../../core/canonical.js';
import { VendorError } from '../../core/errors.js';

export interface RetellManagementOptions {
  apiKey: string;
  /** The emulator in demo/tests; Retell's API otherwise. */
  baseUrl?: string;
  /** Per attempt (default 15 000 ms). */
  timeoutMs?: number;
  /** The SDK's retries of 408/409/429/5xx and network failures (default 2). */
  maxRetries?: number;
}

export type RetellCustomTool = Retell.LlmResponse.CustomTool;
type GeneralTool = NonNullable<Retell.LlmResponse['general_tools']>[number];

export interface RetellAgentSummary {
  agentId: string;
  name: string;
}

export interface RetellPhoneNumberSummary {
  phoneNumber: string;
  nickname: string | null;
  inboundAgentIds: string[];
  inboundWebhookUrl: string | null;
}

export interface SyncAgentToolsInput {
  agentId: string;
  /** Custom tools to create or update by name on the agent's Retell LLM; other tools are left as they are. */
  tools: RetellCustomTool[];
  /** The agent's call-event webhook. */
  webhookUrl: string;
  /** The number callers dial (E.164), already in the Retell workspace. */
  phoneNumber: string;
  /** The number's inbound-call webhook (caller memory). */
  inboundWebhookUrl: string;
}

export type SyncAgentToolsResult =
  | {
      ok: true;
      llmId: string;
      tools: { created: string[]; updated: string[]; unchanged: string[] };
      agentWebhookChanged: boolean;
      inboundWebhookChanged: boolean;
      /** `bound`: the number had no inbound agent and now rings this one; `other_agents`: left as it was. */
      numberAgent: 'already' | 'bound' | 'other_agents';
      /** False when the run wrote nothing. */
      changed: boolean;
    }
  | {
      ok: false;
      reason: 'agent_not_found' | 'agent_not_retell_llm' | 'llm_not_found' | 'phone_number_not_found' | 'tool_name_taken';
      message: string;
    };

export type RetellKeyCheck = { ok: true } | { ok: false; reason: 'invalid_api_key'; message: string };

export class RetellManagement {
  private readonly client: Retell;
  /** One read-modify-write of an LLM's tools at a time: Retell replaces `general_tools` whole and has no ETag. */
  private readonly llmQueues = new Map<string, Promise<unknown>>();

  constructor(options: RetellManagementOptions) {
    this.client = new Retell({
      apiKey: options.apiKey,
      baseURL: options.baseUrl ?? null,
      timeout: options.timeoutMs ?? 15_000,
      maxRetries: options.maxRetries ?? 2,
      logLevel: 'off',
    });
  }

  async validateApiKey(): Promise<RetellKeyCheck> {
    try {
      await this.client.agent.list({ limit: 1 });
      return { ok: true };
    } catch (error) {
      if (error instanceof APIError && error.status === 401) {
        return {
          ok: false,
          reason: 'invalid_api_key',
          message: 'Retell did not accept this API key; copy it again from the Retell dashboard (Settings → API Keys).',
        };
      }
      throw classifyRetellError(error, 'check the API key');
    }
  }

  async listAgents(query?: string): Promise<RetellAgentSummary[]> {
    const agents: RetellAgentSummary[] = [];
    let paginationKey: string | undefined;
    do {
      const page = await this.call('list the agents', () =>
        this.client.agent.list({ limit: 1000, ...(paginationKey ? { pagination_key: paginationKey } : {}), ...(query ? { filter_criteria: { query } } : {}) }),
      );
      for (const item of page.items) agents.push({ agentId: item.agent_id, name: item.agent_name });
      paginationKey = page.has_more ? page.pagination_key : undefined;
    } while (paginationKey);
    return agents;
  }

  async listPhoneNumbers(): Promise<RetellPhoneNumberSummary[]> {
    const numbers: RetellPhoneNumberSummary[] = [];
    let paginationKey: string | undefined;
    do {
      const page = await this.call('list the phone numbers', () =>
        this.client.phoneNumber.list({ limit: 1000, ...(paginationKey ? { pagination_key: paginationKey } : {}) }),
      );
      for (const item of page.items) {
        numbers.push({
          phoneNumber: item.phone_number,
          nickname: item.nickname ?? null,
          inboundAgentIds: (item.inbound_agents ?? []).map((agent) => agent.agent_id),
          inboundWebhookUrl: item.inbound_webhook_url ?? null,
        });
      }
      paginationKey = page.has_more ? page.pagination_key : undefined;
    } while (paginationKey);
    return numbers;
  }

  async syncAgentTools(input: SyncAgentToolsInput): Promise<SyncAgentToolsResult> {
    const agent = await this.findOrNull('read the agent', () => this.client.agent.retrieve(input.agentId));
    if (!agent) return { ok: false, reason: 'agent_not_found', message: `Retell has no agent ${input.agentId} in this workspace.` };
    const engine = agent.response_engine;
    if (engine.type !== 'retell-llm') {
      return {
        ok: false,
        reason: 'agent_not_retell_llm',
        message: `Agent ${input.agentId} answers with a ${engine.type} engine; Switchboard's tools can only be added to a Retell LLM agent (single or multi prompt).`,
      };
    }
    const number = await this.findOrNull('read the phone number', () => this.client.phoneNumber.retrieve(input.phoneNumber));
    if (!number) {
      return {
        ok: false,
        reason: 'phone_number_not_found',
        message: `The Retell workspace has no phone number ${input.phoneNumber}. Buy or import it in Retell first; Switchboard never buys numbers.`,
      };
    }

    const tools = await this.serialised(engine.llm_id, () => this.syncTools(engine.llm_id, input.tools));
    if (!tools.ok) return tools;

    const agentWebhookChanged = agent.webhook_url !== input.webhookUrl;
    if (agentWebhookChanged) await this.call('set the agent webhook', () => this.client.agent.update(input.agentId, { webhook_url: input.webhookUrl }));

    const boundAgents = number.inbound_agents ?? [];
    const numberAgent = boundAgents.some((bound) => bound.agent_id === input.agentId) ? 'already' : boundAgents.length === 0 ? 'bound' : 'other_agents';
    const numberChanges: Retell.PhoneNumberUpdateParams = {};
    if (number.inbound_webhook_url !== input.inboundWebhookUrl) numberChanges.inbound_webhook_url = input.inboundWebhookUrl;
    // A number without an inbound agent rejects calls; one that rings other agents is a person's choice to keep.
    if (numberAgent === 'bound') numberChanges.inbound_agents = [{ agent_id: input.agentId, weight: 1 }];
    const numberChanged = Object.keys(numberChanges).length > 0;
    if (numberChanged) await this.call('configure the phone number', () => this.client.phoneNumber.update(input.phoneNumber, numberChanges));

    return {
      ok: true,
      llmId: engine.llm_id,
      tools: { created: tools.created, updated: tools.updated, unchanged: tools.unchanged },
      agentWebhookChanged,
      inboundWebhookChanged: numberChanges.inbound_webhook_url !== undefined,
      numberAgent,
      changed: tools.written || agentWebhookChanged || numberChanged,
    };
  }

  /** Creates or updates each tool by name; tools of other names and types stay where they are. */
  private async syncTools(
    llmId: string,
    desired: RetellCustomTool[],
  ): Promise<
    | { ok: true; created: string[]; updated: string[]; unchanged: string[]; written: boolean }
    | { ok: false; reason: 'llm_not_found' | 'tool_name_taken'; message: string }
  > {
    const llm = await this.findOrNull('read the Retell LLM', () => this.client.llm.retrieve(llmId));
    if (!llm) return { ok: false, reason: 'llm_not_found', message: `The agent's Retell LLM ${llmId} no longer exists.` };
    const tools: GeneralTool[] = [...(llm.general_tools ?? [])];
    const created: string[] = [];
    const updated: string[] = [];
    const unchanged: string[] = [];
    for (const tool of desired) {
      const index = tools.findIndex((existing) => existing.name === tool.name);
      const existing = tools[index];
      if (!existing) {
        tools.push(tool);
        created.push(tool.name);
      } else if (existing.type !== 'custom') {
        return {
          ok: false,
          reason: 'tool_name_taken',
          message: `The agent already has a ${existing.type} tool named ${tool.name}; rename or remove it in Retell so Switchboard can add its own.`,
        };
      } else if (sameFields(existing, tool)) {
        unchanged.push(tool.name);
      } else {
        // Fields a person added in Retell's dashboard (response variables, headers) are kept; ours win where both set one.
        tools[index] = { ...existing, ...tool };
        updated.push(tool.name);
      }
    }
    const written = created.length > 0 || updated.length > 0;
    if (written) await this.call('update the agent tools', () => this.client.llm.update(llmId, { general_tools: tools }));
    return { ok: true, created, updated, unchanged, written };
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.llmQueues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.llmQueues.set(key, settled);
    void settled.then(() => {
      if (this.llmQueues.get(key) === settled) this.llmQueues.delete(key);
    });
    return next;
  }

  private async findOrNull<T>(what: string, request: () => Promise<T>): Promise<T | null> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof APIError && error.status === 404) return null;
      throw classifyRetellError(error, what);
    }
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw classifyRetellError(error, what);
    }
  }
}

/** Whether `existing` already has every field of `desired` with the same value (key order and extra fields aside). */
function sameFields(existing: object, desired: object): boolean {
  const current = existing as Record<string, unknown>;
  return Object.entries(desired).every(([key, value]) => value === undefined || canonicalJson(current[key]) === canonicalJson(value));
}

/** The SDK has already retried what it retries; what reaches here is classified once for the caller. */
export function classifyRetellError(error: unknown, what: string): VendorError {
  if (error instanceof VendorError) return error;
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const body = error.error as { message?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? body.message : `HTTP ${status}`;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const advice =
      status === 401
        ? ' Check the Retell API key.'
        : status === 402
          ? ' The Retell account needs a payment method.'
          : retryable
            ? ' Try again in a moment.'
            : '';
    return new VendorError({
      vendor: 'retell',
      code: `http_${status}`,
      status,
      response: error.error,
      retryable,
      message: `Retell refused to ${what}: ${detail}.${advice}`,
      cause: error,
    });
  }
  const network = error instanceof APIConnectionError;
  return new VendorError({
    vendor: 'retell',
    code: network ? 'network' : 'unexpected',
    retryable: network,
    message: `Could not ${what} at Retell: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}
