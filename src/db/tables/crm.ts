/** Tables of CRM sync state (migration 0005). */
import type { Generated } from 'kysely';
import type { Timestamp } from '../schema.js';

export interface CrmLinksTable {
  id: Generated<number>;
  client_id: string;
  customer_id: number;
  /** Zoho CRM lead id (19-digit string); null until the first sync found or created the lead. */
  lead_id: string | null;
  /** The E.164 phone the lead was found or created with. */
  phone: string | null;
  /** The Lead_Status value a sync last wrote to the lead, and the outcome it came from (migration 0016). */
  lead_status: string | null;
  lead_status_outcome: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  synced_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CrmNotesTable {
  id: Generated<number>;
  client_id: string;
  call_id: string;
  purpose: string;
  lead_id: string;
  note_id: string;
  created_at: Timestamp;
}

export type CrmHealthStatus = 'ok' | 'warning' | 'broken';

export interface CrmConnectionHealthTable {
  client_id: string;
  status: CrmHealthStatus;
  detail: string | null;
  /** The api_domain seen at the last check; a change means the connection moved data center. */
  api_domain: string | null;
  checked_at: Timestamp;
  changed_at: Timestamp;
}

export interface CrmTables {
  crm_links: CrmLinksTable;
  crm_notes: CrmNotesTable;
  crm_connection_health: CrmConnectionHealthTable;
}
