import { describe, expect, it } from 'vitest';
import { aZohoEmulator, api } from './support.js';

async function aCrm(options: Parameters<typeof aZohoEmulator>[0] = {}) {
  const started = await aZohoEmulator(options);
  const { accessToken } = started.zoho.issueTokens();
  const crm = (method: string, path: string, body?: unknown) => api(started.zoho, accessToken, method, `/crm/v8${path}`, body);
  return { ...started, token: accessToken, crm };
}

const aLead = (overrides: Record<string, unknown> = {}) => ({
  Last_Name: 'Rivera',
  First_Name: 'Ana',
  Phone: '+14155550102',
  Email: 'ana@example.com',
  Lead_Source: 'Phone Call',
  ...overrides,
});

describe('Zoho emulator: CRM', () => {
  it('inserts a lead with 201 and a per-record success, then finds it by phone, email and id', async () => {
    const { zoho, crm } = await aCrm();
    const inserted = await crm('POST', '/Leads', { data: [aLead()], trigger: [] });
    expect(inserted.status).toBe(201);
    expect(inserted.json.data).toEqual([
      {
        code: 'SUCCESS',
        details: expect.objectContaining({ id: expect.stringMatching(/^\d{19}$/), Created_Time: expect.any(String) }),
        message: 'record added',
        status: 'success',
      },
    ]);
    const id = inserted.json.data[0].details.id;

    const byPhone = await crm('GET', '/Leads/search?phone=%2B14155550102');
    expect(byPhone.status).toBe(200);
    expect(byPhone.json.data.map((lead: { id: string }) => lead.id)).toEqual([id]);
    expect(byPhone.json.info).toEqual({ per_page: 200, count: 1, page: 1, more_records: false });
    expect((await crm('GET', '/Leads/search?email=ANA%40example.com')).json.data[0].id).toBe(id);
    expect((await crm('GET', `/Leads/${id}`)).json.data[0]).toMatchObject({
      id,
      Last_Name: 'Rivera',
      Phone: '+14155550102',
    });
    expect(zoho.leads()).toEqual([expect.objectContaining({ id, First_Name: 'Ana' })]);
  });

  it('answers a search that finds nothing with 204 and an empty body', async () => {
    const { crm } = await aCrm();
    await crm('POST', '/Leads', { data: [aLead()] });
    const answer = await crm('GET', '/Leads/search?phone=4155550199');
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
  });

  it('treats national and E.164 phone forms as different text but ignores formatting characters', async () => {
    const { crm } = await aCrm();
    await crm('POST', '/Leads', { data: [aLead({ Phone: '(415) 555-0102' })] });
    expect((await crm('GET', '/Leads/search?phone=4155550102')).status).toBe(200);
    expect((await crm('GET', '/Leads/search?phone=%2B14155550102')).status).toBe(204);
  });

  it('searches by criteria with escaped values and by word', async () => {
    const { crm } = await aCrm();
    await crm('POST', '/Leads', {
      data: [aLead({ Company: 'Smith (Tax), LLC' }), aLead({ Last_Name: 'Okafor', Phone: '+12125550100', Email: 'o@example.com' })],
    });
    const criteria = encodeURIComponent('((Company:equals:Smith \\(Tax\\)\\, LLC)and(Last_Name:starts_with:Riv))');
    const found = await crm('GET', `/Leads/search?criteria=${criteria}`);
    expect(found.json.data.map((lead: { Last_Name: string }) => lead.Last_Name)).toEqual(['Rivera']);
    const either = encodeURIComponent('(Phone:equals:+12125550100)or(Last_Name:equals:rivera)');
    expect((await crm('GET', `/Leads/search?criteria=${either}`)).json.data).toHaveLength(2);
    expect((await crm('GET', '/Leads/search?word=okaf')).json.data[0].Last_Name).toBe('Okafor');
    const broken = await crm('GET', `/Leads/search?criteria=${encodeURIComponent('(Phone:near:1)')}`);
    expect([broken.status, broken.json.code]).toEqual([400, 'INVALID_QUERY']);
  });

  it('hides just-created leads from the next searches while the index lags, but not from get by id', async () => {
    const { zoho, clock, crm } = await aCrm();
    zoho.setSearchLag(2);
    const id = (await crm('POST', '/Leads', { data: [aLead()] })).json.data[0].details.id;
    expect((await crm('GET', '/Leads/search?email=ana%40example.com')).status).toBe(204);
    expect((await crm('GET', '/Leads/search?email=ana%40example.com')).status).toBe(204);
    expect((await crm('GET', `/Leads/${id}`)).status).toBe(200);
    expect((await crm('GET', '/Leads/search?email=ana%40example.com')).status).toBe(200);

    zoho.setSearchLag(0);
    zoho.setSearchLagMs(30_000);
    await crm('POST', '/Leads', { data: [aLead({ Email: 'late@example.com', Phone: '+13055550100' })] });
    expect((await crm('GET', '/Leads/search?email=late%40example.com')).status).toBe(204);
    clock.advance(30_000);
    expect((await crm('GET', '/Leads/search?email=late%40example.com')).status).toBe(200);
  });

  it('requires Last_Name and configured fields, answering 400 when all records fail and 202 when some do', async () => {
    const { zoho, crm } = await aCrm();
    zoho.requireFields(['Company']);
    const allFailed = await crm('POST', '/Leads', { data: [aLead()] });
    expect(allFailed.status).toBe(400);
    expect(allFailed.json).toEqual({
      data: [
        {
          code: 'MANDATORY_NOT_FOUND',
          details: { api_name: 'Company' },
          message: 'required field not found',
          status: 'error',
        },
      ],
    });
    const mixed = await crm('POST', '/Leads', {
      data: [aLead({ Company: 'Acme' }), { First_Name: 'No', Company: 'Acme' }],
    });
    expect(mixed.status).toBe(202);
    expect(mixed.json.data.map((result: { code: string }) => result.code)).toEqual(['SUCCESS', 'MANDATORY_NOT_FOUND']);
    expect(mixed.json.data[1].details).toEqual({ api_name: 'Last_Name' });
    expect(zoho.leads()).toHaveLength(1);
  });

  it('refuses more than 100 records in one call and an invalid email', async () => {
    const { crm } = await aCrm();
    const tooMany = await crm('POST', '/Leads', { data: Array.from({ length: 101 }, () => aLead()) });
    expect([tooMany.status, tooMany.json.code, tooMany.json.details]).toEqual([400, 'LIMIT_EXCEEDED', { limit: 100 }]);
    const badEmail = await crm('POST', '/Leads', { data: [aLead({ Email: 'not-an-email' })] });
    expect(badEmail.json.data[0]).toMatchObject({
      code: 'INVALID_DATA',
      details: { api_name: 'Email', expected_data_type: 'email' },
    });
  });

  it('updates a lead through PUT /Leads/{id} and PUT /Leads', async () => {
    const { zoho, crm } = await aCrm();
    const id = (await crm('POST', '/Leads', { data: [aLead()] })).json.data[0].details.id;
    const single = await crm('PUT', `/Leads/${id}`, { data: [{ Lead_Status: 'Contacted' }] });
    expect(single.status).toBe(200);
    expect(single.json.data[0]).toMatchObject({ code: 'SUCCESS', message: 'record updated', details: { id } });
    const batch = await crm('PUT', '/Leads', {
      data: [
        { id, Description: 'Called about an extension' },
        { id: '999', Description: 'x' },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.json.data[1]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'id' } });
    expect(zoho.leads()[0]).toMatchObject({
      Lead_Status: 'Contacted',
      Description: 'Called about an extension',
      Last_Name: 'Rivera',
    });
  });

  it('upserts by Phone: inserts first, updates the same lead the second time', async () => {
    const { zoho, crm } = await aCrm();
    const first = await crm('POST', '/Leads/upsert', { data: [aLead()], duplicate_check_fields: ['Phone'] });
    expect(first.status).toBe(200);
    expect(first.json.data[0]).toMatchObject({
      code: 'SUCCESS',
      action: 'insert',
      duplicate_field: null,
      message: 'record added',
    });
    const second = await crm('POST', '/Leads/upsert', {
      data: [{ Last_Name: 'Rivera', Phone: '+14155550102', Lead_Status: 'Booked' }],
      duplicate_check_fields: ['Phone'],
    });
    expect(second.json.data[0]).toMatchObject({
      code: 'SUCCESS',
      action: 'update',
      duplicate_field: 'Phone',
      message: 'record updated',
    });
    expect(second.json.data[0].details.id).toBe(first.json.data[0].details.id);
    expect(zoho.leads()).toEqual([expect.objectContaining({ Lead_Status: 'Booked', Email: 'ana@example.com' })]);
  });

  it('adds notes to a lead through both v8 forms, refuses the old Parent_Id form and lists them', async () => {
    const { zoho, crm } = await aCrm();
    const id = (await crm('POST', '/Leads', { data: [aLead()] })).json.data[0].details.id;
    expect((await crm('GET', `/Leads/${id}/Notes`)).status).toBe(204);

    const nested = await crm('POST', `/Leads/${id}/Notes`, {
      data: [{ Note_Title: 'Call', Note_Content: 'Asked about ITIN renewal' }],
    });
    expect([nested.status, nested.json.data[0].code]).toEqual([201, 'SUCCESS']);
    const direct = await crm('POST', '/Notes', {
      data: [{ Note_Content: 'Booked for Monday', Parent_Id: { module: { api_name: 'Leads' }, id } }],
    });
    expect([direct.status, direct.json.data[0].code]).toEqual([201, 'SUCCESS']);
    const oldForm = await crm('POST', '/Notes', { data: [{ Note_Content: 'x', Parent_Id: id, se_module: 'Leads' }] });
    expect(oldForm.status).toBe(400);
    expect(oldForm.json.data[0]).toEqual({
      code: 'INVALID_DATA',
      details: { api_name: 'Parent_Id', expected_data_type: 'jsonobject' },
      message: 'invalid data',
      status: 'error',
    });

    const listed = await crm('GET', `/Leads/${id}/Notes`);
    expect(listed.json.data.map((note: { Note_Content: string }) => note.Note_Content)).toEqual(['Asked about ITIN renewal', 'Booked for Monday']);
    expect(listed.json.data[0].Parent_Id).toMatchObject({ module: { api_name: 'Leads' }, id });
    expect(zoho.notes(id)).toHaveLength(2);
  });

  it('refuses a second lead with the same phone when Phone is unique', async () => {
    const { zoho, crm } = await aCrm();
    zoho.uniquePhone(true);
    const id = (await crm('POST', '/Leads', { data: [aLead()] })).json.data[0].details.id;
    const duplicate = await crm('POST', '/Leads', {
      data: [aLead({ Last_Name: 'Other', Email: 'other@example.com' })],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json).toEqual({
      data: [{ code: 'DUPLICATE_DATA', details: { api_name: 'Phone', id }, message: 'duplicate data', status: 'error' }],
    });
  });

  it('answers 401 INVALID_TOKEN once when told, although the token is valid', async () => {
    const { zoho, crm } = await aCrm();
    zoho.crmInvalidTokenOnce();
    const first = await crm('GET', '/Leads/search?phone=1');
    expect(first.status).toBe(401);
    expect(first.json).toEqual({ code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' });
    expect((await crm('GET', '/Leads/search?phone=1')).status).toBe(204);
  });

  it('answers 401 INVALID_TOKEN for an expired token and AUTHENTICATION_FAILURE without one', async () => {
    const { zoho, clock, crm } = await aCrm();
    clock.advance(3600 * 1000);
    const expired = await crm('GET', '/Leads/search?phone=1');
    expect([expired.status, expired.json]).toEqual([401, { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' }]);
    const anonymous = await fetch(`${zoho.url}/crm/v8/Leads/search?phone=1`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).code).toBe('AUTHENTICATION_FAILURE');
  });

  it('rate limits and fails the next calls with Zoho bodies, committing nothing', async () => {
    const { zoho, crm } = await aCrm();
    zoho.crmRateLimit(1);
    const limited = await crm('POST', '/Leads', { data: [aLead()] });
    expect([limited.status, limited.json]).toEqual([429, { code: 'TOO_MANY_REQUESTS', details: {}, message: 'too many requests', status: 'error' }]);
    zoho.crmDown(1);
    const down = await crm('POST', '/Leads', { data: [aLead()] });
    expect([down.status, down.json]).toEqual([500, { code: 'INTERNAL_ERROR', details: {}, message: 'Internal Server Error', status: 'error' }]);
    expect(zoho.leads()).toEqual([]);
    expect((await crm('POST', '/Leads', { data: [aLead()] })).status).toBe(201);
  });

  it('plays a parallel writer on crmDuplicateNext: the insert gets DUPLICATE_DATA naming the lead that now exists', async () => {
    const { zoho, crm } = await aCrm();
    zoho.crmDuplicateNext();
    const answer = await crm('POST', '/Leads', { data: [aLead()] });
    const existing = zoho.leads();
    expect(existing).toHaveLength(1);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      data: [
        {
          code: 'DUPLICATE_DATA',
          details: { api_name: 'Phone', id: existing[0]?.id },
          message: 'duplicate data',
          status: 'error',
        },
      ],
    });
    expect((await crm('POST', '/Leads', { data: [aLead({ Phone: '+13055550100' })] })).status).toBe(201);
  });

  it('fails the next write with MANDATORY_NOT_FOUND for the named field', async () => {
    const { zoho, crm } = await aCrm();
    zoho.crmMandatoryMissingNext('Company');
    const answer = await crm('POST', '/Leads', { data: [aLead({ Company: 'Acme' })] });
    expect([answer.status, answer.json]).toEqual([
      400,
      {
        data: [
          {
            code: 'MANDATORY_NOT_FOUND',
            details: { api_name: 'Company' },
            message: 'required field not found',
            status: 'error',
          },
        ],
      },
    ]);
    expect((await crm('POST', '/Leads', { data: [aLead({ Company: 'Acme' })] })).status).toBe(201);
  });

  it('counts one API credit per authenticated call and refuses calls once the limit is used up for 24 hours', async () => {
    const { zoho, clock, crm } = await aCrm({ accessTokenTtlSeconds: 2 * 24 * 3600 });
    zoho.setCreditLimit(2);
    await crm('POST', '/Leads', { data: [aLead()] });
    await crm('GET', '/Leads/search?phone=1');
    expect(zoho.credits).toEqual({ used: 2, limit: 2 });
    const refused = await crm('GET', '/Leads/search?phone=1');
    expect([refused.status, refused.json.code]).toEqual([400, 'LIMIT_EXCEEDED']);
    expect(zoho.credits.used).toBe(2);
    clock.advance(24 * 3600 * 1000);
    expect(zoho.credits.used).toBe(0);
    expect((await crm('GET', '/Leads/search?phone=1')).status).toBe(204);
  });

  it('answers INVALID_MODULE for an unknown module and INVALID_URL_PATTERN for an unknown Leads path', async () => {
    const { crm } = await aCrm();
    const module = await crm('GET', '/Leeds/search?phone=1');
    expect([module.status, module.json.code]).toEqual([400, 'INVALID_MODULE']);
    const path = await crm('DELETE', '/Leads/1/Attachments/2');
    expect([path.status, path.json.code]).toEqual([404, 'INVALID_URL_PATTERN']);
  });
});
