/**
 * What the sync rules need from a CRM, and the wiring of the Zoho CRM client to the client's stored Zoho
 * connection (the token store refreshes ahead of expiry and once across instances).
 */
import type { AppContext } from '../app-context.js';
import {
  ZohoCrmClient,
  type LeadFields,
  type LeadRecord,
  type NoteInput,
  type NoteRecord,
  type WriteResult,
} from '../providers/zoho/crm.js';
import { getZohoAccess, invalidateZohoAccess } from '../zoho/connection.js';

export interface CrmPort {
  getLead(id: string): Promise<LeadRecord | undefined>;
  searchLeadsByPhone(phoneE164: string): Promise<LeadRecord[]>;
  searchLeads(search: { email: string } | { word: string }): Promise<LeadRecord[]>;
  updateLead(id: string, fields: LeadFields): Promise<WriteResult>;
  upsertLead(fields: LeadFields, duplicateCheckFields: string[]): Promise<WriteResult>;
  addNote(leadId: string, note: NoteInput): Promise<{ id: string }>;
  listNotes(leadId: string): Promise<NoteRecord[]>;
}

export type CrmFactory = (clientId: string) => CrmPort;

/** A CRM client per client, on the `api_domain` and token of its Zoho connection. */
export function zohoCrmFactory(context: AppContext): CrmFactory {
  return (clientId) =>
    new ZohoCrmClient({
      access: async () => {
        const access = await getZohoAccess(context, clientId);
        return { accessToken: access.accessToken, apiDomain: access.apiDomain };
      },
      invalidate: (accessToken) => invalidateZohoAccess(context, clientId, accessToken),
    });
}
