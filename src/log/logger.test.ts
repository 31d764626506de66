import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from './logger.js';

const CALLER_PHONE = '+15125550100';
const CALLER_EMAIL = 'dana.smith@example.com';
const CALLER_SSN = '123-45-6789';

function memoryLogger(level = 'info') {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({
    level,
    destination,
    base: { service: 'switchboard' },
  });
  const output = () => chunks.join('');
  const records = () =>
    output()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, output, records };
}

function aCallEndedEvent() {
  const transcript =
    `Agent: Thanks for calling Smart Tax Nation, how can I help?\n` +
    `User: Hi, this is Dana Smith. My number is ${CALLER_PHONE}, email ${CALLER_EMAIL}, and my social is ${CALLER_SSN}.\n` +
    `User: Or call me at five one two five five five zero one zero zero.`;
  return {
    event: 'call_ended',
    call: {
      call_id: 'call_8f3a9b2c1d0e4f5a6b7c8d9e0f1a2b3c',
      agent_id: 'agent_0a1b2c3d4e5f',
      call_status: 'ended',
      direction: 'inbound',
      from_number: CALLER_PHONE,
      to_number: '+15125559876',
      start_timestamp: 1770129000000,
      end_timestamp: 1770129185000,
      disconnection_reason: 'user_hangup',
      transcript,
      transcript_object: [
        {
          role: 'user',
          content: `My number is ${CALLER_PHONE} and my social is ${CALLER_SSN}.`,
          words: ['My', 'number', 'is', CALLER_PHONE].map((word, index) => ({
            word,
            start: index,
            end: index + 0.4,
          })),
        },
      ],
      retell_llm_dynamic_variables: {
        customer_name: 'Dana Smith',
        customer_phone: CALLER_PHONE,
      },
      metadata: {
        client: 'smart-tax-nation',
        received_at: '2026-02-03T14:30:00.000Z',
      },
    },
  };
}

function aTwilioStatusCallback() {
  return {
    MessageSid: 'SM0123456789abcdef0123456789abcdef',
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    MessageStatus: 'delivered',
    To: '+15125550100',
    From: '+15125559876',
    rawBody: 'MessageSid=SM0123456789abcdef0123456789abcdef&To=%2B15125550100&From=%2B15125559876',
  };
}

function aZohoLead() {
  return {
    id: '4876876000000624001',
    Last_Name: 'Smith',
    First_Name: 'Dana',
    Email: CALLER_EMAIL,
    Phone: CALLER_PHONE,
    Lead_Source: 'Phone Call',
    Description: `Called about an extension; ITIN 912-78-1234`,
  };
}

describe('createLogger', () => {
  it('writes a Retell call_ended payload without the caller phone, email or SSN', () => {
    const { logger, output } = memoryLogger();
    logger.info({ event: aCallEndedEvent() }, 'Retell webhook received');

    const text = output();
    expect(text).not.toContain('5125550100');
    expect(text).not.toContain(CALLER_EMAIL);
    expect(text).not.toContain('6789');
    expect(text).not.toContain('five one two');
    expect(text).toContain('"customer_name":"[redacted]"');
    expect(text).toContain('***-***-0100');
    expect(text).toContain('d***@***.com');
    expect(text).toContain('call_8f3a9b2c1d0e4f5a6b7c8d9e0f1a2b3c');
    expect(text).toContain('2026-02-03T14:30:00.000Z');
    expect(text).toContain('"start_timestamp":1770129000000');
  });

  it('writes a Twilio callback keeping only the last four digits of To and From', () => {
    const { logger, output, records } = memoryLogger();
    logger.info({ callback: aTwilioStatusCallback() }, 'Twilio status callback');

    expect(output()).not.toContain('5125550100');
    expect(output()).not.toContain('5125559876');
    const callback = records()[0]?.callback as Record<string, unknown>;
    expect(callback).toMatchObject({
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      To: '***-***-0100',
      From: '***-***-9876',
      rawBody: 'MessageSid=SM0123456789abcdef0123456789abcdef&To=***-***-0100&From=***-***-9876',
    });
  });

  it('writes a Zoho lead with names redacted and contact details masked', () => {
    const { logger, output, records } = memoryLogger();
    logger.info({ lead: aZohoLead() }, 'Zoho lead upserted');

    expect(output()).not.toMatch(/Smith|Dana|dana\.smith|5125550100|912-78-1234/);
    expect(records()[0]?.lead).toMatchObject({
      id: '4876876000000624001',
      Last_Name: '[redacted]',
      First_Name: '[redacted]',
      Email: 'd***@***.com',
      Phone: '***-***-0100',
      Lead_Source: 'Phone Call',
    });
  });

  it('masks an error message and stack whether the error is logged alone or under err', () => {
    const { logger, output, records } = memoryLogger();
    const error = Object.assign(new Error(`SMS to ${CALLER_PHONE} failed: HTTP 503`), { code: 'twilio_unavailable' });
    logger.error(error);
    logger.error({ err: error, attempts: 3 }, 'Outbox row failed');

    expect(output()).not.toContain('5125550100');
    const [alone, nested] = records();
    expect(alone).toMatchObject({
      msg: 'SMS to ***-***-0100 failed: HTTP 503',
      err: {
        type: 'Error',
        message: 'SMS to ***-***-0100 failed: HTTP 503',
        code: 'twilio_unavailable',
      },
    });
    expect((alone?.err as { stack: string }).stack).toContain('SMS to ***-***-0100 failed');
    expect(nested).toMatchObject({
      msg: 'Outbox row failed',
      attempts: 3,
      err: { type: 'Error' },
    });
  });

  it('masks phone numbers passed as message format parameters', () => {
    const { logger, output, records } = memoryLogger();
    logger.info('Texting %s after %d attempts', CALLER_PHONE, 3);
    logger.info('Caller %s', 5125550100);

    expect(output()).not.toContain('5125550100');
    expect(records().map((record) => record.msg)).toEqual(['Texting ***-***-0100 after 3 attempts', 'Caller ***-***-0100']);
  });

  it('masks child logger bindings and keeps the request id on every descendant', () => {
    const { logger, output, records } = memoryLogger();
    const request = logger.child({ reqId: 'req-7', caller: CALLER_PHONE });
    request.child({ customer_name: 'Dana Smith' }).info('Booking requested');
    request.setBindings({ phone: '512-555-0111' });
    request.warn('Slot taken');

    expect(output()).not.toMatch(/5125550100|Dana Smith|555-0111/);
    const [booking, slot] = records();
    expect(booking).toMatchObject({
      reqId: 'req-7',
      caller: '***-***-0100',
      customer_name: '[redacted]',
      service: 'switchboard',
    });
    expect(slot).toMatchObject({ reqId: 'req-7', phone: '***-***-0111' });
  });

  it('masks what serializers registered on a child produce, as Fastify registers req and res', () => {
    const { logger, output, records } = memoryLogger();
    const fastifyLike = logger.child(
      {},
      {
        serializers: {
          req: (request: { url: string }) => ({ url: request.url }),
        },
      },
    );
    fastifyLike.child({ reqId: 'req-8' }).info({ req: { url: '/twilio/inbound?From=%2B15125550100' } }, 'incoming request');

    expect(output()).not.toContain('15125550100');
    expect(records()[0]).toMatchObject({
      reqId: 'req-8',
      req: { url: '/twilio/inbound?From=***-***-0100' },
    });
  });

  it('leaves ordinary operational records unchanged', () => {
    const { logger, records } = memoryLogger();
    logger.info(
      {
        callId: 'call_8f3a9b2c1d0e4f5a6b7c8d9e',
        requestId: '123e4567-e89b-12d3-a456-426614174000',
        status: 503,
        attempts: 3,
      },
      'HTTP 503 from Zoho at 2026-02-03T14:30:00.000Z, retrying after 3 attempts',
    );
    expect(records()[0]).toMatchObject({
      callId: 'call_8f3a9b2c1d0e4f5a6b7c8d9e',
      requestId: '123e4567-e89b-12d3-a456-426614174000',
      status: 503,
      attempts: 3,
      msg: 'HTTP 503 from Zoho at 2026-02-03T14:30:00.000Z, retrying after 3 attempts',
    });
  });

  it('respects the level and never mutates the logged object', () => {
    const { logger, records } = memoryLogger('warn');
    const event = aCallEndedEvent();
    const before = structuredClone(event);
    logger.info({ event }, 'not written');
    logger.warn({ event }, 'written');
    expect(records().map((record) => record.msg)).toEqual(['written']);
    expect(event).toEqual(before);
  });
});

describe('silentLogger', () => {
  it('accepts every call and writes nothing', () => {
    const logger = silentLogger();
    expect(() => logger.child({ reqId: 'r' }).error(new Error('x'))).not.toThrow();
    expect(logger.level).toBe('silent');
  });
});
