/**
 * Transfer to a person by time band: the target in call_inbound's dynamic variables and from
 * get_transfer_target, by office hours and urgency; an unanswered transfer becomes one callback task with a
 * deadline, however often Retell delivers the event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveOfficeVersion, loadOfficeDocuments } from '../../src/offices/store.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { AGENT, CALLER, CLIENT, aCall, aCallId, inboundPath, signedPost, webhookPath } from './support.js';

const FRONT_DESK = '+12125550160';
const OWNER_CELL = '+19175550161';

describe.each(BACKENDS)('transfer to a person (%s)', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    // Monday 2026-03-02, 10:00 in New York: the office is open.
    app = await startTestApp(kind);
    const [office] = await loadOfficeDocuments(app.context.db, CLIENT);
    const saved = await saveOfficeVersion(
      { db: app.context.db, clock: app.clock, bus: app.context.bus },
      {
        document: {
          ...office!.document,
          transfer: {
            bands: [
              { name: 'front desk', number: FRONT_DESK, when: 'office_hours' },
              { name: "owner's cell", number: OWNER_CELL, when: 'after_hours', urgentOnly: true },
            ],
            callbackDeadlineMinutes: 90,
          },
        },
        author: 'test',
        source: 'cli',
      },
    );
    expect(saved.ok).toBe(true);
    await app.context.offices!.reload(CLIENT);
  });
  afterAll(async () => {
    await app.dispose();
  });

  const ask = async (urgent: boolean) => {
    const response = await signedPost(app.url!, `/v1/retell/${CLIENT}/functions/get_transfer_target`, {
      name: 'get_transfer_target',
      args: { urgent },
      call: aCall({ call_id: aCallId() }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { ok: boolean; transfer_number?: string; message: string };
  };
  const variables = async () => {
    const response = await signedPost(app.url!, inboundPath(), {
      event: 'call_inbound',
      call_inbound: { agent_id: AGENT, from_number: CALLER, to_number: '+12125550142' },
    });
    return ((await response.json()) as { call_inbound: { dynamic_variables: Record<string, string> } }).call_inbound.dynamic_variables;
  };

  it('sends callers to the front desk in office hours, and only urgent callers to the owner after hours', async () => {
    app.clock.set('2026-03-02T15:00:00Z');
    expect(await variables()).toMatchObject({
      transfer_available: 'true',
      transfer_number: FRONT_DESK,
      transfer_name: 'front desk',
      transfer_number_urgent: FRONT_DESK,
    });
    expect(await ask(false)).toMatchObject({ ok: true, transfer_number: FRONT_DESK });

    // 22:00 in New York: closed.
    app.clock.set('2026-03-03T03:00:00Z');
    expect(await variables()).toMatchObject({ transfer_available: 'false', transfer_number: '', transfer_number_urgent: OWNER_CELL });
    const ordinary = await ask(false);
    expect(ordinary.ok).toBe(false);
    expect(ordinary.message).toContain('request_callback');
    expect(await ask(true)).toMatchObject({ ok: true, transfer_number: OWNER_CELL });
  });

  it('turns an unanswered transfer into one callback task due within the office deadline', async () => {
    app.clock.set('2026-03-02T16:00:00Z');
    const callId = aCallId();
    const event = { event: 'transfer_cancelled', call: aCall({ call_id: callId, transfer_destination: FRONT_DESK }) };
    for (let delivery = 0; delivery < 3; delivery++) expect((await signedPost(app.url!, webhookPath(), event)).status).toBe(200);
    await app.applyCallEvents();
    const tasks = await app.context.db.selectFrom('callback_tasks').selectAll().where('call_id', '=', callId).execute();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: 'transfer_unanswered', status: 'open', phone: CALLER });
    expect(tasks[0]!.reason).toContain('front desk');
    expect(new Date(tasks[0]!.due_at!).toISOString()).toBe('2026-03-02T17:30:00.000Z');
  });
});
