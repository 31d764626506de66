/**
 * Availability in an office with staff: each candidate's own calendar and hours give their free slots, and each start
 * goes to one person, the first free one in the office's assignment order (round robin: fewest upcoming bookings).
 */
import type { AppContext } from '../app-context.js';
import type { AppointmentType, ClientConfig } from '../config/client-schema.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { ourBusyByStaff } from './busy.js';
import { calendarPortOf } from './deps.js';
import { freeSlots, type PartOfDay, type Slot } from './slots.js';
import { assignmentOrder, hasStaff, resolveStaff, slotRulesOfStaff, staffForType, staffNames, takesType, upcomingLoad, type StaffMember } from './staff.js';

export type { StaffMember };

export type StaffRefusal = 'unknown_staff' | 'staff_does_not_take_type' | 'nobody_takes_type';

export type Candidates = { ok: true; staff?: StaffMember[] } | { ok: false; reason: StaffRefusal; message: string };

/**
 * Who may be offered: the person asked for (who must take the type), or everyone who takes it. `staff` is undefined
 * for an office with one calendar (a person asked for is then ignored: there is nobody to choose).
 */
export function candidatesFor(config: ClientConfig, typeId: string, typeName: string, wanted: string | undefined, language: Language): Candidates {
  if (!hasStaff(config)) return { ok: true };
  const say = phrasesFor(language).staff;
  const takers = staffForType(config, typeId);
  if (wanted && wanted.trim()) {
    const person = resolveStaff(config, wanted);
    if (!person) return { ok: false, reason: 'unknown_staff', message: say.unknownPerson(wanted, staffNames(takers)) };
    if (!takesType(person, typeId))
      return { ok: false, reason: 'staff_does_not_take_type', message: say.doesNotTake(person.name, typeName, staffNames(takers)) };
    return { ok: true, staff: [person] };
  }
  if (takers.length === 0) return { ok: false, reason: 'nobody_takes_type', message: say.nobodyTakes(typeName) };
  return { ok: true, staff: takers };
}

export type StaffSlot = Slot & { staff: StaffMember };

/**
 * Reads every candidate's calendar and our own bookings once for the window, and returns the function that cuts it
 * into slots: each start once, with the first free person in assignment order.
 */
export async function staffSlots(
  context: AppContext,
  config: ClientConfig,
  input: { clientId: string; people: StaffMember[]; type: AppointmentType; nowMs: number; fetchStart: number; fetchEnd: number; signal?: AbortSignal },
): Promise<(from: string, to: string, partOfDay?: PartOfDay) => StaffSlot[]> {
  const now = new Date(input.nowMs);
  const [views, ours, load] = await Promise.all([
    Promise.all(input.people.map((person) => calendarPortOf(context, person.calendarId).view(input.clientId, input.fetchStart, input.fetchEnd, input.signal))),
    ourBusyByStaff(context.db, input.clientId, input.fetchStart, input.fetchEnd, now),
    upcomingLoad(context.db, input.clientId, now),
  ]);
  const busyOf = new Map(input.people.map((person, index) => [person.id, [...views[index]!.busy, ...(ours.get(person.id) ?? [])]]));
  const ordered = assignmentOrder(config, input.people, load).map((person) => ({
    person,
    rules: slotRulesOfStaff(config, person),
    busy: busyOf.get(person.id)!,
  }));
  return (from, to, partOfDay) => {
    const byStart = new Map<number, StaffSlot>();
    for (const { person, rules, busy } of ordered) {
      const free = freeSlots(rules, {
        nowMs: input.nowMs,
        fromDate: from,
        toDate: to,
        durationMinutes: input.type.durationMinutes,
        bufferMinutes: input.type.bufferMinutes,
        busy,
        partOfDay,
      });
      for (const slot of free) if (!byStart.has(slot.startMs)) byStart.set(slot.startMs, { ...slot, staff: person });
    }
    return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
  };
}
