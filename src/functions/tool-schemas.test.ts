import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { argsProblemMessage } from './args-message.js';
import { retellFunctions } from './registry.js';
import { retellToolDefinitions, toolParameters } from './tool-schemas.js';

/**
 * Args a model might send, by function: each is accepted or refused by the router's zod schema, and the generated JSON
 * Schema must say the same. A function without samples fails the first test, so a new function gets some.
 */
const SAMPLES: Record<string, unknown[]> = {
  save_caller_details: [
    { name: 'Dana Smith' },
    { email: 'Dana.Smith@Example.com' },
    { notes: 'Prefers mornings', preferred_language: 'es' },
    { name: '' },
    { email: 'not-an-email' },
    { name: 42 },
    { preferred_language: 'e' },
    { notes: 'x'.repeat(2001) },
  ],
  get_transfer_target: [{}, { urgent: true }, { urgent: false, reason: 'Wants to speak to the owner' }, { urgent: 'yes' }, { reason: 'x'.repeat(501) }],
  opt_out: [{}, { channel: 'email', email: 'dana@example.com' }, { channel: 'all' }, { channel: 'fax' }, { email: 'nope' }, { channel: 1 }],
  request_callback: [
    { reason: 'Question about a 1099' },
    { reason: 'Letter from the IRS', name: 'Dana', callback_number: '+12125550142', preferred_time: 'after 5 pm' },
    {},
    { reason: '' },
    { reason: 'Question', callback_number: '1'.repeat(41) },
    { reason: 5 },
  ],
  check_calendar_availability: [
    {},
    { date: '2026-03-10' },
    { start_date: '2026-03-10', end_date: '2026-03-12', part_of_day: 'morning' },
    { day: '2026-03-11', time: '2:30 PM', appointment_type: 'Tax consultation' },
    { date: 'March 10' },
    { part_of_day: 'night' },
    { time: '1'.repeat(21) },
    { date: 20260310 },
  ],
  book_appointment: [
    { start: '2026-03-10T14:00:00-04:00', name: 'Dana Smith' },
    { start: '2026-03-10T14:00:00-04:00', name: 'Dana Smith', email: 'dana@example.com', phone: '+12125550142', notes: 'New client' },
    { name: 'Dana Smith' },
    { start: '2026-03-10T14:00:00-04:00' },
    { start: 'soon', name: 'Dana' },
    { start: '2026-03-10T14:00:00-04:00', name: 'Dana', email: 'dana@' },
    { start: '2026-03-10T14:00:00-04:00', name: 'x'.repeat(201) },
  ],
  reschedule_appointment: [
    { new_start: '2026-03-11T10:00:00-04:00' },
    { new_start: '2026-03-11T10:00:00-04:00', booking_id: 'bk_0123456789', phone: '+12125550142' },
    {},
    { new_start: 'tomorrow' },
    { new_start: '2026-03-11T10:00:00-04:00', booking_id: 'b'.repeat(41) },
  ],
  cancel_appointment: [{}, { booking_id: 'bk_0123456789', reason: 'Feeling unwell' }, { reason: 'x'.repeat(501) }, { booking_id: 12 }],
  find_appointment: [{}, { phone: '+12125550142' }, { phone: '1'.repeat(41) }, { phone: 5 }],
};

/** A JSON Schema validator: Fastify's own (Ajv with ajv-formats), with coercion, defaults and stripping turned off. */
let validator: FastifyInstance;
beforeAll(async () => {
  validator = Fastify({ ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false } } });
  for (const fn of retellFunctions) {
    validator.post(`/${fn.name}`, { schema: { body: toolParameters(fn) } }, async () => ({ ok: true }));
  }
  await validator.ready();
});
afterAll(() => validator.close());

async function jsonSchemaAccepts(name: string, args: unknown): Promise<boolean> {
  const response = await validator.inject({ method: 'POST', url: `/${name}`, payload: args as object });
  if (response.statusCode !== 200 && response.statusCode !== 400) throw new Error(`validator answered ${response.statusCode}: ${response.body}`);
  return response.statusCode === 200;
}

/** Schemas carrying a refinement (a custom check), which JSON Schema cannot express. */
function hasRefinement(schema: z.ZodType): boolean {
  const checks = (schema as unknown as { _zod: { def: { checks?: Array<{ _zod: { def: { check: string } } }> } } })._zod.def.checks ?? [];
  return checks.some((check) => check._zod.def.check === 'custom');
}

describe('Retell tool definitions generated from the router’s zod schemas', () => {
  it('gives every registered function a tool with its own schema, URL and description', () => {
    const tools = retellToolDefinitions('https://sb.example/', 'smart-tax-nation');
    expect(tools.map((tool) => tool.name)).toEqual(retellFunctions.map((fn) => fn.name));
    for (const fn of retellFunctions) {
      expect(SAMPLES[fn.name], `add sample args for ${fn.name} to SAMPLES`).toBeDefined();
      const tool = tools.find((candidate) => candidate.name === fn.name)!;
      expect(tool).toMatchObject({
        type: 'custom',
        name: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        description: fn.description,
        url: `https://sb.example/v1/retell/smart-tax-nation/functions/${fn.name}`,
        method: 'POST',
        args_at_root: false,
        speak_after_execution: true,
        timeout_ms: 10_000,
      });
      expect(tool.parameters).toEqual(toolParameters(fn));
      expect(tool.parameters).toMatchObject({ type: 'object', properties: expect.any(Object) });
      expect(tool.parameters).not.toHaveProperty('$schema');
    }
  });

  it('says while the calendar tools run that the agent is checking, and gives Retell more time than our budget', () => {
    const tools = retellToolDefinitions('https://sb.example', 'desert-bookkeeping', { functionBudgetMs: 8_000 });
    const book = tools.find((tool) => tool.name === 'book_appointment')!;
    expect(book).toMatchObject({ speak_during_execution: true, execution_message_type: 'prompt', timeout_ms: 12_000 });
    expect(book.execution_message_description).toMatch(/booking/);
    expect(tools.find((tool) => tool.name === 'opt_out')).toMatchObject({ speak_during_execution: false });
    expect(tools.find((tool) => tool.name === 'opt_out')).not.toHaveProperty('execution_message_description');
  });

  it('marks required exactly the args the router requires, and the e-mail format of a trimmed e-mail', () => {
    const parameters = (name: string) => toolParameters(retellFunctions.find((fn) => fn.name === name)!) as Record<string, unknown>;
    expect(parameters('book_appointment').required).toEqual(['start', 'name']);
    expect(parameters('request_callback').required).toEqual(['reason']);
    // A default makes the field optional for the caller of the tool.
    expect(parameters('opt_out').required).toBeUndefined();
    expect((parameters('book_appointment').properties as Record<string, Record<string, unknown>>).email).toMatchObject({ type: 'string', format: 'email' });
  });

  it('accepts and refuses the same sample args as the router’s zod schema', async () => {
    for (const fn of retellFunctions) {
      const samples = SAMPLES[fn.name] ?? [];
      const zodVerdicts = samples.map((args) => fn.args.safeParse(args).success);
      // Each function's samples include both outcomes, so agreement is not agreement on "accept everything".
      expect({ name: fn.name, accepted: zodVerdicts.includes(true), refused: zodVerdicts.includes(false) }).toEqual({
        name: fn.name,
        accepted: true,
        refused: true,
      });
      for (const [index, args] of samples.entries()) {
        expect({ name: fn.name, args, accepted: await jsonSchemaAccepts(fn.name, args) }).toEqual({ name: fn.name, args, accepted: zodVerdicts[index] });
      }
    }
  });

  it('leaves to the router only the rules JSON Schema cannot say, and the router answers them with a sentence', async () => {
    expect(retellFunctions.filter((fn) => hasRefinement(fn.args)).map((fn) => fn.name)).toEqual(['save_caller_details']);
    const save = retellFunctions.find((fn) => fn.name === 'save_caller_details')!;
    for (const args of [{}, { name: '   ' }]) {
      expect(await jsonSchemaAccepts(save.name, args)).toBe(true);
      const parsed = save.args.safeParse(args);
      expect(parsed.success).toBe(false);
      expect(argsProblemMessage(save.args, parsed.error!)).toMatch(/^I couldn't do that yet: .+ Please (ask|check)/);
    }
  });
});
