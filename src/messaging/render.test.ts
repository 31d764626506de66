import { describe, expect, it } from 'vitest';
import { aClientConfig } from '../../test/fixtures/config/a-client-config.js';
import { previewTemplate } from './preview.js';
import { openSlotsText, smsSafeValues } from './render.js';

describe('open slots in a rebook message', () => {
  // The fixture office is in Phoenix (no daylight saving): 16:00 and 20:30 UTC are 9:00 and 13:30 there.
  const office = aClientConfig();
  const starts = [new Date('2026-03-04T16:00:00Z'), new Date('2026-03-05T20:30:00Z')];

  it('are written in the message language, not the office default', () => {
    expect(openSlotsText(office, starts, 'en')).toBe('Wed 3/4 9:00 AM, Thu 3/5 1:30 PM');
    expect(openSlotsText(office, starts, 'es')).toBe('mié 4/3 9:00, jue 5/3 13:30');
  });

  it('say where to call when nothing is open, in the same language, GSM-7-safe in a text', () => {
    expect(openSlotsText(office, [], 'en')).toBe("none in the next few days; call (602) 555-0117 and we'll find one");
    const spanish = openSlotsText(office, [], 'es');
    expect(spanish).toBe('ninguna en los próximos días; llámenos al (602) 555-0117 y le buscamos una');
    expect(smsSafeValues({ open_slots: spanish }, 'es').open_slots).toBe('ninguna en los proximos dias; llamenos al (602) 555-0117 y le buscamos una');
  });
});

describe('the template editor preview of a rebook', () => {
  it('shows the sample open slots in the draft language', () => {
    const office = aClientConfig();
    const draft = { channel: 'sms' as const, kind: 'rebook' as const, text: 'Horas libres: {{open_slots}}. {{opt_out_text}}', language: 'es' };
    const preview = previewTemplate(office, draft, { now: new Date('2026-03-02T17:00:00Z'), unsubscribeLink: 'https://example.com/u' });
    expect(preview.text).toMatch(/^Horas libres: \S+ \d{1,2}\/\d{1,2} \d{1,2}:\d{2}, \S+ \d{1,2}\/\d{1,2} \d{1,2}:\d{2}\. /);
    expect(preview.text).not.toMatch(/[AP]M/);
  });
});
