/** Caller numbers as E.164, the one form every table and lookup uses. */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Answers for numbers seen lately. Parsing costs ~0.05 ms (a good part of answering call_inbound), and the same
 * numbers come back all the time: the office's own number on every call, a caller on each of their events.
 * Bounded: emptied when full, which costs one parse per number afterwards.
 */
const recent = new Map<string, string | undefined>();
const RECENT_LIMIT = 10_000;

function parseToE164(trimmed: string): string | undefined {
  const parsed = parsePhoneNumberFromString(trimmed, 'US');
  if (!parsed || !parsed.isPossible()) return undefined;
  return parsed.number;
}

/** E.164 for a number Retell or a person sent ("+1 (212) 555-0100", "2125550100"), or undefined if it is not one. */
export function normalizePhone(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  const trimmed = input.trim();
  if (trimmed === '' || trimmed.length > 40) return undefined;
  if (recent.has(trimmed)) return recent.get(trimmed);
  const e164 = parseToE164(trimmed);
  if (recent.size >= RECENT_LIMIT) recent.clear();
  recent.set(trimmed, e164);
  return e164;
}
