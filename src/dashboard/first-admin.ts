/**
 * First start: with no users at all, demo mode creates an admin with a one-time password and hands the
 * line to the start-up banner (printed once to the terminal, never logged). Live mode creates nobody and
 * says how to add the first user, so no password ever lands in a hosting platform's log capture.
 */
import type { AppContext } from '../app-context.js';
import { generatePassword } from './auth/password.js';
import { countUsers, createUser } from './auth/users.js';

export const FIRST_ADMIN_EMAIL = 'admin@switchboard.local';

export async function ensureFirstAdmin(context: AppContext): Promise<void> {
  if ((await countUsers(context.db)) > 0) return;
  const notes = (context.startupNotes ??= []);
  if (context.env.mode !== 'demo') {
    notes.push('Dashboard:   no users yet. Add one: switchboard user add --email you@example.com --role admin');
    return;
  }
  const password = generatePassword();
  // Two instances starting at once: the unique e-mail lets one win; only the winner prints a password.
  const { created } = await createUser(
    context.db,
    context.clock,
    { email: FIRST_ADMIN_EMAIL, password, role: 'admin', actor: 'first start' },
    context.passwordCost,
  );
  if (created) {
    notes.push(`Dashboard login (shown once): ${FIRST_ADMIN_EMAIL} / ${password}`);
    context.logger.info({ email: FIRST_ADMIN_EMAIL }, 'Created the first dashboard admin; its one-time password is in the start-up banner');
  }
}
