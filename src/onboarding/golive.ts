/**
 * The go-live check: each item of readiness ok or what to fix — the office served, every step's vendor test,
 * the office's own readiness checks (doctor), and in demo mode a simulated booking call against this server.
 */
import { simulateCall, simulatedOfficeOf } from '../sandbox/call-simulator.js';
import { saveOnboarding, type Onboarding, type StepResult } from './store.js';
import type { StepDeps } from './steps.js';

export interface ReadinessItem {
  item: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
  /** False for items that do not stop going live (they are reminders). */
  blocking?: boolean;
}

function fromStep(onboarding: Onboarding, step: keyof Onboarding['results'], item: string, fix: string, key?: string): ReadinessItem {
  const result = onboarding.results[step] as (StepResult & Record<string, { ok?: boolean; message?: string } | undefined>) | undefined;
  if (!result) return { item, ok: false, detail: 'not done yet', fix };
  const test = key ? result[key] : undefined;
  if (key && !test) return { item, ok: false, detail: 'no test was run', fix };
  const ok = key ? test?.ok === true : result.ok;
  return { item, ok, detail: ok ? 'ok' : String(test?.message ?? result.message ?? 'failed'), ...(ok ? {} : { fix }) };
}

export async function goLiveCheck(deps: StepDeps, onboarding: Onboarding): Promise<{ ready: boolean; items: ReadinessItem[] }> {
  const { context } = deps;
  const slug = onboarding.clientId;
  const runtime = slug ? context.clients.get(slug) : undefined;
  const items: ReadinessItem[] = [];
  const broken = slug ? context.clients.broken().find((office) => office.slug === slug) : undefined;
  items.push(
    runtime && !broken
      ? { item: 'office configuration', ok: true, detail: `served, version ${runtime.version ?? '-'}` }
      : {
          item: 'office configuration',
          ok: false,
          detail: broken ? broken.problems.map((p) => `${p.path}: ${p.message}`).join('; ') : 'not created yet',
          fix: 'finish the basics and template pack steps',
        },
  );
  items.push(fromStep(onboarding, 'calendar', 'calendar free/busy', 'pick the calendar again and check that Zoho is connected', 'freeBusy'));
  items.push(fromStep(onboarding, 'texting', 'test text', 'check the Twilio number and send a test text to your phone', 'testText'));
  items.push(fromStep(onboarding, 'email', 'test e-mail', 'check the SMTP settings and send a test e-mail', 'testEmail'));
  items.push(fromStep(onboarding, 'retell', 'Retell agent and tools', "run the Retell step with the office's API key and agent"));
  if (runtime) {
    items.push({
      item: 'A2P 10DLC campaign',
      blocking: false,
      ok: runtime.config.senders.sms.a2pApproved,
      detail: runtime.config.senders.sms.a2pApproved ? 'marked approved' : 'not marked approved: marketing texts are held',
      ...(runtime.config.senders.sms.a2pApproved ? {} : { fix: 'register the campaign with Twilio; once approved, set senders.sms.a2pApproved in the office' }),
    });
    for (const check of context.health.filter((candidate) => candidate.name.endsWith(`:${runtime.config.slug}`))) {
      const result = await check.check().catch((error: Error) => ({ status: 'down' as const, detail: error.message }));
      items.push({
        item: `doctor: ${check.name}`,
        ok: result.status === 'ok',
        detail: result.detail ?? result.status,
        ...(result.status === 'ok' ? {} : { fix: 'see /readyz and `switchboard doctor`' }),
      });
    }
    if (context.env.mode === 'demo' && deps.selfUrl && runtime.config.retell.agentIds.length > 0) {
      const call = await simulateCall({
        baseUrl: deps.selfUrl,
        client: runtime.config.slug,
        from: '+12025550100',
        scenario: 'new-caller-books',
        office: simulatedOfficeOf(runtime.config),
        startAt: context.clock.now(),
      }).catch((error: Error) => ({ callId: '', steps: [], problems: [error.message] }));
      items.push({
        item: 'simulated test call',
        ok: call.problems.length === 0,
        detail: call.problems.length === 0 ? `call ${call.callId} answered, checked the calendar and booked` : call.problems.join('; '),
        ...(call.problems.length === 0 ? {} : { fix: 'see the problems above; the call log shows each step' }),
      });
    } else {
      items.push({ item: 'simulated test call', ok: true, detail: 'not run here: call the office number, or run `switchboard simulate-call` in demo mode' });
    }
  }
  const ready = items.every((item) => item.ok || item.blocking === false);
  onboarding.results.golive = { ok: ready, at: context.clock.now().toISOString(), items };
  if (ready && !onboarding.finishedAt) onboarding.finishedAt = context.clock.now();
  await saveOnboarding(context.db, context.clock, onboarding);
  return { ready, items };
}
