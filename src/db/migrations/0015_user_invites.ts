import { sql, type Kysely } from 'kysely';

/**
 * One-time links for dashboard accounts: an invitation (a new user sets their password) or a password reset
 * (an existing user sets a new one). Only the SHA-256 of the link's token is looked up; the token itself is
 * kept sealed (AES-256-GCM, the secret box) only until the e-mail carrying it has been sent or the link is
 * used, revoked or expired. `users.disabled_at` exists since 0006.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table user_invites (
      id bigserial primary key,
      purpose text not null check (purpose in ('invite', 'reset')),
      token_hash text not null unique,
      token_sealed text,
      email text not null,
      user_id bigint references users (id) on delete cascade,
      role text not null check (role in ('admin', 'staff')),
      client_ids jsonb not null default '[]'::jsonb,
      send_client_id text not null references clients (id),
      invited_by text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  // At most one open link per address and purpose: a new invitation or reset replaces the previous one.
  await sql`create unique index user_invites_open on user_invites (email, purpose) where used_at is null and revoked_at is null`.execute(db);
}
