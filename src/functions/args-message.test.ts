import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { argsProblemMessage, whatToAsk } from './args-message.js';

describe('what the agent is told to ask for', () => {
  it('says "their full name", never "their the caller\'s full name"', () => {
    const schema = z.object({ name: z.string().min(1).describe("the caller's full name"), email: z.email().describe('e-mail address') });
    const parsed = schema.safeParse({ email: 'nope' });
    expect(parsed.success).toBe(false);
    const message = argsProblemMessage(schema, parsed.error!);
    expect(message).toContain('Please ask the caller for their full name and their e-mail address, then try again.');
    expect(message).not.toMatch(/their the|their a /);
  });

  it('keeps a label that has its own article, and owns one that has none', () => {
    expect(whatToAsk('the kind of appointment')).toBe('the kind of appointment');
    expect(whatToAsk('a phone number for the appointment')).toBe('a phone number for the appointment');
    expect(whatToAsk('callback number')).toBe('their callback number');
    expect(whatToAsk("the caller's full name")).toBe('their full name');
  });
});
