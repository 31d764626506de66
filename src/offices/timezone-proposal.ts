/**
 * Proposes a new office's time zone from what the onboarding form already knows: the state in its postal
 * address, else the area code of its phone number (the same NANP area code → state → zone table that decides a
 * text recipient's zone). It is a proposal: the reason says what it rests on, and for a state that spans two
 * zones, which part of the state it assumed, so whoever onboards the office can correct it.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { stateForAreaCode, zoneForAreaCode, zoneForState } from '../messaging/area-codes.js';

export interface TimezoneProposal {
  /** IANA zone, or null when neither clue could be read. */
  timezone: string | null;
  basis: 'address' | 'address_and_area_code' | 'area_code' | 'none';
  reason: string;
  /** Where the other clue points elsewhere (an office using a mobile number from another state). */
  alternative?: { timezone: string; reason: string };
}

export const STATE_NAMES: Record<string, string> = {
  AL: 'Alabama',
  AK: 'Alaska',
  AZ: 'Arizona',
  AR: 'Arkansas',
  CA: 'California',
  CO: 'Colorado',
  CT: 'Connecticut',
  DE: 'Delaware',
  DC: 'District of Columbia',
  FL: 'Florida',
  GA: 'Georgia',
  HI: 'Hawaii',
  ID: 'Idaho',
  IL: 'Illinois',
  IN: 'Indiana',
  IA: 'Iowa',
  KS: 'Kansas',
  KY: 'Kentucky',
  LA: 'Louisiana',
  ME: 'Maine',
  MD: 'Maryland',
  MA: 'Massachusetts',
  MI: 'Michigan',
  MN: 'Minnesota',
  MS: 'Mississippi',
  MO: 'Missouri',
  MT: 'Montana',
  NE: 'Nebraska',
  NV: 'Nevada',
  NH: 'New Hampshire',
  NJ: 'New Jersey',
  NM: 'New Mexico',
  NY: 'New York',
  NC: 'North Carolina',
  ND: 'North Dakota',
  OH: 'Ohio',
  OK: 'Oklahoma',
  OR: 'Oregon',
  PA: 'Pennsylvania',
  RI: 'Rhode Island',
  SC: 'South Carolina',
  SD: 'South Dakota',
  TN: 'Tennessee',
  TX: 'Texas',
  UT: 'Utah',
  VT: 'Vermont',
  VA: 'Virginia',
  WA: 'Washington',
  WV: 'West Virginia',
  WI: 'Wisconsin',
  WY: 'Wyoming',
  PR: 'Puerto Rico',
  VI: 'U.S. Virgin Islands',
  GU: 'Guam',
  AS: 'American Samoa',
  MP: 'Northern Mariana Islands',
};

/**
 * States whose territory spans two zones: the proposal takes the zone most of the state (by population) uses,
 * the rule `area-codes.ts` applies too, and says which part differs.
 */
const SPLIT_STATES: Record<string, string> = {
  FL: 'the western panhandle (Pensacola, Panama City) is on Central time',
  TX: 'El Paso and Hudspeth counties are on Mountain time',
  TN: 'East Tennessee (Knoxville, Chattanooga, the Tri-Cities) is on Eastern time',
  KY: 'western Kentucky (Bowling Green, Owensboro, Paducah) is on Central time',
  IN: 'the counties near Chicago and near Evansville are on Central time',
  MI: 'four Upper Peninsula counties on the Wisconsin border are on Central time',
  KS: 'four western counties are on Mountain time',
  NE: 'the western panhandle is on Mountain time',
  ND: 'the southwest is on Mountain time',
  SD: 'the western half (Rapid City) is on Mountain time',
  ID: "the northern panhandle (Coeur d'Alene) is on Pacific time",
  OR: 'most of Malheur County is on Mountain time',
  NV: 'West Wendover is on Mountain time',
  AK: 'the western Aleutian Islands are on Hawaii-Aleutian time',
  AZ: 'the Navajo Nation, which observes daylight saving time, uses America/Denver',
};

const CODES = new Set(Object.keys(STATE_NAMES));
const normalise = (text: string) => text.toLowerCase().replace(/\./g, '').replace(/\s+/g, ' ').trim();
const STATE_BY_NAME = new Map<string, string>([
  ...Object.entries(STATE_NAMES).map(([code, name]) => [normalise(name), code] as [string, string]),
  ['washington dc', 'DC'],
  ['virgin islands', 'VI'],
  ['us virgin islands', 'VI'],
]);
const COUNTRY = /^(usa|us|u s a|united states|united states of america)$/;
const ZIP = /\s*\b\d{5}(?:-\d{4})?$/;

/** A state name or two-letter code making up the whole of `part` ("FL", "fl", "Florida", "D.C."). */
function stateNamed(part: string): string | undefined {
  const text = normalise(part);
  if (text.length === 2 && CODES.has(text.toUpperCase())) return text.toUpperCase();
  return STATE_BY_NAME.get(text);
}

/**
 * The state in a US postal address. The parts between commas are read from the end ("…, Miami, FL 33101"); a
 * two-letter code is believed only as a whole part or right before a ZIP code, so "Suite 4, Elm Ct" is no
 * Connecticut.
 */
export function stateInAddress(address: string): string | undefined {
  const parts = address
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean);
  while (parts.length > 0 && COUNTRY.test(normalise(parts.at(-1)!))) parts.pop();
  for (let index = parts.length - 1; index >= Math.max(0, parts.length - 3); index--) {
    const part = parts[index]!;
    const withoutZip = part.replace(ZIP, '').trim();
    if (!withoutZip) continue;
    const whole = stateNamed(withoutZip);
    if (whole) return whole;
    // "New York NY 10118" or "Miami Florida 33101" written without a comma before the state.
    if (withoutZip !== part) {
      const code = /(?:^|\s)([A-Z]{2})$/.exec(withoutZip)?.[1];
      if (code && CODES.has(code)) return code;
      const named = [...STATE_BY_NAME.keys()].filter((name) => normalise(withoutZip).endsWith(` ${name}`)).sort((a, b) => b.length - a.length)[0];
      if (named) return STATE_BY_NAME.get(named);
    }
  }
  const beforeZip = /\b([A-Z]{2})\s+\d{5}(?:-\d{4})?\b/.exec(address)?.[1];
  return beforeZip && CODES.has(beforeZip) ? beforeZip : undefined;
}

type PhoneClue = { ok: true; areaCode: string; state: string; timezone: string } | { ok: false; reason: string };

function phoneClue(phone: string): PhoneClue {
  const parsed = parsePhoneNumberFromString(phone, 'US');
  if (!parsed || !parsed.isPossible()) return { ok: false, reason: 'the phone number could not be read' };
  if (parsed.countryCallingCode !== '1') return { ok: false, reason: `the phone number is not a North American one (+${parsed.countryCallingCode})` };
  const areaCode = parsed.nationalNumber.slice(0, 3);
  const state = stateForAreaCode(areaCode);
  const timezone = zoneForAreaCode(areaCode);
  if (!state || !timezone) return { ok: false, reason: `area code ${areaCode} is not a US area code we know` };
  return { ok: true, areaCode, state, timezone };
}

/** "Florida", "the District of Columbia". */
function placeName(state: string): string {
  const name = STATE_NAMES[state] ?? state;
  return ['DC', 'VI', 'MP'].includes(state) ? `the ${name}` : name;
}

/** "; most of Florida is on America/New_York, but the western panhandle … is on Central time" for a split state. */
function splitNote(state: string, timezone: string): string {
  const split = SPLIT_STATES[state];
  return split ? `; most of ${placeName(state)} is on ${timezone}, but ${split}` : '';
}

function areaCodeReason(clue: { areaCode: string; state: string; timezone: string }): string {
  const base = `area code ${clue.areaCode} is ${placeName(clue.state)}`;
  if (clue.timezone !== zoneForState(clue.state)) return `${base}, in the part of the state on ${clue.timezone}`;
  return base + splitNote(clue.state, clue.timezone);
}

function addressReason(state: string, timezone: string): string {
  const note = splitNote(state, timezone);
  return `the address is in ${placeName(state)}${note}${note ? '; change it if the office is there' : ''}`;
}

export function proposeTimezone(input: { address?: string; phone?: string }): TimezoneProposal {
  const state = input.address ? stateInAddress(input.address) : undefined;
  const phone = input.phone ? phoneClue(input.phone) : undefined;
  if (state) {
    const timezone = zoneForState(state)!;
    // The area code narrows a split state down ("FL" + 850 = the panhandle); it never overrules the address.
    if (phone?.ok && phone.state === state && phone.timezone !== timezone) {
      return { timezone: phone.timezone, basis: 'address_and_area_code', reason: `the address is in ${placeName(state)} and ${areaCodeReason(phone)}` };
    }
    const proposal: TimezoneProposal = { timezone, basis: 'address', reason: addressReason(state, timezone) };
    if (phone?.ok && phone.timezone !== timezone) proposal.alternative = { timezone: phone.timezone, reason: areaCodeReason(phone) };
    return proposal;
  }
  if (phone?.ok) return { timezone: phone.timezone, basis: 'area_code', reason: areaCodeReason(phone) };
  const unread = [input.address ? 'no US state was found in the address' : undefined, phone && !phone.ok ? phone.reason : undefined].filter(Boolean);
  return { timezone: null, basis: 'none', reason: `${unread.join('; ') || 'neither an address nor a phone number was given'}; choose the zone by hand` };
}
