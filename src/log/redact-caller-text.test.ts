import { describe, expect, it } from 'vitest';
import { mayHoldSensitiveNumber, redactCallerText, redactCallerValues, redactTranscriptObject, type TranscriptUtterance } from './redact-caller-text.js';

function anUtterance(content: string, role = 'user'): TranscriptUtterance {
  const words = content.split(/\s+/).map((word, index) => ({
    word,
    start: index * 0.5,
    end: index * 0.5 + 0.4,
  }));
  return { role, content, words };
}

describe('redactCallerText', () => {
  it('skips text with no digit and no number word without changing it', () => {
    expect(mayHoldSensitiveNumber('The caller wants to book a consultation')).toBe(false);
    expect(mayHoldSensitiveNumber('Positive')).toBe(false);
    expect(mayHoldSensitiveNumber('Someone will call back')).toBe(false);
    expect(mayHoldSensitiveNumber('room 4')).toBe(true);
    expect(mayHoldSensitiveNumber('It is Seven')).toBe(true);
    expect(redactCallerText('The caller wants to book a consultation')).toBe('The caller wants to book a consultation');
  });

  it('keeps the forms of the values functions need exactly', () => {
    const exact = [
      '2026-03-04',
      '2026-03-04T14:30:00-05:00',
      '2026-03-04T19:30:00.000Z',
      '2026-03-04 14:30',
      '2:30 PM',
      '14:30',
      'two thirty in the afternoon',
      '(212) 555-0162',
      '212-555-0162',
      '212.555.0162',
      '2125550162',
      '+12125550162',
      '+1 212 555 0162',
      'two one two five five five zero one six two',
      '+44 20 7946 0958',
      '+442079460958',
      'jordan.rivera@example.com',
      '123456789@example.com',
      'bk_f4cc4494e00916aad18e',
      'bk_0123456789abcdef0123',
      'individual-return',
      'after 5 pm tomorrow',
    ];
    for (const value of exact) expect(redactCallerText(value), value).toBe(value);
  });

  it('removes written SSN and ITIN numbers', () => {
    expect(redactCallerText('My social is 123-45-6789 and my wife has ITIN 912 78 1234.')).toBe(
      'My social is [SSN removed] and my wife has ITIN [SSN removed].',
    );
  });

  it('removes bank account, routing and card numbers', () => {
    expect(redactCallerText('Routing 021000021, account 000123456789, card 4111 1111 1111 1111.')).toBe(
      'Routing [SSN removed], account [account number removed], card [account number removed].',
    );
  });

  it('removes a spoken SSN but keeps short spoken numbers', () => {
    expect(redactCallerText('It is one two three, four five, six seven eight nine. I have two kids.')).toBe('It is [number removed]. I have two kids.');
    expect(redactCallerText('It is one two three dash four five hyphen six seven eight nine.')).toBe('It is [number removed].');
    expect(redactCallerText('Page two dash three of the letter')).toBe('Page two dash three of the letter');
  });

  it('keeps phone numbers, emails and names that staff need to call back', () => {
    const text = 'This is Dana Smith, call me at (512) 555-0100 or 5125550111 or five one two five five five zero one zero zero, email dana@example.com.';
    expect(redactCallerText(text)).toBe(text);
  });

  it('treats a bare ten-digit run that cannot be a US phone as an account number', () => {
    expect(redactCallerText('account 0123456789 please')).toBe('account [account number removed] please');
  });
});

describe('redactTranscriptObject', () => {
  it('redacts content and blanks the matching words while keeping their timings', () => {
    const utterances = [
      anUtterance('How can I help you today?', 'agent'),
      anUtterance('My social is 123-45-6789 and my phone is 512-555-0100'),
      anUtterance('It is one two three four five six seven eight nine'),
    ];
    const redacted = redactTranscriptObject(utterances);

    expect(redacted[0]).toEqual(utterances[0]);
    expect(redacted[1]?.content).toBe('My social is [SSN removed] and my phone is 512-555-0100');
    expect(redacted[1]?.words?.map((entry) => entry.word)).toEqual(['My', 'social', 'is', '', 'and', 'my', 'phone', 'is', '512-555-0100']);
    expect(redacted[2]?.content).toBe('It is [number removed]');
    expect(redacted[2]?.words?.map((entry) => entry.word)).toEqual(['It', 'is', '', '', '', '', '', '', '', '', '']);
    expect(redacted[2]?.words?.[2]).toEqual({ word: '', start: 1, end: 1.4 });
  });

  it('blanks words split differently from the content when they are number-like', () => {
    const utterance: TranscriptUtterance = {
      role: 'user',
      content: 'Account 000123456789.',
      words: [
        { word: 'Account', start: 0, end: 0.4 },
        { word: '000-123', start: 0.5, end: 0.9 },
        { word: '456-789.', start: 1, end: 1.4 },
      ],
    };
    const [redacted] = redactTranscriptObject([utterance]);
    expect(redacted?.content).toBe('Account [account number removed].');
    expect(redacted?.words?.map((entry) => entry.word)).toEqual(['Account', '', '']);
  });

  it('answers an utterance with nothing to remove as it is, without copying it', () => {
    const utterances = [
      anUtterance('How can I help you today?', 'agent'),
      anUtterance('Thursday at two works', 'user'),
      anUtterance('my social is 123-45-6789'),
    ];
    const redacted = redactTranscriptObject(utterances);
    expect(redacted[0]).toBe(utterances[0]);
    expect(redacted[1]).toBe(utterances[1]);
    expect(redacted[2]).not.toBe(utterances[2]);
    expect(redacted[2]?.content).toBe('my social is [SSN removed]');
  });

  it('does not mutate the stored transcript object it was given', () => {
    const utterances = [anUtterance('my social is 123-45-6789')];
    const before = structuredClone(utterances);
    redactTranscriptObject(utterances);
    expect(utterances).toEqual(before);
  });
});

describe('redactCallerValues', () => {
  it('redacts every string at any depth, keeps keys and other values, and does not mutate its input', () => {
    const value = {
      call_summary: 'Caller gave SSN 123-45-6789.',
      user_sentiment: 'Positive',
      call_successful: true,
      score: 123456789,
      nothing: null,
      custom_analysis_data: { notes: ['card 4111 1111 1111 1111', { deeper: 'ITIN 912 78 1234' }], phone: '(512) 555-0100' },
    };
    const before = structuredClone(value);
    expect(redactCallerValues(value)).toEqual({
      call_summary: 'Caller gave SSN [SSN removed].',
      user_sentiment: 'Positive',
      call_successful: true,
      score: 123456789,
      nothing: null,
      custom_analysis_data: { notes: ['card [account number removed]', { deeper: 'ITIN [SSN removed]' }], phone: '(512) 555-0100' },
    });
    expect(value).toEqual(before);
    expect(redactCallerValues('one two three four five six seven eight nine')).toBe('[number removed]');
    expect(redactCallerValues(42)).toBe(42);
    expect(redactCallerValues(undefined)).toBeUndefined();
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let nested: unknown = 'SSN 123-45-6789';
    for (let depth = 0; depth < 100_000; depth += 1) nested = depth % 2 === 0 ? [nested] : { inner: nested };
    let redacted = redactCallerValues(nested);
    for (let depth = 0; depth < 100_000; depth += 1) redacted = Array.isArray(redacted) ? redacted[0] : (redacted as { inner: unknown }).inner;
    expect(redacted).toBe('SSN [SSN removed]');
  });
});
