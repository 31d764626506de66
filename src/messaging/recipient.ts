/**
 * Where a text's recipient probably is: country, state or province and zones from the number's area code (the
 * presumption the Florida and Oklahoma telemarketing acts make), else the office's own zone.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { placeOfAreaCode } from './area-codes.js';

export interface RecipientLocation {
  /** Two-letter US state or Canadian province, when the area code tells. */
  state: string | undefined;
  /** 'US' or 'CA' when the area code tells. */
  country?: 'US' | 'CA' | undefined;
  /** The main zone (calendar days of nurture messages are counted in it). */
  zone: string;
  /** Every zone the area code spans, `zone` first: a send window must hold in each. */
  zones: readonly string[];
  /** How the zone was found. */
  basis: 'area_code' | 'client_zone';
}

/** Parsing a number is the costly part of a send-time check; a burst texts the same numbers again and again. */
const located = new Map<string, RecipientLocation>();

export function locateRecipient(phoneE164: string | undefined, clientZone: string): RecipientLocation {
  if (!phoneE164) return officeZone(clientZone);
  const key = `${phoneE164}|${clientZone}`;
  const known = located.get(key);
  if (known) return { ...known };
  if (located.size > 10_000) located.clear();
  const location = locate(phoneE164, clientZone);
  located.set(key, location);
  return { ...location };
}

/** A North American number in E.164 (+1 NXX NXX XXXX): its area code is plain to see, no parser needed. */
const NANP = /^\+1([2-9]\d\d)[2-9]\d{6}$/;

function locate(phoneE164: string, clientZone: string): RecipientLocation {
  const nanp = NANP.exec(phoneE164);
  const parsed = nanp ? undefined : parsePhoneNumberFromString(phoneE164);
  if (nanp || (parsed && parsed.countryCallingCode === '1')) {
    const areaCode = nanp ? nanp[1]! : parsed!.nationalNumber.slice(0, 3);
    const place = placeOfAreaCode(areaCode);
    if (place) return { state: place.region, country: place.country, zone: place.zones[0]!, zones: place.zones, basis: 'area_code' };
  }
  return officeZone(clientZone);
}

function officeZone(clientZone: string): RecipientLocation {
  return { state: undefined, zone: clientZone, zones: [clientZone], basis: 'client_zone' };
}
