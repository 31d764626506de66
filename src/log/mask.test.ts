import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyKey, maskField, maskText, maskValue, sensitiveKeyPatterns, spokenDigits } from './mask.js';

describe('maskText', () => {
  it.each(['+15125550100', '+1 (512) 555-0100', '512-555-0100', '(512) 555 0100', '512.555.0100', '5125550100', '1-512-555-0100', '%2B15125550100'])(
    'keeps only the last four digits of the phone number %s',
    (phone) => {
      const masked = maskText(`Call me back at ${phone} today`);
      expect(masked).toBe('Call me back at ***-***-0100 today');
    },
  );

  it('masks international E.164 numbers down to their last four digits', () => {
    expect(maskText('UK caller +442079460958')).toBe('UK caller ***-***-0958');
  });

  it('keeps at most the first character of an email address and its top-level domain', () => {
    expect(maskText('reply to dana.smith@example.com please')).toBe('reply to d***@***.com please');
    expect(maskText('Email=dana.smith%40example.org&Body=hi')).toBe('Email=d***@***.org&Body=hi');
  });

  it.each(['123-45-6789', '123 45 6789', '912-78-1234', '123456789'])('masks the SSN/ITIN shape %s entirely', (ssn) => {
    const masked = maskText(`my social is ${ssn}.`);
    expect(masked).toBe('my social is ***-**-****.');
  });

  it.each([
    ['4111 1111 1111 1111', '****1111'],
    ['4111-1111-1111-1111', '****1111'],
    ['3782 822463 10005', '****0005'],
    ['000123456789', '****6789'],
    ['12345678', '****5678'],
    ['1234567890123456', '****3456'],
  ])('keeps only the last four digits of the card or account number %s', (account, expected) => {
    expect(maskText(`account ${account} on file`)).toBe(`account ${expected} on file`);
  });

  it.each([
    'my social is one two three four five six seven eight nine',
    'my social is one two three dash four five dash six seven eight nine',
    'call me at five one two five five five zero one zero zero',
    'it is five one two, double five, oh one hundred',
    'the number is 5 1 2 5 5 5 0 1 0 0',
  ])('replaces a spoken run of seven or more digits: "%s"', (sentence) => {
    const masked = maskText(`${sentence}, thanks`);
    expect(masked).toContain('[number]');
    expect(masked).not.toMatch(/\b(one|two|five|nine|oh)\b|\d/);
  });

  it('leaves short spoken numbers such as times and counts alone', () => {
    const sentence = 'Can I come at two thirty on the twenty first, with one or two kids?';
    expect(maskText(sentence)).toBe(sentence);
  });

  it.each([
    '2026-02-03T14:30:00.000Z',
    '2026-02-03 14:30:00+05:30',
    'call_8f3a9b2c1d0e4f5a6b7c8d9e0f1a2b3c',
    'SM0123456789abcdef0123456789abcdef',
    '123e4567-e89b-12d3-a456-426614174000',
    'HTTP 503 after 3 attempts',
    'took 1500 ms in tax year 2025',
    'GET /v2/get-call/call_123?limit=50&page=2',
    'server 10.0.0.12 version 1.2.3',
    'agent_id agent_a1b2c3d4e5f6 and llm_id llm_0011223344556677',
  ])('leaves the non-personal text "%s" unchanged', (text) => {
    expect(maskText(text)).toBe(text);
  });

  it('masks digits in a URL path only where they look like a phone', () => {
    expect(maskText('/customers/+15125550100/calls/42')).toBe('/customers/***-***-0100/calls/42');
  });

  it('is idempotent, so masking twice changes nothing', () => {
    const once = maskText('dana@example.com 512-555-0100 123-45-6789 4111111111111111 one two three four five six seven');
    expect(maskText(once)).toBe(once);
  });

  it('never lets a random US number embedded in a sentence through whole', () => {
    const word = fc.stringMatching(/^[a-z]{1,8}$/);
    const usNumber = fc.tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }));
    const layout = fc.constantFrom(
      (a: string, e: string, l: string) => `+1${a}${e}${l}`,
      (a: string, e: string, l: string) => `(${a}) ${e}-${l}`,
      (a: string, e: string, l: string) => `+1 (${a}) ${e}-${l}`,
      (a: string, e: string, l: string) => `${a}-${e}-${l}`,
      (a: string, e: string, l: string) => `${a}.${e}.${l}`,
      (a: string, e: string, l: string) => `${a} ${e} ${l}`,
      (a: string, e: string, l: string) => `${a}${e}${l}`,
      (a: string, e: string, l: string) => `%2B1${a}${e}${l}`,
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), usNumber, layout, fc.array(word, { maxLength: 6 }), (before, [area, exchange, line], render, after) => {
        const [a, e, l] = [String(area), String(exchange), String(line).padStart(4, '0')];
        const sentence = [...before, render(a, e, l), ...after].join(' ');
        const masked = maskText(sentence);
        expect(masked.replace(/\D/g, '')).not.toContain(`${a}${e}${l}`);
        expect(masked).toContain(l);
      }),
    );
  });
});

describe('spokenDigits', () => {
  it('reads repeated and compound number words as the digits a caller means', () => {
    expect(spokenDigits('five one two five double five oh one hundred')).toBe('5125550100');
    expect(spokenDigits('triple seven')).toBe('777');
    expect(spokenDigits('twenty five')).toBe('25');
  });
});

describe('maskValue', () => {
  it('replaces name, address, birth date and tax id fields wholesale', () => {
    const masked = maskValue({
      first_name: 'Dana',
      lastName: 'Smith',
      Last_Name: 'Smith',
      full_name: 'Dana Smith',
      customer_name: 'Dana Smith',
      caller_name: 'Dana',
      address: { street: '12 Elm St', city: 'Austin' },
      Mailing_Street: '12 Elm St',
      date_of_birth: '1980-04-01',
      dob: '1980-04-01',
      ssn: '123456789',
      itin: 912781234,
      account_number: '000123456789',
      routing_number: '021000021',
    });
    expect(Object.values(masked as object).every((value) => value === '[redacted]')).toBe(true);
  });

  it('redacts secrets and credentials by field name', () => {
    expect(
      maskValue({
        password: 'hunter2',
        access_token: 'abc',
        apiKey: 'k',
        Authorization: 'Bearer x',
        cookie: 's=1',
        'x-retell-signature': 'v=1',
      }),
    ).toEqual({
      password: '[redacted]',
      access_token: '[redacted]',
      apiKey: '[redacted]',
      Authorization: '[redacted]',
      cookie: '[redacted]',
      'x-retell-signature': '[redacted]',
    });
  });

  it('keeps the last four digits of phone-named fields and masks email-named fields', () => {
    expect(
      maskValue({
        phone: '+15125550100',
        from_number: '+15125550100',
        To: '+15125559999',
        From: '+15125551234',
        mobile: 5125550111,
        Email: 'dana@example.com',
      }),
    ).toEqual({
      phone: '***-***-0100',
      from_number: '***-***-0100',
      To: '***-***-9999',
      From: '***-***-1234',
      mobile: '***-***-0111',
      Email: 'd***@***.com',
    });
  });

  it('treats to/from as phones only when the value looks like one', () => {
    expect(maskValue({ from: '2026-02-03', to: 'dana@example.com' })).toEqual({
      from: '2026-02-03',
      to: 'd***@***.com',
    });
  });

  it('keeps numbers, booleans, nulls, vendor ids and function names that are not personal data', () => {
    const value = {
      attempts: 3,
      status: 503,
      duration_ms: 125000,
      ok: true,
      name: 'book_appointment',
      email: null,
      id: '4876876000000624001',
      call_id: 'call_8f3a9b2c1d0e4f5a6b7c8d9e',
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      at: '2026-02-03T14:30:00.000Z',
    };
    expect(maskValue(value)).toEqual(value);
  });

  it('masks strings everywhere by their shape, including inside arrays, Maps and Sets', () => {
    const masked = maskValue({
      notes: ['call 512-555-0100', { text: 'ssn 123-45-6789' }],
      map: new Map<string, unknown>([
        ['phone', '5125550100'],
        ['note', 'dana@example.com'],
      ]),
      set: new Set(['dana@example.com']),
    });
    expect(masked).toEqual({
      notes: ['call ***-***-0100', { text: 'ssn ***-**-****' }],
      map: { phone: '***-***-0100', note: 'd***@***.com' },
      set: ['d***@***.com'],
    });
  });

  it('serialises errors as type, message, stack and code, all masked', () => {
    const error = Object.assign(new Error('Twilio rejected +15125550100'), {
      code: 21211,
    });
    const masked = maskValue(error) as Record<string, unknown>;
    expect(masked).toMatchObject({
      type: 'Error',
      message: 'Twilio rejected ***-***-0100',
      code: 21211,
    });
    expect(masked.stack).toContain('Twilio rejected ***-***-0100');
    expect(JSON.stringify(masked)).not.toContain('5125550100');
  });

  it('masks error causes and the extra fields of typed errors', () => {
    const cause = new Error('lookup for dana@example.com failed');
    const error = Object.assign(new Error('send failed', { cause }), {
      response: { to: '+15125550100' },
    });
    const text = JSON.stringify(maskValue(error));
    expect(text).not.toContain('dana@example.com');
    expect(text).not.toContain('5125550100');
    expect(text).toContain('***-***-0100');
  });

  it('survives cycles and deep nesting', () => {
    const looped: Record<string, unknown> = { phone: '5125550100' };
    looped.self = looped;
    expect(maskValue(looped)).toEqual({
      phone: '***-***-0100',
      self: '[Circular]',
    });

    let deep: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 50; level += 1) deep = { deep };
    expect(JSON.stringify(maskValue(deep))).toContain('[Truncated]');
  });

  it('never mutates its input', () => {
    const input = {
      phone: '+15125550100',
      nested: { email: 'dana@example.com', list: ['123-45-6789'] },
    };
    const copy = structuredClone(input);
    maskValue(input);
    expect(input).toEqual(copy);
  });

  it('omits transcript word arrays, which spread a spoken number over many entries', () => {
    const words = ['five', 'one', 'two'].map((word, index) => ({
      word,
      start: index,
      end: index + 0.5,
    }));
    expect(maskField('words', words)).toBe('[3 words omitted]');
  });
});

describe('sensitiveKeyPatterns', () => {
  it('classifies field names the same way whatever their casing', () => {
    expect(classifyKey('firstName')).toBe('personal');
    expect(classifyKey('Last_Name')).toBe('personal');
    expect(classifyKey('from_number')).toBe('phone');
    expect(classifyKey('Secondary_Email')).toBe('email');
    expect(classifyKey('remoteAddress')).toBeUndefined();
    expect(classifyKey('agent_name')).toBeUndefined();
    expect(classifyKey('token_count')).toBeUndefined();
    expect(sensitiveKeyPatterns.length).toBeGreaterThan(0);
  });
});
