/**
 * CrmPort over Zoho CRM v8 Leads and Notes, on the office's Zoho connection (the token store refreshes ahead of
 * expiry and once across instances). Our words become Zoho's fields here: names, `Lead_Status`, the office's
 * `zoho.crm.fieldMap`, datetimes with the office's offset; a deleted lead (INVALID_DATA on `id`) is `CrmLeadGone`;
 * a connection nobody can use until someone reconnects is `CrmUnavailable`.
 */
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { VendorError, errorMessage } from '../core/errors.js';
import { CrmLeadGone, CrmUnavailable, type CrmConnectionCheck, type CrmLead, type CrmPort, type LeadChanges, type NewLead } from '../crm/port.js';
import { ZohoCrmClient, type LeadFields, type LeadRecord } from '../providers/zoho/crm.js';
import { ZohoConnectionBroken, getZohoAccess, invalidateZohoAccess } from './connection.js';

/** Codes that mean the connection cannot work as it is (scope missing, credentials refused). */
const BROKEN_CODES = new Set(['OAUTH_SCOPE_MISMATCH', 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN']);

/** Zoho datetime fields take ISO 8601 with the offset and no milliseconds, e.g. 2026-02-03T14:30:00-05:00. */
export function zohoDateTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '';
}

function zohoCrmSettings(config: ClientConfig) {
  if (!config.zoho)
    throw new CrmUnavailable({ vendor: 'zoho', reason: 'not_configured', message: `The office ${config.slug} has no "zoho" settings for Zoho CRM.` });
  return config.zoho.crm;
}

/** Our lead changes as Zoho Leads fields (the office's fieldMap names its custom fields). */
export function zohoLeadFields(config: ClientConfig, changes: LeadChanges): LeadFields {
  const map = zohoCrmSettings(config).fieldMap;
  const fields: LeadFields = {};
  if (changes.firstName) fields.First_Name = changes.firstName;
  if (changes.lastName) fields.Last_Name = changes.lastName;
  if (changes.email) fields.Email = changes.email;
  if (changes.status) fields.Lead_Status = changes.status;
  if (map.lastCallIntent && changes.lastCallIntent) fields[map.lastCallIntent] = changes.lastCallIntent;
  if (changes.appointment !== undefined) {
    if (map.appointmentAt) fields[map.appointmentAt] = changes.appointment ? zohoDateTime(changes.appointment.startAt, config.timezone) : null;
    if (map.appointmentType) fields[map.appointmentType] = changes.appointment ? changes.appointment.typeName : null;
  }
  if (map.smsOptOut && changes.smsOptedOut !== undefined) fields[map.smsOptOut] = changes.smsOptedOut;
  if (map.emailOptOut && changes.emailOptedOut !== undefined) fields[map.emailOptOut] = changes.emailOptedOut;
  return fields;
}

/** A new lead: the changes plus what only creation sets (Phone, Company, Lead_Source). */
export function zohoNewLeadFields(config: ClientConfig, lead: NewLead): LeadFields {
  const crm = zohoCrmSettings(config);
  return {
    Last_Name: lead.lastName,
    Phone: lead.phone,
    Company: crm.company,
    Lead_Source: crm.leadSource,
    ...zohoLeadFields(config, lead),
  };
}

function toLead(record: LeadRecord): CrmLead {
  return {
    id: record.id,
    status: typeof record.Lead_Status === 'string' ? record.Lead_Status : null,
    createdAt: typeof record.Created_Time === 'string' ? record.Created_Time : null,
  };
}

/** Zoho answers an update of a deleted (or merged-away) lead with INVALID_DATA on `id`. */
function isUnknownLead(error: unknown): boolean {
  if (!(error instanceof VendorError) || error.code !== 'INVALID_DATA') return false;
  const data = (error.response as { data?: Array<{ details?: { api_name?: unknown } }> } | undefined)?.data;
  return data?.[0]?.details?.api_name === 'id';
}

function unavailable(error: ZohoConnectionBroken): CrmUnavailable {
  return new CrmUnavailable({ vendor: 'zoho_crm', reason: error.reason, code: error.code, message: error.message, cause: error });
}

/** The Zoho CRM port of one office. */
export function zohoCrmPort(context: AppContext, clientId: string): CrmPort {
  const config = () => {
    const runtime = context.clients.get(clientId);
    if (!runtime) throw new CrmUnavailable({ vendor: 'zoho_crm', reason: 'not_configured', message: `No office "${clientId}" is served.` });
    return runtime.config;
  };
  const client = new ZohoCrmClient({
    access: async () => {
      try {
        const access = await getZohoAccess(context, clientId);
        return { accessToken: access.accessToken, apiDomain: access.apiDomain };
      } catch (error) {
        throw error instanceof ZohoConnectionBroken ? unavailable(error) : error;
      }
    },
    invalidate: (accessToken) => invalidateZohoAccess(context, clientId, accessToken),
  });

  return {
    provider: 'zoho',
    vendorName: 'Zoho CRM',
    async getLead(id) {
      const record = await client.getLead(id);
      return record ? toLead(record) : undefined;
    },
    async findLeadsByPhone(phoneE164) {
      return (await client.searchLeadsByPhone(phoneE164)).map(toLead);
    },
    async findLeadsByEmail(email) {
      return (await client.searchLeads({ email })).map(toLead);
    },
    async updateLead(id, changes) {
      try {
        await client.updateLead(id, zohoLeadFields(config(), changes));
      } catch (error) {
        if (isUnknownLead(error)) throw new CrmLeadGone(id);
        throw error;
      }
    },
    async createLead(lead) {
      // Upsert on Phone, not insert: Zoho's duplicate check reads its database, so a lead an interrupted attempt
      // created (and the search index does not show yet) is updated rather than created twice.
      const written = await client.upsertLead(zohoNewLeadFields(config(), lead), ['Phone']);
      return {
        id: written.id,
        action: written.action === 'insert' ? 'created' : written.action === 'duplicate' ? 'found_duplicate' : 'updated',
      };
    },
    async addNote(leadId, note) {
      return client.addNote(leadId, note);
    },
    async listNotes(leadId) {
      return (await client.listNotes(leadId)).map((note) => ({ id: note.id, content: note.Note_Content ?? '' }));
    },
    async checkConnection(lastDomain) {
      return checkZohoCrm(context, client, clientId, lastDomain);
    },
  };
}

/** The token refreshes, the CRM scope is granted, the API domain has not moved. */
async function checkZohoCrm(context: AppContext, client: ZohoCrmClient, clientId: string, lastDomain: string | null): Promise<CrmConnectionCheck> {
  let apiDomain: string;
  try {
    apiDomain = (await getZohoAccess(context, clientId)).apiDomain;
  } catch (error) {
    if (error instanceof ZohoConnectionBroken) {
      return { status: 'broken', detail: error.message, endpoint: lastDomain, notConnected: error.reason === 'not_connected' };
    }
    return { status: 'warning', detail: `Refreshing the Zoho token failed: ${errorMessage(error)}`, endpoint: lastDomain };
  }
  try {
    // The cheapest call that proves token, scope and domain together (one API credit per check).
    await client.searchLeads({ word: 'switchboard-health-check' });
  } catch (error) {
    const code = error instanceof VendorError ? error.code : 'unknown';
    return { status: BROKEN_CODES.has(code) ? 'broken' : 'warning', detail: errorMessage(error), endpoint: apiDomain };
  }
  if (lastDomain && lastDomain !== apiDomain) {
    return {
      status: 'warning',
      detail: `Zoho now answers from ${apiDomain} instead of ${lastDomain}; check that the account did not move data center and that the connection belongs to the right Zoho account.`,
      endpoint: apiDomain,
    };
  }
  return { status: 'ok', detail: `Zoho CRM reachable at ${apiDomain}`, endpoint: apiDomain };
}
