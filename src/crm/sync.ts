/**
 * The sync rules for one `crm_sync` outbox row: find the caller's lead (stored id, then phone in its common
 * forms, then e-mail), create it when there is none, otherwise update it, and leave one note per call.
 * Every effect is recorded as soon as the CRM confirms it (crm_links.lead_id, crm_notes), so a repeated run
 * finds what an earlier run did instead of doing it again. The lead's status only moves forward and is never
 * written over a status set in the CRM (`lead-status.ts`).
 */
import { isCallOutcome, type CallOutcome, type ClientConfig } from '../config/client-schema.js';
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import type { CallRow, CustomerRow } from '../db/tables/calls.js';
import { isOptedOut } from '../customers/consent.js';
import { Reschedule } from '../outbox/handlers.js';
import { withCustomerLock, type CrmLink } from './customer-lock.js';
import type { CrmSyncPurpose } from './enqueue.js';
import { leadChanges, newLead, type LeadAppointment, type LeadFacts } from './lead-fields.js';
import { decideLeadStatus, type LeadStatusDecision, type WrittenStatus } from './lead-status.js';
import { buildCallNote, callMarker } from './note.js';
import { CrmLeadGone, type CrmLead, type CrmPort } from './port.js';

export interface CrmSyncPayload {
  purpose: CrmSyncPurpose;
  callId: string | null;
  customerId: number | null;
  appointmentId: number | null;
}

export interface CrmSyncResult {
  skipped?: string;
  leadId?: string;
  lead?: 'created' | 'updated' | 'found_duplicate';
  /** The Lead_Status written, or why the lead's status was left as it was. */
  leadStatus?: string;
  leadStatusKept?: 'behind' | 'unchanged' | 'set_in_crm';
  noteId?: string;
  note?: 'added' | 'already_added' | 'none';
}

export interface CrmSyncInput {
  clientId: string;
  payload: CrmSyncPayload;
}

/** How long a sync waits when another instance is syncing the same caller. */
const LOCKED_RETRY_MS = 15_000;

const APPOINTMENT_OUTCOME: Partial<Record<CrmSyncPurpose, CallOutcome>> = {
  appointment_booked: 'booked',
  appointment_rescheduled: 'rescheduled',
  appointment_cancelled: 'cancelled',
};

export function callLink(context: AppContext, callId: string): string {
  return `${context.publicBaseUrl.replace(/\/+$/, '')}/calls/${encodeURIComponent(callId)}`;
}

export async function runCrmSync(context: AppContext, crm: CrmPort | undefined, input: CrmSyncInput): Promise<CrmSyncResult> {
  const client = context.clients.get(input.clientId);
  if (!client) throw new PermanentError(`No client "${input.clientId}" is configured; this CRM sync cannot run.`, 'unknown_client');
  const config = client.config;
  if (!config.crm.enabled || !crm) return { skipped: 'CRM sync is turned off for this client (crm.provider is none)' };

  const { payload } = input;
  const call = payload.callId ? await loadCall(context, payload.callId) : undefined;
  const appointment = payload.appointmentId ? await loadAppointment(context, payload.appointmentId) : undefined;
  const customerId = payload.customerId ?? call?.customer_id ?? appointment?.customer_id ?? null;
  const customer = customerId === null ? undefined : await loadCustomer(context, customerId);
  if (!customer) return { skipped: 'no known caller (no phone number) to sync' };

  const facts = await gatherFacts(context, config, payload, customer, call, appointment);
  const outcome = await withCustomerLock(
    context.db,
    context.clock,
    { clientId: input.clientId, customerId: customer.id, phone: customer.phone },
    async (link) => {
      const lead = await ensureLead(context, crm, config, link, facts);
      const result: CrmSyncResult = { leadId: lead.id, lead: lead.action };
      if (lead.status.action === 'write') result.leadStatus = lead.status.status;
      else if (lead.status.action === 'keep' && lead.status.reason !== 'no_outcome') result.leadStatusKept = lead.status.reason;
      if (call && (payload.purpose === 'call' || payload.purpose === 'resync')) {
        const note = await ensureCallNote(context, crm, config, { call, leadId: lead.id, facts });
        Object.assign(result, note);
      } else {
        result.note = 'none';
      }
      await context.db.updateTable('crm_links').set({ synced_at: context.clock.now(), updated_at: context.clock.now() }).where('id', '=', link.id).execute();
      return result;
    },
  );
  if (!outcome.ok) {
    throw new Reschedule(new Date(context.clock.now().getTime() + LOCKED_RETRY_MS), 'another instance is syncing this caller to the CRM right now');
  }
  return outcome.value;
}

async function loadCall(context: AppContext, callId: string): Promise<CallRow | undefined> {
  return context.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
}

async function loadAppointment(context: AppContext, id: number): Promise<AppointmentRow | undefined> {
  return context.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirst();
}

async function loadCustomer(context: AppContext, id: number): Promise<CustomerRow | undefined> {
  return context.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The caller's next booked appointment (what the lead's appointment fields should show). */
async function nextBookedAppointment(context: AppContext, customerId: number): Promise<AppointmentRow | undefined> {
  return context.db
    .selectFrom('appointments')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('status', '=', 'booked')
    .where('start_at', '>=', context.clock.now())
    .orderBy('start_at')
    .limit(1)
    .executeTakeFirst();
}

function toLeadAppointment(config: ClientConfig, row: AppointmentRow): LeadAppointment {
  const type = config.appointmentTypes.find((candidate) => candidate.id === row.appointment_type);
  return { startAt: new Date(row.start_at), typeName: type?.name ?? row.appointment_type };
}

function asOutcome(value: string | null | undefined): CallOutcome | null {
  return value && isCallOutcome(value) ? value : null;
}

async function gatherFacts(
  context: AppContext,
  config: ClientConfig,
  payload: CrmSyncPayload,
  customer: CustomerRow,
  call: CallRow | undefined,
  appointment: AppointmentRow | undefined,
): Promise<LeadFacts> {
  let outcome: CallOutcome | null;
  let current: AppointmentRow | null | undefined;
  const appointmentOutcome = APPOINTMENT_OUTCOME[payload.purpose];
  if (appointmentOutcome) {
    outcome = appointmentOutcome;
    // The lead shows the caller's next booked appointment, which is this one unless another comes first.
    current = (await nextBookedAppointment(context, customer.id)) ?? (appointment?.status === 'booked' ? appointment : null);
  } else {
    outcome = payload.purpose === 'consent' ? null : asOutcome(call?.outcome ?? customer.last_outcome);
    // A call only fills the appointment fields when something is booked; it never clears them.
    current = (await nextBookedAppointment(context, customer.id)) ?? undefined;
  }
  return {
    phone: customer.phone,
    name: customer.name,
    email: customer.email,
    outcome,
    intent: call?.intent ?? customer.last_intent,
    appointment: current === undefined ? undefined : current === null ? null : toLeadAppointment(config, current),
    smsOptedOut: await isOptedOut(context.db, customer.client_id, 'sms', customer.phone, 'all'),
    emailOptedOut: customer.email ? await isOptedOut(context.db, customer.client_id, 'email', customer.email, 'all') : undefined,
  };
}

/** Of several matching leads, the oldest: later ones are usually the duplicates. */
function oldest(leads: CrmLead[]): CrmLead | undefined {
  return [...leads].sort((a, b) => String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')))[0];
}

type LeadAction = 'created' | 'updated' | 'found_duplicate';

interface EnsuredLead {
  id: string;
  action: LeadAction;
  status: LeadStatusDecision;
}

function writtenStatus(link: CrmLink): WrittenStatus | null {
  const outcome = asOutcome(link.lead_status_outcome);
  return link.lead_status && outcome ? { status: link.lead_status, outcome } : null;
}

function statusOf(lead: CrmLead): string | null {
  return lead.status;
}

function statusToWrite(decision: LeadStatusDecision): string | undefined {
  return decision.action === 'write' ? decision.status : undefined;
}

async function ensureLead(context: AppContext, crm: CrmPort, config: ClientConfig, link: CrmLink, facts: LeadFacts): Promise<EnsuredLead> {
  const statusInput = { outcome: facts.outcome, statusMap: config.crm.statusMap };
  if (link.lead_id) {
    const stored = await updateStoredLead(context, crm, config, link, facts);
    if (stored) return stored;
  }
  let found = oldest(await crm.findLeadsByPhone(facts.phone));
  if (!found && facts.email) found = oldest(await crm.findLeadsByEmail(facts.email));
  let lead: EnsuredLead;
  if (found) {
    const last = found.id === link.lead_id ? writtenStatus(link) : null;
    const status = decideLeadStatus({ ...statusInput, last, current: statusOf(found) });
    await crm.updateLead(found.id, leadChanges(facts, statusToWrite(status)));
    lead = { id: found.id, action: 'updated', status };
  } else {
    // createLead, not a blind insert: the port finds a lead an interrupted attempt created (and the search
    // index does not show yet) and updates it rather than creating it twice (Zoho: upsert on Phone).
    // A new lead has no status anyone chose yet.
    const written = await crm.createLead(newLead(facts, facts.outcome ? config.crm.statusMap[facts.outcome] : undefined));
    const status: LeadStatusDecision = facts.outcome
      ? { action: 'write', status: config.crm.statusMap[facts.outcome], outcome: facts.outcome }
      : { action: 'keep', reason: 'no_outcome' };
    lead = { id: written.id, action: written.action, status };
  }
  await recordLead(context, link, lead);
  return lead;
}

/** Updates the lead stored on the link; undefined when it no longer exists in the CRM (deleted or merged away). */
async function updateStoredLead(context: AppContext, crm: CrmPort, config: ClientConfig, link: CrmLink, facts: LeadFacts): Promise<EnsuredLead | undefined> {
  const leadId = link.lead_id!;
  const statusInput = { outcome: facts.outcome, statusMap: config.crm.statusMap, last: writtenStatus(link) };
  let status = decideLeadStatus(statusInput);
  try {
    if (status.action === 'read') {
      // Only before changing the status: one GET tells whether someone changed it in the CRM since our last write.
      const current = await crm.getLead(leadId);
      if (!current) return leadGone(context, link);
      status = decideLeadStatus({ ...statusInput, current: statusOf(current) });
    }
    await crm.updateLead(leadId, leadChanges(facts, statusToWrite(status)));
  } catch (error) {
    if (!(error instanceof CrmLeadGone)) throw error;
    return leadGone(context, link);
  }
  const lead: EnsuredLead = { id: leadId, action: 'updated', status };
  await recordLead(context, link, lead);
  return lead;
}

function leadGone(context: AppContext, link: CrmLink): undefined {
  context.logger.warn({ leadId: link.lead_id, customerId: link.customer_id }, 'Stored CRM lead no longer exists; looking it up again');
  return undefined;
}

/** The lead id, and the status when this sync wrote one (a status we wrote for another lead no longer counts). */
async function recordLead(context: AppContext, link: CrmLink, lead: EnsuredLead): Promise<void> {
  const written = lead.status.action === 'write' ? { lead_status: lead.status.status, lead_status_outcome: lead.status.outcome } : undefined;
  const forgotten = lead.id !== link.lead_id ? { lead_status: null, lead_status_outcome: null } : {};
  await context.db
    .updateTable('crm_links')
    .set({ lead_id: lead.id, ...forgotten, ...written, updated_at: context.clock.now() })
    .where('id', '=', link.id)
    .execute();
}

async function ensureCallNote(
  context: AppContext,
  crm: CrmPort,
  config: ClientConfig,
  input: { call: CallRow; leadId: string; facts: LeadFacts },
): Promise<Pick<CrmSyncResult, 'noteId' | 'note'>> {
  const { call, leadId } = input;
  const stored = await context.db
    .selectFrom('crm_notes')
    .select('note_id')
    .where('client_id', '=', call.client_id)
    .where('call_id', '=', call.id)
    .where('purpose', '=', 'call')
    .executeTakeFirst();
  if (stored) return { noteId: stored.note_id, note: 'already_added' };

  // An earlier run may have written the note and lost the CRM's answer (or died) before recording it: look for its
  // marker first. Always, not only on a retry: a dashboard retry restarts the attempt count, and a resync is another
  // row, so no count says whether this call's note was tried before. One GET per call's sync.
  const marker = callMarker(call.id);
  let noteId = (await crm.listNotes(leadId)).find((existing) => existing.content.includes(marker))?.id;
  const note: 'added' | 'already_added' = noteId ? 'already_added' : 'added';
  if (!noteId) {
    const built = buildCallNote(config, {
      callId: call.id,
      startedAt: call.started_at ? new Date(call.started_at) : null,
      durationMs: call.duration_ms,
      summary: call.summary,
      intent: call.intent,
      sentiment: call.sentiment,
      outcome: call.outcome,
      appointment: input.facts.appointment,
      recordingUrl: call.recording_url,
      callLink: callLink(context, call.id),
    });
    noteId = (await crm.addNote(leadId, built)).id;
  }
  await context.db
    .insertInto('crm_notes')
    .values({
      client_id: call.client_id,
      call_id: call.id,
      purpose: 'call',
      lead_id: leadId,
      note_id: noteId,
      created_at: context.clock.now(),
    })
    .onConflict((conflict) => conflict.constraint('crm_notes_call_purpose').doNothing())
    .execute();
  return { noteId, note };
}
