/** The HubSpot emulator speaks HubSpot's CRM v3/v4 shapes and errors (shared/reference/hubspot.md), driven by the clock. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/sandbox/hubspot/index.js';

const TOKEN = 'pat-na1-emulator-test';

describe('HubSpot emulator: contacts, search, notes and errors', () => {
  let hubspot: HubSpotEmulator;
  const clock = new ManualClock('2026-02-02T15:00:00Z');
  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const response = await fetch(`${hubspot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  beforeAll(async () => {
    hubspot = await startHubSpotEmulator({ accessTokens: [TOKEN], clock });
  });
  afterAll(async () => {
    await hubspot?.close();
  });
  beforeEach(() => {
    hubspot.reset();
    hubspot.acceptToken(TOKEN);
  });

  it("refuses a missing or wrong token with 401 INVALID_AUTHENTICATION in HubSpot's error body", async () => {
    const answer = await call('GET', '/crm/v3/objects/contacts?limit=1', undefined, 'pat-wrong');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
  });

  it('creates a contact (201, properties as strings, hs_object_id), refuses a second with the same e-mail (409 Existing ID)', async () => {
    const created = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'dana@example.com', lastname: 'Lee', phone: '+15125550100' },
      associations: [],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^\d+$/), properties: { email: 'dana@example.com', lastname: 'Lee' }, archived: false });
    const again = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'DANA@example.com', lastname: 'Lee' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: 'error', category: 'CONFLICT', message: `Contact already exists. Existing ID: ${created.body.id}` });
  });

  it('validates properties: unknown names, bad e-mails and hs_lead_status values outside its options are 400 VALIDATION_ERROR', async () => {
    const unknown = await call('POST', '/crm/v3/objects/contacts', { properties: { lastname: 'Lee', sms_opt_out: 'true' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ category: 'VALIDATION_ERROR', errors: [expect.objectContaining({ code: 'PROPERTY_DOESNT_EXIST' })] });
    const status = await call('POST', '/crm/v3/objects/contacts', { properties: { lastname: 'Lee', hs_lead_status: 'Contacted' } });
    expect(status.body.errors[0]).toMatchObject({ code: 'INVALID_OPTION' });
    hubspot.ensureProperties(['sms_opt_out']);
    expect((await call('POST', '/crm/v3/objects/contacts', { properties: { lastname: 'Lee', sms_opt_out: 'true', hs_lead_status: 'CONNECTED' } })).status).toBe(
      201,
    );
  });

  it('searches with OR-ed groups of AND-ed filters, exact text (e-mail without case), after the index caught up', async () => {
    hubspot.searchLagMs = 5_000;
    hubspot.addContactByHand({ lastname: 'Rivera', phone: '(512) 555-0100', email: 'Rivera@Example.com' });
    const search = (filterGroups: unknown) =>
      call('POST', '/crm/v3/objects/contacts/search', { filterGroups, properties: ['phone', 'email'], limit: 10, after: '0' });
    expect((await search([{ filters: [{ propertyName: 'phone', operator: 'IN', values: ['+15125550100', '(512) 555-0100'] }] }])).body.total).toBe(0);
    clock.advance(5_000);
    expect((await search([{ filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15125550100' }] }])).body).toEqual({ total: 0, results: [] });
    const found = await search([
      { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15125550100' }] },
      {
        filters: [
          { propertyName: 'email', operator: 'EQ', value: 'rivera@example.com' },
          { propertyName: 'phone', operator: 'HAS_PROPERTY' },
        ],
      },
    ]);
    expect(found.body).toMatchObject({ total: 1, results: [{ properties: { phone: '(512) 555-0100', email: 'Rivera@Example.com' } }] });
    const tooMany = await search(Array.from({ length: 6 }, () => ({ filters: [{ propertyName: 'email', operator: 'EQ', value: 'x@example.com' }] })));
    expect(tooMany).toMatchObject({ status: 400, body: { category: 'VALIDATION_ERROR' } });
  });

  it('upserts by e-mail with the "new" flag, and refuses a property that is not unique', async () => {
    const first = await call('POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [{ idProperty: 'email', id: 'kim@example.com', properties: { lastname: 'Kim' } }],
    });
    expect(first.body).toMatchObject({ status: 'COMPLETE', results: [{ new: true }] });
    const second = await call('POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [{ idProperty: 'email', id: 'kim@example.com', properties: { firstname: 'Jo' } }],
    });
    expect(second.body.results[0]).toMatchObject({ id: first.body.results[0].id, new: false });
    expect(hubspot.contactList()).toHaveLength(1);
    expect(
      (await call('POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: [{ idProperty: 'phone', id: '+15125550100', properties: {} }] })).status,
    ).toBe(400);
  });

  it('adds a note only with hs_timestamp and a note→contact (202) association, and lists it through v4 associations', async () => {
    const contact = hubspot.addContactByHand({ lastname: 'Lee' });
    const note = (properties: Record<string, string>, typeId = 202) =>
      call('POST', '/crm/v3/objects/notes', {
        properties,
        associations: [{ to: { id: contact }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] }],
      });
    expect((await note({ hs_note_body: 'x' })).body).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect((await note({ hs_timestamp: '2026-02-02T15:00:00Z', hs_note_body: 'x' }, 1)).status).toBe(400);
    const added = await note({ hs_timestamp: '2026-02-02T15:00:00Z', hs_note_body: 'Inbound call' });
    expect(added.status).toBe(201);
    const page = await call('GET', `/crm/v4/objects/contacts/${contact}/associations/notes`);
    expect(page.body.results).toEqual([{ toObjectId: Number(added.body.id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 201, label: null }] }]);
    const read = await call('POST', '/crm/v3/objects/notes/batch/read', {
      inputs: [{ id: added.body.id }],
      properties: ['hs_note_body'],
      propertiesWithHistory: [],
    });
    expect(read.body.results[0].properties.hs_note_body).toBe('Inbound call');
  });

  it('answers 404 OBJECT_NOT_FOUND for a deleted contact, and injected 429s carry the policy the SDK looks for', async () => {
    const id = hubspot.addContactByHand({ lastname: 'Lee' });
    hubspot.deleteContact(id);
    expect(await call('PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { firstname: 'A' } })).toMatchObject({
      status: 404,
      body: { category: 'OBJECT_NOT_FOUND' },
    });
    hubspot.rateLimit(1);
    expect(await call('GET', '/crm/v3/objects/contacts?limit=1')).toMatchObject({ status: 429, body: { policyName: 'TEN_SECONDLY_ROLLING' } });
    expect((await call('GET', '/crm/v3/objects/contacts?limit=1')).status).toBe(200);
  });
});
