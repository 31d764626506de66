/**
 * Where a text's recipient probably is: state and zone from the number's area code (the presumption the
 * Florida and Oklahoma telemarketing acts make), else the office's own zone.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { stateForAreaCode, zoneForAreaCode } from './area-codes.js';

export interface RecipientLocation {
  /** Two-letter US state, when the area code tells. */
  state: string | undefined;
  zone: string;
  /** How the zone was found. */
  basis: 'area_code' | 'client_zone';
}

/** Parsing a number is the costly part of a send-time check; a burst texts the same numbers again and again. */
const located = new Map<string, RecipientLocation>();

export function locateRecipient(phoneE164: string | undefined, clientZone: string): RecipientLocation {
  if (!phoneE164) return { state: undefined, zone: clientZone, basis: 'client_zone' };
  const key = `${phoneE164}|${clientZone}`;
  const known = located.get(key);
  if (known) return { ...known };
  if (located.size > 10_000) located.clear();
  const location = locate(phoneE164, clientZone);
  located.set(key, location);
  return { ...location };
}

function locate(phoneE164: string, clientZone: string): RecipientLocation {
  const parsed = parsePhoneNumberFromString(phoneE164);
  if (parsed && parsed.countryCallingCode === '1') {
    const areaCode = parsed.nationalNumber.slice(0, 3);
    const zone = zoneForAreaCode(areaCode);
    if (zone) return { state: stateForAreaCode(areaCode), zone, basis: 'area_code' };
  }
  return { state: undefined, zone: clientZone, basis: 'client_zone' };
}
