/**
 * What the sync rules need from a CRM, in our words: a lead is the caller's record (a Zoho lead, a HubSpot
 * contact), found by phone in its common written forms or by e-mail, created safely, updated, and given one note
 * per call. Each vendor module implements it (`src/zoho/crm-port.ts`, `src/hubspot/crm-port.ts`) and registers it
 * with `context.crms`; the contract every implementation meets is `test/contracts/crm-port.contract.ts`.
 */
import { VendorError } from '../core/errors.js';
import type { LeadAppointment } from './lead-fields.js';

export interface CrmLead {
  id: string;
  /** The lead's status as the CRM holds it (Zoho Lead_Status, HubSpot hs_lead_status); null when none. */
  status: string | null;
  /** When the CRM created it (ISO 8601), to prefer the oldest of duplicates; null when unknown. */
  createdAt: string | null;
}

/** What a sync writes; an absent field is left alone. */
export interface LeadChanges {
  firstName?: string;
  lastName?: string;
  email?: string;
  status?: string;
  lastCallIntent?: string;
  /** undefined: leave the appointment fields alone; null: clear them (nothing booked any more). */
  appointment?: LeadAppointment | null;
  smsOptedOut?: boolean;
  emailOptedOut?: boolean;
}

/** A new lead: a phone and a last name always (a stand-in when the caller gave none), then the changes. */
export interface NewLead extends LeadChanges {
  phone: string;
  lastName: string;
}

export interface CreatedLead {
  id: string;
  /** created, or an existing lead with the same phone/e-mail was found (and updated) instead. */
  action: 'created' | 'updated' | 'found_duplicate';
}

export interface CrmNoteInput {
  title: string;
  content: string;
}

export interface CrmNote {
  id: string;
  content: string;
}

export interface CrmConnectionCheck {
  status: 'ok' | 'warning' | 'broken';
  detail: string;
  /** Where the CRM answered from (Zoho's api_domain), kept to notice a move; null when not known. */
  endpoint: string | null;
  /** Nobody connected it yet: a set-up step, not an alert. */
  notConnected?: boolean;
}

export interface CrmPort {
  /** The provider word the office document uses ("zoho", "hubspot"). */
  readonly provider: string;
  /** For people: "Zoho CRM", "HubSpot". */
  readonly vendorName: string;
  getLead(id: string): Promise<CrmLead | undefined>;
  /** Leads whose phone (or mobile) holds this number in any of its common written forms. */
  findLeadsByPhone(phoneE164: string): Promise<CrmLead[]>;
  findLeadsByEmail(email: string): Promise<CrmLead[]>;
  /** Throws `CrmLeadGone` when the lead was deleted or merged away in the CRM. */
  updateLead(id: string, changes: LeadChanges): Promise<void>;
  /**
   * Creates the lead, unless one the CRM can tell is the same caller already exists (a create whose answer was
   * lost, a parallel writer): that one is updated and returned instead.
   */
  createLead(lead: NewLead): Promise<CreatedLead>;
  addNote(leadId: string, note: CrmNoteInput): Promise<{ id: string }>;
  /** Every note on the lead, read from the record itself (not a lagging search index). */
  listNotes(leadId: string): Promise<CrmNote[]>;
  /** One cheap call proving the credentials, scope and endpoint together. */
  checkConnection(lastEndpoint: string | null): Promise<CrmConnectionCheck>;
}

export type CrmFactory = (clientId: string) => CrmPort;

/** The lead we stored no longer exists in the CRM: look the caller up again. */
export class CrmLeadGone extends Error {
  constructor(readonly leadId: string) {
    super(`The CRM lead ${leadId} no longer exists.`);
    this.name = 'CrmLeadGone';
  }
}

export type CrmUnavailableReason = 'not_connected' | 'broken' | 'not_configured';

/** Nobody can use the office's CRM until a person acts (connect, reconnect, a new token): not retryable. */
export class CrmUnavailable extends VendorError {
  readonly reason: CrmUnavailableReason;
  constructor(init: { vendor: string; reason: CrmUnavailableReason; code?: string; message: string; cause?: unknown }) {
    super({ vendor: init.vendor, code: init.code ?? `CRM_${init.reason.toUpperCase()}`, message: init.message, retryable: false, cause: init.cause });
    this.name = 'CrmUnavailable';
    this.reason = init.reason;
  }
}
