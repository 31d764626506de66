/** Tables of messaging: deliveries, status-callback events, inbound texts, marketing sends (migration 0004). */
import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../schema.js';

export interface MessageDeliveriesTable {
  id: Generated<number>;
  client_id: string;
  outbox_id: number | null;
  /** sms | email */
  channel: string;
  /** Twilio MessageSid or the e-mail Message-ID. */
  provider_id: string;
  to_address: string;
  /** queued, sending, sent, delivered, undelivered, failed, … (never moves to a lower rank). */
  status: string;
  status_rank: number;
  error_code: string | null;
  error_message: string | null;
  segments: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** twilio | telnyx | smtp | sendgrid (migration 0021); null on rows from before chains (Twilio / SMTP). */
  provider: ColumnType<string | null, string | null | undefined, string | null>;
  /** The number or address it was sent from, when known (migration 0021). */
  sender: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MessageEventsTable {
  id: Generated<number>;
  client_id: string;
  message_sid: string;
  status: string;
  error_code: string | null;
  received_at: Timestamp;
  params: Json<Record<string, string>>;
}

export interface InboundMessagesTable {
  id: Generated<number>;
  client_id: string;
  provider_id: string;
  from_number: string;
  to_number: string;
  body: string;
  /** stop | start | help | revocation | message */
  intent: string;
  customer_id: number | null;
  received_at: Timestamp;
  read_at: Timestamp | null;
}

export interface MarketingSendsTable {
  id: Generated<number>;
  client_id: string;
  channel: string;
  address: string;
  outbox_id: number | null;
  sent_at: Timestamp;
}

export interface MessagingTables {
  message_deliveries: MessageDeliveriesTable;
  message_events: MessageEventsTable;
  inbound_messages: InboundMessagesTable;
  marketing_sends: MarketingSendsTable;
  sender_pacing: SenderPacingTable;
  sender_pacing_turns: SenderPacingTurnsTable;
  provider_circuits: ProviderCircuitsTable;
  message_provider_attempts: MessageProviderAttemptsTable;
}

/** One provider account's circuit breaker, shared by every instance (migration 0021). */
export interface ProviderCircuitsTable {
  /** `<provider>:<account>`, e.g. `telnyx:+15125550199` or `twilio:AC…`. */
  key: string;
  channel: string;
  provider: string;
  /** closed | open | half_open */
  state: string;
  consecutive_failures: number;
  window_started_at: Timestamp;
  window_attempts: number;
  window_failures: number;
  opened_at: Timestamp | null;
  probe_started_at: Timestamp | null;
  updated_at: Timestamp;
}

/** Which provider an attempt of a queue item went to, written before the request (migration 0021). */
export interface MessageProviderAttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  provider: string;
  provider_key: string;
  started_at: Timestamp;
}

/** Per sender: the first moment no text has been given yet (migration 0009). */
export interface SenderPacingTable {
  sender: string;
  next_free: Timestamp;
}

/** The turn a text was given and is waiting for (deleted when it is used). */
export interface SenderPacingTurnsTable {
  outbox_id: number;
  sender: string;
  slot: Timestamp;
}
