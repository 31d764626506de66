/**
 * SMS segment counting as carriers do it (reference/messaging.md §1): GSM-7 160 / 153 per part, with the
 * extension characters counting twice; any other character switches the whole text to UCS-2, 70 / 67.
 */
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

export interface SegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Characters in carrier units (septets for GSM-7, UTF-16 code units for UCS-2). */
  units: number;
}

export function smsSegments(body: string): SegmentInfo {
  let septets = 0;
  for (const char of body) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENDED.includes(char)) septets += 2;
    else {
      const units = body.length;
      return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
    }
  }
  return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

/** The characters that force `body` into UCS-2 (a curly quote, an emoji, "á"), each once, in order of first use. */
export function nonGsmCharacters(body: string): string[] {
  const found = new Set<string>();
  for (const char of body) if (!GSM_BASIC.includes(char) && !GSM_EXTENDED.includes(char)) found.add(char);
  return [...found];
}
