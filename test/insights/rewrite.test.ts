/**
 * Issue 17, the optional LLM rewrite: through the real adapter (`@anthropic-ai/sdk`) against the local Messages API
 * emulator. A rewrite that only changes wording is used; one that moves the appointment time, adds a link or a
 * number, drops the opt-out or adds an SMS segment is refused and the template is sent, with the reason; a provider
 * slower than the budget or failing leaves the template too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideRewrite } from '../../src/messaging/rewrite/decide.js';
import { factsOf } from '../../src/messaging/rewrite/facts.js';
import type { RewriteInput } from '../../src/messaging/rewrite/port.js';
import { anthropicRewritePort } from '../../src/providers/anthropic/rewrite.js';
import { AnthropicEmulator, warmGreeting } from '../../src/sandbox/anthropic.js';

const TEMPLATE =
  'Smart Tax Nation: Thanks for calling, Dana! Your appointment is Tuesday, March 10 at 2:30 PM at 125 Main St. Questions? Call (212) 555-0199. Reply STOP to opt out';
const FACTS = { verbatim: ['Reply STOP to opt out', '125 Main St'] };
const INPUT: RewriteInput = {
  summary: 'The caller booked a tax appointment and was anxious about an IRS letter.',
  text: TEMPLATE,
  language: 'en',
  channel: 'sms',
};

describe('LLM rewrite through the Anthropic SDK and the emulator', () => {
  let emulator: AnthropicEmulator;
  let port: ReturnType<typeof anthropicRewritePort>;

  beforeAll(async () => {
    emulator = await AnthropicEmulator.start();
    port = anthropicRewritePort({ apiKey: 'sk-ant-demo', model: 'demo-model', baseURL: emulator.url });
  });
  afterAll(async () => {
    await emulator.emulator.close();
  });

  it('the facts of a template are its date, time, address, phone, opt-out', () => {
    expect(factsOf(TEMPLATE, FACTS)).toEqual(
      expect.arrayContaining(['Tuesday, March 10', '2:30 PM', '(212) 555-0199', 'Reply STOP to opt out', '125 Main St']),
    );
  });

  it('uses a rewrite that keeps every fact', async () => {
    emulator.script = warmGreeting;
    const decision = await decideRewrite(port, INPUT, FACTS);
    expect(decision).toEqual({
      text: TEMPLATE.replace('Thanks for calling', 'Thank you for calling'),
      rewritten: true,
      reason: 'rewritten',
      code: 'rewritten',
    });
    const sent = emulator.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(JSON.stringify(sent.body)).toContain('anxious about an IRS letter');
  });

  it('sends the template when the rewrite changes the appointment time, and says why', async () => {
    emulator.script = (message) => message.replace('2:30 PM', '3:30 PM').replace('Thanks for calling', 'So glad you called');
    const decision = await decideRewrite(port, INPUT, FACTS);
    expect(decision).toEqual({ text: TEMPLATE, rewritten: false, reason: 'the rewrite lost or changed "2:30 PM"', code: 'lost_time' });
  });

  it('refuses two open times swapped between their days, and a time said fewer times, though every token survives', async () => {
    const slots = 'Smart Tax Nation: We missed you today. Open times: Tue 3/3 10:00 AM, Wed 3/4 10:30 AM. Call (212) 555-0199. Reply STOP to opt out';
    const input = { ...INPUT, text: slots };
    emulator.script = (message) => message.replace('10:00 AM', 'SWAP').replace('10:30 AM', '10:00 AM').replace('SWAP', '10:30 AM');
    expect(await decideRewrite(port, input, FACTS)).toMatchObject({
      text: slots,
      rewritten: false,
      code: 'lost_date_time',
      reason: 'the rewrite lost or changed "Tue 3/3 10:00 AM, Wed 3/4 10:30 AM"',
    });
    const twice = 'Smart Tax Nation: Tue 3/3 at 9:00 AM or Wed 3/4 at 9:00 AM. Reply STOP to opt out';
    emulator.script = (message) => message.replace('Wed 3/4 at 9:00 AM', 'Wed 3/4');
    expect(await decideRewrite(port, { ...INPUT, text: twice }, FACTS)).toMatchObject({ rewritten: false, code: 'lost_time' });
  });

  it('refuses a new link, a new number, a dropped opt-out and an extra SMS segment', async () => {
    const cases: Array<[(message: string) => string, RegExp]> = [
      [(message) => `${message} https://example.com/deal`, /added "https:\/\/example\.com\/deal"/],
      [(message) => message.replace('Questions?', 'Save 20 percent! Questions?'), /added "20"/],
      [(message) => message.replace(' Reply STOP to opt out', ''), /lost or changed "Reply STOP to opt out"/],
      [
        (message) =>
          message.replace('Thanks for calling', `Thank you so very much for calling us today, ${'we really loved hearing from you and '.repeat(4)}for calling`),
        /needs 3 SMS segments instead of 2/,
      ],
      [(message) => message.replace('Tuesday, March 10', 'Wednesday, March 11'), /lost or changed "Tuesday, March 10"/],
    ];
    for (const [script, reason] of cases) {
      emulator.script = script;
      const decision = await decideRewrite(port, INPUT, FACTS);
      expect(decision.rewritten).toBe(false);
      expect(decision.text).toBe(TEMPLATE);
      expect(decision.reason).toMatch(reason);
    }
  });

  it('keeps the template when the provider is slower than the budget or fails', async () => {
    emulator.faults.add({ type: 'latency', latencyMs: 400, times: 1 });
    emulator.script = warmGreeting;
    expect(await decideRewrite(port, INPUT, FACTS, 100)).toMatchObject({ text: TEMPLATE, rewritten: false, reason: 'no answer within 100 ms' });
    emulator.faults.failNext(1, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const failed = await decideRewrite(port, INPUT, FACTS);
    expect(failed).toMatchObject({ text: TEMPLATE, rewritten: false });
    expect(failed.reason).toMatch(/^the provider failed/);
    expect(await decideRewrite(undefined, INPUT, FACTS)).toMatchObject({ text: TEMPLATE, rewritten: false, reason: 'rewrite is off' });
  });
});
