/**
 * Issue 17 for staff: the call page carries the call's labels and evidence; a caller's profile can be read,
 * corrected and cleared by staff of that office only (404 for others), each change audited and reaching
 * call_inbound at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, signIn, type Api } from '../dashboard/support.js';
import { anAnalyzedCall, aCallId, inboundPath, signedPost, webhookPath } from '../retell/support.js';

const PHONE = '+12125550191';

describe.each(BACKENDS)('caller insight in the dashboard API on %s', (kind) => {
  let app: TestApp;
  let staffA: Api;
  let staffB: Api;
  let callId: string;
  let customerId: number;

  const ring = async () =>
    (await (await signedPost(app.url!, inboundPath(), { event: 'call_inbound', call_inbound: { from_number: PHONE, to_number: '+12125550199' } })).json())
      .call_inbound.dynamic_variables as Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp(kind);
    staffA = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    staffB = await signIn(app, await aUser(app, 'staff', [CLIENT_B]));
    callId = aCallId();
    const lines: Array<[string, string]> = [
      ['agent', 'Smart Tax Nation, how can I help?'],
      ['user', "Hi, I'm on my lunch break so I'll be quick. Where's my refund? It's been eight weeks."],
      ['agent', "I'll have your preparer call you."],
      ['user', 'Please text me instead, thanks so much.'],
    ];
    const call = anAnalyzedCall({
      call_id: callId,
      from_number: PHONE,
      transcript: lines.map(([role, content]) => `${role === 'agent' ? 'Agent' : 'User'}: ${content}`).join('\n'),
      transcript_object: lines.map(([role, content]) => ({ role, content, words: [] })),
    });
    for (const event of ['call_ended', 'call_analyzed']) await signedPost(app.url!, webhookPath(), { event, call });
    await app.applyCallEvents();
    customerId = (await app.context.db.selectFrom('customers').select('id').where('phone', '=', PHONE).executeTakeFirstOrThrow()).id;
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('the call page shows the labels with evidence spans in the caller turns', async () => {
    const page = await staffA.request('GET', `/v1/api/calls/${callId}`);
    expect(page.status).toBe(200);
    expect(page.body.insight).toMatchObject({
      intent: 'status',
      urgency: 'routine',
      needs: ['time_pressed', 'prefers_text'],
      sentiment: { start: 'neutral', end: 'positive' },
    });
    const callerTurns = (page.body.call.transcriptObject as Array<{ role: string; content: string }>).filter((turn) => turn.role === 'user');
    const refund = page.body.insight.evidence.find((item: { label: string }) => item.label === 'intent');
    expect(callerTurns[refund.turn]!.content.slice(refund.start, refund.end)).toBe('refund');
    expect((await staffB.request('GET', `/v1/api/calls/${callId}`)).status).toBe(404);
  });

  it('staff correct the profile (audited), the agent hears it, and other offices get 404', async () => {
    const before = await staffA.request('GET', `/v1/api/customers/${customerId}/profile`);
    expect(before.body.profile).toMatchObject({ intentLast: 'status', needs: ['time_pressed', 'prefers_text'], callsCounted: 1, editedBy: null });
    expect((await staffB.request('GET', `/v1/api/customers/${customerId}/profile`)).status).toBe(404);
    expect((await staffB.request('PATCH', `/v1/api/customers/${customerId}/profile`, { guidance: 'x' })).status).toBe(404);
    const tooMany = await staffA.request('PATCH', `/v1/api/customers/${customerId}/profile`, {
      needs: ['reassurance', 'time_pressed', 'prefers_text', 'accessibility'],
    });
    expect(tooMany.status).toBe(400);
    const longGuidance = await staffA.request('PATCH', `/v1/api/customers/${customerId}/profile`, { guidance: 'a'.repeat(241) });
    expect(longGuidance.status).toBe(400);

    expect(await ring()).toMatchObject({ caller_intent_last: 'status', caller_needs: 'time_pressed,prefers_text' });
    const edited = await staffA.request('PATCH', `/v1/api/customers/${customerId}/profile`, {
      needs: ['prefers_text'],
      guidance: 'Prefers texts: confirm by text, keep calls short.',
      intentLast: 'book',
      openIssue: 'Refund eight weeks late',
    });
    expect(edited.status).toBe(200);
    expect(edited.body.profile).toMatchObject({ needs: ['prefers_text'], guidance: 'Prefers texts: confirm by text, keep calls short.' });
    expect(await ring()).toMatchObject({
      caller_intent_last: 'book',
      caller_needs: 'prefers_text',
      caller_open_issue: 'Refund eight weeks late',
      caller_guidance: 'Prefers texts: confirm by text, keep calls short.',
    });
    // A second edit of one field keeps the others, in what the agent hears too.
    expect((await staffA.request('PATCH', `/v1/api/customers/${customerId}/profile`, { openIssue: 'Refund still missing' })).status).toBe(200);
    expect(await ring()).toMatchObject({ caller_intent_last: 'book', caller_needs: 'prefers_text', caller_open_issue: 'Refund still missing' });
    const audit = await app.context.db
      .selectFrom('audit')
      .selectAll()
      .where('action', '=', 'caller_profile.edit')
      .where('target', '=', `customer:${customerId}`)
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]!.client_id).toBe(CLIENT_A);
  });

  it('clearing the profile empties what the agent hears, is audited, and older calls stop counting', async () => {
    // The call ended at 15:01:35 (anAnalyzedCall); staff clear the profile an hour later.
    app.clock.set('2026-03-02T16:01:35Z');
    expect((await staffB.request('DELETE', `/v1/api/customers/${customerId}/profile`)).status).toBe(404);
    const cleared = await staffA.request('DELETE', `/v1/api/customers/${customerId}/profile`);
    expect(cleared.status).toBe(200);
    expect(cleared.body.profile).toMatchObject({ needs: [], guidance: '', callsCounted: 0 });
    expect(await ring()).toMatchObject({ caller_needs: '', caller_guidance: '', caller_intent_last: '', caller_open_issue: '' });
    expect(await app.context.db.selectFrom('audit').select('id').where('action', '=', 'caller_profile.clear').execute()).toHaveLength(1);

    // The same call labelled again (a rules upgrade) does not bring the cleared traits back.
    const { recordCallInsight } = await import('../../src/insights/store.js');
    const call = await app.context.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
    await recordCallInsight(app.context.db, app.clock, call);
    expect(await ring()).toMatchObject({ caller_needs: '', caller_guidance: '', caller_intent_last: '', caller_open_issue: '' });
  });
});
