/**
 * The Twilio emulator and the SMTP receiver in a process of their own, for benchmarks: in real life Twilio
 * and the mail server are remote, so the app's process must not pay for their work. Prints one JSON line
 * `{"twilio": url, "smtp": url}` on stdout when both listen, then answers IPC requests from the parent:
 * `{ type: 'stats' }` → counts once every status callback has been posted (and answered).
 *
 * Started with `startSandboxProcess()` below; it exits when the parent disconnects.
 */
import { fileURLToPath } from 'node:url';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { startSmtpReceiver } from '../../src/sandbox/smtp.js';
import { startTwilioEmulator } from '../../src/sandbox/twilio.js';
import { startChildService } from './child-service.js';

export interface SandboxStats {
  texts: number;
  emails: number;
  callbacks: number;
  /** Callbacks our server did not answer with 2xx (or that failed on the network). */
  callbackFailures: number;
  /** Wall-clock ms (epoch) of the last callback answered, 0 when none. */
  lastCallbackAt: number;
  /** CPU time (user + system) this emulator process has used so far. */
  cpuMs: number;
}

export interface SandboxProcess {
  twilioUrl: string;
  smtpUrl: string;
  stats(): Promise<SandboxStats>;
  stop(): Promise<void>;
}

const here = fileURLToPath(import.meta.url);

/** Spawns this file as a child process and waits for its URLs. */
export async function startSandboxProcess(timeoutMs = 30_000): Promise<SandboxProcess> {
  // BENCH_SANDBOX_NODE_ARGS passes node flags to the emulator process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_SANDBOX_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = await startChildService<{ twilio: string; smtp: string }, SandboxStats>({
    entry: here,
    name: 'sandbox process',
    answerKey: 'stats',
    env: { SWITCHBOARD_SANDBOX_CHILD: '1' },
    nodeArgs,
    timeoutMs,
  });
  return { twilioUrl: child.ready.twilio, smtpUrl: child.ready.smtp, stats: () => child.ask('stats'), stop: () => child.stop() };
}

async function serve(): Promise<void> {
  const twilio = await startTwilioEmulator({ accountSid: DEMO_SECRETS.TWILIO_ACCOUNT_SID, authToken: DEMO_SECRETS.TWILIO_AUTH_TOKEN });
  const smtp = await startSmtpReceiver();
  process.on('message', (request: { type: string; id: number }) => {
    if (request.type !== 'stats') return;
    void twilio.flushCallbacks().then(() => {
      const answered = twilio.callbacks.filter((callback) => callback.response && callback.response.status < 300);
      const stats: SandboxStats = {
        texts: twilio.messages.length,
        emails: smtp.messages.length,
        callbacks: twilio.callbacks.length,
        callbackFailures: twilio.callbacks.length - answered.length,
        lastCallbackAt: answered.reduce((latest, callback) => Math.max(latest, callback.at.getTime()), 0),
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      };
      process.send?.({ id: request.id, stats });
    });
  });
  process.once('disconnect', () => {
    void Promise.allSettled([twilio.close(), smtp.close()]).then(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ twilio: twilio.url, smtp: smtp.url })}\n`);
}

if (process.env.SWITCHBOARD_SANDBOX_CHILD === '1') {
  await serve();
}
