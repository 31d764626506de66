/**
 * What the Retell emulator accepts in create/update bodies (reference/retell-management.md §3–5, retell-sdk 5.66.1
 * types). Unknown fields are kept as sent, since Retell's API grows faster than this file; the fields onboarding
 * relies on are checked the way Retell documents them, so a client that passes here sends what Retell accepts.
 */
import { z } from 'zod';

/** The locales of `language` in retell-sdk 5.66.1. */
export const RETELL_LANGUAGES = [
  'en-US',
  'en-IN',
  'en-GB',
  'en-AU',
  'en-NZ',
  'de-DE',
  'es-ES',
  'es-419',
  'hi-IN',
  'fr-FR',
  'fr-CA',
  'ja-JP',
  'pt-PT',
  'pt-BR',
  'zh-CN',
  'ru-RU',
  'it-IT',
  'ko-KR',
  'nl-NL',
  'nl-BE',
  'pl-PL',
  'tr-TR',
  'vi-VN',
  'ro-RO',
  'bg-BG',
  'ca-ES',
  'th-TH',
  'da-DK',
  'fi-FI',
  'el-GR',
  'hu-HU',
  'id-ID',
  'no-NO',
  'sk-SK',
  'sv-SE',
  'lt-LT',
  'lv-LV',
  'cs-CZ',
  'ms-MY',
  'af-ZA',
  'ar-SA',
  'az-AZ',
  'bs-BA',
  'cy-GB',
  'fa-IR',
  'fil-PH',
  'gl-ES',
  'he-IL',
  'hr-HR',
  'hy-AM',
  'is-IS',
  'kk-KZ',
  'kn-IN',
  'mk-MK',
  'mr-IN',
  'ne-NP',
  'sl-SI',
  'sr-RS',
  'sw-KE',
  'ta-IN',
  'ur-IN',
  'yue-CN',
  'uk-UA',
] as const;

export const RETELL_WEBHOOK_EVENTS = [
  'call_started',
  'call_ended',
  'call_analyzed',
  'transcript_updated',
  'transfer_started',
  'transfer_bridged',
  'transfer_cancelled',
  'transfer_ended',
] as const;

const TOOL_TYPES = [
  'end_call',
  'transfer_call',
  'check_availability_cal',
  'book_appointment_cal',
  'agent_swap',
  'press_digit',
  'send_sms',
  'custom',
  'code',
  'extract_dynamic_variable',
  'bridge_transfer',
  'cancel_transfer',
  'mcp',
] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const toolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

/** A custom tool: the fields Retell documents, each checked; anything else kept as sent. */
export const customToolSchema = z.looseObject({
  type: z.literal('custom'),
  name: toolName,
  url: httpUrl,
  description: z.string().optional(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  parameters: z
    .looseObject({
      type: z.literal('object', 'the top level of parameters must be "type": "object"'),
      properties: z.record(z.string(), z.unknown()).optional(),
      required: z.array(z.string()).optional(),
    })
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
  query_params: z.record(z.string(), z.string()).optional(),
  args_at_root: z.boolean().optional(),
  speak_during_execution: z.boolean().optional(),
  speak_after_execution: z.boolean().optional(),
  execution_message_description: z.string().optional(),
  execution_message_type: z.enum(['prompt', 'static_text']).optional(),
  timeout_ms: z.int().min(1_000).max(600_000).optional(),
  max_retry: z.int().min(0).max(5).optional(),
  response_variables: z.record(z.string(), z.string()).optional(),
});

const otherToolSchema = z.looseObject({
  type: z.enum(TOOL_TYPES.filter((type) => type !== 'custom') as [string, ...string[]]),
  name: toolName,
});

export const generalToolsSchema = z.array(z.discriminatedUnion('type', [customToolSchema, otherToolSchema])).superRefine((tools, context) => {
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name)) context.addIssue({ code: 'custom', message: `tool name "${tool.name}" is used twice; names must be unique` });
    seen.add(tool.name);
  }
});

export const llmBodySchema = z.looseObject({
  general_prompt: z.string().nullable().optional(),
  begin_message: z.string().nullable().optional(),
  start_speaker: z.enum(['user', 'agent']).optional(),
  model: z.string().nullable().optional(),
  model_temperature: z.number().min(0).max(1).optional(),
  default_dynamic_variables: z.record(z.string(), z.string()).nullable().optional(),
  general_tools: generalToolsSchema.nullable().optional(),
  knowledge_base_ids: z.array(z.string()).nullable().optional(),
});

/** `multi` was refused from 07/31/2026 (reference §4): a list of locales says the same. */
const language = z.union([z.enum(RETELL_LANGUAGES), z.array(z.enum(RETELL_LANGUAGES)).min(1)], {
  error: 'must be a supported locale (e.g. "en-US", "es-419") or a list of them; "multi" is no longer accepted',
});

const responseEngine = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('retell-llm'), llm_id: z.string().min(1), version: z.int().min(0).nullable().optional() }),
  z.looseObject({ type: z.literal('conversation-flow'), conversation_flow_id: z.string().min(1), version: z.int().min(0).nullable().optional() }),
  z.looseObject({ type: z.literal('custom-llm'), llm_websocket_url: z.string().min(1) }),
]);

const agentFields = {
  agent_name: z.string().nullable().optional(),
  voice_id: z.string().min(1).optional(),
  language: language.optional(),
  timezone: z.string().nullable().optional(),
  webhook_url: httpUrl.nullable().optional(),
  webhook_events: z.array(z.enum(RETELL_WEBHOOK_EVENTS)).nullable().optional(),
  webhook_timeout_ms: z.int().min(1).optional(),
  max_call_duration_ms: z.int().min(60_000).max(7_200_000).optional(),
  end_call_after_silence_ms: z.int().min(10_000).optional(),
  ring_duration_ms: z.int().min(5_000).max(300_000).optional(),
};

export const agentCreateSchema = z.looseObject({ ...agentFields, response_engine: responseEngine, voice_id: z.string().min(1) });
export const agentUpdateSchema = z.looseObject({ ...agentFields, response_engine: responseEngine.optional() });

const weightedAgent = z.looseObject({
  agent_id: z.string().min(1),
  agent_version: z.union([z.int().min(0), z.string().min(1)]).optional(),
  weight: z.number().gt(0, 'weight must be above 0').max(1, 'weight must be at most 1'),
});

const weightedAgents = z
  .array(weightedAgent)
  .refine((agents) => agents.length === 0 || Math.abs(agents.reduce((sum, agent) => sum + agent.weight, 0) - 1) < 1e-6, 'the weights must add up to 1')
  .nullable();

/** Fields 5.66.1 no longer has (deprecated 03/31/2026); refused with the name of their replacement. */
export const LEGACY_PHONE_FIELDS: Record<string, string> = {
  inbound_agent_id: 'inbound_agents',
  inbound_agent_version: 'inbound_agents',
  outbound_agent_id: 'outbound_agents',
  outbound_agent_version: 'outbound_agents',
  inbound_sms_agent_id: 'inbound_sms_agents',
  outbound_sms_agent_id: 'outbound_sms_agents',
};

const phoneFields = {
  nickname: z.string().nullable().optional(),
  inbound_agents: weightedAgents.optional(),
  outbound_agents: weightedAgents.optional(),
  inbound_sms_agents: weightedAgents.optional(),
  outbound_sms_agents: weightedAgents.optional(),
  inbound_webhook_url: httpUrl.nullable().optional(),
  inbound_sms_webhook_url: httpUrl.nullable().optional(),
  fallback_number: z.string().nullable().optional(),
};

export const phoneUpdateSchema = z.looseObject({
  ...phoneFields,
  termination_uri: z.string().nullable().optional(),
  auth_username: z.string().optional(),
  auth_password: z.string().optional(),
});

export const phoneCreateSchema = z.looseObject({
  ...phoneFields,
  area_code: z.int().min(200).max(999).optional(),
  country_code: z.enum(['US', 'CA']).optional(),
  toll_free: z.boolean().optional(),
  number_provider: z.enum(['twilio', 'telnyx']).optional(),
  phone_number: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/, 'must be E.164')
    .optional(),
});

export const phoneImportSchema = z.looseObject({
  ...phoneFields,
  phone_number: z.string().min(1),
  termination_uri: z.string().min(1),
  sip_trunk_auth_username: z.string().optional(),
  sip_trunk_auth_password: z.string().optional(),
  transport: z.enum(['TLS', 'TCP', 'UDP']).optional(),
});

/** "general_tools.0.url: must be an http(s) URL": the first problem, named by its path. */
export function describeProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid request format, please check API reference.';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
