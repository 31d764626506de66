/**
 * Issue 17 end to end: an analysed call is labelled in the worker and stored in `call_insights`; the caller's profile
 * is rebuilt from their recent calls and reaches the agent through call_inbound's dynamic variables (one query).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT, anAnalyzedCall, aCallId, inboundPath, signedPost, webhookPath } from '../retell/support.js';

function transcriptOf(lines: Array<[role: 'agent' | 'user', content: string]>) {
  return {
    transcript: lines.map(([role, content]) => `${role === 'agent' ? 'Agent' : 'User'}: ${content}`).join('\n'),
    transcript_object: lines.map(([role, content]) => ({ role, content, words: [] })),
  };
}

const ANXIOUS_CALL = transcriptOf([
  ['agent', 'Thanks for calling Smart Tax Nation. Would you like to hear about our premium package?'],
  ['user', "Hi, I got a letter from the IRS and I'm really worried. It says I have to respond by tomorrow."],
  ['agent', 'I understand. I can get you in today at 4.'],
  ['user', 'Yes please, thank you so much.'],
]);

const SPANISH_CALL = transcriptOf([
  ['agent', 'Gracias por llamar a Smart Tax Nation.'],
  ['user', 'Hola, quiero hacer una cita. Es mi primera vez y estoy un poco nerviosa. Mejor mándeme un mensaje de texto.'],
  ['agent', 'Claro, el martes a las diez.'],
  ['user', 'Perfecto, muchas gracias.'],
]);

describe.each(BACKENDS)('caller insight through the worker and call_inbound on %s', (kind) => {
  let app: TestApp;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp(kind);
    url = app.url!;
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  async function analysedCall(from: string, transcript: ReturnType<typeof transcriptOf>) {
    const callId = aCallId();
    const call = anAnalyzedCall({ call_id: callId, from_number: from, ...transcript });
    for (const event of ['call_ended', 'call_analyzed']) expect((await signedPost(url, webhookPath(), { event, call })).status).toBe(200);
    await app.applyCallEvents();
    return callId;
  }

  async function ring(from: string): Promise<Record<string, string>> {
    const answer = await signedPost(url, inboundPath(), { event: 'call_inbound', call_inbound: { from_number: from, to_number: '+12125550199' } });
    expect(answer.status).toBe(200);
    return (await answer.json()).call_inbound.dynamic_variables;
  }

  it('a returning anxious caller with an urgent IRS deadline gets guidance the agent can follow', async () => {
    const from = '+12125550171';
    const before = await ring(from);
    expect(before.caller_guidance).toBe('');
    const callId = await analysedCall(from, ANXIOUS_CALL);

    const stored = await app.context.db.selectFrom('call_insights').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      client_id: CLIENT,
      language: 'en',
      intent: 'book',
      urgency: 'urgent',
      sentiment_start: 'negative',
      sentiment_end: 'positive',
      needs: ['reassurance'],
    });
    expect(stored.evidence.some((item) => item.rule === 'needs.reassurance.worried' && item.turn === 0)).toBe(true);

    const variables = await ring(from);
    expect(variables.caller_needs).toBe('reassurance');
    expect(variables.caller_language).toBe('en');
    expect(variables.caller_intent_last).toBe('book');
    expect(variables.caller_open_issue).toBe('It says I have to respond by tomorrow');
    expect(variables.caller_guidance).toBe('Returning caller, anxious about "It says I have to respond by tomorrow": reassure first, offer the earliest slot.');
    expect(variables.caller_guidance!.length).toBeLessThanOrEqual(240);

    // The caller's next analysed call rebuilds the profile, and the agent hears the rebuilt one, not the first.
    await analysedCall(from, SPANISH_CALL);
    const customer = await app.context.db.selectFrom('customers').select('id').where('phone', '=', from).executeTakeFirstOrThrow();
    const rebuilt = await app.context.db.selectFrom('caller_profiles').selectAll().where('customer_id', '=', customer.id).executeTakeFirstOrThrow();
    expect(rebuilt.calls_counted).toBe(2);
    const next = await ring(from);
    expect(next.caller_guidance).not.toBe(variables.caller_guidance);
    expect(next).toMatchObject({
      caller_intent_last: rebuilt.intent_last,
      caller_needs: rebuilt.needs.join(','),
      caller_open_issue: rebuilt.open_issue,
      caller_guidance: rebuilt.guidance,
    });
  });

  it('a Spanish-speaking caller gets the guidance in Spanish, and labelling the call again changes nothing', async () => {
    const from = '+12125550172';
    const callId = await analysedCall(from, SPANISH_CALL);
    const variables = await ring(from);
    expect(variables.caller_language).toBe('es');
    expect(variables.caller_needs).toBe('reassurance,prefers_text');
    expect(variables.caller_guidance).toBe(
      'Cliente que vuelve a llamar, preocupado; la última vez quiso una cita: tranquilícelo primero, ofrezca confirmar por texto.',
    );
    const { recordCallInsight } = await import('../../src/insights/store.js');
    const call = await app.context.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
    await recordCallInsight(app.context.db, app.clock, call);
    const rows = await app.context.db.selectFrom('call_insights').select('call_id').where('call_id', '=', callId).execute();
    expect(rows).toHaveLength(1);
    expect(await ring(from)).toEqual(variables);
  });
});
