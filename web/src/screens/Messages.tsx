import { useState, type FormEvent } from 'react';
import { api, query } from '../api';
import { DataState, ZoneNote, useAction, useApp, useData } from '../shared';
import { MessageList, type Message } from './MessageList';

const STATUSES = ['scheduled', 'sending', 'sent', 'delivered', 'failed', 'dead', 'unknown', 'cancelled'];

function smsSegments(text: string): number {
  const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/.test(text);
  const units = gsm ? text.length + (text.match(/[\^{}\\[~\]|€]/g)?.length ?? 0) : text.length;
  if (gsm) return units <= 160 ? 1 : Math.ceil(units / 153);
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

function Compose({ onSent }: { onSent(): void }) {
  const app = useApp();
  const [client, setClient] = useState(app.clientId || app.clients[0]?.id || '');
  const [channel, setChannel] = useState<'sms' | 'email'>('sms');
  const [to, setTo] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [purpose, setPurpose] = useState<'transactional' | 'marketing'>('transactional');
  const [when, setWhen] = useState('');
  const [override, setOverride] = useState(false);
  const action = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const sendAt = when ? new Date(when).toISOString() : undefined;
    const ok = await action.run(() =>
      api('POST', '/v1/api/messages', { client, channel, to, body, purpose, sendAt, overrideConsent: override, ...(channel === 'email' ? { subject } : {}) }),
    );
    if (ok) {
      setBody('');
      setTo('');
      setOverride(false);
      onSent();
    }
  }
  return (
    <form className="compose card" onSubmit={submit} aria-label="Write a message">
      <h2>Write a message</h2>
      <div className="grid">
        {app.clients.length > 1 && (
          <label>
            Office
            <select value={client} onChange={(event) => setClient(event.target.value)}>
              {app.clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Send as
          <select value={channel} onChange={(event) => setChannel(event.target.value as 'sms' | 'email')}>
            <option value="sms">Text message</option>
            <option value="email">E-mail</option>
          </select>
        </label>
        <label>
          To
          <input value={to} onChange={(event) => setTo(event.target.value)} placeholder={channel === 'sms' ? '+12125550142' : 'name@example.com'} required />
        </label>
        <label>
          Kind
          <select value={purpose} onChange={(event) => setPurpose(event.target.value as 'transactional' | 'marketing')}>
            <option value="transactional">About their appointment or documents</option>
            <option value="marketing">Marketing</option>
          </select>
        </label>
        <label>
          Send at (your computer's time; empty = now)
          <input type="datetime-local" value={when} onChange={(event) => setWhen(event.target.value)} />
        </label>
      </div>
      {channel === 'email' && (
        <label>
          Subject
          <input value={subject} onChange={(event) => setSubject(event.target.value)} required />
        </label>
      )}
      <label>
        Message
        <textarea rows={3} value={body} onChange={(event) => setBody(event.target.value)} required />
      </label>
      {channel === 'sms' && (
        <p className="muted">
          {body.length} characters · {smsSegments(body)} SMS segment(s)
        </p>
      )}
      {purpose === 'transactional' && (
        <label className="check">
          <input type="checkbox" checked={override} onChange={(event) => setOverride(event.target.checked)} /> Send even if they opted out (only when they asked
          for this message; recorded)
        </label>
      )}
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
      <button type="submit" className="primary" disabled={action.busy}>
        {when ? 'Schedule' : 'Send now'}
      </button>
    </form>
  );
}

export function Messages() {
  const app = useApp();
  const [status, setStatus] = useState('');
  const [channel, setChannel] = useState('');
  const [search, setSearch] = useState('');
  const [composing, setComposing] = useState(false);
  const state = useData<{ messages: Message[] }>(`/v1/api/messages${query({ client: app.clientId, status, channel, q: search })}`, ['outbox.', 'message.']);
  return (
    <section aria-labelledby="messages-title">
      <header className="screen-header">
        <h1 id="messages-title">Messages</h1>
        <button onClick={() => setComposing(!composing)} aria-expanded={composing}>
          {composing ? 'Close' : 'Write a message'}
        </button>
      </header>
      {composing && (
        <Compose
          onSent={() => {
            setComposing(false);
            state.reload();
          }}
        />
      )}
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">Any</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Channel
          <select value={channel} onChange={(event) => setChannel(event.target.value)}>
            <option value="">Text and e-mail</option>
            <option value="sms">Text</option>
            <option value="email">E-mail</option>
          </select>
        </label>
        <label>
          Search
          <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="Number, address or words" />
        </label>
      </div>
      <ZoneNote />
      <DataState
        state={state}
        empty={
          status || channel || search
            ? 'No messages match these filters.'
            : 'No messages yet. Confirmations and reminders appear here when appointments are booked.'
        }
        isEmpty={(data) => data.messages.length === 0}
      >
        {(data) => <MessageList messages={data.messages} onChange={state.reload} />}
      </DataState>
    </section>
  );
}
