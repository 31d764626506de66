/**
 * Issue 21: a call's function requests remember the caller's language (customers/call-language-memo.ts) instead of
 * reading the customer row every time. What is remembered must not outlive a change: the caller saying another
 * language (save_caller_details) or staff choosing one in the dashboard, on the instance that answers and on another
 * instance of the same database. The agent here names no language and the calls carry no transcript, so the answers'
 * language is the remembered one (i18n/language.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/events/bus.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { aUser, signIn } from '../dashboard/support.js';
import { CLIENT, aCall, aCallId, functionPath, signedPost } from './support.js';

const NOTE_SAVED = "Saved the caller's note.";
const NOTA_GUARDADA = 'Guardé la nota de la persona que llama.';

describe.each(BACKENDS)("the caller's language a call remembers, on %s", (kind) => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    first = await startTestApp(kind, { database });
    second = await startTestApp(kind, { database });
  }, 120_000);
  afterAll(async () => {
    await first?.dispose();
    await second?.dispose();
    await database?.dispose();
  });

  const aCallFrom = (phone: string) => aCall({ call_id: aCallId(), from_number: phone, agent_id: undefined });
  const save = async (app: TestApp, call: Record<string, unknown>, args: Record<string, unknown>) => {
    const answer = await signedPost(app.url!, functionPath('save_caller_details'), { name: 'save_caller_details', args, call });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { message: string }).message;
  };
  /** Resolves when `app` hears a customer change that `matches` (the live event other instances forget on). */
  const heard = (app: TestApp, matches: (event: BusEvent) => boolean) =>
    new Promise<void>((resolve) => {
      const stop = app.context.bus.subscribe((event) => {
        if (event.type === 'customer.changed' && matches(event)) {
          stop();
          resolve();
        }
      });
    });

  it('a later function request of the same call speaks the language save_caller_details set, on this instance and another', async () => {
    const call = aCallFrom('+12125550171');
    // Both instances answer this call once in English, so both remember its (still empty) language.
    expect(await save(first, call, { notes: 'Asked about a refund' })).toBe(NOTE_SAVED);
    expect(await save(second, call, { notes: 'Has two W-2s' })).toBe(NOTE_SAVED);

    const secondHears = heard(second, (event) => event.data?.callId === call.call_id);
    expect(await save(first, call, { preferred_language: 'Spanish' })).toBe("Saved the caller's language.");
    expect(await save(first, call, { notes: 'Prefiere las mañanas' })).toBe(NOTA_GUARDADA);
    await secondHears;
    expect(await save(second, call, { notes: 'Trae su declaración anterior' })).toBe(NOTA_GUARDADA);
  });

  it("staff choosing a caller's language reaches the caller's call in progress, on this instance and another", async () => {
    const phone = '+12125550172';
    const call = aCallFrom(phone);
    expect(await save(first, call, { name: 'Lucía Gómez' })).toBe("Saved the caller's name.");
    expect(await save(first, call, { notes: 'First note' })).toBe(NOTE_SAVED);
    expect(await save(second, call, { notes: 'Second note' })).toBe(NOTE_SAVED);
    const customer = await first.context.db
      .selectFrom('customers')
      .select('id')
      .where('client_id', '=', CLIENT)
      .where('phone', '=', phone)
      .executeTakeFirstOrThrow();

    const staff = await signIn(first, await aUser(first, 'staff', [CLIENT]));
    const secondHears = heard(second, (event) => event.data?.id === customer.id);
    expect((await staff.request('PATCH', `/v1/api/customers/${customer.id}`, { preferredLanguage: 'es' })).status).toBe(200);
    expect(await save(first, call, { notes: 'Tercera nota' })).toBe(NOTA_GUARDADA);
    await secondHears;
    expect(await save(second, call, { notes: 'Cuarta nota' })).toBe(NOTA_GUARDADA);
  });
});
