/**
 * Error digests (REQ-008): an office with `alerts.digestMinutes` gets its alerts below critical as one Slack post and
 * one e-mail per period, when the period ends, even with two instances raising alerts; a critical alert still goes at
 * once. Test clock, both databases, the Slack and SMTP emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';

const CLIENT = 'smart-tax-nation';

describe.each(BACKENDS)('alert digests on %s', (kind) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    clock = new ManualClock('2026-03-02T15:05:00Z');
    a = await startTestApp(kind, { database, clock });
    b = await startTestApp(kind, { database, clock });
    for (const app of [a, b]) {
      const runtime = app.context.clients.get(CLIENT)!;
      await app.context.clients.set({ ...runtime, config: { ...runtime.config, alerts: { ...runtime.config.alerts, digestMinutes: 60 } } });
    }
  });
  afterAll(async () => {
    await b?.close();
    await a?.dispose();
    await database?.dispose();
  });

  it('collects alerts below critical into one digest per office per hour across instances; critical goes at once', async () => {
    const slack = a.context.sandbox!.slack.messages;
    const admin = a.context.clients.get(CLIENT)!.config.alerts.emails[0]!;
    const mails = () => [...a.context.sandbox!.smtp.messagesTo(admin), ...b.context.sandbox!.smtp.messagesTo(admin)];
    const drainBoth = async () => {
      await a.worker.drain();
      await b.worker.drain();
    };
    const slackCount = () => slack.length + (b.context.sandbox!.slack === a.context.sandbox!.slack ? 0 : b.context.sandbox!.slack.messages.length);

    await a.context.alerts.raise({ clientId: CLIENT, source: 'crm.sync', fingerprint: 'digest:crm', message: 'Zoho CRM refused a lead', severity: 'error' });
    clock.set('2026-03-02T15:20:00Z');
    await b.context.alerts.raise({ clientId: CLIENT, source: 'messaging.sms', fingerprint: 'digest:sms', message: 'A text gave up', severity: 'warning' });
    clock.set('2026-03-02T15:30:00Z');
    await a.context.alerts.raise({
      clientId: CLIENT,
      source: 'zoho.oauth',
      fingerprint: 'digest:oauth',
      message: 'The calendar connection is broken',
      severity: 'critical',
    });
    await drainBoth();
    // Only the critical one has gone; every alert is in the error log already.
    expect(slackCount()).toBe(1);
    expect(slack.map((message) => message.text).join('\n')).toContain('CRITICAL in zoho.oauth');
    expect(await database.db.selectFrom('errors').select('id').where('client_id', '=', CLIENT).execute()).toHaveLength(3);

    clock.set('2026-03-02T15:50:00Z');
    await b.context.alerts.raise({
      clientId: CLIENT,
      source: 'booking',
      fingerprint: 'digest:booking',
      message: 'A booking fell back to a callback',
      severity: 'error',
    });
    await drainBoth();
    expect(slackCount()).toBe(1);

    clock.set('2026-03-02T16:00:00Z');
    await drainBoth();
    expect(slackCount()).toBe(2);
    const digest = slack.at(-1)!.text!;
    expect(digest).toContain('3 alerts');
    for (const source of ['crm.sync', 'messaging.sms', 'booking']) expect(digest).toContain(`in ${source}`);
    expect(digest).not.toContain('zoho.oauth');
    const digestMails = mails().filter((mail) => mail.subject.includes('digest'));
    expect(digestMails).toHaveLength(1);
    expect(digestMails[0]!.text).toContain('A booking fell back to a callback');
    const rows = await database.db.selectFrom('outbox').select(['kind', 'status']).where('dedupe_key', 'like', '%:digest:%').execute();
    expect(rows.map((row) => `${row.kind}:${row.status}`).sort()).toEqual(['alert_email:done', 'alert_slack:done']);
  });
});
