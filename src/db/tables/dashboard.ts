/** Tables of dashboard users and sessions (migration 0006). Filled by the dashboard work. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DashboardTables {}
