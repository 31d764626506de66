import { describe, expect, it } from 'vitest';
import { nonGsmCharacters, smsSegments } from './segments.js';

describe('segments', () => {
  it('counts GSM-7 at 160 then 153 per part, extension characters twice', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('[]'.repeat(40) + 'a')).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  it('switches to UCS-2 (70, then 67 per part) for a curly quote or an emoji', () => {
    expect(smsSegments('You’re booked')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('🙂' + 'a'.repeat(69)).segments).toBe(2);
  });

  it('keeps Spanish GSM-7 when it avoids á/í/ó/ú (ñ, é, ü, ¿ and ¡ are in the alphabet), and counts 70 / 67 when it does not', () => {
    expect(smsSegments('¿Mañana? ¡Sí! Pingüino, café')).toMatchObject({ encoding: 'UCS-2' });
    expect(smsSegments('¿Mañana? ¡Si! Pingüino, café')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(nonGsmCharacters('Declaración del año, miércoles')).toEqual(['ó']);
    expect(smsSegments('á' + 'a'.repeat(69))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('á' + 'a'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(smsSegments('á' + 'a'.repeat(134))).toMatchObject({ segments: 3 });
  });
});
