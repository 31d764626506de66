/**
 * Issue 17, REQ-005: a caller who asked about prices, worried about cost, and did not book gets the office's
 * `pricing` + `price_sensitive` nurture variant; another non-booker gets the ordinary template. The variant is chosen
 * when call_analyzed brings the insight, re-rendering the nurture rows call_ended had planned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOfficeDocuments, saveOfficeVersion } from '../../src/offices/store.js';
import { pickTemplateVariant } from '../../src/messaging/template-variant.js';
import { clientConfigSchema, zodProblems } from '../../src/config/client-schema.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT, anAnalyzedCall, aCallId, signedPost, webhookPath } from '../retell/support.js';

const PRICE_VARIANT =
  '{{office_name}}: Hi {{first_name}}, your first consultation is free and a basic return starts at $149. Call {{office_phone}}. {{opt_out_text}}';
const PRICING_ONLY = '{{office_name}}: Hi {{first_name}}, questions about our prices? Call {{office_phone}}. {{opt_out_text}}';
const NEED_ONLY = '{{office_name}}: Hi {{first_name}}, ask us about discounts. Call {{office_phone}}. {{opt_out_text}}';

function lines(...turns: Array<[role: 'agent' | 'user', content: string]>) {
  return {
    transcript: turns.map(([role, content]) => `${role === 'agent' ? 'Agent' : 'User'}: ${content}`).join('\n'),
    transcript_object: turns.map(([role, content]) => ({ role, content, words: [] })),
  };
}

describe.each(BACKENDS)('nurture variants by intent and need on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(kind);
    const [office] = await loadOfficeDocuments(app.context.db, CLIENT);
    const document = office!.document as { templates: Record<string, unknown> };
    const saved = await saveOfficeVersion(
      { db: app.context.db, clock: app.clock, bus: app.context.bus },
      {
        document: {
          ...office!.document,
          templates: {
            ...document.templates,
            variants: [
              { kind: 'nurture_day1', need: 'price_sensitive', sms: NEED_ONLY },
              { kind: 'nurture_day1', intent: 'pricing', need: 'price_sensitive', sms: PRICE_VARIANT },
              { kind: 'nurture_day1', intent: 'pricing', sms: PRICING_ONLY },
            ],
          },
        },
        author: 'test',
        source: 'cli',
      },
    );
    expect(saved.ok).toBe(true);
    await app.context.offices!.reload(CLIENT);
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
  });

  async function nurtureTexts(from: string, transcript: ReturnType<typeof lines>) {
    const callId = aCallId();
    const call = anAnalyzedCall({
      call_id: callId,
      from_number: from,
      ...transcript,
      call_analysis: { call_summary: 'Asked about prices.', user_sentiment: 'Neutral' },
    });
    const { call_analysis: _analysis, ...ended } = call;
    expect((await signedPost(app.url!, webhookPath(), { event: 'call_ended', call: ended })).status).toBe(200);
    await app.applyCallEvents();
    const beforeAnalysis = await rows(callId);
    expect((await signedPost(app.url!, webhookPath(), { event: 'call_analyzed', call })).status).toBe(200);
    await app.applyCallEvents();
    return { beforeAnalysis, after: await rows(callId) };
  }

  async function rows(callId: string) {
    const found = await app.context.db
      .selectFrom('outbox')
      .select(['kind', 'payload', 'status'])
      .where('call_id', '=', callId)
      .where('kind', '=', 'sms')
      .execute();
    return found.map((row) => row.payload as { template: string; body: string; variant?: string }).sort((a, b) => a.template.localeCompare(b.template));
  }

  it('a pricing + price_sensitive non-booker gets the matching variant; Day 4 keeps the ordinary template', async () => {
    const { beforeAnalysis, after } = await nurtureTexts(
      '+12125550181',
      lines(
        ['agent', 'Smart Tax Nation, how can I help?'],
        ['user', "How much do you charge for a basic return? Money's tight this year."],
        ['agent', 'A basic return starts at 149 dollars.'],
        ['user', "Okay, I'll think about it."],
      ),
    );
    expect(beforeAnalysis.map((payload) => payload.variant ?? null)).toEqual([null, null]);
    const [day1, day4] = after;
    expect(day1).toMatchObject({ template: 'nurture_day1', variant: 'pricing+price_sensitive' });
    expect(day1!.body).toContain('your first consultation is free and a basic return starts at $149');
    expect(day1!.body).toContain('Reply STOP to opt out');
    expect(day4!.template).toBe('nurture_day4');
    expect(day4!.variant ?? null).toBeNull();
    expect(day4!.body).toContain('tax season is busy');
  });

  it('a non-booker with another intent gets the office template unchanged', async () => {
    const { after } = await nurtureTexts(
      '+12125550182',
      lines(['agent', 'Smart Tax Nation, how can I help?'], ['user', 'Do you do bookkeeping for small businesses?'], ['agent', 'We do.'], ['user', 'Okay.']),
    );
    expect(after[0]!.variant ?? null).toBeNull();
    expect(after[0]!.body).toContain('Ready to get your taxes done?');
  });
});

describe('pickTemplateVariant', () => {
  it('the most specific variant wins, then the intent, then the need; nothing matching falls back', async () => {
    const { readFileSync } = await import('node:fs');
    const raw = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
    raw.templates.variants = [
      { kind: 'nurture_day1', need: 'price_sensitive', sms: NEED_ONLY },
      { kind: 'nurture_day1', need: 'time_pressed', sms: NEED_ONLY.replace('discounts', 'quick visits') },
      { kind: 'nurture_day1', intent: 'pricing', sms: PRICING_ONLY },
      { kind: 'nurture_day1', intent: 'pricing', need: 'price_sensitive', sms: PRICE_VARIANT },
    ];
    const config = clientConfigSchema.parse(raw);
    const pick = (intent: string, needs: string[]) => pickTemplateVariant(config, 'nurture_day1', 'sms', { intent, needs })?.key;
    expect(pick('pricing', ['time_pressed', 'price_sensitive'])).toBe('pricing+price_sensitive');
    expect(pick('pricing', ['time_pressed'])).toBe('pricing');
    expect(pick('services', ['time_pressed', 'price_sensitive'])).toBe('+time_pressed');
    expect(pick('services', [])).toBeUndefined();
    expect(pickTemplateVariant(config, 'nurture_day1', 'email', { intent: 'pricing', needs: ['price_sensitive'] })).toBeUndefined();
  });

  it('a variant that breaks the template rules is refused with its path', async () => {
    const { readFileSync } = await import('node:fs');
    const raw = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'));
    raw.templates.variants = [
      { kind: 'nurture_day1', intent: 'pricing', sms: 'Free consult! Call {{office_phone}}' },
      { kind: 'nurture_day4', sms: 'x STOP' },
    ];
    const result = clientConfigSchema.safeParse(raw);
    expect(result.success).toBe(false);
    const problems = zodProblems('test.json', result.error!).map((problem) => `${problem.path}: ${problem.message}`);
    expect(problems).toContain('templates.variants[0].sms: is a marketing text and must include {{opt_out_text}} or "STOP"');
    expect(problems).toContain('templates.variants[1]: needs an intent, a need, or both');
  });
});
