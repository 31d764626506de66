import { useState } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { ClientName, Status, useAction, useApp } from '../shared';

export interface Message {
  id: number;
  clientId: string;
  channel: 'sms' | 'email';
  to: string | null;
  subject: string | null;
  body: string;
  purpose: string | null;
  template: string | null;
  status: string;
  segments: number | null;
  runAt: string | null;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  callId: string | null;
  /** The provider and sender it went through (issue 19: a chain may use a second provider and number). */
  delivery?: { provider: string | null; sender: string | null } | null;
  /** The optional LLM rewrite's decision (issue 17). */
  rewrite?: { used: boolean; reason: string } | null;
}

const PROVIDERS: Record<string, string> = { twilio: 'Twilio', telnyx: 'Telnyx', smtp: 'SMTP', sendgrid: 'SendGrid' };

const EDITABLE = ['failed', 'dead', 'unknown'];

function EditAndRetry({ message, onDone }: { message: Message; onDone(): void }) {
  const [body, setBody] = useState(message.body);
  const [subject, setSubject] = useState(message.subject ?? '');
  const action = useAction();
  return (
    <form
      className="edit-retry"
      onSubmit={async (event) => {
        event.preventDefault();
        const ok = await action.run(() => api('POST', `/v1/api/messages/${message.id}/retry`, { body, ...(message.channel === 'email' ? { subject } : {}) }));
        if (ok) onDone();
      }}
    >
      {message.channel === 'email' && (
        <label>
          Subject <input value={subject} onChange={(event) => setSubject(event.target.value)} required />
        </label>
      )}
      <label>
        Message
        <textarea value={body} onChange={(event) => setBody(event.target.value)} rows={3} required aria-label={`Edit message ${message.id}`} />
      </label>
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={action.busy}>
          Send again
        </button>
        <button type="button" onClick={onDone}>
          Keep as is
        </button>
      </div>
    </form>
  );
}

export function MessageList({ messages, onChange }: { messages: Message[]; onChange(): void }) {
  const app = useApp();
  const [editing, setEditing] = useState<number>();
  const cancel = useAction();
  return (
    <>
      {cancel.error && (
        <div className="notice error" role="alert">
          {cancel.error}
        </div>
      )}
      <ul className="cards" aria-label="Messages">
        {messages.map((message) => (
          <li key={message.id} className={`card message msg-${message.status}`} data-message-id={message.id}>
            <div className="card-title">
              <span className="channel">{message.channel === 'sms' ? 'Text' : 'E-mail'}</span> to {message.to ?? '—'} <ClientName id={message.clientId} />
              <Status value={message.status} />
              <span className="muted">
                {message.status === 'scheduled'
                  ? `due ${formatTime(message.runAt, app.zoneOf(message.clientId))}`
                  : formatTime(message.runAt, app.zoneOf(message.clientId))}
              </span>
            </div>
            {message.subject && <p className="subject">{message.subject}</p>}
            <p className="body">{message.body}</p>
            <p className="muted">
              {message.template ? `${message.template.replace(/_/g, ' ')} · ` : ''}
              {message.purpose ?? ''}
              {message.segments ? ` · ${message.segments} SMS segment${message.segments === 1 ? '' : 's'}` : ''}
              {message.attempts > 0 ? ` · attempt ${message.attempts} of ${message.maxAttempts}` : ''}
              {message.delivery?.sender ? ` · from ${message.delivery.sender}` : ''}
              {message.delivery?.provider ? ` via ${PROVIDERS[message.delivery.provider] ?? message.delivery.provider}` : ''}
              {message.rewrite ? (message.rewrite.used ? ' · reworded by the LLM (every fact checked)' : ` · template kept: ${message.rewrite.reason}`) : ''}
            </p>
            {message.lastError && ['failed', 'dead', 'unknown'].includes(message.status) && <p className="error-text">Why: {message.lastError}</p>}
            {editing === message.id ? (
              <EditAndRetry
                message={message}
                onDone={() => {
                  setEditing(undefined);
                  onChange();
                }}
              />
            ) : (
              <div className="row">
                {EDITABLE.includes(message.status) && <button onClick={() => setEditing(message.id)}>Edit and retry</button>}
                {message.status === 'scheduled' && (
                  <button
                    disabled={cancel.busy}
                    onClick={async () => (await cancel.run(() => api('POST', `/v1/api/messages/${message.id}/cancel`, {}))) && onChange()}
                  >
                    Cancel
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
