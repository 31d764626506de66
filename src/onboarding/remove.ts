/**
 * Undoing an onboarding: the office stops being served, its stored credentials are deleted, and the vendor
 * settings the wizard made are reported so a person can point them elsewhere (the number's SMS URL and the
 * agent's webhooks then answer 404 here). Calls, messages and versions an office already had stay as history.
 */
import { removeOffice } from '../offices/store.js';
import { writeAudit } from '../dashboard/audit.js';
import { saveOnboarding, type Onboarding } from './store.js';
import type { StepDeps } from './steps.js';

export async function removeOnboardedOffice(deps: StepDeps, onboarding: Onboarding): Promise<{ removed: boolean; leftAtVendors: string[] }> {
  const { context } = deps;
  const slug = onboarding.clientId;
  const leftAtVendors: string[] = [];
  let removed = false;
  if (slug) {
    removed = await removeOffice({ db: context.db, clock: context.clock, bus: context.bus }, slug, deps.actor);
    const secrets = await context.db.deleteFrom('client_secrets').where('client_id', '=', slug).executeTakeFirst();
    if (Number(secrets.numDeletedRows) > 0) {
      await writeAudit(context.db, context.clock, {
        actor: deps.actor,
        clientId: slug,
        action: 'office.secret',
        target: `${slug} all`,
        after: { all: 'cleared' },
      });
    }
    await context.offices?.reload(slug);
    const number = onboarding.answers.texting?.phoneNumber;
    if (number) leftAtVendors.push(`Twilio number ${number}: its SMS URL still points at this server; set it for its next use.`);
    const agent = onboarding.answers.retell?.agentId;
    if (agent) leftAtVendors.push(`Retell agent ${agent}: its tools and webhook still point at this server; remove them in Retell or reuse the agent.`);
  }
  onboarding.removedAt = context.clock.now();
  await saveOnboarding(context.db, context.clock, onboarding);
  return { removed, leftAtVendors };
}
