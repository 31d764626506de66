/**
 * Offices as live data: the list (served and broken), and one office's document edited as a form (with a raw
 * JSON editor for the rest), its version history with rollback, and its write-only credentials. Staff may
 * change templates and hours only; the other inputs are disabled for them (the API refuses them anyway).
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { FieldProblems, ProblemList, problemsAt, problemsOf, type Problem } from '../problems';
import { DataState, Link, Status, useAction, useApp, useData } from '../shared';
import { RetellTools } from './Onboarding';
import { StaffEditor, type Staff } from './StaffEditor';
import { TemplateEditor, type Templates, type Translations } from './TemplateEditor';

interface OfficeSummary {
  slug: string;
  name: string;
  timezone: string;
  version: number | null;
  status: string;
}

interface OfficeList {
  offices: OfficeSummary[];
  broken: Array<{ slug: string; problems: Problem[] }>;
}

interface SecretState {
  name: string;
  stored: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  emulated: boolean | null;
}

interface OfficeDetail {
  slug: string;
  version: number;
  document: Record<string, any>;
  served: number | null;
  problems: Problem[];
  secrets: SecretState[];
  staffEditable: string[];
}

interface VersionSummary {
  version: number;
  author: string;
  source: string;
  sourceFile: string | null;
  createdAt: string;
  changes: Array<{ path: string; before?: unknown; after?: unknown }> | null;
  current: boolean;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The keys the form edits; everything else is edited as JSON. */
const FORM_KEYS = [
  'slug',
  'name',
  'address',
  'officePhone',
  'officeEmail',
  'adminEmails',
  'timezone',
  'businessHours',
  'closures',
  'appointmentTypes',
  'staff',
  'transfer',
  'templates',
  'translations',
  'senders',
];

const SECRET_WORDS: Record<string, string> = {
  retellApiKey: 'Retell API key',
  twilioAccountSid: 'Twilio Account SID',
  twilioAuthToken: 'Twilio auth token',
  smtpUrl: 'SMTP URL',
  slackWebhookUrl: 'Slack webhook URL',
  zohoClientId: 'Zoho client id',
  zohoClientSecret: 'Zoho client secret',
  hubspotAccessToken: 'HubSpot access token',
};

export function Offices() {
  const app = useApp();
  const state = useData<OfficeList>('/v1/api/offices', ['office.']);
  return (
    <section aria-labelledby="offices-title">
      <header className="screen-header">
        <h1 id="offices-title">Offices</h1>
        {app.user.role === 'admin' && (
          <Link to="/onboarding" className="button primary">
            Onboard a new office
          </Link>
        )}
      </header>
      <DataState state={state} empty="No offices yet." isEmpty={(data) => data.offices.length === 0 && data.broken.length === 0}>
        {(data) => (
          <>
            <table>
              <thead>
                <tr>
                  <th>Office</th>
                  <th>Time zone</th>
                  <th>Version</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {data.offices.map((office) => (
                  <tr key={office.slug} data-office={office.slug}>
                    <td>
                      <Link to={`/offices/${office.slug}`}>{office.name}</Link> <span className="muted">{office.slug}</span>
                    </td>
                    <td>{office.timezone}</td>
                    <td>{office.version ?? 'from file'}</td>
                    <td>
                      <Status value={office.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.broken.length > 0 && (
              <>
                <h2>Offices that cannot be served</h2>
                <ul className="cards">
                  {data.broken.map((office) => (
                    <li key={office.slug} className="card" data-broken={office.slug}>
                      <div className="card-title">
                        <Link to={`/offices/${office.slug}`}>{office.slug}</Link> <Status value="broken" />
                      </div>
                      <ul className="problem-list">
                        {office.problems.map((problem, index) => (
                          <li key={index}>
                            {problem.path && <code>{problem.path}</code>} {problem.message}
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </DataState>
    </section>
  );
}

/** A copy of `value` with `path` set to `next`. */
function setIn<T>(value: T, path: Array<string | number>, next: unknown): T {
  const copy = structuredClone(value) as any;
  let node = copy;
  path.slice(0, -1).forEach((key, index) => {
    if (node[key] === undefined || node[key] === null) node[key] = typeof path[index + 1] === 'number' ? [] : {};
    node = node[key];
  });
  node[path[path.length - 1]!] = next;
  return copy;
}

function otherKeys(document: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(document).filter(([key]) => !FORM_KEYS.includes(key))), null, 2);
}

export function OfficePage({ slug }: { slug: string }) {
  const app = useApp();
  const admin = app.user.role === 'admin';
  const state = useData<OfficeDetail>(`/v1/api/offices/${slug}`);
  const versions = useData<{ versions: VersionSummary[] }>(`/v1/api/offices/${slug}/versions`);
  const [draft, setDraft] = useState<Record<string, any>>();
  const [base, setBase] = useState<number>();
  const [raw, setRaw] = useState('');
  const [rawError, setRawError] = useState<string>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [saved, setSaved] = useState<string>();
  const save = useAction();

  // A new version from the server replaces the draft (after a save, a rollback or a first load).
  useEffect(() => {
    if (!state.data || state.data.version === base) return;
    setDraft(structuredClone(state.data.document));
    setRaw(otherKeys(state.data.document));
    setRawError(undefined);
    setBase(state.data.version);
  }, [state.data, base]);

  const dirty = useMemo(() => Boolean(state.data && draft && JSON.stringify(draft) !== JSON.stringify(state.data.document)), [state.data, draft]);
  const set = (path: Array<string | number>, value: unknown) => setDraft((current) => setIn(current, path, value));
  const lock = !admin;

  const submit = async () => {
    if (!draft || rawError) return;
    setProblems([]);
    setSaved(undefined);
    let failure: unknown;
    const ok = await save.run(async () => {
      try {
        const answer = await api<{ version: number; unchanged?: boolean }>('PUT', `/v1/api/offices/${slug}`, { document: draft, expectedVersion: base });
        setSaved(answer.unchanged ? 'Nothing changed; no new version.' : `Saved version ${answer.version}. The office uses it now.`);
      } catch (error) {
        failure = error;
        throw error;
      }
    });
    if (!ok) {
      setProblems(problemsOf(failure));
      return;
    }
    state.reload();
    versions.reload();
  };

  const rollback = useAction();
  const secretAction = useAction();
  const [secretValues, setSecretValues] = useState<Record<string, string>>({});
  const [secretDone, setSecretDone] = useState<string>();

  return (
    <section aria-labelledby="office-title">
      <p>
        <Link to="/offices">← All offices</Link>
      </p>
      <DataState state={state} empty="" isEmpty={() => false}>
        {(data) =>
          !draft ? (
            <div className="notice" aria-busy="true">
              Loading…
            </div>
          ) : (
            <>
              <header className="screen-header">
                <h1 id="office-title">{String(draft.name ?? slug)}</h1>
                <span className="muted">
                  {slug} · version {data.version}
                  {data.served !== null && data.served !== data.version ? ` (serving version ${data.served})` : ''}
                </span>
              </header>
              {!admin && <div className="notice">You can change this office's templates and hours. Ask an admin to change anything else.</div>}
              <ProblemList problems={data.problems} title="The office cannot be served as saved:" />

              <form
                className="office-form"
                onSubmit={(event) => {
                  event.preventDefault();
                  void submit();
                }}
              >
                <h2>Office</h2>
                <div className="grid">
                  <Field label="Office name" path="name" problems={problems}>
                    <input value={draft.name ?? ''} disabled={lock} onChange={(event) => set(['name'], event.target.value)} />
                  </Field>
                  <Field label="Time zone" path="timezone" problems={problems}>
                    <input value={draft.timezone ?? ''} disabled={lock} onChange={(event) => set(['timezone'], event.target.value)} />
                  </Field>
                  <Field label="Address" path="address" problems={problems} wide>
                    <input value={draft.address ?? ''} disabled={lock} onChange={(event) => set(['address'], event.target.value)} />
                  </Field>
                  <Field label="Office phone" path="officePhone" problems={problems}>
                    <input value={draft.officePhone ?? ''} disabled={lock} onChange={(event) => set(['officePhone'], event.target.value)} />
                  </Field>
                  <Field label="Office e-mail" path="officeEmail" problems={problems}>
                    <input value={draft.officeEmail ?? ''} disabled={lock} onChange={(event) => set(['officeEmail'], event.target.value)} />
                  </Field>
                  <Field label="Admin e-mails (comma-separated)" path="adminEmails" problems={problems} wide>
                    <input
                      value={(draft.adminEmails ?? []).join(', ')}
                      disabled={lock}
                      onChange={(event) =>
                        set(
                          ['adminEmails'],
                          event.target.value
                            .split(',')
                            .map((entry) => entry.trim())
                            .filter(Boolean),
                        )
                      }
                    />
                  </Field>
                </div>

                <h2>Senders</h2>
                <div className="grid">
                  <Field label="Texts come from (phone)" path="senders.sms" problems={problems}>
                    <input value={draft.senders?.sms?.from ?? ''} disabled={lock} onChange={(event) => set(['senders', 'sms', 'from'], event.target.value)} />
                  </Field>
                  <Field label="E-mails come from" path="senders.email" problems={problems}>
                    <input
                      value={draft.senders?.email?.from ?? ''}
                      disabled={lock}
                      onChange={(event) => set(['senders', 'email', 'from'], event.target.value)}
                    />
                  </Field>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={draft.senders?.sms?.a2pApproved !== false}
                      disabled={lock}
                      onChange={(event) => set(['senders', 'sms', 'a2pApproved'], event.target.checked)}
                    />
                    A2P 10DLC campaign approved (marketing texts may go out)
                  </label>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={draft.insights?.rewrite?.enabled === true}
                      disabled={lock}
                      onChange={(event) => set(['insights', 'rewrite', 'enabled'], event.target.checked)}
                    />
                    Let the LLM reword follow-ups to fit each call (dates, times, prices, links and the opt-out are checked; needs ANTHROPIC_API_KEY)
                  </label>
                </div>

                <h2>Business hours</h2>
                <HoursEditor hours={draft.businessHours ?? {}} onChange={(hours) => set(['businessHours'], hours)} problems={problems} />

                <h2>Closures</h2>
                <ClosuresEditor closures={draft.closures ?? []} onChange={(closures) => set(['closures'], closures)} problems={problems} />

                <h2>Appointment types</h2>
                <ListEditor
                  items={draft.appointmentTypes ?? []}
                  path="appointmentTypes"
                  problems={problems}
                  disabled={lock}
                  onChange={(items) => set(['appointmentTypes'], items)}
                  blank={{ id: '', name: '', durationMinutes: 30, bufferMinutes: 0, whatToBring: '' }}
                  addLabel="Add an appointment type"
                  columns={[
                    { key: 'name', label: 'Name' },
                    { key: 'id', label: 'Id' },
                    { key: 'durationMinutes', label: 'Minutes', number: true },
                    { key: 'bufferMinutes', label: 'Buffer', number: true },
                    { key: 'whatToBring', label: 'What to bring', wide: true },
                  ]}
                />

                <h2>Bookable people</h2>
                <StaffEditor
                  staff={draft.staff as Staff | undefined}
                  appointmentTypes={(draft.appointmentTypes ?? []) as Array<{ id: string; name: string }>}
                  officeHours={draft.businessHours ?? {}}
                  calendarProvider={String(draft.calendar?.provider ?? 'zoho')}
                  problems={problems}
                  disabled={lock}
                  onChange={(staff) => set(['staff'], staff)}
                />

                <h2>Transfers to a person</h2>
                <ListEditor
                  items={draft.transfer?.bands ?? []}
                  path="transfer.bands"
                  problems={problems}
                  disabled={lock}
                  onChange={(items) => set(['transfer', 'bands'], items)}
                  blank={{ name: '', number: '', when: 'office_hours', urgentOnly: false }}
                  addLabel="Add a transfer band"
                  columns={[
                    { key: 'name', label: 'Name' },
                    { key: 'number', label: 'Number' },
                    { key: 'when', label: 'When', choices: { office_hours: 'Office hours', after_hours: 'After hours', always: 'Always' } },
                    { key: 'urgentOnly', label: 'Urgent only', check: true },
                  ]}
                />

                <h2>Messages</h2>
                <TemplateEditor
                  templates={draft.templates as Templates}
                  onChange={(templates) => set(['templates'], templates)}
                  scope={{ client: slug }}
                  problems={problems}
                  defaultLanguage={String(draft.language ?? 'en')}
                  translations={(draft.translations ?? {}) as Translations}
                  onTranslationsChange={(translations) => set(['translations'], translations)}
                />

                <h2>Everything else (JSON)</h2>
                <label>
                  Other settings: booking rules, quiet hours, nurture, Retell, Zoho, alerts…
                  <textarea
                    className="json"
                    rows={14}
                    value={raw}
                    disabled={lock}
                    spellCheck={false}
                    onChange={(event) => {
                      setRaw(event.target.value);
                      try {
                        const parsed = JSON.parse(event.target.value);
                        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must be a JSON object');
                        const kept = Object.fromEntries(Object.entries(draft).filter(([key]) => FORM_KEYS.includes(key)));
                        setDraft({ ...parsed, ...kept });
                        setRawError(undefined);
                      } catch (error) {
                        setRawError(`Not valid JSON yet: ${(error as Error).message}`);
                      }
                    }}
                  />
                </label>
                {rawError && (
                  <p className="error-text" role="alert">
                    {rawError}
                  </p>
                )}
                {problems.some((problem) => !FORM_KEYS.includes(problem.path.split(/[.[]/)[0]!)) && (
                  <span className="field-problem" role="alert" data-path="other">
                    {problems
                      .filter((problem) => !FORM_KEYS.includes(problem.path.split(/[.[]/)[0]!))
                      .map((problem) => `${problem.path || 'office'}: ${problem.message}`)
                      .join('; ')}
                  </span>
                )}

                <div className="save-bar">
                  <button type="submit" className="primary" disabled={save.busy || !dirty || Boolean(rawError)}>
                    {save.busy ? 'Saving…' : 'Save'}
                  </button>
                  {dirty && (
                    <button
                      type="button"
                      onClick={() => {
                        setDraft(structuredClone(data.document));
                        setRaw(otherKeys(data.document));
                        setRawError(undefined);
                        setProblems([]);
                      }}
                    >
                      Discard changes
                    </button>
                  )}
                  {saved && !dirty && (
                    <span role="status" className="ok-text">
                      {saved}
                    </span>
                  )}
                </div>
                {save.error && problems.length === 0 && (
                  <div className="notice error" role="alert">
                    {save.error}
                  </div>
                )}
                <ProblemList problems={problems} title="Not saved. Fix these:" />
              </form>

              <h2>Credentials</h2>
              <p className="muted">
                Values are write-only: they are sealed in the database and never shown. Leave a credential unset here to use the server's environment (or, in
                demo mode, the emulator).
              </p>
              {secretAction.error && (
                <div className="notice error" role="alert">
                  {secretAction.error}
                </div>
              )}
              {secretDone && (
                <div className="notice" role="status">
                  {secretDone}
                </div>
              )}
              <table className="secrets">
                <thead>
                  <tr>
                    <th>Credential</th>
                    <th>State</th>
                    <th>Replace</th>
                  </tr>
                </thead>
                <tbody>
                  {data.secrets.map((secret) => (
                    <tr key={secret.name} data-secret={secret.name}>
                      <td>
                        {SECRET_WORDS[secret.name] ?? secret.name} <span className="muted">{secret.name}</span>
                      </td>
                      <td>
                        {secret.stored ? (
                          <>
                            <Status value="ok" /> Set here{secret.updatedBy ? ` by ${secret.updatedBy}` : ''}
                            {secret.updatedAt ? `, ${formatTime(secret.updatedAt, String(draft.timezone ?? 'UTC'), { date: true })}` : ''}
                          </>
                        ) : secret.emulated ? (
                          'Not set here: the demo emulator stands in'
                        ) : (
                          'Not set here: from the environment, if set there'
                        )}
                      </td>
                      <td>
                        <div className="row secret-row">
                          <input
                            type="password"
                            autoComplete="new-password"
                            aria-label={`New ${SECRET_WORDS[secret.name] ?? secret.name}`}
                            placeholder="New value"
                            disabled={!admin}
                            value={secretValues[secret.name] ?? ''}
                            onChange={(event) => setSecretValues({ ...secretValues, [secret.name]: event.target.value })}
                          />
                          <button
                            disabled={!admin || secretAction.busy || !secretValues[secret.name]}
                            onClick={async () => {
                              if (
                                await secretAction.run(() => api('PUT', `/v1/api/offices/${slug}/secrets/${secret.name}`, { value: secretValues[secret.name] }))
                              ) {
                                setSecretValues({ ...secretValues, [secret.name]: '' });
                                setSecretDone(`${SECRET_WORDS[secret.name] ?? secret.name} replaced.`);
                                state.reload();
                              }
                            }}
                          >
                            Replace
                          </button>
                          {secret.stored && (
                            <button
                              disabled={!admin || secretAction.busy}
                              onClick={async () => {
                                if (await secretAction.run(() => api('DELETE', `/v1/api/offices/${slug}/secrets/${secret.name}`))) {
                                  setSecretDone(`${SECRET_WORDS[secret.name] ?? secret.name} cleared.`);
                                  state.reload();
                                }
                              }}
                            >
                              Clear
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>

              <h2>Version history</h2>
              {rollback.error && (
                <div className="notice error" role="alert">
                  {rollback.error}
                </div>
              )}
              <DataState state={versions} empty="No saved versions: this office is read from its file." isEmpty={(list) => list.versions.length === 0}>
                {(list) => (
                  <table className="versions">
                    <thead>
                      <tr>
                        <th>Version</th>
                        <th>When</th>
                        <th>Who</th>
                        <th>From</th>
                        <th>Changes</th>
                        <th />
                      </tr>
                    </thead>
                    <tbody>
                      {list.versions.map((version) => (
                        <tr key={version.version} data-version={version.version}>
                          <td>
                            {version.version}
                            {version.current && (
                              <>
                                {' '}
                                <span className="status status-ok">current</span>
                              </>
                            )}
                          </td>
                          <td>{formatTime(version.createdAt, String(draft.timezone ?? 'UTC'), { date: true })}</td>
                          <td>{version.author}</td>
                          <td>
                            {version.source}
                            {version.sourceFile ? ` (${version.sourceFile})` : ''}
                          </td>
                          <td>
                            <Changes changes={version.changes} />
                          </td>
                          <td>
                            {admin && !version.current && (
                              <button
                                disabled={rollback.busy}
                                onClick={async () => {
                                  if (await rollback.run(() => api('POST', `/v1/api/offices/${slug}/rollback`, { version: version.version }))) {
                                    state.reload();
                                    versions.reload();
                                  }
                                }}
                              >
                                Roll back to this
                              </button>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </DataState>
              {admin && data.served !== null && (
                <>
                  <h2>Retell set-up</h2>
                  <RetellTools slug={slug} />
                </>
              )}
            </>
          )
        }
      </DataState>
    </section>
  );
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 140 ? `${text.slice(0, 140)}…` : text;
}

function Changes({ changes }: { changes: VersionSummary['changes'] }) {
  if (!changes || changes.length === 0) return <span className="muted">first version or no change</span>;
  const shown = changes.slice(0, 6);
  return (
    <ul className="changes plain">
      {shown.map((change, index) => (
        <li key={index}>
          <span className="field">{change.path}</span> {change.before !== undefined && <del>{short(change.before)}</del>}{' '}
          {change.after !== undefined && <ins>{short(change.after)}</ins>}
        </li>
      ))}
      {changes.length > shown.length && <li className="muted">and {changes.length - shown.length} more</li>}
    </ul>
  );
}

function Field({ label, path, problems, wide, children }: { label: string; path: string; problems: Problem[]; wide?: boolean; children: ReactNode }) {
  return (
    <label className={`${wide ? 'wide' : ''} ${problemsAt(problems, path).length ? 'has-problem' : ''}`}>
      {label}
      {children}
      <FieldProblems problems={problems} path={path} />
    </label>
  );
}

type Range = { open: string; close: string };

/**
 * Each weekday with any number of open ranges ("09:00–12:00" and "13:00–17:00"); none means closed. `path` is where
 * the hours sit in the document (for their problems), `label` tells several editors on one page apart.
 */
export function HoursEditor({
  hours,
  onChange,
  problems,
  disabled,
  path = 'businessHours',
  label,
}: {
  hours: Record<string, Range[]>;
  onChange(next: Record<string, Range[]>): void;
  problems: Problem[];
  disabled?: boolean;
  path?: string;
  label?: string;
}) {
  const named = (words: string) => (label ? `${label}: ${words}` : words);
  return (
    <table className="hours">
      <tbody>
        {WEEKDAYS.map((day) => {
          const ranges = hours[day] ?? [];
          const setRanges = (next: Range[]) => onChange({ ...hours, [day]: next });
          return (
            <tr key={day} data-day={day}>
              <th scope="row">{day[0]!.toUpperCase() + day.slice(1)}</th>
              <td>
                {ranges.length === 0 && <span className="muted">Closed </span>}
                {ranges.map((range, index) => (
                  <span key={index} className="range">
                    <input
                      aria-label={named(`${day} opens (range ${index + 1})`)}
                      value={range.open}
                      placeholder="09:00"
                      size={5}
                      disabled={disabled}
                      onChange={(event) => setRanges(ranges.map((r, i) => (i === index ? { ...r, open: event.target.value } : r)))}
                    />
                    –
                    <input
                      aria-label={named(`${day} closes (range ${index + 1})`)}
                      value={range.close}
                      placeholder="17:00"
                      size={5}
                      disabled={disabled}
                      onChange={(event) => setRanges(ranges.map((r, i) => (i === index ? { ...r, close: event.target.value } : r)))}
                    />
                    <button
                      type="button"
                      aria-label={named(`Remove ${day} range ${index + 1}`)}
                      disabled={disabled}
                      onClick={() => setRanges(ranges.filter((_, i) => i !== index))}
                    >
                      ×
                    </button>
                  </span>
                ))}
                <button
                  type="button"
                  aria-label={label ? named(`Add ${day} hours`) : undefined}
                  disabled={disabled}
                  onClick={() => setRanges([...ranges, { open: ranges.length ? '13:00' : '09:00', close: '17:00' }])}
                >
                  Add hours
                </button>
                <FieldProblems problems={problems} path={`${path}.${day}`} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

type ClosureRow = { date?: string; from?: string; to?: string; reason: string };

function ClosuresEditor({ closures, onChange, problems }: { closures: ClosureRow[]; onChange(next: ClosureRow[]): void; problems: Problem[] }) {
  const update = (index: number, field: 'from' | 'to' | 'reason', value: string) =>
    onChange(
      closures.map((closure, i) => {
        if (i !== index) return closure;
        const from = closure.date ?? closure.from ?? '';
        const to = closure.date ?? closure.to ?? '';
        const next = { from, to, reason: closure.reason, [field]: value };
        return next.from === next.to ? { date: next.from, reason: next.reason } : next;
      }),
    );
  return (
    <div>
      {closures.length === 0 && <p className="muted">No closures.</p>}
      {closures.map((closure, index) => (
        <div key={index} className="row closure">
          <label>
            From
            <input type="date" value={closure.date ?? closure.from ?? ''} onChange={(event) => update(index, 'from', event.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={closure.date ?? closure.to ?? ''} onChange={(event) => update(index, 'to', event.target.value)} />
          </label>
          <label className="grow">
            Reason
            <input value={closure.reason} onChange={(event) => update(index, 'reason', event.target.value)} />
          </label>
          <button type="button" onClick={() => onChange(closures.filter((_, i) => i !== index))}>
            Remove
          </button>
          <FieldProblems problems={problems} path={`closures[${index}]`} />
        </div>
      ))}
      <button type="button" onClick={() => onChange([...closures, { date: '', reason: '' }])}>
        Add a closure
      </button>
    </div>
  );
}

interface Column {
  key: string;
  label: string;
  number?: boolean;
  check?: boolean;
  wide?: boolean;
  choices?: Record<string, string>;
}

/** Rows of objects edited field by field (appointment types, transfer bands). */
function ListEditor({
  items,
  path,
  columns,
  onChange,
  blank,
  addLabel,
  problems,
  disabled,
}: {
  items: Array<Record<string, any>>;
  path: string;
  columns: Column[];
  onChange(next: Array<Record<string, any>>): void;
  blank: Record<string, unknown>;
  addLabel: string;
  problems: Problem[];
  disabled?: boolean;
}) {
  const update = (index: number, key: string, value: unknown) => onChange(items.map((item, i) => (i === index ? { ...item, [key]: value } : item)));
  return (
    <div>
      {items.length === 0 && <p className="muted">None.</p>}
      {items.map((item, index) => (
        <div key={index} className="row list-row" data-row={`${path}[${index}]`}>
          {columns.map((column) => (
            <label key={column.key} className={`${column.check ? 'check' : ''} ${column.wide ? 'grow' : ''}`}>
              {!column.check && column.label}
              {column.check ? (
                <input
                  type="checkbox"
                  checked={Boolean(item[column.key])}
                  disabled={disabled}
                  onChange={(event) => update(index, column.key, event.target.checked)}
                />
              ) : column.choices ? (
                <select value={item[column.key] ?? ''} disabled={disabled} onChange={(event) => update(index, column.key, event.target.value)}>
                  {Object.entries(column.choices).map(([value, words]) => (
                    <option key={value} value={value}>
                      {words}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  value={item[column.key] ?? ''}
                  type={column.number ? 'number' : 'text'}
                  disabled={disabled}
                  onChange={(event) =>
                    update(index, column.key, column.number ? (event.target.value === '' ? '' : Number(event.target.value)) : event.target.value)
                  }
                />
              )}
              {column.check && column.label}
              <FieldProblems problems={problems} path={`${path}[${index}].${column.key}`} />
            </label>
          ))}
          <button type="button" disabled={disabled} onClick={() => onChange(items.filter((_, i) => i !== index))}>
            Remove
          </button>
          <FieldProblems problems={problems.filter((problem) => problem.path === `${path}[${index}]`)} path={`${path}[${index}]`} />
        </div>
      ))}
      <button type="button" disabled={disabled} onClick={() => onChange([...items, { ...blank }])}>
        {addLabel}
      </button>
      <FieldProblems problems={problems.filter((problem) => problem.path === path)} path={path} />
    </div>
  );
}
