import { describe, expect, it } from 'vitest';
import { callEventSchema, describeSchemaProblem } from './schema.js';

describe('callEventSchema transcript_object', () => {
  const utterances = [
    { role: 'agent', content: 'How can I help?', words: [{ word: 'How', start: 0, end: 0.2 }] },
    { role: 'user', content: 'Book me in', extra: { kept: true } },
    { role: 'user' },
  ];

  it('checks each utterance without copying it, unknown fields kept', () => {
    const parsed = callEventSchema.parse({ event: 'call_ended', call: { call_id: 'c1', transcript_object: utterances } });
    parsed.call.transcript_object!.forEach((utterance, index) => expect(utterance).toBe(utterances[index]));
    expect(parsed.call.transcript_object![1]).toEqual({ role: 'user', content: 'Book me in', extra: { kept: true } });
  });

  it.each([
    ['a role that is not text', { role: 7, content: 'x' }],
    ['a role longer than 40 characters', { role: 'r'.repeat(41) }],
    ['content that is not text', { role: 'user', content: ['x'] }],
    ['content longer than 200,000 characters', { role: 'user', content: 'x'.repeat(200_001) }],
    ['an array instead of an object', ['user', 'x']],
    ['null', null],
  ])('refuses an utterance with %s, naming where it is', (_, bad) => {
    const result = callEventSchema.safeParse({ event: 'call_ended', call: { call_id: 'c1', transcript_object: [utterances[0], bad] } });
    expect(result.success).toBe(false);
    expect(describeSchemaProblem(result.error!)).toMatch(/^Field "call\.transcript_object\.1" must be an utterance/);
  });
});
