/** Caller numbers as E.164, the one form every table and lookup uses. */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** E.164 for a number Retell or a person sent ("+1 (212) 555-0100", "2125550100"), or undefined if it is not one. */
export function normalizePhone(input: string | null | undefined, defaultCountry: 'US' = 'US'): string | undefined {
  if (!input) return undefined;
  const trimmed = input.trim();
  if (trimmed === '' || trimmed.length > 40) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry);
  if (!parsed || !parsed.isPossible()) return undefined;
  return parsed.number;
}
