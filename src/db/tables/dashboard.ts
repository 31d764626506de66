/** Tables of dashboard users and sessions (migration 0006), their one-time links (0015) and sign-in limits (0017). */
import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../schema.js';

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
  /** The user does not want the weekly analytics digest e-mail (migration 0020). */
  digest_opt_out: Generated<boolean>;
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

/** invite: a new account sets its password; reset: an existing account sets a new one. */
export type UserInvitePurpose = 'invite' | 'reset';

export interface UserInvitesTable {
  id: Generated<number>;
  purpose: UserInvitePurpose;
  /** SHA-256 of the link's token (the lookup key); the token itself is never stored in the clear. */
  token_hash: string;
  /** The token sealed with the secret box, for the e-mail handler; cleared once the link is used, revoked or sent. */
  token_sealed: string | null;
  /** Stored lower-cased. */
  email: string;
  /** The account a reset link is for; null for an invitation (the account is made on acceptance). */
  user_id: number | null;
  role: UserRole;
  /** The offices a staff invitation grants. */
  client_ids: Json<string[]>;
  /** The office whose e-mail sender carries the link. */
  send_client_id: string;
  /** The admin's e-mail. */
  invited_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
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
  user_invites: UserInvitesTable;
  sign_in_limits: SignInLimitsTable;
}
