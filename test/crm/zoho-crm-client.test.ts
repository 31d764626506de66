import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VendorError } from '../../src/core/errors.js';
import { ZohoCrmClient, escapeCriteria, phoneForms } from '../../src/providers/zoho/crm.js';
import { INVALID_TOKEN_BODY, startZohoEmulator, type ZohoEmulator } from '../../src/sandbox/zoho/index.js';

const started: ZohoEmulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((zoho) => zoho.close()));
});

/** A client on a fresh emulator whose token source refreshes (issues a new token) after each invalidation. */
async function aCrmClient() {
  const clock = new ManualClock('2026-10-20T12:00:00Z');
  const zoho = await startZohoEmulator({ clock, clientId: 'id', clientSecret: 'secret' });
  started.push(zoho);
  let token = zoho.issueTokens().accessToken;
  const invalidated: string[] = [];
  const client = new ZohoCrmClient({
    access: async () => ({ accessToken: token, apiDomain: zoho.url }),
    invalidate: async (stale) => {
      invalidated.push(stale);
      token = zoho.issueTokens().accessToken;
    },
  });
  return { zoho, clock, client, invalidated };
}

async function failure(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

describe('Zoho CRM client', () => {
  it('inserts a lead, finds it by any written form of its phone and by email, and updates it', async () => {
    const { zoho, client } = await aCrmClient();
    const created = await client.insertLead({ Last_Name: 'Rivera', Phone: '(415) 555-0102', Email: 'dana@example.com' });
    expect(created.action).toBe('insert');

    const byPhone = await client.searchLeadsByPhone('+14155550102');
    expect(byPhone.map((lead) => lead.id)).toEqual([created.id]);
    const byEmail = await client.searchLeads({ email: 'DANA@example.com' });
    expect(byEmail.map((lead) => lead.id)).toEqual([created.id]);

    await client.updateLead(created.id, { Lead_Status: 'Contacted' });
    expect(zoho.leads()[0]).toMatchObject({ id: created.id, Lead_Status: 'Contacted', Last_Name: 'Rivera' });
  });

  it('answers an empty list when Zoho says 204 No Content', async () => {
    const { client } = await aCrmClient();
    expect(await client.searchLeadsByPhone('+14155550199')).toEqual([]);
    expect(await client.getLead('5725767000000000001')).toBeUndefined();
  });

  it('adds a note in the v8 Parent_Id form and lists it', async () => {
    const { zoho, client } = await aCrmClient();
    const lead = await client.insertLead({ Last_Name: 'Rivera' });
    const note = await client.addNote(lead.id, { title: 'Call', content: 'Asked about an extension.' });
    expect(zoho.notes(lead.id)).toEqual([expect.objectContaining({ id: note.id, Note_Content: 'Asked about an extension.' })]);
    expect((await client.listNotes(lead.id)).map((item) => item.id)).toEqual([note.id]);
  });

  it('upserts by phone: the second write updates the first lead', async () => {
    const { zoho, client } = await aCrmClient();
    const first = await client.upsertLead({ Last_Name: 'Unknown caller', Phone: '+14155550102' }, ['Phone']);
    const second = await client.upsertLead({ Last_Name: 'Rivera', Phone: '+14155550102' }, ['Phone']);
    expect(first.action).toBe('insert');
    expect(second).toEqual({ id: first.id, action: 'update' });
    expect(zoho.leads()).toHaveLength(1);
  });

  it('treats DUPLICATE_DATA as found and returns the existing id', async () => {
    const { zoho, client } = await aCrmClient();
    const existing = await client.insertLead({ Last_Name: 'Rivera', Phone: '+14155550102' });
    zoho.crmDuplicateNext(existing.id);
    expect(await client.insertLead({ Last_Name: 'Rivera', Phone: '+14155550102' })).toEqual({
      id: existing.id,
      action: 'duplicate',
    });
    expect(zoho.leads()).toHaveLength(1);
  });

  it('refreshes once after INVALID_TOKEN and retries the request once', async () => {
    const { zoho, client, invalidated } = await aCrmClient();
    zoho.crmInvalidTokenOnce();
    const lead = await client.insertLead({ Last_Name: 'Rivera' });
    expect(invalidated).toHaveLength(1);
    expect(zoho.leads().map((item) => item.id)).toEqual([lead.id]);
  });

  it('gives up after a second INVALID_TOKEN with a retryable error (no refresh loop)', async () => {
    const { zoho, client, invalidated } = await aCrmClient();
    zoho.emulator.faults.failNext(2, 401, INVALID_TOKEN_BODY, { match: '/crm/v8/' });
    const error = await failure(client.insertLead({ Last_Name: 'Rivera' }));
    expect(error).toMatchObject({ code: 'INVALID_TOKEN', retryable: true });
    expect(invalidated).toHaveLength(1);
  });

  it('classifies 429, 500 and LIMIT_EXCEEDED as retryable', async () => {
    const { zoho, client } = await aCrmClient();
    zoho.crmRateLimit();
    expect(await failure(client.searchLeadsByPhone('+14155550102'))).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      retryable: true,
      status: 429,
    });
    zoho.crmDown();
    expect(await failure(client.insertLead({ Last_Name: 'x' }))).toMatchObject({ code: 'INTERNAL_ERROR', retryable: true });
    zoho.setCreditLimit(zoho.credits.used);
    expect(await failure(client.insertLead({ Last_Name: 'x' }))).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: true });
  });

  it('classifies MANDATORY_NOT_FOUND, INVALID_DATA and a missing CRM scope as permanent', async () => {
    const { zoho, client } = await aCrmClient();
    zoho.requireFields(['Company']);
    const missing = await failure(client.insertLead({ Last_Name: 'Rivera' }));
    expect(missing).toMatchObject({ code: 'MANDATORY_NOT_FOUND', retryable: false });
    expect(missing.message).toContain('Company');
    expect(await failure(client.insertLead({ Last_Name: 'Rivera', Company: 'x', Email: 'not-an-email' }))).toMatchObject({
      code: 'INVALID_DATA',
      retryable: false,
    });

    const calendarOnly = zoho.issueTokens(['ZohoCalendar.event.ALL']).accessToken;
    const narrow = new ZohoCrmClient({
      access: async () => ({ accessToken: calendarOnly, apiDomain: zoho.url }),
      invalidate: async () => undefined,
    });
    expect(await failure(narrow.searchLeads({ word: 'x' }))).toMatchObject({ code: 'OAUTH_SCOPE_MISMATCH', retryable: false });
  });

  it('reports an unreachable Zoho as a retryable network error', async () => {
    const client = new ZohoCrmClient({
      access: async () => ({ accessToken: 't', apiDomain: 'http://127.0.0.1:9' }),
      invalidate: async () => undefined,
    });
    expect(await failure(client.searchLeads({ word: 'x' }))).toMatchObject({ code: 'NETWORK', retryable: true });
  });

  it('never puts the record values Zoho echoes into the error', async () => {
    const { zoho, client } = await aCrmClient();
    zoho.crmMandatoryMissingNext('Company');
    const error = await failure(client.insertLead({ Last_Name: 'Rivera', Email: 'dana@example.com', Phone: '+14155550102' }));
    expect(JSON.stringify(error.response)).not.toContain('dana@example.com');
    expect(error.message).not.toContain('4155550102');
  });

  it('knows the common written forms of a US number and escapes criteria values', () => {
    expect(phoneForms('+14155550102')).toEqual(['+14155550102', '4155550102', '14155550102', '(415) 555-0102', '415-555-0102']);
    expect(escapeCriteria('(415) 555:0102,')).toBe('\\(415\\) 555\\:0102\\,');
  });
});
