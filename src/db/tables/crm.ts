/** Tables of CRM sync state (migration 0005). Filled by the CRM work. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CrmTables {}
