import { useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { ClientName, DataState, Link, Status, ZoneNote, useAction, useApp, useData } from '../shared';
import { MessageList, type Message } from './MessageList';
import { CallerProfile, type CallerProfileData } from './CallerProfile';

interface Customer {
  id: number;
  clientId: string;
  phone: string;
  name: string | null;
  email: string | null;
  preferredLanguage: string | null;
  preferredLanguageSource: string | null;
  notes: string | null;
  callCount: number;
  lastCallAt: string | null;
  lastSummary: string | null;
}

export function Customers() {
  const app = useApp();
  const [search, setSearch] = useState('');
  const state = useData<{ customers: Customer[] }>(`/v1/api/customers${query({ client: app.clientId, q: search })}`, ['customer.', 'call.']);
  return (
    <section aria-labelledby="customers-title">
      <header className="screen-header">
        <h1 id="customers-title">Customers</h1>
      </header>
      <div className="filters">
        <label>
          Search
          <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="Name, phone or e-mail" />
        </label>
      </div>
      <ZoneNote />
      <DataState
        state={state}
        empty={search ? 'Nobody matches this search.' : 'No callers yet. Everyone who calls is remembered here.'}
        isEmpty={(data) => data.customers.length === 0}
      >
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Phone</th>
                <th>E-mail</th>
                <th>Calls</th>
                <th>Last call</th>
                <th>Last summary</th>
              </tr>
            </thead>
            <tbody>
              {data.customers.map((customer) => (
                <tr key={customer.id}>
                  <td>
                    <Link to={`/customers/${customer.id}`}>{customer.name ?? 'No name yet'}</Link> <ClientName id={customer.clientId} />
                  </td>
                  <td>{customer.phone}</td>
                  <td>{customer.email ?? '—'}</td>
                  <td>{customer.callCount}</td>
                  <td>{formatTime(customer.lastCallAt, app.zoneOf(customer.clientId))}</td>
                  <td className="summary">{customer.lastSummary ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </section>
  );
}

type Consent = { address: string | null; marketing: string; transactional: string };
interface CustomerPageData {
  customer: Customer;
  consents: { sms: Consent; email: Consent };
  consentHistory: Array<{ channel: string; purpose: string; status: string; source: string; actor: string | null; at: string }>;
  calls: Array<{ id: string; createdAt: string; outcome: string | null; status: string; summary: string | null }>;
  messages: Message[];
  profile: CallerProfileData | null;
}

/** The languages the server speaks (src/i18n/phrases); names as their speakers write them. */
const CALLER_LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español (Spanish)' },
];
const LANGUAGE_SOURCES: Record<string, string> = {
  staff: 'set by staff',
  caller: 'the caller asked for it',
  call: 'learned from a call',
};

function EditCustomer({ customer, onSaved }: { customer: Customer; onSaved(): void }) {
  const [name, setName] = useState(customer.name ?? '');
  const [email, setEmail] = useState(customer.email ?? '');
  const [language, setLanguage] = useState(customer.preferredLanguage ?? '');
  const [notes, setNotes] = useState(customer.notes ?? '');
  const action = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => setSaved(false), [name, email, language, notes]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await action.run(() => api('PATCH', `/v1/api/customers/${customer.id}`, { name, email, preferredLanguage: language, notes }))) {
      setSaved(true);
      onSaved();
    }
  }
  return (
    <form className="card grid" onSubmit={submit} aria-label="Edit customer">
      <label>
        Name
        <input value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <label>
        E-mail
        <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} />
      </label>
      <label>
        Language
        <select value={language} onChange={(event) => setLanguage(event.target.value)}>
          <option value="">Office default</option>
          {CALLER_LANGUAGES.map((option) => (
            <option key={option.code} value={option.code}>
              {option.name}
            </option>
          ))}
          {language !== '' && !CALLER_LANGUAGES.some((option) => option.code === language) && <option value={language}>{language} (not spoken)</option>}
        </select>
        {customer.preferredLanguageSource && <small>{LANGUAGE_SOURCES[customer.preferredLanguageSource] ?? customer.preferredLanguageSource}</small>}
      </label>
      <label className="wide">
        Notes
        <textarea rows={3} value={notes} onChange={(event) => setNotes(event.target.value)} />
      </label>
      {action.error && (
        <div className="notice error" role="alert">
          {action.error}
        </div>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={action.busy}>
          Save
        </button>
        {saved && <span role="status">Saved.</span>}
      </div>
    </form>
  );
}

export function CustomerPage({ id }: { id: string }) {
  const app = useApp();
  const state = useData<CustomerPageData>(`/v1/api/customers/${encodeURIComponent(id)}`, ['customer.', 'outbox.', 'call.']);
  const consent = useAction();
  return (
    <section aria-labelledby="customer-title">
      <DataState state={state} empty="" isEmpty={() => false}>
        {(data) => {
          const zone = app.zoneOf(data.customer.clientId);
          const change = (channel: 'sms' | 'email', status: 'opted_out' | 'opted_in') =>
            consent
              .run(() => api('POST', `/v1/api/customers/${data.customer.id}/consent`, { channel, purpose: 'all', status }))
              .then((ok) => ok && state.reload());
          return (
            <>
              <header className="screen-header">
                <h1 id="customer-title">{data.customer.name ?? data.customer.phone}</h1>
              </header>
              <ZoneNote clientId={data.customer.clientId} />
              <p>
                {data.customer.phone} · {data.customer.callCount} call(s)
              </p>
              <EditCustomer key={data.customer.id} customer={data.customer} onSaved={state.reload} />
              <CallerProfile customerId={data.customer.id} profile={data.profile} zone={zone} onChange={state.reload} />
              <h2>Consent</h2>
              {consent.error && (
                <div className="notice error" role="alert">
                  {consent.error}
                </div>
              )}
              <table>
                <thead>
                  <tr>
                    <th>Channel</th>
                    <th>Address</th>
                    <th>Reminders and confirmations</th>
                    <th>Marketing</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {(['sms', 'email'] as const).map((channel) => {
                    const row = data.consents[channel];
                    const optedOut = row.marketing === 'opted_out' || row.transactional === 'opted_out';
                    return (
                      <tr key={channel}>
                        <td>{channel === 'sms' ? 'Text' : 'E-mail'}</td>
                        <td>{row.address ?? 'none on file'}</td>
                        <td>
                          <Status value={row.transactional} />
                        </td>
                        <td>
                          <Status value={row.marketing} />
                        </td>
                        <td>
                          {row.address &&
                            (optedOut ? (
                              <button disabled={consent.busy} onClick={() => change(channel, 'opted_in')}>
                                Opt back in
                              </button>
                            ) : (
                              <button disabled={consent.busy} onClick={() => change(channel, 'opted_out')}>
                                Opt out
                              </button>
                            ))}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {data.consentHistory.length > 0 && (
                <details>
                  <summary>Consent history ({data.consentHistory.length})</summary>
                  <ul className="plain">
                    {data.consentHistory.map((entry, index) => (
                      <li key={index}>
                        {formatTime(entry.at, zone)}: {entry.channel} {entry.purpose} → {entry.status.replace('_', ' ')} ({entry.source}
                        {entry.actor ? `, ${entry.actor}` : ''})
                      </li>
                    ))}
                  </ul>
                </details>
              )}
              <h2>Calls</h2>
              {data.calls.length === 0 ? (
                <div className="notice empty">No calls recorded.</div>
              ) : (
                <ul className="plain">
                  {data.calls.map((call) => (
                    <li key={call.id}>
                      <Link to={`/calls/${call.id}`}>{formatTime(call.createdAt, zone)}</Link> <Status value={call.outcome ?? call.status} /> {call.summary}
                    </li>
                  ))}
                </ul>
              )}
              <h2>Messages</h2>
              {data.messages.length === 0 ? (
                <div className="notice empty">No messages sent to this customer.</div>
              ) : (
                <MessageList messages={data.messages} onChange={state.reload} />
              )}
            </>
          );
        }}
      </DataState>
    </section>
  );
}
