/** Tables of dashboard users and sessions (migration 0006) and sign-in limits (migration 0010). */
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

/** One sign-in limit counter (see dashboard/auth/sign-in-limits.ts). */
export interface SignInLimitsTable {
  /** `account:<e-mail>`, `address:<ip>` (IPv6: its /64) or `global`. */
  key: string;
  /** Account: attempts since the last success. Address, global: attempts in the window (successes refunded). */
  attempts: number;
  window_started_at: Timestamp;
  /** Account only: no attempt is checked before this moment. */
  blocked_until: Timestamp | null;
  updated_at: Timestamp;
}

export interface DashboardTables {
  users: UsersTable;
  user_clients: UserClientsTable;
  sessions: SessionsTable;
  sign_in_limits: SignInLimitsTable;
}
