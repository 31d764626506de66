import Retell from 'retell-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VendorError } from '../../src/core/errors.js';
import { retellToolDefinitions } from '../../src/functions/tool-schemas.js';
import { RetellManagement } from '../../src/providers/retell/management.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { EmulatorHttpClient } from '../../src/providers/twilio/http-client.js';
import { createTwilioNumbers } from '../../src/providers/twilio/numbers.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { RETELL_MESSAGES, startRetellEmulator, type RetellEmulator } from '../../src/sandbox/retell.js';

const apiKey = 'key_test_retell_management_0001';
const agentId = 'agent_stn_demo_0001';
const officeNumber = '+12125550199';
const base = 'https://sb.example';
const sync = {
  agentId,
  tools: retellToolDefinitions(base, 'smart-tax-nation'),
  webhookUrl: `${base}/v1/retell/smart-tax-nation/webhook`,
  phoneNumber: officeNumber,
  inboundWebhookUrl: `${base}/v1/retell/smart-tax-nation/inbound`,
};

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function anEmulator(clock = new ManualClock('2026-03-02T15:00:00Z')): Promise<RetellEmulator> {
  const retell = await startRetellEmulator({ apiKey, clock, offices: [{ agentId, agentName: 'Smart Tax Nation', phoneNumber: officeNumber }] });
  cleanups.push(() => retell.close());
  return retell;
}

function management(retell: RetellEmulator, options: { apiKey?: string; timeoutMs?: number; maxRetries?: number } = {}) {
  return new RetellManagement({ apiKey: options.apiKey ?? apiKey, baseUrl: retell.url, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries });
}

function sdk(retell: RetellEmulator, key = apiKey): Retell {
  return new Retell({ apiKey: key, baseURL: retell.url, maxRetries: 0, logLevel: 'off' });
}

async function call(retell: RetellEmulator, method: string, path: string, body?: unknown, key: string | null = apiKey) {
  const response = await fetch(retell.url + path, {
    method,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const writes = (retell: RetellEmulator) => retell.requests.filter((request) => request.method !== 'GET' && !request.path.startsWith('/v2/list'));
const toolNames = (retell: RetellEmulator) => retell.toolsOf(agentId).map((tool) => String(tool.name));

describe('Retell emulator: auth, errors and shapes', () => {
  it('answers a missing or wrong API key with 401 and Retell’s error body', async () => {
    const retell = await anEmulator();
    for (const key of [null, 'key_wrong']) {
      expect(await call(retell, 'GET', `/get-agent/${agentId}`, undefined, key)).toEqual({
        status: 401,
        body: { status: 'error', message: RETELL_MESSAGES.unauthorized },
      });
    }
    await expect(sdk(retell, 'key_wrong').agent.retrieve(agentId)).rejects.toBeInstanceOf(Retell.AuthenticationError);
  });

  it('answers unknown ids and unknown paths with 404, and malformed JSON with 400, in the same shape', async () => {
    const retell = await anEmulator();
    expect(await call(retell, 'GET', '/get-agent/agent_missing')).toEqual({ status: 404, body: { status: 'error', message: RETELL_MESSAGES.notFound } });
    expect(await call(retell, 'GET', '/v1/no-such-endpoint')).toEqual({ status: 404, body: { status: 'error', message: RETELL_MESSAGES.notFound } });
    expect(await call(retell, 'PATCH', `/update-agent/${agentId}`, '{"agent_name":')).toEqual({
      status: 400,
      body: { status: 'error', message: RETELL_MESSAGES.badRequest },
    });
    await expect(sdk(retell).llm.retrieve('llm_missing')).rejects.toBeInstanceOf(Retell.NotFoundError);
  });

  it('refuses what Retell refuses: unknown locales, "multi", weights not adding to 1, the retired inbound_agent_id, duplicate tool names', async () => {
    const retell = await anEmulator();
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['PATCH', `/update-agent/${agentId}`, { language: 'es-MX' }, /^language: must be a supported locale/],
      ['PATCH', `/update-agent/${agentId}`, { language: 'multi' }, /"multi" is no longer accepted/],
      ['PATCH', `/update-phone-number/${officeNumber}`, { inbound_agents: [{ agent_id: agentId, weight: 0.5 }] }, /weights must add up to 1/],
      ['PATCH', `/update-phone-number/${officeNumber}`, { inbound_agent_id: agentId }, /inbound_agent_id is no longer supported; use inbound_agents/],
      ['PATCH', `/update-phone-number/${officeNumber}`, { inbound_agents: [{ agent_id: 'agent_nobody', weight: 1 }] }, /no agent agent_nobody/],
      ['PATCH', `/update-phone-number/${officeNumber}`, { inbound_webhook_url: 'not a url' }, /inbound_webhook_url: must be an http\(s\) URL/],
    ];
    const llmId = String((retell.agents.get(agentId)!.response_engine as Record<string, unknown>).llm_id);
    const tool = { type: 'custom', name: 'book_appointment', url: 'https://sb.example/book' };
    cases.push(['PATCH', `/update-retell-llm/${llmId}`, { general_tools: [tool, tool] }, /used twice/]);
    cases.push(['PATCH', `/update-retell-llm/${llmId}`, { general_tools: [{ ...tool, parameters: { type: 'array' } }] }, /parameters.type/]);
    for (const [method, path, body, message] of cases) {
      const answer = await call(retell, method, path, body);
      expect({ path, body, status: answer.status, status_field: answer.body?.status }).toEqual({ path, body, status: 400, status_field: 'error' });
      expect(String(answer.body?.message)).toMatch(message);
    }
    expect(retell.agents.get(agentId)).toMatchObject({ language: 'en-US' });
    expect(retell.phoneNumbers.get(officeNumber)).toMatchObject({ inbound_agents: [{ agent_id: agentId, weight: 1 }], inbound_webhook_url: null });
    expect(retell.toolsOf(agentId)).toEqual([]);
  });

  it('keeps the + of an E.164 number in the path, as the SDK sends it', async () => {
    const retell = await anEmulator();
    const number = await sdk(retell).phoneNumber.retrieve(officeNumber);
    expect(number).toMatchObject({ phone_number: officeNumber, phone_number_type: 'custom', inbound_agents: [{ agent_id: agentId, weight: 1 }] });
    expect(number).not.toHaveProperty('auth_password');
    expect(retell.requests.at(-1)!.url).toBe(`/get-phone-number/${officeNumber}`);
    expect((await call(retell, 'GET', `/get-phone-number/${encodeURIComponent(officeNumber)}`)).status).toBe(200);
  });

  it('pages lists with pagination_key and filters agents by name', async () => {
    const retell = await anEmulator();
    for (const name of ['Desert Bookkeeping', 'Harbor Dental']) {
      retell.seedOffice({ agentId: `agent_${name.split(' ')[0]!.toLowerCase()}`, agentName: name });
    }
    const first = await sdk(retell).agent.list({ limit: 2 });
    expect(first.items.map((item) => item.agent_id)).toEqual(['agent_harbor', 'agent_desert']);
    expect(first).toMatchObject({ has_more: true, pagination_key: 'agent_desert' });
    const second = await sdk(retell).agent.list({ limit: 2, pagination_key: first.pagination_key! });
    expect(second).toEqual({ items: [expect.objectContaining({ agent_id: agentId, agent_name: 'Smart Tax Nation', channel: 'voice' })], has_more: false });
    expect((await sdk(retell).agent.list({ filter_criteria: { query: 'dental' } })).items.map((item) => item.agent_id)).toEqual(['agent_harbor']);
    expect((await sdk(retell).phoneNumber.list()).items.map((item) => item.phone_number)).toEqual([officeNumber]);
  });

  it('updates the draft in place and forks a new draft from a published version', async () => {
    const clock = new ManualClock('2026-03-02T15:00:00Z');
    const retell = await anEmulator(clock);
    const client = sdk(retell);
    clock.advance(60_000);
    expect(await client.agent.update(agentId, { agent_name: 'STN front desk' })).toMatchObject({
      version: 0,
      is_published: false,
      last_modification_timestamp: clock.now().getTime(),
    });
    await client.agent.publish(agentId, { version: 0 });
    expect(await client.agent.retrieve(agentId)).toMatchObject({ version: 0, is_published: true });
    expect(await client.agent.update(agentId, { agent_name: 'STN' })).toMatchObject({ version: 1, is_published: false, agent_name: 'STN' });
    await expect(client.agent.retrieve(agentId, { version: 0 })).rejects.toBeInstanceOf(Retell.NotFoundError);
  });
});

describe('Retell management client: syncAgentTools', () => {
  it('creates every tool, sets both webhooks, and a second run writes nothing', async () => {
    const clock = new ManualClock('2026-03-02T15:00:00Z');
    const retell = await anEmulator(clock);
    const client = management(retell);

    const first = await client.syncAgentTools(sync);
    expect(first).toMatchObject({
      ok: true,
      tools: { created: sync.tools.map((tool) => tool.name), updated: [], unchanged: [] },
      agentWebhookChanged: true,
      inboundWebhookChanged: true,
      numberAgent: 'already',
      changed: true,
    });
    expect(toolNames(retell)).toEqual(sync.tools.map((tool) => tool.name));
    expect(retell.agents.get(agentId)).toMatchObject({ webhook_url: sync.webhookUrl });
    expect(retell.phoneNumbers.get(officeNumber)).toMatchObject({ inbound_webhook_url: sync.inboundWebhookUrl });
    const writesAfterFirst = writes(retell).length;
    const llm = retell.llms.get(first.ok ? first.llmId : '')!;
    const stamp = llm.last_modification_timestamp;

    clock.advance(60_000);
    const second = await client.syncAgentTools(sync);
    expect(second).toMatchObject({
      ok: true,
      changed: false,
      agentWebhookChanged: false,
      inboundWebhookChanged: false,
      tools: { created: [], updated: [], unchanged: sync.tools.map((tool) => tool.name) },
    });
    expect(writes(retell)).toHaveLength(writesAfterFirst);
    expect(toolNames(retell)).toEqual(sync.tools.map((tool) => tool.name));
    expect(llm.last_modification_timestamp).toBe(stamp);
    expect(retell.requests.some((request) => /create-phone-number|import-phone-number/.test(request.path))).toBe(false);
  });

  it('updates a tool someone edited in place (no duplicate), keeping other tools and the fields they added', async () => {
    const retell = await anEmulator();
    const llmId = String((retell.agents.get(agentId)!.response_engine as Record<string, unknown>).llm_id);
    const theirs = [
      { type: 'end_call', name: 'end_call' },
      { type: 'custom', name: 'lookup_invoice', url: 'https://billing.example/lookup' },
      { type: 'custom', name: 'book_appointment', url: 'https://old.example/book', response_variables: { booking: '$.booking_id' } },
    ];
    await sdk(retell).llm.update(llmId, { general_tools: theirs as never });

    const result = await management(retell).syncAgentTools(sync);
    expect(result).toMatchObject({ ok: true, tools: { updated: ['book_appointment'] } });
    const tools = retell.toolsOf(agentId);
    expect(tools.map((tool) => tool.name)).toEqual([
      'end_call',
      'lookup_invoice',
      'book_appointment',
      ...sync.tools.map((tool) => tool.name).filter((name) => name !== 'book_appointment'),
    ]);
    expect(tools.find((tool) => tool.name === 'book_appointment')).toMatchObject({
      url: `${base}/v1/retell/smart-tax-nation/functions/book_appointment`,
      response_variables: { booking: '$.booking_id' },
      parameters: sync.tools.find((tool) => tool.name === 'book_appointment')!.parameters,
    });
    expect(await management(retell).syncAgentTools(sync)).toMatchObject({ ok: true, changed: false });
  });

  it('binds a number without an inbound agent to the agent, and leaves a number that rings other agents alone', async () => {
    const retell = await anEmulator();
    retell.phoneNumbers.get(officeNumber)!.inbound_agents = null;
    expect(await management(retell).syncAgentTools(sync)).toMatchObject({ ok: true, numberAgent: 'bound' });
    expect(retell.phoneNumbers.get(officeNumber)!.inbound_agents).toEqual([{ agent_id: agentId, weight: 1 }]);

    retell.seedOffice({ agentId: 'agent_other', agentName: 'Other' });
    retell.phoneNumbers.get(officeNumber)!.inbound_agents = [{ agent_id: 'agent_other', weight: 1 }];
    expect(await management(retell).syncAgentTools(sync)).toMatchObject({ ok: true, numberAgent: 'other_agents', changed: false });
    expect(retell.phoneNumbers.get(officeNumber)!.inbound_agents).toEqual([{ agent_id: 'agent_other', weight: 1 }]);
  });

  it('answers values for what a person must fix, writes nothing, and never buys a number', async () => {
    const retell = await anEmulator();
    const client = management(retell);
    const writesDuring = async (work: () => Promise<unknown>) => {
      const before = writes(retell).length;
      const result = await work();
      return { result, writes: writes(retell).length - before };
    };
    expect(await writesDuring(() => client.syncAgentTools({ ...sync, agentId: 'agent_missing' }))).toMatchObject({
      result: { ok: false, reason: 'agent_not_found' },
      writes: 0,
    });
    expect(await writesDuring(() => client.syncAgentTools({ ...sync, phoneNumber: '+12125550100' }))).toMatchObject({
      result: { ok: false, reason: 'phone_number_not_found', message: expect.stringContaining('never buys numbers') },
      writes: 0,
    });
    const llmId = String((retell.agents.get(agentId)!.response_engine as Record<string, unknown>).llm_id);
    await sdk(retell).llm.update(llmId, {
      general_tools: [{ type: 'transfer_call', name: 'book_appointment', transfer_destination: { type: 'predefined', number: '+12125550142' } }] as never,
    });
    expect(await writesDuring(() => client.syncAgentTools(sync))).toMatchObject({ result: { ok: false, reason: 'tool_name_taken' }, writes: 0 });
    const custom = await sdk(retell).agent.create({ response_engine: { type: 'custom-llm', llm_websocket_url: 'wss://llm.example' }, voice_id: 'retell-Cimo' });
    expect(await writesDuring(() => client.syncAgentTools({ ...sync, agentId: custom.agent_id }))).toMatchObject({
      result: { ok: false, reason: 'agent_not_retell_llm' },
      writes: 0,
    });

    expect(retell.requests.some((request) => /create-phone-number|import-phone-number/.test(request.path))).toBe(false);
    expect(retell.agents.get(agentId)!.webhook_url).toBeNull();
    expect(retell.phoneNumbers.get(officeNumber)!.inbound_webhook_url).toBeNull();
  });

  it('rides out one transient 500 on the tools update through the SDK’s retry: one set of tools', async () => {
    const retell = await anEmulator();
    retell.failNext(1, '/update-retell-llm/');
    expect(await management(retell).syncAgentTools(sync)).toMatchObject({ ok: true, changed: true });
    expect(retell.emulator.received('/update-retell-llm/', 'PATCH').map((request) => request.status)).toEqual([500, 200]);
    expect(toolNames(retell)).toEqual(sync.tools.map((tool) => tool.name));
  });

  it('an update applied but never answered is repeated by the SDK with the same whole list: still one set of tools', async () => {
    const retell = await anEmulator();
    retell.emulator.faults.timeoutAfterCommit(1, { match: '/update-retell-llm/', hangMs: 2_000 });
    expect(await management(retell, { timeoutMs: 400 }).syncAgentTools(sync)).toMatchObject({ ok: true });
    expect(retell.emulator.received('/update-retell-llm/', 'PATCH')).toHaveLength(2);
    expect(toolNames(retell)).toEqual(sync.tools.map((tool) => tool.name));
  });

  it('gives up with a retryable VendorError when Retell keeps rate limiting, and a re-run completes', async () => {
    const retell = await anEmulator();
    retell.rateLimitNext(1, '/update-agent/');
    const error = await management(retell, { maxRetries: 0 })
      .syncAgentTools(sync)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendorError);
    expect(error).toMatchObject({ vendor: 'retell', status: 429, retryable: true, message: expect.stringContaining(RETELL_MESSAGES.rateLimited) });
    expect(await management(retell).syncAgentTools(sync)).toMatchObject({ ok: true, tools: { created: [] }, agentWebhookChanged: true });
    expect(toolNames(retell)).toEqual(sync.tools.map((tool) => tool.name));
  });

  it('serialises concurrent syncs of one agent so neither loses the other’s tools', async () => {
    const retell = await anEmulator();
    retell.emulator.faults.latency(50, { match: '/get-retell-llm/' });
    const client = management(retell);
    const half = Math.ceil(sync.tools.length / 2);
    const [a, b] = await Promise.all([
      client.syncAgentTools({ ...sync, tools: sync.tools.slice(0, half) }),
      client.syncAgentTools({ ...sync, tools: sync.tools.slice(half) }),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(toolNames(retell).sort()).toEqual(sync.tools.map((tool) => tool.name).sort());
  });

  it('checks the API key and lists agents and numbers for the wizard', async () => {
    const retell = await anEmulator();
    expect(await management(retell).validateApiKey()).toEqual({ ok: true });
    expect(await management(retell, { apiKey: 'key_wrong' }).validateApiKey()).toMatchObject({ ok: false, reason: 'invalid_api_key' });
    expect(await management(retell).listAgents('smart')).toEqual([{ agentId, name: 'Smart Tax Nation' }]);
    expect(await management(retell).listPhoneNumbers()).toEqual([
      { phoneNumber: officeNumber, nickname: 'Smart Tax Nation', inboundAgentIds: [agentId], inboundWebhookUrl: null },
    ]);
  });

  it('sends tools Retell accepts: the emulator validates each generated definition', async () => {
    const retell = await anEmulator();
    const llm = await sdk(retell).llm.create({ general_tools: retellToolDefinitions(base, 'desert-bookkeeping') });
    expect(llm.general_tools).toHaveLength(sync.tools.length);
  });
});

describe('demo sandbox', () => {
  it('seeds each office, at start or when it loads: its agent, LLM and number at Retell, its number in the Twilio account', async () => {
    const sandbox = await startSandbox({
      clock: new ManualClock('2026-03-02T15:00:00Z'),
      offices: [{ name: 'Smart Tax Nation', retellAgentIds: [agentId], phoneNumber: officeNumber }],
    });
    cleanups.push(() => sandbox.close());
    // An office loaded later (offices are data), seeded twice as a reload would: no duplicates.
    const desert = { name: 'Desert Bookkeeping', retellAgentIds: ['agent_desert_demo_0001', 'agent_desert_spanish_0001'], phoneNumber: '+16025550118' };
    sandbox.seedOffice(desert);
    sandbox.seedOffice(desert);
    expect(sandbox.endpoints()).toContainEqual({ name: 'Retell', url: sandbox.retell.url });
    // Another process (the CLI, an end-to-end test) reads the emulator's state without an API key.
    const state = (await (await fetch(`${sandbox.retell.url}/__sandbox/retell/state`)).json()) as {
      agents: unknown[];
      llms: unknown[];
      phone_numbers: unknown[];
    };
    expect([state.agents.length, state.llms.length, state.phone_numbers.length]).toEqual([3, 3, 2]);

    const retell = new RetellManagement({ apiKey: DEMO_SECRETS.RETELL_API_KEY, baseUrl: sandbox.retell.url });
    expect((await retell.listAgents()).map((agent) => agent.agentId).sort()).toEqual([agentId, 'agent_desert_demo_0001', 'agent_desert_spanish_0001'].sort());
    expect(await retell.listPhoneNumbers()).toEqual(
      expect.arrayContaining([expect.objectContaining({ phoneNumber: '+16025550118', inboundAgentIds: ['agent_desert_demo_0001'] })]),
    );
    expect(await retell.syncAgentTools({ ...sync, agentId: 'agent_desert_demo_0001', phoneNumber: '+16025550118' })).toMatchObject({
      ok: true,
      numberAgent: 'already',
    });

    const httpClient = new EmulatorHttpClient({ baseUrl: sandbox.twilio.url });
    cleanups.push(async () => httpClient.close());
    const twilio = createTwilioNumbers({
      accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID,
      authToken: DEMO_SECRETS.TWILIO_AUTH_TOKEN,
      httpClient: httpClient.asRequestClient(),
    });
    expect((await twilio.listNumbers()).map((number) => number.phoneNumber).sort()).toEqual(['+12125550199', '+15005550006', '+16025550118']);
  });
});
