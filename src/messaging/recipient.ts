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

export function locateRecipient(phoneE164: string | undefined, clientZone: string): RecipientLocation {
  const parsed = phoneE164 ? parsePhoneNumberFromString(phoneE164) : undefined;
  if (parsed && parsed.countryCallingCode === '1') {
    const areaCode = parsed.nationalNumber.slice(0, 3);
    const zone = zoneForAreaCode(areaCode);
    if (zone) return { state: stateForAreaCode(areaCode), zone, basis: 'area_code' };
  }
  return { state: undefined, zone: clientZone, basis: 'client_zone' };
}
