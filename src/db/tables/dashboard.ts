/** Tables of dashboard users and sessions (migration 0006). */
import type { Generated } from 'kysely';
import type { Timestamp } from '../schema.js';

export type UserRole = 'admin' | 'staff';

export interface UsersTable {
  id: Generated<number>;
  /** Stored lower-cased. */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (see dashboard/auth/password.ts). */
  password_hash: string;
  role: UserRole;
  disabled_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserClientsTable {
  user_id: number;
  client_id: string;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token; the token itself is never stored. */
  token_hash: string;
  user_id: number;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface DashboardTables {
  users: UsersTable;
  user_clients: UserClientsTable;
  sessions: SessionsTable;
}
