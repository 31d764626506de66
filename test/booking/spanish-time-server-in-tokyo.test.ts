/**
 * Spoken times in Spanish across the 2026 US clock changes, with the server's own zone set to Asia/Tokyo (no DST,
 * UTC+9), as dst-server-in-tokyo.test.ts does for slots: the caller's language changes the words, never the instant,
 * and the same nonexistent / ambiguous local times are named. Vitest runs each file in its own worker, so setting TZ
 * here leaves other files alone.
 */
import { describe, expect, it } from 'vitest';
import { isAmbiguous, readLocalTime, spokenClock, spokenDay, spokenTime } from '../../src/booking/local-time.js';
import { phrasesFor } from '../../src/i18n/phrases/index.js';
import { shortTime } from '../../src/messaging/render.js';
import { aClientConfig } from '../fixtures/config/a-client-config.js';

process.env.TZ = 'Asia/Tokyo';

const NEW_YORK = 'America/New_York';
const PHOENIX = 'America/Phoenix';
const es = phrasesFor('es');

function exact(date: string, time: string, zone: string): number {
  const reading = readLocalTime(date, time, zone);
  if (reading?.kind !== 'exact') throw new Error(`${date} ${time} in ${zone} is ${reading?.kind}`);
  return reading.ms;
}

it('runs with the server clock in Asia/Tokyo', () => {
  expect(new Date('2026-03-08T12:00:00Z').getTimezoneOffset()).toBe(-540);
});

describe('spring forward, 2026-03-08', () => {
  it('New York: 1:30 and 3:00 are said in Spanish; 2:30 does not exist and the note says so', () => {
    expect(spokenTime(exact('2026-03-08', '01:30', NEW_YORK), NEW_YORK, 'es')).toBe('el domingo 8 de marzo a la una y media de la madrugada');
    expect(spokenTime(exact('2026-03-08', '03:00', NEW_YORK), NEW_YORK, 'es')).toBe('el domingo 8 de marzo a las tres de la madrugada');
    const gap = readLocalTime('2026-03-08', '02:30', NEW_YORK);
    expect(gap?.kind).toBe('nonexistent');
    if (gap?.kind !== 'nonexistent') return;
    expect(new Date(gap.next).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(spokenTime(gap.next, NEW_YORK, 'es')).toBe('el domingo 8 de marzo a las tres y media de la madrugada');
    expect(es.availability.springForward(es.time.wallClock(2, 30), spokenDay('2026-03-08', NEW_YORK, 'es'))).toBe(
      'Las dos y media de la madrugada no existe el domingo 8 de marzo porque esa noche se adelantan los relojes una hora.',
    );
    expect(es.booking.nonexistentStart(spokenTime(gap.next, NEW_YORK, 'es'))).toBe(
      'Esa hora no existe esa noche porque se adelantan los relojes; la hora real más cercana es el domingo 8 de marzo a las tres y media de la madrugada. ¿Lo consulto?',
    );
  });

  it('Phoenix keeps its clock: 2:30 exists and is said plainly', () => {
    const ms = exact('2026-03-08', '02:30', PHOENIX);
    expect(new Date(ms).toISOString()).toBe('2026-03-08T09:30:00.000Z');
    expect(spokenTime(ms, PHOENIX, 'es')).toBe('el domingo 8 de marzo a las dos y media de la madrugada');
    expect(spokenTime(exact('2026-03-08', '14:45', PHOENIX), PHOENIX, 'es')).toBe('el domingo 8 de marzo a las dos y cuarenta y cinco de la tarde');
  });
});

describe('fall back, 2026-11-01', () => {
  it('New York: 1:30 happens twice; each is named with its zone, in Spanish, from Intl', () => {
    const twice = readLocalTime('2026-11-01', '01:30', NEW_YORK);
    expect(twice?.kind).toBe('ambiguous');
    if (twice?.kind !== 'ambiguous') return;
    const [first, second] = twice.options;
    expect([new Date(first).toISOString(), new Date(second).toISOString()]).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
    expect(isAmbiguous(first, NEW_YORK)).toBe(true);
    expect(spokenTime(first, NEW_YORK, 'es')).toBe('el domingo 1 de noviembre a la una y media de la madrugada, hora de verano oriental');
    expect(spokenTime(second, NEW_YORK, 'es')).toBe('el domingo 1 de noviembre a la una y media de la madrugada, hora estándar oriental');
    expect(spokenClock(second, NEW_YORK, 'es')).toBe('la una y media de la madrugada, hora estándar oriental');
    // The English twin, unchanged.
    expect(spokenTime(first, NEW_YORK)).toBe('Sunday, November 1 at 1:30 AM EDT');
  });

  it('Phoenix: 1:30 happens once and needs no zone', () => {
    const ms = exact('2026-11-01', '01:30', PHOENIX);
    expect(new Date(ms).toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(spokenTime(ms, PHOENIX, 'es')).toBe('el domingo 1 de noviembre a la una y media de la madrugada');
  });

  it('texts get the short Spanish form in the office zone, not the server’s', () => {
    const config = aClientConfig({ timezone: NEW_YORK });
    expect(shortTime(config, new Date('2026-11-01T06:30:00Z'), 'es')).toBe('dom 1/11 1:30');
    expect(shortTime(config, new Date('2026-03-08T17:00:00Z'), 'es')).toBe('dom 8/3 13:00');
    expect(shortTime(aClientConfig({ timezone: PHOENIX }), new Date('2026-03-08T17:00:00Z'), 'es')).toBe('dom 8/3 10:00');
  });
});

describe('Spanish clock words', () => {
  it.each([
    ['00:00', 'las doce de la noche'],
    ['00:30', 'las doce y media de la noche'],
    ['05:10', 'las cinco y diez de la madrugada'],
    ['09:00', 'las nueve de la mañana'],
    ['12:00', 'las doce del mediodía'],
    ['13:15', 'la una y cuarto de la tarde'],
    ['16:45', 'las cuatro y cuarenta y cinco de la tarde'],
    ['20:05', 'las ocho y cinco de la noche'],
    ['23:59', 'las once y cincuenta y nueve de la noche'],
  ])('%s → %s', (time, words) => {
    const [hour, minute] = time.split(':').map(Number) as [number, number];
    expect(es.time.wallClock(hour, minute)).toBe(words);
  });
});
