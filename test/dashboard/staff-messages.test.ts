/**
 * The dashboard's message routes are doors to the messaging module (messaging/api.ts), not a second copy of it:
 * a marketing e-mail composed in the dashboard carries List-Unsubscribe, List-Unsubscribe-Post and an unsubscribe
 * link (CAN-SPAM, checked in the SMTP emulator); an edit-and-retry of a dead e-mail changes its text and its HTML
 * part (checked in the delivered MIME); each operation has one audit action name whichever route it came through.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueueMessage } from '../../src/messaging/enqueue-message.js';
import { locateRecipient } from '../../src/messaging/recipient.js';
import { templateValues } from '../../src/messaging/render.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';
import { CLIENT_A, CLIENT_B, aUser, signIn, type Api } from './support.js';

describe.each(BACKENDS)('staff messages through the dashboard routes (%s)', (backend) => {
  let app: TestApp;
  let staffA: Api;
  let staffB: Api;
  let staffBEmail: string;

  beforeAll(async () => {
    app = await startTestApp(backend);
    staffA = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    staffBEmail = await aUser(app, 'staff', [CLIENT_B]);
    staffB = await signIn(app, staffBEmail);
  });
  afterAll(async () => {
    await app?.dispose();
  });
  beforeEach(() => {
    app.clock.set('2026-03-02T17:00:00Z'); // Monday 10:00 in Phoenix, 12:00 in New York: open, inside every window
  });

  /** Runs the worker until the row is no longer waiting, moving the clock to its run_at (quiet hours, pacing). */
  async function sendRow(id: number): Promise<string> {
    for (let round = 0; round < 10; round++) {
      await app.worker.drain();
      const row = await app.context.db.selectFrom('outbox').select(['status', 'run_at']).where('id', '=', id).executeTakeFirstOrThrow();
      if (row.status !== 'scheduled' && row.status !== 'failed') return row.status;
      if (row.run_at.getTime() > app.clock.now().getTime()) app.clock.set(row.run_at);
    }
    throw new Error(`row ${id} never left the queue`);
  }

  async function auditActions(id: number): Promise<string[]> {
    const rows = await app.context.db.selectFrom('audit').select('action').where('target', '=', `outbox:${id}`).orderBy('id').execute();
    return rows.map((row) => row.action);
  }

  it('a marketing e-mail composed in the dashboard carries List-Unsubscribe, one-click POST and an unsubscribe link', async () => {
    const to = 'promo.reader@example.com';
    const composed = await staffA.request('POST', '/v1/api/messages', {
      client: CLIENT_A,
      channel: 'email',
      to,
      subject: 'Filing season is here',
      body: 'Book your return early this year.',
      purpose: 'marketing',
    });
    expect(composed.status, JSON.stringify(composed.body)).toBe(201);
    const id = composed.body.message.id as number;
    expect(await sendRow(id)).toBe('done');

    const [mail] = app.context.sandbox!.smtp.messagesTo(to);
    expect(mail).toBeDefined();
    expect(mail!.listUnsubscribe).toMatch(/^<https?:\/\/[^>]+\/v1\/unsubscribe\/[^>]+>/);
    expect(mail!.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
    const link = mail!.listUnsubscribe!.slice(1, mail!.listUnsubscribe!.indexOf('>'));
    expect(mail!.text).toContain(`Unsubscribe: ${link}`);
    // CAN-SPAM also wants the sender's postal address in the message.
    expect(mail!.text).toContain(app.context.clients.get(CLIENT_A)!.config.address);
    expect(await auditActions(id)).toEqual(['message.compose']);

    // A transactional one from the same form is not marketing: no unsubscribe header.
    const notice = await staffA.request('POST', '/v1/api/messages', {
      client: CLIENT_A,
      channel: 'email',
      to: 'documents.ready@example.com',
      subject: 'Your documents',
      body: 'Your return is ready to sign.',
    });
    expect(await sendRow(notice.body.message.id)).toBe('done');
    expect(app.context.sandbox!.smtp.messagesTo('documents.ready@example.com')[0]!.listUnsubscribe).toBeNull();
  });

  it('an edit-and-retry of a dead e-mail changes both its text and its HTML part', async () => {
    const to = 'dead.letter@example.com';
    const config = app.context.clients.get(CLIENT_B)!.config;
    const now = app.clock.now();
    // The office's real "cancelled" template, which has an HTML part.
    const queued = await enqueueMessage(app.context.db, app.context, {
      clientId: CLIENT_B,
      channel: 'email',
      to,
      template: 'cancelled',
      sequence: 'notice',
      purpose: 'transactional',
      values: templateValues(config, { name: 'Dana Rivera' }, { startAt: new Date('2026-03-04T17:00:00Z'), appointmentTypeId: config.appointmentTypes[0]!.id }),
      runAt: now,
      dueAt: now,
      location: locateRecipient(undefined, config.timezone),
      dedupeKey: `test:html-edit:${backend}`,
      appointmentId: null,
      customerId: null,
      callId: null,
    });
    const smtp = app.context.sandbox!.smtp;
    smtp.rejectRecipient(to);
    expect(await sendRow(queued.id)).toBe('dead');
    const dead = await app.context.db.selectFrom('outbox').select('payload').where('id', '=', queued.id).executeTakeFirstOrThrow();
    expect(String((dead.payload as { html?: string }).html)).toContain('is cancelled');
    smtp.acceptRecipient(to);

    const corrected = 'Hi Dana,\n\nSorry, that notice was sent by mistake: your review on Wednesday still stands.\n\nDesert Bookkeeping';
    const retried = await staffB.request('POST', `/v1/api/messages/${queued.id}/retry`, { body: corrected });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await sendRow(queued.id)).toBe('done');

    const [mail] = smtp.messagesTo(to);
    expect(mail!.text.trim()).toBe(corrected);
    expect(mail!.html).toContain('sent by mistake: your review on Wednesday still stands.');
    expect(mail!.html).not.toContain('to rebook');
    expect(mail!.raw).not.toContain('to rebook');
    expect(await auditActions(queued.id)).toEqual(['message.edit_and_retry']);
    // Staff's words go out as written: the optional LLM rewrite (issue 17) never touches an edited message.
    const edited = await app.context.db.selectFrom('outbox').select('payload').where('id', '=', queued.id).executeTakeFirstOrThrow();
    expect((edited.payload as { rewrite?: unknown }).rewrite).toMatchObject({ used: false, code: 'edited' });
    const audit = await app.context.db.selectFrom('audit').selectAll().where('target', '=', `outbox:${queued.id}`).executeTakeFirstOrThrow();
    expect(audit.actor).toBe(staffBEmail);
  });

  it('a message retried from the dead-letter door is audited as the same operation as from Messages', async () => {
    const to = '+16025550161';
    const composed = await staffB.request('POST', '/v1/api/messages', { client: CLIENT_B, channel: 'sms', to, body: 'Your books are ready.' });
    expect(composed.status).toBe(201);
    const id = composed.body.message.id as number;
    const cancelled = await staffB.request('POST', `/v1/api/messages/${id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const viaOutbox = await staffB.request('POST', `/v1/api/outbox/${id}/retry`, {});
    expect(viaOutbox.status, JSON.stringify(viaOutbox.body)).toBe(200);
    await app.context.db.updateTable('outbox').set({ status: 'cancelled' }).where('id', '=', id).execute();
    const viaMessages = await staffB.request('POST', `/v1/api/messages/${id}/retry`, {});
    expect(viaMessages.status).toBe(200);
    expect(await auditActions(id)).toEqual(['message.compose', 'message.cancel', 'message.retry', 'message.retry']);
    // Another office's staff cannot reach it through either door.
    expect((await staffA.request('POST', `/v1/api/outbox/${id}/retry`, {})).status).toBe(404);
    expect((await staffA.request('POST', `/v1/api/messages/${id}/resend`, {})).status).toBe(404);
  });
});
