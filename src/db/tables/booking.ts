/** Tables of Zoho connections, appointments and holds (migration 0003). Filled by the booking work. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BookingTables {}
