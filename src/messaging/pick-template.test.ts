import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aClientConfigInput } from '../../test/fixtures/config/a-client-config.js';
import { clientConfigSchema } from '../config/client-schema.js';
import { applyPack, listPacks, SAMPLE_OFFICE_BASICS } from '../offices/packs.js';
import { missingTranslations, pickTemplate } from './pick-template.js';
import { renderLocalized, templateValues } from './render.js';

/** The fixture office (desert-bookkeeping.json) as it was before translations existed, plus `translations`. */
function anOffice(translations?: unknown) {
  const { translations: _shipped, ...document } = aClientConfigInput() as Record<string, unknown>;
  return clientConfigSchema.parse(translations === undefined ? document : { ...document, translations });
}

const spanishConfirmation =
  '{{office_name}}: Hola, {{first_name}}. Su cita de {{appointment_type}} es el {{appointment_time_short}}. {{reschedule_instructions}}';

describe('pickTemplate', () => {
  const withoutTranslations = anOffice();
  const appointment = { startAt: new Date('2026-03-04T16:00:00Z'), appointmentTypeId: 'bookkeeping-review' };

  it('an office document without translations validates and renders exactly as before', () => {
    expect(withoutTranslations.translations).toEqual({});
    expect(pickTemplate(withoutTranslations, 'confirmation', 'sms')).toEqual({ template: withoutTranslations.templates.sms.confirmation, language: 'en' });
    const rendered = renderLocalized(withoutTranslations, 'confirmation', 'sms', {
      values: (language) => templateValues(withoutTranslations, { name: 'Dana Lee' }, appointment, {}, language),
    });
    expect(rendered).toEqual({
      ok: true,
      language: 'en',
      body: 'Desert Bookkeeping: Hi Dana, your Bookkeeping review is set for Wed 3/4 9:00 AM. Please bring your last three months of bank and credit card statements. To reschedule or cancel, call us at (602) 555-0117.',
    });
  });

  it('a Spanish caller without a Spanish template gets the whole message in the office language, flagged as a fallback', () => {
    const rendered = renderLocalized(withoutTranslations, 'confirmation', 'sms', {
      language: 'es',
      appointmentTypeId: 'bookkeeping-review',
      values: (language) => templateValues(withoutTranslations, { name: 'Dana Lee' }, appointment, {}, language),
    });
    expect(rendered).toMatchObject({ ok: true, language: 'en', fallbackFrom: 'es' });
    expect(rendered.ok && rendered.body).toContain('Wed 3/4 9:00 AM');
  });

  it('a Spanish template whose appointment type has no Spanish name falls back whole, never half-translated', () => {
    const config = anOffice({ es: { templates: { sms: { confirmation: spanishConfirmation } } } });
    expect(pickTemplate(config, 'confirmation', 'sms', { language: 'es', appointmentTypeId: 'bookkeeping-review' })).toMatchObject({
      language: 'en',
      fallbackFrom: 'es',
    });
    const named = anOffice({
      es: { templates: { sms: { confirmation: spanishConfirmation } }, appointmentTypes: { 'bookkeeping-review': { name: 'Revisión de contabilidad' } } },
    });
    const rendered = renderLocalized(named, 'confirmation', 'sms', {
      language: 'es',
      appointmentTypeId: 'bookkeeping-review',
      values: (language) => templateValues(named, { name: 'Dana Lee' }, appointment, {}, language),
    });
    expect(rendered).toEqual({
      ok: true,
      language: 'es',
      body: 'Desert Bookkeeping: Hola, Dana. Su cita de Revisión de contabilidad es el mié 4/3 9:00. Para cambiar o cancelar su cita, llamenos al (602) 555-0117.',
    });
  });

  it('lists what an office has not translated, for doctor and the template editor', () => {
    const missing = missingTranslations(withoutTranslations);
    expect(missing).toContainEqual({ language: 'es', channel: 'sms', kind: 'confirmation', detail: 'not translated' });
    expect(missing.filter((gap) => gap.channel === 'email' && gap.kind === 'opt_out_confirmation')).toEqual([]);
  });
});

describe('shipped Spanish', () => {
  it.each(readdirSync('config/clients').filter((file) => file.endsWith('.json')))('demo office %s has every template and type word in Spanish', (file) => {
    const config = clientConfigSchema.parse(JSON.parse(readFileSync(`config/clients/${file}`, 'utf8')));
    expect(missingTranslations(config)).toEqual([]);
  });

  it.each(listPacks().map((pack) => [pack.id, pack] as const))('template pack %s has every template and type word in Spanish', (_id, pack) => {
    const config = clientConfigSchema.parse(applyPack(SAMPLE_OFFICE_BASICS, pack));
    expect(missingTranslations(config)).toEqual([]);
  });
});
