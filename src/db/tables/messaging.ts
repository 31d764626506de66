/** Tables of messaging: delivery events, inbound texts (migration 0004). Filled by the messaging work. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MessagingTables {}
