/**
 * CrmPort over HubSpot: a lead is a contact, its status `hs_lead_status`, a note an engagement associated to the
 * contact (type 202). Exactly-once as with Zoho CRM, by the same sync rules (src/crm/sync.ts): the contact id and
 * each call's note are recorded the moment HubSpot confirms them, and before a re-try writes anything it looks
 * first. HubSpot has no phone-unique upsert and its search index lags writes by seconds, so:
 *  - with an e-mail, a new contact is a batch upsert by e-mail (unique): repeating it after a lost answer updates;
 *  - with a phone only, search (every written form, phone and mobile) then create; a create whose answer was lost
 *    is found by the next attempt, which the outbox makes a retry interval (≥ 1 minute by default) later, long
 *    after the index caught up. The customer lock keeps two syncs of one caller from creating at once.
 * Notes are listed through the contact's associations (consistent at once), so a note whose answer was lost is
 * found by its call marker.
 */
import type { ClientConfig } from '../config/client-schema.js';
import type { Clock } from '../core/clock.js';
import { VendorError, errorMessage } from '../core/errors.js';
import { phoneForms, samePhone } from '../core/phone-forms.js';
import { CrmLeadGone, CrmUnavailable, type CreatedLead, type CrmConnectionCheck, type CrmLead, type CrmPort, type LeadChanges } from '../crm/port.js';
import { HubSpotCrm, existingIdIn, type ContactProperties, type HubSpotContact } from '../providers/hubspot/crm.js';

export const HUBSPOT_PROVIDER_NAME = 'hubspot';

export interface HubSpotCrmPortDeps {
  clientId: string;
  config(): ClientConfig;
  /** The office's private app token (sealed in client_secrets or named by hubspot.accessTokenEnv). */
  accessToken: string | undefined;
  /** The emulator's URL when HubSpot is emulated; undefined for the real API. */
  basePath?: string;
  clock: Clock;
  timeoutMs?: number;
}

/** Our lead changes as HubSpot contact properties (the office's propertyMap names its own properties). */
export function hubSpotProperties(config: ClientConfig, changes: LeadChanges): ContactProperties {
  const map = config.hubspot?.propertyMap ?? {};
  const properties: ContactProperties = {};
  if (changes.firstName) properties.firstname = changes.firstName;
  if (changes.lastName) properties.lastname = changes.lastName;
  if (changes.email) properties.email = changes.email;
  if (changes.status) properties.hs_lead_status = changes.status;
  if (map.lastCallIntent && changes.lastCallIntent) properties[map.lastCallIntent] = changes.lastCallIntent;
  if (changes.appointment !== undefined) {
    // A HubSpot datetime property takes an ISO 8601 UTC instant; the portal shows it in the user's zone.
    if (map.appointmentAt) properties[map.appointmentAt] = changes.appointment ? changes.appointment.startAt.toISOString() : null;
    if (map.appointmentType) properties[map.appointmentType] = changes.appointment ? changes.appointment.typeName : null;
  }
  if (map.smsOptOut && changes.smsOptedOut !== undefined) properties[map.smsOptOut] = String(changes.smsOptedOut);
  if (map.emailOptOut && changes.emailOptedOut !== undefined) properties[map.emailOptOut] = String(changes.emailOptedOut);
  return properties;
}

function toLead(contact: HubSpotContact): CrmLead {
  return { id: contact.id, status: contact.properties.hs_lead_status || null, createdAt: contact.createdAt };
}

const escapeHtml = (text: string) => text.replace(/[&<>]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[char]!);

/** HubSpot renders a note body as HTML: a bold title, then the lines as typed (the call marker stays plain text). */
export function noteHtml(title: string, content: string): string {
  return `<p><strong>${escapeHtml(title)}</strong></p><p>${content.split('\n').map(escapeHtml).join('<br>')}</p>`;
}

export function hubSpotCrmPort(deps: HubSpotCrmPortDeps): CrmPort {
  const token = () => {
    if (!deps.accessToken) {
      throw new CrmUnavailable({
        vendor: 'hubspot',
        reason: 'not_connected',
        message: `No HubSpot access token for ${deps.clientId}: store the private app's token for this office (or set ${deps.config().hubspot?.accessTokenEnv ?? 'HUBSPOT_ACCESS_TOKEN'}).`,
      });
    }
    return deps.accessToken;
  };
  let client: HubSpotCrm | undefined;
  const hubspot = () => (client ??= new HubSpotCrm({ accessToken: token(), basePath: deps.basePath, timeoutMs: deps.timeoutMs }));

  /** A refused token is nobody's to retry: the office needs a new one (private app tokens do not refresh). */
  async function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof VendorError && !(error instanceof CrmUnavailable) && (error.status === 401 || error.status === 403)) {
        throw new CrmUnavailable({ vendor: 'hubspot', reason: 'broken', code: error.code, message: error.message, cause: error });
      }
      throw error;
    }
  }

  async function findByPhone(phoneE164: string): Promise<HubSpotContact[]> {
    const found = await hubspot().searchContacts(['phone', 'mobilephone'], phoneForms(phoneE164));
    // The search matched text; keep only numbers that are really the caller's.
    return found.filter((contact) => samePhone(contact.properties.phone, phoneE164) || samePhone(contact.properties.mobilephone, phoneE164));
  }

  const oldest = (contacts: HubSpotContact[]) => [...contacts].sort((a, b) => String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')))[0];

  return {
    provider: HUBSPOT_PROVIDER_NAME,
    vendorName: 'HubSpot',
    getLead: (id) =>
      call(async () => {
        const contact = await hubspot().getContact(id);
        return contact ? toLead(contact) : undefined;
      }),
    findLeadsByPhone: (phoneE164) => call(async () => (await findByPhone(phoneE164)).map(toLead)),
    findLeadsByEmail: (email) => call(async () => (await hubspot().searchContacts(['email'], [email])).map(toLead)),
    updateLead: (id, changes) =>
      call(async () => {
        try {
          await hubspot().updateContact(id, hubSpotProperties(deps.config(), changes));
        } catch (error) {
          if (error instanceof VendorError && error.status === 404) throw new CrmLeadGone(id);
          throw error;
        }
      }),
    createLead: (lead) =>
      call(async (): Promise<CreatedLead> => {
        const config = deps.config();
        const properties: ContactProperties = { ...hubSpotProperties(config, lead), lastname: lead.lastName, phone: lead.phone };
        if (lead.firstName) properties.firstname = lead.firstName;
        if (lead.email) {
          const { contact, created } = await hubspot().upsertContactByEmail(lead.email, properties);
          return { id: contact.id, action: created ? 'created' : 'updated' };
        }
        const existing = oldest(await findByPhone(lead.phone));
        if (existing) {
          // Found now, not when the sync searched: an earlier attempt made it. The stand-in name never replaces a name.
          const { lastname: _standIn, ...rest } = properties;
          await hubspot().updateContact(existing.id, lead.lastName.startsWith('Unknown caller') ? rest : properties);
          return { id: existing.id, action: 'updated' };
        }
        try {
          return { id: (await hubspot().createContact(properties)).id, action: 'created' };
        } catch (error) {
          const existingId = existingIdIn(error);
          if (existingId) return { id: existingId, action: 'found_duplicate' };
          throw error;
        }
      }),
    addNote: (leadId, note) => call(() => hubspot().addNote(leadId, noteHtml(note.title, note.content), deps.clock.now())),
    listNotes: (leadId) => call(async () => (await hubspot().listNotes(leadId)).map((note) => ({ id: note.id, content: note.body }))),
    async checkConnection(): Promise<CrmConnectionCheck> {
      const endpoint = deps.basePath ?? 'https://api.hubapi.com';
      try {
        await call(() => hubspot().probe());
      } catch (error) {
        if (error instanceof CrmUnavailable) {
          return { status: 'broken', detail: error.message, endpoint, ...(error.reason === 'not_connected' ? { notConnected: true } : {}) };
        }
        return { status: 'warning', detail: errorMessage(error), endpoint };
      }
      return { status: 'ok', detail: `HubSpot reachable at ${endpoint}`, endpoint };
    },
  };
}
