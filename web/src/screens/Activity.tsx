import { useState } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { ACTION_KINDS as KINDS, ACTION_WORDS } from '../audit-actions';
import { DataState, Link, ZoneNote, useAction, useApp, useData } from '../shared';

interface Entry {
  id: number;
  at: string;
  actor: string;
  clientId: string | null;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

interface Page {
  entries: Entry[];
  next: { before: string; beforeId: number } | null;
}

const TARGET_WORDS: Record<string, string> = {
  customer: 'Customer',
  outbox: 'Message or job',
  appointment: 'Appointment',
  error: 'Error',
  callback: 'Callback',
  user: 'User',
  invite: 'Invitation',
};

const LIVE = ['outbox.', 'customer.', 'error.', 'callback.', 'appointment.', 'consent.'];

/** The browser's zone: rows of no office (sign-ins) and, with offices in several zones, the date filter. */
const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Nested objects as `a.b` paths, so a change deep in a message's payload shows as the one field it is. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 4) {
    for (const [key, entry] of Object.entries(value)) flatten(entry, prefix ? `${prefix}.${key}` : key, out, depth + 1);
  } else if (prefix || value !== null) {
    out[prefix || 'value'] = value;
  }
  return out;
}

export function changedFields(before: unknown, after: unknown): Array<{ field: string; from: unknown; to: unknown }> {
  const old = flatten(before ?? {});
  const next = flatten(after ?? {});
  const fields = [...new Set([...Object.keys(old), ...Object.keys(next)])];
  return fields
    .filter((field) => JSON.stringify(old[field] ?? null) !== JSON.stringify(next[field] ?? null))
    .map((field) => ({ field, from: old[field], to: next[field] }));
}

function fieldWords(field: string): string {
  return field
    .split('.')
    .map((part) =>
      part
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/_/g, ' ')
        .toLowerCase(),
    )
    .join(' › ');
}

function valueWords(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function Target({ target, action }: { target: string | null; action: string }) {
  if (!target) return <>—</>;
  const [kind = '', ...rest] = target.split(':');
  const id = rest.join(':');
  if (kind === 'customer') return <Link to={`/customers/${encodeURIComponent(id)}`}>Customer #{id}</Link>;
  if (kind === 'outbox')
    return (
      <>
        {action.startsWith('message.') ? 'Message' : 'Background job'} #{id}
      </>
    );
  if (kind === 'client') return <>Office {id}</>;
  if (kind === 'address') return <>Address {id}</>;
  return (
    <>
      {TARGET_WORDS[kind] ?? kind} #{id}
    </>
  );
}

function Changes({ entry }: { entry: Entry }) {
  const changes = changedFields(entry.before, entry.after);
  const hasRaw = entry.before != null || entry.after != null;
  return (
    <>
      {changes.length === 0 ? (
        <span className="muted">No values recorded</span>
      ) : (
        <ul className="plain changes">
          {changes.map((change) => (
            <li key={change.field}>
              <span className="field">{fieldWords(change.field)}</span>: <del>{valueWords(change.from)}</del> → <ins>{valueWords(change.to)}</ins>
            </li>
          ))}
        </ul>
      )}
      {hasRaw && (
        <details>
          <summary>Raw record</summary>
          <pre>{JSON.stringify({ before: entry.before, after: entry.after }, null, 2)}</pre>
        </details>
      )}
    </>
  );
}

function byNewest(a: Entry, b: Entry): number {
  return a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1;
}

/** Who changed what, when: the audit log of every change made in the dashboard. */
export function Activity() {
  const app = useApp();
  const [actor, setActor] = useState('');
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const offices = app.clientId ? [app.clientId] : app.clients.map((client) => client.id);
  const officeZones = [...new Set(offices.map((id) => app.zoneOf(id)))];
  // Dates are days in the office's zone; with offices in several zones, in this computer's zone.
  const dayZone = officeZones.length === 1 ? officeZones[0]! : localZone;
  const filters = { client: app.clientId, actor: actor.trim(), action: kind, from, to, zone: from || to ? dayZone : '' };
  const path = `/v1/api/audit${query(filters)}`;
  const first = useData<Page>(path, LIVE);
  // Older pages, fetched on request. Kept with the path they belong to, so a filter change starts over; they
  // include the first page as it was, so rows pushed off it by newer activity are not lost in between.
  const [older, setOlder] = useState<{ path: string; entries: Entry[]; next: Page['next'] }>();
  const more = useAction();
  const olderHere = older?.path === path ? older : undefined;

  const names = new Map(app.clients.map((client) => [client.id, client.name]));
  const merge = (pages: Entry[][]) => {
    const seen = new Map<number, Entry>();
    for (const entry of pages.flat()) seen.set(entry.id, entry);
    return [...seen.values()].sort(byNewest);
  };
  const isAdmin = app.user.role === 'admin';

  return (
    <section aria-labelledby="activity-title">
      <header className="screen-header">
        <h1 id="activity-title">Activity</h1>
      </header>
      <p>Every change made in the dashboard: who made it, when, and what it was before and after.</p>
      <div className="filters">
        <label>
          Who
          <input type="search" list="activity-actors" placeholder="Their e-mail address" value={actor} onChange={(event) => setActor(event.target.value)} />
        </label>
        <datalist id="activity-actors">
          {[...new Set((first.data?.entries ?? []).map((entry) => entry.actor))].map((email) => (
            <option key={email} value={email} />
          ))}
        </datalist>
        <label>
          What
          <select value={kind} onChange={(event) => setKind(event.target.value)}>
            <option value="">Any change</option>
            {KINDS.filter(([, , adminOnly]) => !adminOnly || isAdmin).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={from} max={to || undefined} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} min={from || undefined} onChange={(event) => setTo(event.target.value)} />
        </label>
      </div>
      {(from || to) && <p className="zone-note">Dates are days in {dayZone}.</p>}
      {more.error && (
        <div className="notice error" role="alert">
          {more.error}
        </div>
      )}
      <ZoneNote />
      {isAdmin && <p className="zone-note">Sign-ins and other changes not tied to an office are shown in this computer's time zone ({localZone}).</p>}
      <DataState
        state={first}
        empty={
          actor || kind || from || to
            ? 'No changes match these filters.'
            : 'No changes yet. Whenever someone changes something here, it is recorded on this page.'
        }
        isEmpty={(data) => data.entries.length === 0}
      >
        {(data) => {
          const entries = merge([data.entries, olderHere?.entries ?? []]);
          const next = olderHere ? olderHere.next : data.next;
          const last = entries.at(-1);
          return (
            <>
              <table className="activity">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Who</th>
                    <th>Office</th>
                    <th>What</th>
                    <th>On</th>
                    <th>Change</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((entry) => (
                    <tr key={entry.id} data-audit-id={entry.id}>
                      <td>{formatTime(entry.at, entry.clientId ? app.zoneOf(entry.clientId) : localZone)}</td>
                      <td>{entry.actor}</td>
                      <td>{entry.clientId ? (names.get(entry.clientId) ?? entry.clientId) : <span className="muted">No office</span>}</td>
                      <td>{ACTION_WORDS[entry.action] ?? entry.action}</td>
                      <td>
                        <Target target={entry.target} action={entry.action} />
                      </td>
                      <td className="summary">
                        <Changes entry={entry} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {next && last && (
                <p>
                  <button
                    disabled={more.busy}
                    onClick={() =>
                      more.run(async () => {
                        const page = await api<Page>('GET', `/v1/api/audit${query({ ...filters, before: last.at, beforeId: last.id })}`);
                        setOlder({ path, entries: merge([entries, page.entries]), next: page.next });
                      })
                    }
                  >
                    Show older changes
                  </button>
                </p>
              )}
            </>
          );
        }}
      </DataState>
    </section>
  );
}
