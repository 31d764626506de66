/**
 * Opening-hours presets for a new office ("Mon–Fri 9–5"): the onboarding wizard starts from one and the
 * office edits it afterwards. Each preset is a complete `businessHours` value (every weekday, closed = []).
 */
import { WEEKDAYS, type TimeRange, type Weekday } from '../config/client-schema.js';

export type BusinessHours = Record<Weekday, TimeRange[]>;

export interface HoursPreset {
  label: string;
  description: string;
  businessHours: BusinessHours;
}

const range = (open: string, close: string): TimeRange => ({ open, close });

/** The same ranges on the listed days, every other day closed. */
function week(days: Partial<Record<Weekday, TimeRange[]>>): BusinessHours {
  return Object.fromEntries(WEEKDAYS.map((day) => [day, days[day] ?? []])) as BusinessHours;
}

function weekdays(ranges: TimeRange[], extra: Partial<Record<Weekday, TimeRange[]>> = {}): BusinessHours {
  return week({ monday: ranges, tuesday: ranges, wednesday: ranges, thursday: ranges, friday: ranges, ...extra });
}

export const HOURS_PRESETS = {
  'mon-fri-9-5': {
    label: 'Mon–Fri 9–5',
    description: 'Monday to Friday, 9:00 to 17:00.',
    businessHours: weekdays([range('09:00', '17:00')]),
  },
  'mon-fri-9-5-lunch': {
    label: 'Mon–Fri 9–5, closed 12–1',
    description: 'Monday to Friday, 9:00 to 12:00 and 13:00 to 17:00 (no appointments over lunch).',
    businessHours: weekdays([range('09:00', '12:00'), range('13:00', '17:00')]),
  },
  'mon-fri-8-5': {
    label: 'Mon–Fri 8–5',
    description: 'Monday to Friday, 8:00 to 17:00.',
    businessHours: weekdays([range('08:00', '17:00')]),
  },
  'mon-fri-8-6': {
    label: 'Mon–Fri 8–6',
    description: 'Monday to Friday, 8:00 to 18:00.',
    businessHours: weekdays([range('08:00', '18:00')]),
  },
  'mon-sat-9-5': {
    label: 'Mon–Sat 9–5',
    description: 'Monday to Saturday, 9:00 to 17:00.',
    businessHours: weekdays([range('09:00', '17:00')], { saturday: [range('09:00', '17:00')] }),
  },
  'mon-thu-8-5-fri-8-1': {
    label: 'Mon–Thu 8–5, Fri 8–1',
    description: 'Monday to Thursday 8:00 to 17:00, Friday 8:00 to 13:00 (a common dental week).',
    businessHours: weekdays([range('08:00', '17:00')], { friday: [range('08:00', '13:00')] }),
  },
  'mon-fri-7-6-sat-8-2': {
    label: 'Mon–Fri 7–6, Sat 8–2',
    description: 'Monday to Friday 7:00 to 18:00, Saturday 8:00 to 14:00 (field crews that start early).',
    businessHours: weekdays([range('07:00', '18:00')], { saturday: [range('08:00', '14:00')] }),
  },
  'tax-season': {
    label: 'Tax season: weekday evenings and Saturdays',
    description: 'Monday to Friday 9:00 to 20:00, Saturday 9:00 to 17:00, Sunday 12:00 to 17:00 (February to April 15).',
    businessHours: weekdays([range('09:00', '20:00')], { saturday: [range('09:00', '17:00')], sunday: [range('12:00', '17:00')] }),
  },
} satisfies Record<string, HoursPreset>;

export type HoursPresetId = keyof typeof HOURS_PRESETS;
export const HOURS_PRESET_IDS = Object.keys(HOURS_PRESETS) as HoursPresetId[];

export function isHoursPresetId(value: string): value is HoursPresetId {
  return Object.hasOwn(HOURS_PRESETS, value);
}

/** A fresh copy of a preset's hours, safe for the caller to edit. */
export function hoursFromPreset(id: HoursPresetId): BusinessHours {
  return structuredClone<BusinessHours>(HOURS_PRESETS[id].businessHours);
}
