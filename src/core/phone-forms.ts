/**
 * The ways a phone number is commonly typed into a CRM, which stores it as typed: E.164, national digits, with the
 * country code, formatted. CRM searches match text, so a lookup asks for every form (at most five).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

export function phoneForms(phoneE164: string): string[] {
  const forms = new Set<string>([phoneE164]);
  const parsed = parsePhoneNumberFromString(phoneE164);
  if (parsed) {
    const national = String(parsed.nationalNumber);
    forms.add(national);
    forms.add(`${parsed.countryCallingCode}${national}`);
    forms.add(parsed.formatNational());
    if (parsed.countryCallingCode === '1' && national.length === 10) {
      forms.add(`${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`);
    }
  }
  return [...forms].slice(0, 5);
}

/** Whether a number as typed in a CRM is the caller's (same digits, with or without the country code). */
export function samePhone(typed: string | null | undefined, phoneE164: string): boolean {
  if (!typed) return false;
  const digits = typed.replace(/\D/g, '');
  const parsed = parsePhoneNumberFromString(phoneE164);
  const full = phoneE164.replace(/\D/g, '');
  return digits === full || (parsed !== undefined && digits === String(parsed.nationalNumber));
}
