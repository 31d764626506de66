/**
 * Messaging's providers come from vendor modules (src/twilio, src/telnyx, src/smtp, src/sendgrid) through
 * `context.smsProviders`: an office whose chain lists a provider no module installed gets a dead row that says so
 * (never a crash, never a silent skip), and the providers that are installed still send.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { ManualClock } from '../../src/core/clock.js';
import { composeMessage } from '../../src/messaging/api.js';
import { featureModules } from '../../src/modules.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { CLIENT, shareMessagingDatabase } from './support.js';

const PHONE = '+12125550123';

describe.each(BACKENDS)('SMS providers registered by vendor modules on %s', (kind) => {
  let database!: TestDatabase;
  let app: TestApp;
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    // Everything but the Telnyx module.
    const modules = featureModules.filter((module) => module.name !== 'telnyx');
    app = await startTestApp(kind, { database, clock: new ManualClock('2026-03-02T15:00:00Z'), modules });
  });
  afterEach(async () => {
    await app?.close();
  });

  /** Staff send one text, and the worker runs until nothing is due: the text's outbox row. */
  async function sendText() {
    const composed = await composeMessage(app.context, {
      clientId: CLIENT,
      channel: 'sms',
      to: PHONE,
      purpose: 'transactional',
      body: 'Your appointment is booked.',
      actor: 'staff@office',
    });
    if (!composed.ok) throw new Error(composed.message);
    await app.worker.drain();
    return database.db.selectFrom('outbox').select(['status', 'last_error']).where('id', '=', composed.id).executeTakeFirstOrThrow();
  }
  const twilioSent = (field: 'To' | 'From') =>
    app.context.sandbox!.twilio.emulator.received('/Messages.json', 'POST').map((request) => (request.body as Record<string, string>)[field]);

  it('lists the installed providers, and a chain naming one that is not installed makes the text dead with the reason', async () => {
    expect(app.context.smsProviders.providers()).toEqual(['twilio']);
    expect(app.context.emailProviders.providers()).toEqual(['smtp', 'sendgrid']);
    const runtime = app.context.clients.get(CLIENT)!;
    await app.context.clients.set({
      ...runtime,
      config: {
        ...runtime.config,
        providers: { sms: [{ provider: 'telnyx', from: '+15125550177', apiKeyEnv: 'TELNYX_API_KEY', publicKeyEnv: 'TELNYX_PUBLIC_KEY' }] },
      },
      secrets: { ...runtime.secrets, telnyxApiKey: DEMO_SECRETS.TELNYX_API_KEY, emulatedVendors: [...runtime.secrets.emulatedVendors, 'telnyx'] },
    });
    const row = await sendText();
    expect(row.status).toBe('dead');
    expect(row.last_error).toContain('"telnyx" as its SMS provider, but no module provides it (available: twilio)');
    expect(app.context.sandbox!.telnyx.emulator.received('/v2/messages', 'POST')).toHaveLength(0);
  });

  it('sends through the default provider (Twilio) when the office lists no chain', async () => {
    expect((await sendText()).status).toBe('done');
    expect(twilioSent('To')).toEqual([PHONE]);
  });

  it("a changed office's next text goes out from its new number: the provider's client for it is built again", async () => {
    const runtime = app.context.clients.get(CLIENT)!;
    const before = runtime.config.senders.sms.from;
    expect((await sendText()).status).toBe('done');
    const changed = '+15125550188';
    await app.context.clients.set({
      ...runtime,
      config: { ...runtime.config, senders: { ...runtime.config.senders, sms: { ...runtime.config.senders.sms, from: changed } } },
    });
    expect((await sendText()).status).toBe('done');
    expect(twilioSent('From')).toEqual([before, changed]);
  });
});
