/** The office's hours for a given local day (closures and special hours applied), in words an agent can say. */
import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOfDay, type ClientConfig, type TimeRange } from '../config/client-schema.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';

export function rangesOn(config: ClientConfig, day: DateTime): TimeRange[] {
  const date = day.toISODate() ?? '';
  if (config.closures.some((closure) => closure.from <= date && date <= closure.to)) return [];
  const special = config.specialHours[date];
  if (special) return special;
  return config.businessHours[WEEKDAYS[day.weekday - 1]!];
}

function clockOf(time: string): { hour: number; minute: number } {
  const minutes = minutesOfDay(time);
  return { hour: Math.floor(minutes / 60) % 24, minute: minutes % 60 };
}

export interface OfficeHoursNow {
  openNow: boolean;
  hoursToday: string;
}

/**
 * The last answer per office and language, by minute: every ringing call asks, and the answer changes at most once a
 * minute.
 */
const lastAnswer = new WeakMap<ClientConfig, { minute: number; language: Language; answer: OfficeHoursNow }>();

export function officeHoursToday(config: ClientConfig, now: Date, language: Language = 'en'): OfficeHoursNow {
  const minute = Math.floor(now.getTime() / 60_000);
  const cached = lastAnswer.get(config);
  if (cached?.minute === minute && cached.language === language) return cached.answer;
  const answer = computeOfficeHours(config, now, language);
  lastAnswer.set(config, { minute, language, answer });
  return answer;
}

function computeOfficeHours(config: ClientConfig, now: Date, language: Language): OfficeHoursNow {
  const local = DateTime.fromJSDate(now, { zone: config.timezone });
  const ranges = rangesOn(config, local);
  const minuteNow = local.hour * 60 + local.minute;
  const openNow = ranges.some((range) => minutesOfDay(range.open) <= minuteNow && minuteNow < minutesOfDay(range.close));
  const hoursToday = phrasesFor(language).hoursToday(ranges.map((range) => ({ open: clockOf(range.open), close: clockOf(range.close) })));
  return { openNow, hoursToday };
}
