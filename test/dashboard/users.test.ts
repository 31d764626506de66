/**
 * Users in the dashboard, through the HTTP API on both backends while the server runs: invitations by e-mail
 * (through the outbox to the SMTP emulator), one-time links (single use, 72 hours), password resets, role and
 * office changes, disabling (sessions end at once), the last-admin guard, and no token or hash in any answer,
 * outbox row or audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPTS_PER_MINUTE } from '../../src/dashboard/routes/invites.js';
import { USER_INVITE_EMAIL_KIND } from '../../src/dashboard/users/invites.js';
import { updateUser } from '../../src/dashboard/users/manage.js';
import type { ReceivedEmail } from '../../src/sandbox/smtp.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, PASSWORD, aUser, apiFor, openLiveSocket, signIn, type Api } from './support.js';

const HOUR = 60 * 60 * 1000;
const NEW_PASSWORD = 'a brand new passphrase';

describe.each(BACKENDS)('dashboard users (%s)', (backend) => {
  let app: TestApp;
  let admin: Api;
  let adminEmail: string;
  let staffA: Api;
  let staffAEmail: string;
  /** Every link token seen in an e-mail, to prove none appears where it must not. */
  const tokens: string[] = [];

  beforeAll(async () => {
    app = await startTestApp(backend);
    adminEmail = await aUser(app, 'admin');
    staffAEmail = await aUser(app, 'staff', [CLIENT_A]);
    admin = await signIn(app, adminEmail);
    staffA = await signIn(app, staffAEmail);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  const smtp = () => app.context.sandbox!.smtp;
  /** Days pass on the test clock: sessions idle out, so sign in again. */
  async function advance(ms: number): Promise<void> {
    app.clock.advance(ms);
    admin = await signIn(app, adminEmail);
    staffA = await signIn(app, staffAEmail);
  }
  const userId = async (email: string) => (await app.context.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;

  /** Runs the outbox's invitation e-mails and returns the newest e-mail to `email` with its link's token. */
  async function deliveredLink(email: string): Promise<{ mail: ReceivedEmail; token: string }> {
    const before = smtp().messagesTo(email).length;
    await app.worker.drain({ kinds: [USER_INVITE_EMAIL_KIND] });
    const mails = smtp().messagesTo(email);
    expect(mails.length, `an e-mail to ${email}`).toBe(before + 1);
    const mail = mails.at(-1)!;
    const match = mail.text.match(new RegExp(`${app.url}/invite/([A-Za-z0-9_-]+)`));
    expect(match, mail.text).not.toBeNull();
    tokens.push(match![1]!);
    return { mail, token: match![1]! };
  }

  it('invites a staff user by e-mail; the invitee opens the link, chooses a password, signs in and sees only their office', async () => {
    const invited = await admin.request('POST', '/v1/api/users/invite', { email: ' Dana.New@Example.com ', role: 'staff', clientIds: [CLIENT_A] });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    expect(invited.body.invite).toMatchObject({
      email: 'dana.new@example.com',
      role: 'staff',
      clientIds: [CLIENT_A],
      invitedBy: adminEmail,
      purpose: 'invite',
    });
    expect(new Date(invited.body.invite.expiresAt).getTime() - app.clock.now().getTime()).toBe(72 * HOUR);

    // The e-mail is an outbox row of the office, carrying only the link's id.
    const row = await app.context.db.selectFrom('outbox').selectAll().where('kind', '=', USER_INVITE_EMAIL_KIND).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ client_id: CLIENT_A, status: 'scheduled', payload: { inviteId: invited.body.invite.id } });
    expect(Object.keys(row.payload)).toEqual(['inviteId']);

    const { mail, token } = await deliveredLink('dana.new@example.com');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail.from).toBe('office@smarttaxnation.example');
    expect(mail.subject).toContain('invited to the Switchboard dashboard');
    expect(mail.text).toContain(adminEmail);
    expect(mail.text).toContain('Smart Tax Nation');
    const sent = await app.context.db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(sent.status).toBe('done');
    expect(JSON.stringify(sent)).not.toContain(token);
    // Once the e-mail is out, the server keeps only the token's hash.
    const stored = await app.context.db.selectFrom('user_invites').selectAll().where('id', '=', invited.body.invite.id).executeTakeFirstOrThrow();
    expect(stored.token_sealed).toBeNull();
    expect(stored.token_hash).not.toContain(token);

    const anonymous = apiFor(app);
    const opened = await anonymous.request('GET', `/v1/api/invites/${token}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({
      purpose: 'invite',
      email: 'dana.new@example.com',
      role: 'staff',
      offices: [{ id: CLIENT_A, name: 'Smart Tax Nation' }],
    });

    const short = await anonymous.request('POST', '/v1/api/invites/accept', { token, password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.message).toMatch(/at least 10 characters/);
    const accepted = await anonymous.request('POST', '/v1/api/invites/accept', { token, password: NEW_PASSWORD });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual({ ok: true, email: 'dana.new@example.com', purpose: 'invite' });

    const dana = await signIn(app, 'Dana.New@example.com', NEW_PASSWORD);
    const me = await dana.request('GET', '/v1/api/me');
    expect(me.body.user).toMatchObject({ email: 'dana.new@example.com', role: 'staff' });
    expect(me.body.clients.map((client: { id: string }) => client.id)).toEqual([CLIENT_A]);
    expect((await dana.request('GET', `/v1/api/calls?client=${CLIENT_A}`)).status).toBe(200);
    expect((await dana.request('GET', `/v1/api/calls?client=${CLIENT_B}`)).status).toBe(404);

    // Single use.
    const again = await anonymous.request('POST', '/v1/api/invites/accept', { token, password: 'another password 123' });
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ error: 'link_used', message: expect.stringContaining('used already') });
    expect((await anonymous.request('GET', `/v1/api/invites/${token}`)).status).toBe(410);
    await signIn(app, 'dana.new@example.com', NEW_PASSWORD);

    const audit = await app.context.db.selectFrom('audit').selectAll().where('action', 'in', ['user.invite', 'user.invite_accept']).orderBy('id').execute();
    expect(audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ['user.invite', adminEmail],
      ['user.invite_accept', 'dana.new@example.com'],
    ]);
    expect(audit[1]!.after).toMatchObject({ role: 'staff', clients: [CLIENT_A], invitedBy: adminEmail });
  });

  it('refuses an expired link after 72 hours, and a newer invitation replaces the older link', async () => {
    const email = 'late.comer@example.com';
    expect((await admin.request('POST', '/v1/api/users/invite', { email, role: 'staff', clientIds: [CLIENT_B] })).status).toBe(201);
    const first = await deliveredLink(email);
    // Sent through the invitee's office.
    expect(first.mail.from).toContain('desert');
    await advance(72 * HOUR);
    const expired = await apiFor(app).request('POST', '/v1/api/invites/accept', { token: first.token, password: NEW_PASSWORD });
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ error: 'link_expired', message: expect.stringContaining('expired') });
    expect((await apiFor(app).request('GET', `/v1/api/invites/${first.token}`)).status).toBe(410);

    const listed = await admin.request('GET', '/v1/api/users');
    expect(listed.body.invites.find((invite: { email: string }) => invite.email === email)).toMatchObject({ expired: true });

    expect((await admin.request('POST', '/v1/api/users/invite', { email, role: 'staff', clientIds: [CLIENT_B] })).status).toBe(201);
    const second = await deliveredLink(email);
    expect((await apiFor(app).request('GET', `/v1/api/invites/${first.token}`)).body).toMatchObject({ error: 'link_revoked' });
    await advance(72 * HOUR - 1000);
    const accepted = await apiFor(app).request('POST', '/v1/api/invites/accept', { token: second.token, password: NEW_PASSWORD });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect((await (await signIn(app, email, NEW_PASSWORD)).request('GET', '/v1/api/me')).body.clients.map((client: { id: string }) => client.id)).toEqual([
      CLIENT_B,
    ]);
  });

  it('answers unknown links with 404 and bad input with 400, never 500', async () => {
    const anonymous = apiFor(app);
    for (const token of ['x', 'A'.repeat(43), 'not a token at all'.padEnd(43, '_')]) {
      const opened = await anonymous.request('GET', `/v1/api/invites/${encodeURIComponent(token)}`);
      expect(opened.status, token).toBe(404);
      expect(opened.body.message).toMatch(/not valid/);
      expect((await anonymous.request('POST', '/v1/api/invites/accept', { token, password: NEW_PASSWORD })).status).toBe(404);
    }
    expect((await anonymous.request('POST', '/v1/api/invites/accept', { password: NEW_PASSWORD })).status).toBe(400);
    expect((await anonymous.request('POST', '/v1/api/invites/accept', 'nonsense')).status).toBe(400);

    for (const [body, status, pattern] of [
      [{ email: 'someone@example.com', role: 'owner', clientIds: [CLIENT_A] }, 400, /admin.*staff/],
      [{ email: 'someone@example.com', role: 'staff', clientIds: [] }, 400, /at least one office/],
      [{ email: 'someone@example.com', role: 'staff', clientIds: ['no-such-office'] }, 400, /no-such-office/],
      [{ email: 'not-an-email', role: 'staff', clientIds: [CLIENT_A] }, 400, /not an e-mail address/],
      [{ email: staffAEmail.toUpperCase(), role: 'staff', clientIds: [CLIENT_A] }, 409, /has an account already/],
    ] as const) {
      const response = await admin.request('POST', '/v1/api/users/invite', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.message).toMatch(pattern);
    }
    const staffId = await userId(staffAEmail);
    expect((await admin.request('PATCH', `/v1/api/users/${staffId}`, {})).status).toBe(400);
    expect((await admin.request('PATCH', `/v1/api/users/${staffId}`, { role: 'staff', clientIds: [] })).status).toBe(400);
    expect((await admin.request('PATCH', `/v1/api/users/${staffId}`, { disabled: 'yes' })).status).toBe(400);
    expect((await admin.request('PATCH', '/v1/api/users/999999', { disabled: true })).status).toBe(404);
    expect((await admin.request('PATCH', '/v1/api/users/abc', { disabled: true })).status).toBe(400);
    expect((await admin.request('POST', '/v1/api/users/999999/reset-password', {})).status).toBe(404);
    expect((await admin.request('POST', '/v1/api/users/invites/999999/revoke', {})).status).toBe(404);
  });

  it('keeps staff and anonymous callers out of every user route', async () => {
    const staffId = await userId(staffAEmail);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/api/users'],
      ['POST', '/v1/api/users/invite', { email: 'sneaky@example.com', role: 'admin', clientIds: [] }],
      ['PATCH', `/v1/api/users/${staffId}`, { role: 'admin' }],
      ['POST', `/v1/api/users/${staffId}/reset-password`, {}],
      ['POST', '/v1/api/users/invites/1/revoke', {}],
    ];
    const auditBefore = (await app.context.db.selectFrom('audit').select('id').execute()).length;
    for (const [method, path, body] of routes) {
      expect((await apiFor(app).request(method, path, body)).status, `${method} ${path} anonymous`).toBe(401);
      const refused = await staffA.request(method, path, body);
      expect(refused.status, `${method} ${path} staff`).toBe(403);
      expect(refused.body.message).toMatch(/Only an admin/);
    }
    expect((await app.context.db.selectFrom('audit').select('id').execute()).length).toBe(auditBefore);
    expect((await app.context.db.selectFrom('users').select('role').where('id', '=', staffId).executeTakeFirstOrThrow()).role).toBe('staff');
    expect(await app.context.db.selectFrom('user_invites').select('id').where('email', '=', 'sneaky@example.com').execute()).toEqual([]);
  });

  it("changes a staff user's offices at once, and closes their live feed so it reopens with the new scope", async () => {
    const email = await aUser(app, 'staff', [CLIENT_A]);
    const staff = await signIn(app, email);
    const live = openLiveSocket(app, { cookie: staff.cookie!, origin: app.url! });
    await expect.poll(() => live.events.some((event) => event.type === 'hello')).toBe(true);
    const id = await userId(email);
    const changed = await admin.request('PATCH', `/v1/api/users/${id}`, { clientIds: [CLIENT_B] });
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({ id, role: 'staff', clientIds: [CLIENT_B], disabled: false });
    expect(await live.closed).toBe(4000);
    expect((await staff.request('GET', `/v1/api/calls?client=${CLIENT_A}`)).status).toBe(404);
    expect((await staff.request('GET', `/v1/api/calls?client=${CLIENT_B}`)).status).toBe(200);
    const audit = await app.context.db
      .selectFrom('audit')
      .selectAll()
      .where('target', '=', `user:${id}`)
      .where('action', '=', 'user.edit')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: adminEmail, before: { clients: [CLIENT_A] }, after: { clients: [CLIENT_B] } });
    // Saying the same again changes nothing and records nothing.
    expect((await admin.request('PATCH', `/v1/api/users/${id}`, { clientIds: [CLIENT_B] })).body.changed).toBe(false);
    expect(await app.context.db.selectFrom('audit').select('id').where('target', '=', `user:${id}`).where('action', '=', 'user.edit').execute()).toHaveLength(
      1,
    );
  });

  it('disabling a user ends their sessions and live feed at once; sign-in then fails exactly like a wrong password', async () => {
    const email = await aUser(app, 'staff', [CLIENT_A]);
    const staff = await signIn(app, email);
    const live = openLiveSocket(app, { cookie: staff.cookie!, origin: app.url! });
    await expect.poll(() => live.events.some((event) => event.type === 'hello')).toBe(true);
    const id = await userId(email);

    const disabled = await admin.request('PATCH', `/v1/api/users/${id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body.user).toMatchObject({ disabled: true, disabledAt: app.clock.now().toISOString() });
    expect(await live.closed).toBe(4401);
    expect((await staff.request('GET', '/v1/api/me')).status).toBe(401);
    expect(await app.context.db.selectFrom('sessions').select('user_id').where('user_id', '=', id).execute()).toEqual([]);

    const refused = await apiFor(app).request('POST', '/v1/api/session', { email, password: PASSWORD });
    const wrong = await apiFor(app).request('POST', '/v1/api/session', { email: staffAEmail, password: 'not the password' });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(wrong.body);
    expect((await admin.request('POST', `/v1/api/users/${id}/reset-password`, {})).status).toBe(409);

    const audit = await app.context.db
      .selectFrom('audit')
      .selectAll()
      .where('target', '=', `user:${id}`)
      .where('action', '=', 'user.disable')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: adminEmail, client_id: null, before: { disabled: false }, after: { disabled: true, sessionsEnded: 1 } });

    expect((await admin.request('PATCH', `/v1/api/users/${id}`, { disabled: false })).status).toBe(200);
    await signIn(app, email);
    expect(await app.context.db.selectFrom('audit').select('id').where('target', '=', `user:${id}`).where('action', '=', 'user.enable').execute()).toHaveLength(
      1,
    );
  });

  it('an admin cannot disable themself, and the last enabled admin cannot be disabled or demoted', async () => {
    const selfId = await userId(adminEmail);
    const self = await admin.request('PATCH', `/v1/api/users/${selfId}`, { disabled: true });
    expect(self.status).toBe(409);
    expect(self.body).toMatchObject({ error: 'self_disable', message: expect.stringContaining('your own account') });

    // Leave two enabled admins (this test's and one more), then have them demote each other at the same moment.
    const others = await app.context.db.selectFrom('users').select('id').where('role', '=', 'admin').where('id', '!=', selfId).execute();
    for (const other of others) expect((await admin.request('PATCH', `/v1/api/users/${other.id}`, { disabled: true })).status).toBe(200);
    const secondEmail = await aUser(app, 'admin');
    const second = await signIn(app, secondEmail);
    const secondId = await userId(secondEmail);
    const [one, two] = await Promise.all([
      admin.request('PATCH', `/v1/api/users/${secondId}`, { role: 'staff', clientIds: [CLIENT_A] }),
      second.request('PATCH', `/v1/api/users/${selfId}`, { role: 'staff', clientIds: [CLIENT_A] }),
    ]);
    // Exactly one wins. The other is refused as the last admin, or (when the winner committed before the loser's
    // request was even authenticated) as no longer an admin at all.
    const statuses = [one.status, two.status].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const enabledAdmins = await app.context.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
    expect(enabledAdmins).toHaveLength(1);

    // Whoever is left cannot demote themself either; put the others back for the tests after this one.
    const lastId = enabledAdmins[0]!.id;
    const last = lastId === selfId ? admin : second;
    const demoteLast = await last.request('PATCH', `/v1/api/users/${lastId}`, { role: 'staff', clientIds: [CLIENT_A] });
    expect(demoteLast.status).toBe(409);
    expect(demoteLast.body).toMatchObject({ error: 'last_admin', message: expect.stringContaining('last enabled admin') });
    const disableOther = await last.request('PATCH', `/v1/api/users/${lastId === selfId ? secondId : selfId}`, { disabled: true });
    expect(disableOther.status).toBe(200);
    for (const other of others) expect((await last.request('PATCH', `/v1/api/users/${other.id}`, { disabled: false })).status).toBe(200);
    if (lastId !== selfId) expect((await last.request('PATCH', `/v1/api/users/${selfId}`, { role: 'admin', disabled: false })).status).toBe(200);
    admin = await signIn(app, adminEmail);
  });

  it('keeps one enabled admin when two admins demote each other in concurrent transactions', async () => {
    const [x, y] = [await aUser(app, 'admin'), await aUser(app, 'admin')];
    const ids = [await userId(x), await userId(y)] as const;
    const others = await app.context.db
      .selectFrom('users')
      .select('id')
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .where('id', 'not in', ids)
      .execute();
    await app.context.db
      .updateTable('users')
      .set({ disabled_at: app.clock.now() })
      .where(
        'id',
        'in',
        others.map((other) => other.id),
      )
      .execute();
    try {
      const actor = (id: number, email: string) => ({ id, email, role: 'admin' as const, clientIds: [CLIENT_A, CLIENT_B] });
      // A few rounds, so that a missing lock shows on PostgreSQL rather than depending on one lucky interleaving.
      for (let round = 0; round < 5; round += 1) {
        await app.context.db.updateTable('users').set({ role: 'admin' }).where('id', 'in', ids).execute();
        await app.context.db.deleteFrom('user_clients').where('user_id', 'in', ids).execute();
        const results = await Promise.all([
          updateUser(app.context, { userId: ids[1], role: 'staff', clientIds: [CLIENT_A], actor: actor(ids[0], x) }),
          updateUser(app.context, { userId: ids[0], role: 'staff', clientIds: [CLIENT_A], actor: actor(ids[1], y) }),
        ]);
        expect(results.map((result) => (result.ok ? 'ok' : result.reason)).sort()).toEqual(['last_admin', 'ok']);
        const enabled = await app.context.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
        expect(enabled).toHaveLength(1);
      }
    } finally {
      await app.context.db
        .updateTable('users')
        .set({ disabled_at: null })
        .where(
          'id',
          'in',
          others.map((other) => other.id),
        )
        .execute();
    }
  });

  it('e-mails a password-reset link: the old password works until the link is used, then every session ends', async () => {
    const email = await aUser(app, 'staff', [CLIENT_B]);
    const staff = await signIn(app, email);
    const id = await userId(email);
    const reset = await admin.request('POST', `/v1/api/users/${id}/reset-password`, {});
    expect(reset.status).toBe(202);
    expect(reset.body.invite).toMatchObject({ purpose: 'reset', email });
    const { mail, token } = await deliveredLink(email);
    expect(mail.subject).toContain('new Switchboard password');
    expect(mail.from).toContain('desert');
    expect((await staff.request('GET', '/v1/api/me')).status).toBe(200);
    expect((await apiFor(app).request('GET', `/v1/api/invites/${token}`)).body).toMatchObject({ purpose: 'reset', email });

    const accepted = await apiFor(app).request('POST', '/v1/api/invites/accept', { token, password: NEW_PASSWORD });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual({ ok: true, email, purpose: 'reset' });
    expect((await staff.request('GET', '/v1/api/me')).status).toBe(401);
    expect((await apiFor(app).request('POST', '/v1/api/session', { email, password: PASSWORD })).status).toBe(401);
    await signIn(app, email, NEW_PASSWORD);
    const actions = await app.context.db
      .selectFrom('audit')
      .select(['action', 'actor', 'after'])
      .where('target', '=', `user:${id}`)
      .where('action', 'like', 'user.%')
      .orderBy('id')
      .execute();
    expect(actions).toEqual([
      expect.objectContaining({ action: 'user.add' }),
      expect.objectContaining({ action: 'user.reset_link', actor: adminEmail }),
      expect.objectContaining({ action: 'user.reset_password', actor: email, after: { via: 'link', sessionsEnded: 1 } }),
    ]);
  });

  it('sends the invitation again after the mail server defers it, through the outbox retry', async () => {
    const email = 'greylisted@example.com';
    smtp().deferRecipient(email, 1);
    expect((await admin.request('POST', '/v1/api/users/invite', { email, role: 'admin' })).status).toBe(201);
    await app.worker.drain({ kinds: [USER_INVITE_EMAIL_KIND] });
    const row = await app.context.db
      .selectFrom('outbox')
      .selectAll()
      .where('kind', '=', USER_INVITE_EMAIL_KIND)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(smtp().messagesTo(email)).toEqual([]);
    app.clock.advance(60_000);
    const { mail } = await deliveredLink(email);
    expect(mail.text).toContain('as an admin');
  });

  it('withdraws an open link', async () => {
    const invited = await admin.request('POST', '/v1/api/users/invite', { email: 'changed.mind@example.com', role: 'staff', clientIds: [CLIENT_A] });
    const { token } = await deliveredLink('changed.mind@example.com');
    expect((await admin.request('POST', `/v1/api/users/invites/${invited.body.invite.id}/revoke`, {})).status).toBe(200);
    expect((await apiFor(app).request('POST', '/v1/api/invites/accept', { token, password: NEW_PASSWORD })).body.error).toBe('link_revoked');
    const listed = await admin.request('GET', '/v1/api/users');
    expect(listed.body.invites.map((invite: { email: string }) => invite.email)).not.toContain('changed.mind@example.com');
  });

  it('never shows a token, a token hash or a password hash in an API answer, an outbox row or an audit row', async () => {
    expect(tokens.length).toBeGreaterThanOrEqual(6);
    const hashes = [
      ...(await app.context.db.selectFrom('user_invites').select('token_hash').execute()).map((row) => row.token_hash),
      ...(await app.context.db.selectFrom('users').select('password_hash').execute()).map((row) => row.password_hash),
    ];
    const listed = await admin.request('GET', '/v1/api/users');
    expect(listed.status).toBe(200);
    expect(listed.body.users.find((user: { email: string }) => user.email === 'dana.new@example.com')).toMatchObject({
      role: 'staff',
      clientIds: [CLIENT_A],
      disabled: false,
    });
    const activity = await admin.request('GET', '/v1/api/audit?action=user&limit=200');
    expect(activity.body.entries.length).toBeGreaterThan(8);
    const places = {
      users: JSON.stringify(listed.body),
      activity: JSON.stringify(activity.body),
      audit: JSON.stringify(await app.context.db.selectFrom('audit').selectAll().execute()),
      outbox: JSON.stringify(await app.context.db.selectFrom('outbox').selectAll().where('kind', '=', USER_INVITE_EMAIL_KIND).execute()),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const secret of [...tokens, ...hashes, 'scrypt$']) expect(text.includes(secret), `${place} holds ${secret.slice(0, 8)}…`).toBe(false);
    }
    // Staff of an office do not see account changes in their Activity.
    const forStaff = await staffA.request('GET', '/v1/api/audit?limit=200');
    expect(forStaff.body.entries.filter((entry: { action: string }) => entry.action.startsWith('user.'))).toEqual([]);
  });

  // Last: it uses up this address's allowance for the minute.
  it('limits password choices per address like sign-in', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= ACCEPTS_PER_MINUTE; attempt += 1) {
      statuses.push((await apiFor(app).request('POST', '/v1/api/invites/accept', { token: 'B'.repeat(43), password: NEW_PASSWORD })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status !== 404 && status !== 429)).toEqual([]);
    const limited = await apiFor(app).request('POST', '/v1/api/invites/accept', { token: 'B'.repeat(43), password: NEW_PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.message).toMatch(/Wait \d+ seconds/);
  });
});
