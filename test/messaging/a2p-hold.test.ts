/**
 * An office whose A2P 10DLC campaign is not marked approved (new offices from the wizard) holds its marketing
 * texts — never sends or drops them — and sends them once an admin marks the campaign approved. Transactional
 * texts are not held.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { loadOfficeDocuments, saveOfficeVersion } from '../../src/offices/store.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCall, aCustomer, drain, messageRows, planNurtureFor, shareMessagingDatabase } from './support.js';

const CALLER = '+12125550177';
const ENDED_AT = new Date('2026-03-02T15:00:00Z');

describe.each(BACKENDS)('A2P 10DLC hold on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  let clock: ManualClock;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T15:01:00Z');
    app = await startTestApp(kind, { database, clock });
  });
  afterEach(async () => {
    await app?.close();
  });

  async function setApproved(approved: boolean) {
    const [office] = await loadOfficeDocuments(app.context.db, 'smart-tax-nation');
    const document = office!.document as { senders: { sms: Record<string, unknown> } };
    const saved = await saveOfficeVersion(
      { db: app.context.db, clock, bus: app.context.bus },
      { document: { ...document, senders: { ...document.senders, sms: { ...document.senders.sms, a2pApproved: approved } } }, author: 'test', source: 'cli' },
    );
    expect(saved.ok).toBe(true);
    await app.context.offices!.reload('smart-tax-nation');
  }

  it('holds marketing texts until the campaign is marked approved, then sends them', async () => {
    await setApproved(false);
    const customerId = await aCustomer(database.db, { phone: CALLER });
    await aCall(database.db, { id: 'call_a2p', customerId, endedAt: ENDED_AT });
    await planNurtureFor(app, { customerId, callId: 'call_a2p', endedAt: ENDED_AT });
    const day1 = (await messageRows(app)).find((row) => row.kind === 'sms');
    clock.set(day1!.run_at.toISOString());
    await drain(app);
    expect(app.context.sandbox!.twilio.messages).toEqual([]);
    const held = (await messageRows(app)).find((row) => row.id === day1!.id)!;
    expect(held.status).toBe('scheduled');
    expect(held.attempts).toBe(0);
    // Looked at again an hour later, without spending an attempt.
    expect(held.run_at.getTime() - day1!.run_at.getTime()).toBe(60 * 60_000);
    await drain(app);
    expect(app.context.sandbox!.twilio.messages).toEqual([]);

    await setApproved(true);
    clock.set(held.run_at.toISOString());
    await drain(app);
    expect(app.context.sandbox!.twilio.messages.map((message) => message.to)).toEqual([CALLER]);
  });
});
