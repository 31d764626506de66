/**
 * Onboarding by trade: every template pack makes a valid office from a new office's basics, every template in
 * it renders on sample data as a plain GSM-7 text without a hole, the hours presets and time zone proposal
 * behave, and the dashboard's template preview counts segments exactly as the outbox does, on real HTTP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, WEEKDAYS } from '../../src/config/client-schema.js';
import { MARKETING_TEMPLATE_KINDS, TEMPLATE_KINDS, type TemplateKind } from '../../src/config/templates.js';
import { renderEmail, renderSms, templateValues } from '../../src/messaging/render.js';
import { nonGsmCharacters, smsSegments } from '../../src/messaging/segments.js';
import {
  HOURS_PRESETS,
  HOURS_PRESET_IDS,
  SAMPLE_OFFICE_BASICS,
  applyPack,
  listPacks,
  loadPack,
  proposeTimezone,
  type OfficeBasics,
} from '../../src/offices/packs.js';
import { validateOfficeDocument } from '../../src/offices/validate.js';
import { CLIENT_A, CLIENT_B, aUser, apiFor, signIn, type Api } from '../dashboard/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { BACKENDS } from '../support/databases.js';

const TRADES = ['bookkeeping', 'dental', 'home-services', 'legal', 'tax-preparation'];

/** A new office as the wizard's first step would describe it (not the sample office the packs are checked against at load). */
const BASICS: OfficeBasics = {
  slug: 'harbor-office',
  name: 'Harbor Office',
  timezone: 'America/New_York',
  officePhone: '+13055550148',
  officeEmail: 'front@harbor-office.example',
  address: '200 S Biscayne Blvd, Suite 1200, Miami, FL 33131',
  adminEmails: ['owner@harbor-office.example'],
  senders: { sms: { from: '+13055550149' }, email: { from: 'Harbor Office <front@harbor-office.example>' } },
  retell: { agentIds: ['agent_harbor_0001'] },
  zoho: { calendarId: 'harbor-appointments' },
};

const AT = new Date('2026-03-10T14:00:00Z');
const BEFORE = new Date('2026-03-09T19:00:00Z');

describe('template packs', () => {
  it('ships a pack for each trade the issue names', () => {
    expect(
      listPacks()
        .map((pack) => pack.id)
        .sort(),
    ).toEqual(TRADES);
    for (const pack of listPacks()) {
      expect(pack.name.length).toBeGreaterThan(0);
      expect(pack.description.length).toBeGreaterThan(20);
      expect(HOURS_PRESET_IDS).toContain(pack.hoursPreset);
    }
  });

  it.each(TRADES)("%s applied to a new office's basics is a valid office document", (id) => {
    const document = applyPack(BASICS, id);
    const result = validateOfficeDocument(document, id);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    const config = result.config;
    // The office's identity comes from the basics, never from the pack.
    expect(config).toMatchObject({
      slug: 'harbor-office',
      name: 'Harbor Office',
      timezone: 'America/New_York',
      officePhone: '+13055550148',
      address: BASICS.address,
    });
    expect(config.retell.agentIds).toEqual(['agent_harbor_0001']);
    expect(config.zoho?.calendarId).toBe('harbor-appointments');
    expect(config.businessHours).toEqual(HOURS_PRESETS[loadPack(id)!.hoursPreset].businessHours);
    // Every template kind is written for both channels, the optional opt-out e-mail included.
    expect(Object.keys(config.templates.sms).sort()).toEqual([...TEMPLATE_KINDS].sort());
    expect(Object.keys(config.templates.email).sort()).toEqual([...TEMPLATE_KINDS].sort());
  });

  it.each(TRADES)('%s: every template renders on sample data, whole, as GSM-7, in at most 3 segments', (id) => {
    const result = validateOfficeDocument(applyPack(BASICS, id), id);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const config = result.config;
    for (const type of config.appointmentTypes) {
      for (const kind of TEMPLATE_KINDS) {
        const appointment =
          kind.startsWith('nurture') || kind === 'opt_out_confirmation' ? undefined : { startAt: AT, appointmentTypeId: type.id, previousStartAt: BEFORE };
        const values = templateValues(config, { name: 'Jordan Rivera' }, appointment, {
          unsubscribeLink: 'https://switchboard.example/v1/unsubscribe/abc',
          reviewLink: 'https://g.page/r/harbor-office/review',
          openSlots: 'Tue 3/10 10:00 AM, Tue 3/10 2:00 PM, Wed 3/11 9:00 AM',
          bookingLink: 'https://harbor-office.example/book',
        });
        const sms = renderSms(config, kind, values);
        if (!sms.ok) throw new Error(`${id} ${type.id} sms ${kind}: ${sms.error}`);
        expect(sms.body, `${id} sms ${kind}`).not.toMatch(/\{\{|\}\}/);
        expect(nonGsmCharacters(sms.body), `${id} sms ${kind}`).toEqual([]);
        expect(smsSegments(sms.body).segments, `${id} ${type.id} sms ${kind}: ${sms.body}`).toBeLessThanOrEqual(3);
        const email = renderEmail(config, kind, values);
        if (!email.ok) throw new Error(`${id} ${type.id} email ${kind}: ${email.error}`);
        expect(`${email.subject}\n${email.text}\n${email.html ?? ''}`, `${id} email ${kind}`).not.toMatch(/\{\{|\}\}/);
      }
    }
  });

  it.each(TRADES)('%s: marketing texts carry the opt-out sentence and marketing e-mails the unsubscribe link and address', (id) => {
    const pack = loadPack(id)!;
    const templates = pack.office.templates as { sms: Record<TemplateKind, string>; email: Record<string, { subject: string; text: string }> };
    for (const kind of MARKETING_TEMPLATE_KINDS) {
      expect(templates.sms[kind]).toContain('{{opt_out_text}}');
      expect(templates.email[kind]!.text).toContain('{{unsubscribe_link}}');
      expect(templates.email[kind]!.text).toContain('{{office_address}}');
    }
    // Curly quotes, dashes and the like would turn a text into UCS-2 (70 characters a segment); the packs use none.
    const everything = JSON.stringify(pack.office.templates) + pack.office.appointmentTypes.map((type) => type.whatToBring + type.name).join('');
    expect(nonGsmCharacters(everything)).toEqual([]);
  });

  it('fits each trade: dental books new-patient exams and cleanings, legal consultations with nurture off, home services arrival windows', () => {
    const names = (id: string) => loadPack(id)!.office.appointmentTypes.map((type) => type.name);
    expect(names('dental')).toEqual(expect.arrayContaining(['New patient exam', 'Cleaning and checkup']));
    expect(names('legal')).toContain('Initial consultation');
    expect(loadPack('legal')!.office.nurture).toMatchObject({ enabled: false });
    const home = loadPack('home-services')!.office;
    expect(names('home-services')).toContain('On-site estimate');
    expect((home.templates as { sms: Record<string, string> }).sms.confirmation).toContain('arrival window');
    expect(home.quietHours).toMatchObject({ transactional: { start: '07:00' } });
    expect(loadPack('tax-preparation')!.hoursPreset).toBe('tax-season');
  });

  it("uses the hours asked for over the pack's preset, and never changes the pack it was given", () => {
    const before = loadPack('dental');
    const fromPreset = applyPack({ ...BASICS, hoursPreset: 'mon-sat-9-5' }, 'dental');
    expect(fromPreset.businessHours.saturday).toEqual([{ open: '09:00', close: '17:00' }]);
    expect('hoursPreset' in fromPreset).toBe(false);
    const own = { ...HOURS_PRESETS['mon-fri-9-5'].businessHours, sunday: [{ open: '10:00', close: '12:00' }] };
    const explicit = applyPack({ ...BASICS, businessHours: own }, 'dental');
    expect(explicit.businessHours.sunday).toEqual([{ open: '10:00', close: '12:00' }]);
    (fromPreset.appointmentTypes[0] as { name: string }).name = 'Changed by a caller';
    fromPreset.businessHours.monday.push({ open: '18:00', close: '19:00' });
    expect(loadPack('dental')).toEqual(before);
    expect(HOURS_PRESETS['mon-sat-9-5'].businessHours.monday).toEqual([{ open: '09:00', close: '17:00' }]);
  });

  it('finds no pack for an unknown or path-like id, and refuses a pack file that would make an invalid office', () => {
    expect(loadPack('plumbing')).toBeUndefined();
    expect(loadPack('../clients/smart-tax-nation')).toBeUndefined();
    expect(() => applyPack(BASICS, 'plumbing')).toThrow(/no template pack "plumbing"/);

    const dir = mkdtempSync(join(tmpdir(), 'packs-'));
    const broken = loadPack('dental')!;
    const { id: _id, ...file } = broken;
    (file.office.templates as { sms: Record<string, string> }).sms.nurture_day1 = 'Come back soon, {{firstname}}!';
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(file));
    let error: unknown;
    try {
      loadPack('broken', dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const where = { file: 'config/packs/broken.json', path: 'office.templates.sms.nurture_day1' };
    expect((error as ConfigError).problems).toEqual([
      { ...where, message: expect.stringMatching(/^unknown template variable \{\{firstname\}\};/) },
      { ...where, message: 'is a marketing text and must include {{opt_out_text}} or "STOP"' },
    ]);
    writeFileSync(join(dir, 'identity.json'), JSON.stringify({ ...file, office: { ...file.office, slug: 'taken-over' } }));
    expect(() => loadPack('identity', dir)).toThrow(/office: Unrecognized key: "slug"/);
  });

  it('offers hours presets that are valid business hours, tax season with evenings and Saturdays', () => {
    for (const id of HOURS_PRESET_IDS) {
      const result = validateOfficeDocument({ ...applyPack(SAMPLE_OFFICE_BASICS, 'bookkeeping'), businessHours: HOURS_PRESETS[id].businessHours }, id);
      expect(result.ok, id).toBe(true);
      expect(Object.keys(HOURS_PRESETS[id].businessHours)).toEqual([...WEEKDAYS]);
    }
    expect(HOURS_PRESETS['mon-fri-9-5']).toMatchObject({
      label: 'Mon–Fri 9–5',
      businessHours: { monday: [{ open: '09:00', close: '17:00' }], saturday: [], sunday: [] },
    });
    expect(HOURS_PRESETS['tax-season'].businessHours.tuesday).toEqual([{ open: '09:00', close: '20:00' }]);
    expect(HOURS_PRESETS['tax-season'].businessHours.saturday.length).toBe(1);
  });
});

describe('time zone proposal', () => {
  it('reads the area code of a phone number', () => {
    expect(proposeTimezone({ phone: '+16025550117' })).toMatchObject({
      timezone: 'America/Phoenix',
      basis: 'area_code',
      reason: expect.stringMatching(/^area code 602 is Arizona/),
    });
    expect(proposeTimezone({ phone: '(212) 555-0142' })).toEqual({ timezone: 'America/New_York', basis: 'area_code', reason: 'area code 212 is New York' });
    expect(proposeTimezone({ phone: '+12195550100' })).toMatchObject({
      timezone: 'America/Chicago',
      reason: 'area code 219 is Indiana, in the part of the state on America/Chicago',
    });
  });

  it('reads the state of an address, naming the rule for a state that spans two zones', () => {
    const miami = proposeTimezone({ address: '200 S Biscayne Blvd, Suite 1200, Miami, FL 33101' });
    expect(miami).toMatchObject({ timezone: 'America/New_York', basis: 'address' });
    expect(miami.reason).toBe(
      'the address is in Florida; most of Florida is on America/New_York, but the western panhandle (Pensacola, Panama City) is on Central time; change it if the office is there',
    );
    expect(proposeTimezone({ address: '350 Fifth Avenue New York NY 10118' }).timezone).toBe('America/New_York');
    expect(proposeTimezone({ address: '1 Main St, Seattle, Washington 98101, USA' }).timezone).toBe('America/Los_Angeles');
    expect(proposeTimezone({ address: '1600 Pennsylvania Ave NW, Washington, D.C. 20500' })).toMatchObject({
      timezone: 'America/New_York',
      reason: 'the address is in the District of Columbia',
    });
    expect(proposeTimezone({ address: '9 Elm Ct, Springfield' }).timezone).toBeNull();
  });

  it('lets the area code narrow a split state, and shows it as the alternative when it points to another state', () => {
    expect(proposeTimezone({ address: '10 Palafox Pl, Pensacola, FL 32502', phone: '+18505550100' })).toMatchObject({
      timezone: 'America/Chicago',
      basis: 'address_and_area_code',
    });
    expect(proposeTimezone({ address: '2 N Central Ave, Phoenix, AZ 85004', phone: '+12125550100' })).toMatchObject({
      timezone: 'America/Phoenix',
      basis: 'address',
      alternative: { timezone: 'America/New_York', reason: 'area code 212 is New York' },
    });
  });

  it('says so when neither clue can be read', () => {
    expect(proposeTimezone({ phone: '+14165550100' })).toMatchObject({
      timezone: null,
      basis: 'none',
      reason: 'area code 416 is not a US area code we know; choose the zone by hand',
    });
    expect(proposeTimezone({ phone: '+442071838750', address: 'Somewhere' })).toMatchObject({
      timezone: null,
      reason: expect.stringContaining('not a North American one (+44)'),
    });
  });
});

describe.each(BACKENDS)('onboarding API (%s)', (backend) => {
  let app: TestApp;
  let staffA: Api;
  let staffB: Api;
  let admin: Api;
  const preview = (api: Api, body: Record<string, unknown>) =>
    api.request('POST', '/v1/api/templates/preview', { channel: 'sms', kind: 'confirmation', ...body });

  beforeAll(async () => {
    // The test clock stands on Monday 2026-03-02, so "next Tuesday" is March 3.
    app = await startTestApp(backend);
    staffA = await signIn(app, await aUser(app, 'staff', [CLIENT_A]));
    staffB = await signIn(app, await aUser(app, 'staff', [CLIENT_B]));
    admin = await signIn(app, await aUser(app, 'admin'));
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it("renders a draft on sample data for the office: Jordan Rivera, next Tuesday 10:00 in the office's zone, its first appointment type", async () => {
    const text =
      'Hi {{first_name}} ({{customer_name}}), {{appointment_type}} on {{appointment_time_short}} at {{office_name}}, {{office_phone}}. Bring {{what_to_bring}}.';
    const east = await preview(staffA, { client: CLIENT_A, text });
    expect(east.status).toBe(200);
    expect(east.body.text).toBe(
      'Hi Jordan (Jordan Rivera), Individual tax return on Tue 3/3 10:00 AM at Smart Tax Nation, (212) 555-0142. Bring ' +
        "your W-2s, 1099s, last year's tax return, a photo ID, and Social Security cards for everyone on the return.",
    );
    expect(east.body.sample).toEqual({
      callerName: 'Jordan Rivera',
      appointmentType: 'Individual tax return',
      appointmentAt: '2026-03-03T10:00:00.000-05:00',
      officeName: 'Smart Tax Nation',
    });
    const west = await preview(staffB, {
      client: CLIENT_B,
      kind: 'rescheduled',
      text: '{{appointment_time_spoken}}, was {{previous_appointment_time_spoken}}. {{office_address}}',
    });
    expect(west.body.text).toBe('Tuesday, March 3 at 10:00 AM, was Monday, March 2 at 3:00 PM. 2 N Central Ave, Suite 1800, Phoenix, AZ 85004');
    expect(west.body.sample.appointmentAt).toBe('2026-03-03T10:00:00.000-07:00');
    const spanish = await preview(staffB, { client: CLIENT_B, text: '{{appointment_time_spoken}}', language: 'es-US' });
    // Spanish as a Spanish speaker says it (it was "martes, marzo 3 at 10:00 AM": English word order, half-translated).
    expect(spanish.body.text).toBe('el martes 3 de marzo a las diez de la mañana');
  });

  it('counts segments exactly as the outbox does, after rendering', async () => {
    const gsm = async (text: string) => (await preview(staffA, { client: CLIENT_A, kind: 'nurture_day1', text })).body;
    expect(await gsm('a'.repeat(160))).toMatchObject({ segments: 1, encoding: 'GSM-7', characters: 160, nonGsmCharacters: [] });
    expect(await gsm('a'.repeat(161))).toMatchObject({ segments: 2, encoding: 'GSM-7', characters: 161 });
    // 131 characters as typed (135 septets: braces count twice), 161 once the 48-character address replaces the placeholder.
    expect(await gsm('{{office_address}}' + 'x'.repeat(113))).toMatchObject({ segments: 2, encoding: 'GSM-7', characters: 161 });
    expect(await gsm('{{office_address}}' + 'x'.repeat(112))).toMatchObject({ segments: 1, characters: 160 });
    expect(await gsm('a'.repeat(153 * 2 + 1))).toMatchObject({ segments: 3 });
    // "é" is in the GSM-7 alphabet; "ó" is not and turns the whole text into UCS-2, 70 characters a segment.
    expect(await gsm('é'.repeat(160))).toMatchObject({ segments: 1, encoding: 'GSM-7' });
    expect(await gsm('ó' + 'a'.repeat(69))).toMatchObject({ segments: 1, encoding: 'UCS-2', characters: 70, nonGsmCharacters: ['ó'] });
    expect(await gsm('ó' + 'a'.repeat(70))).toMatchObject({ segments: 2, encoding: 'UCS-2', characters: 71 });
    expect(await gsm('You’re booked, ' + 'a'.repeat(120) + ' “see you”')).toMatchObject({ segments: 3, encoding: 'UCS-2', nonGsmCharacters: ['’', '“', '”'] });
    // The extension characters count twice in GSM-7.
    expect(await gsm('[]'.repeat(40) + 'a')).toMatchObject({ segments: 2, encoding: 'GSM-7', characters: 81 });
  });

  it('lists unknown variables and leaves them visible, and reports what saving would be refused for', async () => {
    const typo = await preview(staffA, {
      client: CLIENT_A,
      kind: 'nurture_day1',
      text: 'Hi {{firstname}}, call {{office_phone}} about {{appointment_time_short}}.',
    });
    expect(typo.status).toBe(200);
    expect(typo.body.text).toBe('Hi {{firstname}}, call (212) 555-0142 about {{appointment_time_short}}.');
    expect(typo.body.unknownVariables).toEqual(['firstname', 'appointment_time_short']);
    expect(typo.body.problems).toEqual([
      expect.stringMatching(/^unknown template variable \{\{firstname\}\}, \{\{appointment_time_short\}\}/),
      'is a marketing text and must include {{opt_out_text}} or "STOP"',
    ]);
    // An SMS has no unsubscribe link; an e-mail no opt-out sentence.
    const crossed = await preview(staffA, { client: CLIENT_A, kind: 'nurture_day4', text: '{{unsubscribe_link}} {{opt_out_text}}' });
    expect(crossed.body).toMatchObject({ text: '{{unsubscribe_link}} Reply STOP to opt out', unknownVariables: ['unsubscribe_link'] });
  });

  it('previews an e-mail with its subject and html, escaping values in the html', async () => {
    const email = await preview(staffA, {
      client: CLIENT_A,
      channel: 'email',
      kind: 'nurture_day4',
      subject: 'Hello from {{office_name}}',
      text: 'Hi {{first_name}}. Unsubscribe: {{unsubscribe_link}}',
      html: '<p>{{office_address}} &amp; {{first_name}}</p>',
    });
    expect(email.status).toBe(200);
    expect(email.body).toMatchObject({
      subject: 'Hello from Smart Tax Nation',
      text: `Hi Jordan. Unsubscribe: ${app.context.publicBaseUrl}/v1/unsubscribe/preview`,
      html: '<p>350 Fifth Avenue, Suite 4100, New York, NY 10118 &amp; Jordan</p>',
      segments: null,
      encoding: null,
      unknownVariables: [],
      problems: [],
    });
  });

  it("previews without an office on the sample office, or on a pack's appointment types", async () => {
    const generic = await preview(staffB, { text: '{{office_name}}: {{appointment_type}}, {{appointment_time_short}}' });
    expect(generic.body.text).toBe('Sample Office: Appointment, Tue 3/3 10:00 AM');
    const dental = await preview(staffB, { pack: 'dental', text: '{{appointment_type}}: bring {{what_to_bring}}' });
    expect(dental.body.text).toMatch(/^New patient exam: bring a photo ID, your dental insurance card/);
    expect((await preview(staffB, { pack: 'plumbing', text: 'x' })).status).toBe(404);
  });

  it("answers 404 for an office outside the user's scope, 401 without a session, 400 for a bad draft", async () => {
    const other = await preview(staffB, { client: CLIENT_A, text: '{{office_name}}' });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain('Smart Tax Nation');
    expect((await preview(staffB, { client: 'no-such-office', text: 'x' })).status).toBe(404);
    expect((await preview(apiFor(app), { client: CLIENT_A, text: 'x' })).status).toBe(401);
    expect((await preview(admin, { client: CLIENT_A, text: 'x' })).status).toBe(200);
    for (const body of [
      { kind: 'birthday', text: 'x' },
      { channel: 'fax', text: 'x' },
      { subject: 'An SMS has no subject', text: 'x' },
      { text: 42 },
      { text: 'x'.repeat(10_001) },
      { text: 'x', language: 'english' },
    ]) {
      const response = await preview(staffA, { client: CLIENT_A, ...body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.body.message).toBeTruthy();
    }
  });

  it('lists the packs and hours presets, shows one pack, and proposes a time zone, to signed-in users only', async () => {
    const packs = await staffB.request('GET', '/v1/api/packs');
    expect(packs.status).toBe(200);
    expect(packs.body.packs.map((pack: { id: string }) => pack.id).sort()).toEqual(TRADES);
    expect(packs.body.packs.find((pack: { id: string }) => pack.id === 'dental')).toMatchObject({
      name: 'Dental practice',
      appointmentTypes: expect.arrayContaining(['New patient exam']),
    });
    const dental = await staffB.request('GET', '/v1/api/packs/dental');
    expect(dental.body).toMatchObject({ id: 'dental', hoursPreset: 'mon-thu-8-5-fri-8-1', businessHours: { friday: [{ open: '08:00', close: '13:00' }] } });
    expect(dental.body.office.templates.sms.nurture_day1).toContain('{{opt_out_text}}');
    expect((await staffB.request('GET', '/v1/api/packs/plumbing')).status).toBe(404);
    expect((await staffB.request('GET', '/v1/api/packs/..%2Fclients%2Fsmart-tax-nation')).status).toBe(400);
    const presets = await staffB.request('GET', '/v1/api/hours-presets');
    expect(presets.body.presets.map((preset: { id: string }) => preset.id)).toEqual(HOURS_PRESET_IDS);
    const phoenix = await staffB.request('POST', '/v1/api/timezone-proposal', { phone: '+16025550117' });
    expect(phoenix.body).toMatchObject({ timezone: 'America/Phoenix', reason: expect.stringMatching(/^area code 602 is Arizona/) });
    const miami = await staffB.request('POST', '/v1/api/timezone-proposal', { address: '100 Main St, Miami, FL 33101' });
    expect(miami.body).toMatchObject({ timezone: 'America/New_York', basis: 'address' });
    expect((await staffB.request('POST', '/v1/api/timezone-proposal', {})).status).toBe(400);
    expect((await staffB.request('POST', '/v1/api/timezone-proposal', { phone: 5 })).status).toBe(400);
    for (const [method, path, body] of [
      ['GET', '/v1/api/packs', undefined],
      ['GET', '/v1/api/packs/dental', undefined],
      ['GET', '/v1/api/hours-presets', undefined],
      ['POST', '/v1/api/timezone-proposal', { phone: '+16025550117' }],
    ] as const) {
      expect((await apiFor(app).request(method, path, body)).status, path).toBe(401);
    }
  });
});
