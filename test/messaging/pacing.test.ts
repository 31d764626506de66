import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SenderPacer } from '../../src/messaging/pacer.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, type TestDatabase } from '../support/databases.js';
import { aCustomer, anAppointment, drain, messageRows, planAppointment, shareMessagingDatabase, template } from './support.js';

const SENDER = '+12125550142';

describe.each(BACKENDS)('sender pacing shared by every instance on %s', (kind) => {
  let database!: TestDatabase;
  let clock: ManualClock;
  const apps: TestApp[] = [];
  shareMessagingDatabase(kind, (opened) => (database = opened));

  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T15:00:00Z');
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function instance(): Promise<TestApp> {
    const app = await startTestApp(kind, { database, clock });
    apps.push(app);
    return app;
  }

  it('two pacers asking at the same moment get successive turns, and a text keeps its turn on either', async () => {
    const app = await instance();
    const rows = [];
    for (let i = 0; i < 6; i++) {
      rows.push((await enqueue(app.context.db, clock, { clientId: 'smart-tax-nation', kind: 'pacing_probe', payload: { i }, dedupeKey: `probe:${i}` })).id);
    }
    // Two processes' pacers: nothing is shared between them but the database.
    const first = new SenderPacer();
    const second = new SenderPacer();
    const now = clock.now();
    const turns = [
      await first.take(app.context.db, SENDER, 1, rows[0]!, now),
      await second.take(app.context.db, SENDER, 1, rows[1]!, now),
      await first.take(app.context.db, SENDER, 1, rows[2]!, now),
      await second.take(app.context.db, SENDER, 1, rows[3]!, now),
    ];
    expect(turns.map((turn) => (turn ? turn.toISOString() : 'now'))).toEqual([
      'now',
      '2026-03-02T15:00:01.000Z',
      '2026-03-02T15:00:02.000Z',
      '2026-03-02T15:00:03.000Z',
    ]);
    // Back early, the text is told its own turn again; at its turn it goes, without taking a new one.
    expect((await first.take(app.context.db, SENDER, 1, rows[1]!, new Date('2026-03-02T15:00:00.500Z')))?.toISOString()).toBe('2026-03-02T15:00:01.000Z');
    expect(await first.take(app.context.db, SENDER, 1, rows[1]!, new Date('2026-03-02T15:00:01.000Z'))).toBeUndefined();
    // A new text at that moment queues behind every turn already given.
    expect((await second.take(app.context.db, SENDER, 1, rows[4]!, new Date('2026-03-02T15:00:01.000Z')))?.toISOString()).toBe('2026-03-02T15:00:04.000Z');
    // Another sender is not held up by this one.
    expect(await second.take(app.context.db, '+12125550199', 1, rows[5]!, now)).toBeUndefined();
  });

  it('confirmations due at once on two instances go out one second apart from the sender, each once', async () => {
    const a = await instance();
    const b = await instance();
    const phones = ['+12125550131', '+12125550132', '+12125550133', '+12125550134'];
    const confirm = async (app: TestApp, phone: string) => {
      const customerId = await aCustomer(database.db, { phone, email: null });
      const appointmentId = await anAppointment(database.db, { customerId, startAt: new Date('2026-03-05T15:00:00Z') });
      await planAppointment(app, { appointmentId, customerId, event: 'booked' });
    };
    const texts = async () => (await messageRows(a)).filter((row) => row.kind === 'sms' && template(row) === 'confirmation');
    const sent = () => [a, b].flatMap((app) => phones.flatMap((phone) => app.context.sandbox!.twilio.messagesTo(phone)));

    // Instance A takes two texts, then instance B two more, all due at the same moment.
    await confirm(a, phones[0]!);
    await confirm(a, phones[1]!);
    await drain(a);
    await confirm(b, phones[2]!);
    await confirm(b, phones[3]!);
    await drain(b);
    // One text now; the rest hold the next turns of the one sender, whichever instance gave them.
    expect(sent()).toHaveLength(1);
    expect(
      (await texts())
        .filter((row) => row.status === 'scheduled')
        .map((row) => row.run_at.toISOString())
        .sort(),
    ).toEqual(['2026-03-02T15:00:01.000Z', '2026-03-02T15:00:02.000Z', '2026-03-02T15:00:03.000Z']);
    for (let second = 1; second <= 3; second++) {
      clock.advance(1000);
      await drain(second % 2 === 0 ? a : b);
      await drain(second % 2 === 0 ? b : a);
      expect(sent()).toHaveLength(1 + second);
    }
    expect((await texts()).map((row) => row.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(new Set(sent().map((message) => message.to)).size).toBe(4);
  });
});
