import { describe, expect, it } from 'vitest';
import { callerLines, detectLanguage } from './detect-language.js';

describe('detectLanguage', () => {
  it.each([
    [['Hola, quisiera hacer una cita para la declaración de impuestos.'], 'es'],
    [['Buenas tardes', 'Me llamo Lucía Gómez', 'Por la tarde, por favor'], 'es'],
    [['¿Tienen algo el lunes?'], 'es'],
    [["Hi, I'd like to book an appointment for my taxes."], 'en'],
    [['Yes please, tomorrow morning would be great.'], 'en'],
  ] as const)('%j → %s', (texts, expected) => {
    expect(detectLanguage([...texts])).toBe(expected);
  });

  it.each([
    [[]],
    [['OK']],
    [['No']],
    [['Jordan Rivera']],
    // Mixed: as much of one as of the other.
    [['Hola, I want a cita por favor for tomorrow']],
  ])('stays undefined when it cannot tell: %j', (texts) => {
    expect(detectLanguage(texts)).toBeUndefined();
  });

  it('reads only the caller’s lines of a transcript', () => {
    expect(callerLines('Agent: Thanks for calling, how can I help?\nUser: Hola, quiero una cita.\nAgent: Claro.')).toEqual(['Hola, quiero una cita.']);
    expect(detectLanguage(callerLines('Agent: Thanks for calling. How can I help you with your taxes today?\nUser: Hola, quiero una cita.'))).toBe('es');
  });
});
