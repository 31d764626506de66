/**
 * Zoho (Accounts, Calendar, CRM), Twilio and the SMTP receiver in a process of their own, for the whole-call
 * benchmark: in real life the vendors are remote, so their work must not share the app's event loop (with 200
 * calls at once an in-process Zoho emulator made the app's own 4-second Zoho timeout fire). Prints one JSON line
 * `{"twilio", "smtp", "zoho", "refreshToken"}` when all listen (the refresh token is issued as a Self Client would,
 * for `importRefreshToken`), then answers IPC requests from the parent:
 * `{ type: 'report' }` → what every vendor holds (texts, e-mails, calendar events and the creates that succeeded,
 * leads, notes) once every status callback has been posted.
 *
 * Started with `startVendorProcess()`; it exits when the parent disconnects.
 */
import { fileURLToPath } from 'node:url';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { startSmtpReceiver } from '../../src/sandbox/smtp.js';
import { startTwilioEmulator } from '../../src/sandbox/twilio.js';
import { startZohoEmulator } from '../../src/sandbox/zoho/index.js';
import { startChildService } from './child-service.js';

export interface VendorReport {
  texts: Array<{ to: string; body: string }>;
  emails: Array<{ to: string[]; subject: string }>;
  events: Array<{
    uid: string;
    start: string;
    end: string;
    description?: string;
  }>;
  /** Booking ids (from the event description) of every event create Zoho answered 2xx. */
  eventCreates: string[];
  leads: Array<{ id: string; phone: string }>;
  notes: Array<{ leadId: string; content: string }>;
  cpuMs: number;
}

export interface VendorProcess {
  twilioUrl: string;
  smtpUrl: string;
  zohoUrl: string;
  refreshToken: string;
  report(): Promise<VendorReport>;
  stop(): Promise<void>;
}

export interface VendorCalendar {
  uid: string;
  timezone: string;
  ownerEmail?: string;
}

const here = fileURLToPath(import.meta.url);

export async function startVendorProcess(calendar: VendorCalendar, timeoutMs = 30_000): Promise<VendorProcess> {
  const child = await startChildService<{ twilio: string; smtp: string; zoho: string; refreshToken: string }, VendorReport>({
    entry: here,
    name: 'vendor process',
    answerKey: 'report',
    env: { SWITCHBOARD_VENDOR_CHILD: '1', SWITCHBOARD_VENDOR_CALENDAR: JSON.stringify(calendar) },
    timeoutMs,
  });
  return {
    twilioUrl: child.ready.twilio,
    smtpUrl: child.ready.smtp,
    zohoUrl: child.ready.zoho,
    refreshToken: child.ready.refreshToken,
    report: () => child.ask('report'),
    stop: () => child.stop(),
  };
}

async function serve(): Promise<void> {
  const calendar = JSON.parse(process.env.SWITCHBOARD_VENDOR_CALENDAR ?? '{}') as VendorCalendar;
  const twilio = await startTwilioEmulator({
    accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID,
    authToken: DEMO_SECRETS.TWILIO_AUTH_TOKEN,
  });
  const smtp = await startSmtpReceiver();
  const zoho = await startZohoEmulator({
    clientId: DEMO_SECRETS.ZOHO_CLIENT_ID,
    clientSecret: DEMO_SECRETS.ZOHO_CLIENT_SECRET,
    // The app's clock jumps days ahead while this one does not: tokens that outlive the run, no refresh throttling.
    accessTokenTtlSeconds: 60 * 86_400,
    limits: {
      refreshesPerWindow: 1_000_000,
      accessTokensPerRefreshToken: 1_000_000,
    },
    calendars: [
      {
        uid: calendar.uid,
        timezone: calendar.timezone,
        ownerEmail: calendar.ownerEmail,
      },
    ],
  });
  const refreshToken = zoho.issueRefreshToken();
  process.on('message', (request: { type: string; id: number }) => {
    if (request.type !== 'report') return;
    void twilio.flushCallbacks().then(() => {
      const report: VendorReport = {
        texts: twilio.messages.filter((message) => message.direction === 'outbound-api').map((message) => ({ to: message.to, body: message.body })),
        emails: smtp.messages.map((message) => ({
          to: message.to,
          subject: message.subject,
        })),
        events: zoho.events(calendar.uid).map((event) => ({
          uid: event.uid,
          start: event.start,
          end: event.end,
          description: event.description,
        })),
        eventCreates: zoho.emulator
          .received(`/calendars/${calendar.uid}/events`, 'POST')
          .filter((request) => request.status !== undefined && request.status < 300)
          .map((request) => /Switchboard-Booking: (\S+)/.exec(String(request.query.eventdata ?? ''))?.[1] ?? 'unmarked'),
        leads: zoho.leads().map((lead) => ({ id: lead.id, phone: String(lead.Phone ?? '') })),
        notes: zoho.notes().map((note) => ({
          leadId: note.leadId,
          content: String(note.Note_Content ?? ''),
        })),
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      };
      process.send?.({ id: request.id, report });
    });
  });
  process.once('disconnect', () => {
    void Promise.allSettled([twilio.close(), smtp.close(), zoho.close()]).then(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ twilio: twilio.url, smtp: smtp.url, zoho: zoho.url, refreshToken })}\n`);
}

if (process.env.SWITCHBOARD_VENDOR_CHILD === '1') {
  await serve();
}
