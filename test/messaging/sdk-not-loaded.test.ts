/**
 * A vendor SDK that does not load (a broken install) sent nothing: the send fails as `never_accepted` and retryable,
 * so a provider chain fails over at once, never as a lost answer (`accepted_unknown`) that holds the message for a
 * person. The SDKs are replaced by modules that throw when loaded; nothing else is.
 */
import { describe, expect, it, vi } from 'vitest';
import { VendorError } from '../../src/core/errors.js';
import { createSendgridMail } from '../../src/providers/sendgrid/mail.js';
import { createTelnyxSms } from '../../src/providers/telnyx/sms.js';

vi.mock('telnyx', () => {
  throw new Error('Cannot find module telnyx');
});
vi.mock('@sendgrid/mail', () => {
  throw new Error('Cannot find module @sendgrid/mail');
});

async function failure(sending: Promise<unknown>): Promise<VendorError> {
  const error = await sending.then(
    () => undefined,
    (rejected: unknown) => rejected,
  );
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

describe('a messaging SDK that does not load', () => {
  it('Telnyx: the text was never accepted, and a later send tries the load again', async () => {
    const sms = createTelnyxSms({ apiKey: 'KEY_test', baseURL: 'http://127.0.0.1:9/v2' });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await failure(sms.send({ to: '+12125550123', from: '+15125550177', body: 'See you soon.' }));
      expect(error).toMatchObject({ vendor: 'telnyx', code: 'sdk_not_loaded', retryable: true, ambiguous: false, failure: 'never_accepted' });
      expect(error.message).toBe("Telnyx's SDK could not be loaded; nothing was sent.");
    }
  });

  it('SendGrid: the e-mail was never accepted', async () => {
    const mail = createSendgridMail({ apiKey: 'SG.test', baseUrl: 'http://127.0.0.1:9' });
    const error = await failure(mail.send({ from: 'office@example.com', to: 'someone@example.com', subject: 'Your appointment', text: 'See you soon.' }));
    expect(error).toMatchObject({ vendor: 'sendgrid', code: 'sdk_not_loaded', retryable: true, ambiguous: false, failure: 'never_accepted' });
  });
});
