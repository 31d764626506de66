import { describe, expect, it } from 'vitest';
import { redactTranscript, redactTranscriptObject, type TranscriptUtterance } from './redact-transcript.js';

function anUtterance(content: string, role = 'user'): TranscriptUtterance {
  const words = content.split(/\s+/).map((word, index) => ({
    word,
    start: index * 0.5,
    end: index * 0.5 + 0.4,
  }));
  return { role, content, words };
}

describe('redactTranscript', () => {
  it('removes written SSN and ITIN numbers', () => {
    expect(redactTranscript('My social is 123-45-6789 and my wife has ITIN 912 78 1234.')).toBe(
      'My social is [SSN removed] and my wife has ITIN [SSN removed].',
    );
  });

  it('removes bank account, routing and card numbers', () => {
    expect(redactTranscript('Routing 021000021, account 000123456789, card 4111 1111 1111 1111.')).toBe(
      'Routing [SSN removed], account [account number removed], card [account number removed].',
    );
  });

  it('removes a spoken SSN but keeps short spoken numbers', () => {
    expect(redactTranscript('It is one two three, four five, six seven eight nine. I have two kids.')).toBe(
      'It is [number removed]. I have two kids.',
    );
  });

  it('keeps phone numbers, emails and names that staff need to call back', () => {
    const text =
      'This is Dana Smith, call me at (512) 555-0100 or 5125550111 or five one two five five five zero one zero zero, email dana@example.com.';
    expect(redactTranscript(text)).toBe(text);
  });

  it('treats a bare ten-digit run that cannot be a US phone as an account number', () => {
    expect(redactTranscript('account 0123456789 please')).toBe('account [account number removed] please');
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
    expect(redacted[1]?.words?.map((entry) => entry.word)).toEqual([
      'My',
      'social',
      'is',
      '',
      'and',
      'my',
      'phone',
      'is',
      '512-555-0100',
    ]);
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

  it('does not mutate the stored transcript object it was given', () => {
    const utterances = [anUtterance('my social is 123-45-6789')];
    const before = structuredClone(utterances);
    redactTranscriptObject(utterances);
    expect(utterances).toEqual(before);
  });
});
