/**
 * The `user_invite_email` outbox handler: e-mails an invitation or password-reset link through the sending
 * office's mail server and sender address. The outbox row holds only the link's id; the token is unsealed here
 * at send time and forgotten once the e-mail is out, so no queue screen, log or audit row ever shows it.
 * Safe to repeat: a second e-mail carries the same link.
 */
import { DateTime } from 'luxon';
import type { AppContext } from '../../app-context.js';
import { PermanentError } from '../../core/errors.js';
import type { OutboxRow } from '../../db/schema.js';
import type { OutboxHandler } from '../../outbox/handlers.js';
import { createMailerPool } from '../../providers/smtp/mailer.js';

interface LinkMail {
  purpose: 'invite' | 'reset';
  email: string;
  role: 'admin' | 'staff';
  offices: string[];
  invitedBy: string;
  link: string;
  /** When the link stops working, in words and the office's zone. */
  until: string;
}

export function inviteMailText(mail: LinkMail, officeName: string): { subject: string; text: string } {
  if (mail.purpose === 'reset') {
    return {
      subject: `${officeName}: choose a new Switchboard password`,
      text: [
        'Hello,',
        '',
        `${mail.invitedBy} sent you a link to choose a new password for your Switchboard dashboard account (${mail.email}).`,
        '',
        `Choose your new password here: ${mail.link}`,
        '',
        `The link works once, until ${mail.until}. Your current password keeps working until you choose a new one.`,
        'If you did not expect this e-mail, tell your admin.',
      ].join('\n'),
    };
  }
  const what = mail.role === 'admin' ? 'as an admin (every office)' : `for ${mail.offices.join(', ')}`;
  return {
    subject: `${officeName}: you are invited to the Switchboard dashboard`,
    text: [
      'Hello,',
      '',
      `${mail.invitedBy} invited you to the Switchboard dashboard ${what}: calls, messages and appointments as they happen.`,
      '',
      `Choose your password here: ${mail.link}`,
      '',
      `The link works once, until ${mail.until}. You sign in with this e-mail address (${mail.email}).`,
      'If you did not expect this e-mail, you can ignore it.',
    ].join('\n'),
  };
}

export function inviteEmailHandler(context: AppContext): OutboxHandler {
  const mailers = createMailerPool();
  context.onClose.push(() => mailers.close());
  return {
    safeToRepeat: true,
    async run(row: OutboxRow) {
      const inviteId = Number(row.payload.inviteId);
      const invite = await context.db.selectFrom('user_invites').selectAll().where('id', '=', inviteId).executeTakeFirst();
      if (!invite) throw new PermanentError(`Link ${inviteId} no longer exists.`, 'invite_missing');
      if (invite.used_at || invite.revoked_at || invite.expires_at.getTime() <= context.clock.now().getTime()) {
        return { sent: false, reason: 'The link was used, withdrawn or expired before it was sent; nothing to send.' };
      }
      // Only sending forgets the sealed token (use and withdrawal were ruled out above): this row ran before.
      if (!invite.token_sealed) return { sent: false, reason: 'Sent already.' };
      const client = context.clients.get(row.client_id);
      if (!client) throw new PermanentError(`Office ${row.client_id} is no longer served; send the invitation again.`, 'client_missing');
      const smtpUrl = client.secrets.smtpUrl;
      if (!smtpUrl) throw new PermanentError('E-mail is not configured for this office.', 'not_configured');
      const mailer = mailers.mailerFor(smtpUrl);
      const token = context.secretBox.open(invite.token_sealed);
      const zone = client.config.timezone;
      const { subject, text } = inviteMailText(
        {
          purpose: invite.purpose,
          email: invite.email,
          role: invite.role,
          offices: invite.client_ids.map((id) => context.clients.get(id)?.config.name ?? id),
          invitedBy: invite.invited_by,
          link: `${context.publicBaseUrl}/invite/${token}`,
          until: `${DateTime.fromJSDate(invite.expires_at, { zone }).toFormat('cccc d LLLL yyyy, h:mm a')} (${zone})`,
        },
        client.config.name,
      );
      const result = await mailer.send({
        from: client.config.senders.email.from,
        replyTo: client.config.senders.email.replyTo,
        to: invite.email,
        subject,
        text,
      });
      await context.db.updateTable('user_invites').set({ token_sealed: null }).where('id', '=', invite.id).execute();
      return { sent: true, messageId: result.messageId, response: result.response };
    },
  };
}
