import { describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../config/client-schema.js';
import { retellPromptSnippet } from '../functions/tool-schemas.js';
import { aClientConfig, aClientConfigInput } from '../../test/fixtures/config/a-client-config.js';
import { openingRanges } from './slots.js';
import { assignmentOrder, resolveStaff, slotRulesOfStaff, staffForType } from './staff.js';

const afternoons = [{ open: '13:00', close: '18:00' }];
const people = [
  { id: 'maria', name: 'María López', calendarId: 'cal-maria' },
  {
    id: 'sam',
    name: 'Sam Lee',
    calendarId: 'cal-sam',
    businessHours: { monday: afternoons, tuesday: afternoons, wednesday: afternoons, thursday: afternoons, friday: afternoons, saturday: [], sunday: [] },
  },
  { id: 'sam-b', name: 'Samantha Berg', calendarId: 'cal-samantha' },
];

function withStaff(staff: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return aClientConfig({ staff, ...extra });
}

describe('per-staff calendars', () => {
  it('an office without staff is parsed exactly as before (no staff key at all)', () => {
    expect('staff' in aClientConfig()).toBe(false);
  });

  it('defaults the assignment to round robin and keeps the listed order', () => {
    const config = withStaff({ people });
    expect(config.staff?.assignment).toBe('round_robin');
    expect(config.staff?.people.map((person) => person.id)).toEqual(['maria', 'sam', 'sam-b']);
  });

  it('refuses duplicate ids or names, unknown appointment types, and {{staff_name}} in an office without staff', () => {
    const typeId = aClientConfig().appointmentTypes[0]!.id;
    const result = clientConfigSchema.safeParse(
      aClientConfigInput({
        staff: {
          people: [
            { id: 'a', name: 'Ann', calendarId: 'x', appointmentTypes: [typeId, 'massage'] },
            { id: 'a', name: 'ann', calendarId: 'y' },
          ],
        },
      }),
    );
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^staff\.people\.0\.appointmentTypes\.1: "massage" is not one of appointmentTypes/),
        'staff.people.1.id: duplicate id "a" (also [0])',
        expect.stringMatching(/^staff\.people\.1\.name: duplicate name "ann"/),
      ]),
    );
    const input = aClientConfigInput();
    const sms = (input.templates as { sms: Record<string, string> }).sms;
    sms.confirmation = `${sms.confirmation} With {{staff_name}}.`;
    const noStaff = clientConfigSchema.safeParse(input);
    expect(noStaff.success).toBe(false);
    expect(noStaff.error!.issues.map((issue) => issue.message)).toContain('use {{staff_name}} only in an office with "staff" (who the appointment is with)');
  });

  it('finds a person by id, full name (accents and case aside) or an unambiguous part of the name', () => {
    const config = withStaff({ people });
    expect(resolveStaff(config, 'sam-b')?.id).toBe('sam-b');
    expect(resolveStaff(config, 'maria lopez')?.id).toBe('maria');
    expect(resolveStaff(config, 'María')?.id).toBe('maria');
    expect(resolveStaff(config, 'Berg')?.id).toBe('sam-b');
    expect(resolveStaff(config, 'Sam')?.id).toBe('sam');
    expect(resolveStaff(config, 'Lee')?.id).toBe('sam');
    expect(resolveStaff(config, 'nobody')).toBeUndefined();
  });

  it('a person who does not take a type is not a candidate for it', () => {
    const typeIds = aClientConfig().appointmentTypes.map((type) => type.id);
    const config = withStaff({ people: [people[0], { ...people[1], appointmentTypes: [typeIds[0]] }] });
    expect(staffForType(config, typeIds[0]!).map((person) => person.id)).toEqual(['maria', 'sam']);
    if (typeIds[1]) expect(staffForType(config, typeIds[1]).map((person) => person.id)).toEqual(['maria']);
  });

  it("a person's own hours meet the office's special hours and closures", () => {
    // 2026-04-15 is a Wednesday: the office opens 8–21 that day; Sam works his afternoons only. 2026-04-16 is closed.
    const config = withStaff(
      { people },
      { specialHours: { '2026-04-15': [{ open: '08:00', close: '21:00' }] }, closures: [{ date: '2026-04-16', reason: 'Inventory' }] },
    );
    const sam = slotRulesOfStaff(config, config.staff!.people[1]!);
    const maria = slotRulesOfStaff(config, config.staff!.people[0]!);
    const hours = (rules: typeof sam, date: string) =>
      openingRanges(rules, date).map((range) => [new Date(range.startMs).toISOString(), new Date(range.endMs).toISOString()]);
    expect(openingRanges(sam, '2026-04-15')).toHaveLength(1);
    expect(openingRanges(sam, '2026-04-15')[0]!.endMs - openingRanges(sam, '2026-04-15')[0]!.startMs).toBe(5 * 60 * 60_000);
    expect(openingRanges(maria, '2026-04-15')[0]!.endMs - openingRanges(maria, '2026-04-15')[0]!.startMs).toBe(13 * 60 * 60_000);
    expect(hours(sam, '2026-04-16')).toEqual([]);
    expect(hours(sam, '2026-04-18')).toEqual([]);
  });

  it('round robin puts the least-booked first, ties in the listed order; first_listed keeps the list', () => {
    const config = withStaff({ people });
    const order = (load: Record<string, number>, assignment?: string) =>
      assignmentOrder(assignment ? withStaff({ people, assignment }) : config, config.staff!.people, new Map(Object.entries(load))).map((person) => person.id);
    expect(order({})).toEqual(['maria', 'sam', 'sam-b']);
    expect(order({ maria: 2, sam: 1 })).toEqual(['sam-b', 'sam', 'maria']);
    expect(order({ maria: 1, 'sam-b': 1 })).toEqual(['sam', 'maria', 'sam-b']);
    expect(order({ maria: 5 }, 'first_listed')).toEqual(['maria', 'sam', 'sam-b']);
  });

  it("the agent's prompt snippet names the people only in an office with staff", () => {
    expect(retellPromptSnippet(withStaff({ people }))).toContain('Appointments are with María López, Sam Lee, Samantha Berg: each slot says who (staff_id)');
    expect(retellPromptSnippet(aClientConfig())).not.toContain('staff');
  });
});
