/**
 * The onboarding wizard (admins): basics, template pack, calendar, texting, e-mail, alerts, Retell and the
 * go-live check, in order. Every step is saved on the server as it is answered, so `/onboarding/<id>` resumes
 * at the first step not done; each step's result is shown, and a 400's problems are shown next to their field.
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { FieldProblems, ProblemList, problemsOf, type Problem } from '../problems';
import { DataState, Link, useApp, useData } from '../shared';
import { HoursEditor } from './Offices';
import { TemplateEditor, type Templates } from './TemplateEditor';

type StepName = 'basics' | 'pack' | 'calendar' | 'texting' | 'email' | 'alerts' | 'retell' | 'golive';

interface StepResult {
  ok: boolean;
  at: string;
  message?: string;
  [key: string]: any;
}

interface OnboardingView {
  id: string;
  slug: string | null;
  answers: Record<string, any>;
  results: Partial<Record<StepName, StepResult>>;
  steps: Array<{ step: StepName; done: boolean; tried: boolean }>;
  finishedAt: string | null;
}

const STEP_WORDS: Record<StepName, string> = {
  basics: 'Basics',
  pack: 'Template pack',
  calendar: 'Calendar',
  texting: 'Texting',
  email: 'E-mail',
  alerts: 'Alerts',
  retell: 'Retell agent',
  golive: 'Go-live check',
};

/** `/onboarding`: earlier onboardings to resume, and the basics form that starts a new one. */
export function Onboarding({ id }: { id?: string }) {
  const app = useApp();
  if (app.user.role !== 'admin')
    return (
      <div className="notice error" role="alert">
        Only an admin can onboard an office.
      </div>
    );
  return id ? <Wizard id={id} /> : <Start />;
}

function Start() {
  const list = useData<{ onboardings: Array<{ id: string; slug: string | null; createdBy: string; createdAt: string; finishedAt: string | null }> }>(
    '/v1/api/onboarding',
  );
  const app = useApp();
  const [createdId, setCreatedId] = useState<string>();
  return (
    <section aria-labelledby="onboarding-title">
      <header className="screen-header">
        <h1 id="onboarding-title">Onboard a new office</h1>
      </header>
      <p className="muted">Eight short steps. Each is saved as you go: you can stop and come back to it from this page.</p>
      <Steps current="basics" />
      <BasicsStep
        answers={{}}
        submitLabel="Start"
        run={async (basics) => {
          // One onboarding per start, even when the basics need fixing first; it is created on the first try.
          const onboardingId = createdId ?? (await api<OnboardingView>('POST', '/v1/api/onboarding', {})).id;
          setCreatedId(onboardingId);
          const view = await api<OnboardingView>('PUT', `/v1/api/onboarding/${onboardingId}/steps/basics`, basics);
          app.navigate(`/onboarding/${onboardingId}`);
          return view;
        }}
      />
      <h2>Onboardings so far</h2>
      <DataState state={list} empty="None yet." isEmpty={(data) => data.onboardings.length === 0}>
        {(data) => (
          <table>
            <thead>
              <tr>
                <th>Office</th>
                <th>Started</th>
                <th>By</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {data.onboardings.map((row) => (
                <tr key={row.id}>
                  <td>
                    <Link to={`/onboarding/${row.id}`}>{row.slug ?? 'not named yet'}</Link>
                  </td>
                  <td>{formatTime(row.createdAt, Intl.DateTimeFormat().resolvedOptions().timeZone, { date: true })}</td>
                  <td>{row.createdBy}</td>
                  <td>{row.finishedAt ? <span className="status status-ok">live</span> : <span className="status status-in_progress">in progress</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </section>
  );
}

function Steps({ current, view, onPick }: { current: StepName; view?: OnboardingView; onPick?(step: StepName): void }) {
  const names = Object.keys(STEP_WORDS) as StepName[];
  return (
    <ol className="steps" aria-label="Steps">
      {names.map((step, index) => {
        const state = view?.steps.find((entry) => entry.step === step);
        const label = `${index + 1}. ${STEP_WORDS[step]}${state?.done ? ' ✓' : state?.tried ? ' !' : ''}`;
        return (
          <li key={step} className={`${step === current ? 'current' : ''} ${state?.done ? 'done' : ''}`} aria-current={step === current ? 'step' : undefined}>
            {onPick && view && (step === 'basics' || view.slug || step === 'pack') ? (
              <button type="button" onClick={() => onPick(step)}>
                {label}
              </button>
            ) : (
              <span>{label}</span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function firstOpen(view: OnboardingView): StepName {
  return view.steps.find((entry) => !entry.done)?.step ?? 'golive';
}

function Wizard({ id }: { id: string }) {
  const loaded = useData<OnboardingView>(`/v1/api/onboarding/${id}`);
  const [view, setView] = useState<OnboardingView>();
  const [step, setStep] = useState<StepName>();
  useEffect(() => {
    if (loaded.data && !view) {
      setView(loaded.data);
      setStep(firstOpen(loaded.data));
    }
  }, [loaded.data, view]);

  /** Runs a step; on success moves to the next step not done. Throws (with problems) on a 400. */
  const runStep = async (name: Exclude<StepName, 'golive'>, body: unknown, advance = true): Promise<OnboardingView & { result: StepResult }> => {
    const next = await api<OnboardingView & { result: StepResult }>('PUT', `/v1/api/onboarding/${id}/steps/${name}`, body);
    setView(next);
    if (advance && next.result.ok) setStep(firstOpen(next));
    return next;
  };

  return (
    <section aria-labelledby="wizard-title">
      <p>
        <Link to="/onboarding">← Onboardings</Link>
      </p>
      <DataState state={loaded} empty="" isEmpty={() => false}>
        {() =>
          !view || !step ? (
            <div className="notice" aria-busy="true">
              Loading…
            </div>
          ) : (
            <>
              <header className="screen-header">
                <h1 id="wizard-title">Onboarding {view.answers.basics?.name ?? ''}</h1>
                {view.slug && <Link to={`/offices/${view.slug}`}>Open the office</Link>}
              </header>
              <Steps current={step} view={view} onPick={setStep} />
              {step === 'basics' && (
                <BasicsStep
                  answers={view.answers.basics ?? {}}
                  result={view.results.basics}
                  submitLabel="Save and continue"
                  run={(basics) => runStep('basics', basics)}
                />
              )}
              {step === 'pack' && <PackStep view={view} run={(body) => runStep('pack', body)} />}
              {step === 'calendar' && <CalendarStep view={view} run={(body) => runStep('calendar', body)} />}
              {step === 'texting' && <TextingStep view={view} run={runStep} />}
              {step === 'email' && <EmailStep view={view} run={(body) => runStep('email', body)} />}
              {step === 'alerts' && <AlertsStep view={view} run={(body) => runStep('alerts', body)} />}
              {step === 'retell' && <RetellStep view={view} run={(body) => runStep('retell', body)} />}
              <Done view={view} current={step} />
              {step === 'golive' && (
                <GoLiveStep
                  view={view}
                  onChecked={(result) =>
                    setView({
                      ...view,
                      results: { ...view.results, golive: result },
                      steps: view.steps.map((entry) => (entry.step === 'golive' ? { ...entry, done: result.ok, tried: true } : entry)),
                    })
                  }
                />
              )}
            </>
          )
        }
      </DataState>
    </section>
  );
}

/** One line per step: what it found or did (what each finished step left behind). */
function summary(step: StepName, result: StepResult): string {
  const outcome = (test: { ok?: boolean; message?: string } | undefined, words: string) =>
    test ? (test.ok ? `${words} ok` : `${words} failed: ${test.message}`) : '';
  switch (step) {
    case 'basics':
      return `time zone ${result.timezone}`;
    case 'pack':
      return `${result.pack}: ${(result.appointmentTypes as string[] | undefined)?.join(', ') ?? ''}`;
    case 'calendar':
      return result.freeBusy?.ok
        ? `free/busy read, ${result.freeBusy.busyBlocks} busy blocks in ${result.freeBusy.days} days`
        : `free/busy failed: ${result.freeBusy?.message}`;
    case 'texting':
      return [result.configured ? `texts from ${result.configured.phoneNumber}` : result.message, outcome(result.testText, 'test text')]
        .filter(Boolean)
        .join('; ');
    case 'email':
      return outcome(result.testEmail, 'test e-mail') || 'saved';
    case 'alerts':
      return result.slackTest ? outcome(result.slackTest, 'Slack test') : `Slack ${result.slack}`;
    case 'retell':
      return result.ok ? `agent ${result.agentId}, tools installed` : String(result.message ?? '');
    case 'golive':
      return result.ok ? 'ready' : 'not ready';
  }
}

function Done({ view, current }: { view: OnboardingView; current: StepName }) {
  const tried = view.steps.filter((entry) => entry.tried && entry.step !== current && view.results[entry.step]);
  if (tried.length === 0) return null;
  return (
    <details className="done-steps" open>
      <summary>Results so far</summary>
      <ul className="plain">
        {tried.map((entry) => (
          <li key={entry.step} data-step={entry.step}>
            <span className={`status status-${entry.done ? 'ok' : 'warning'}`}>{entry.done ? 'done' : 'not done'}</span>{' '}
            <strong>{STEP_WORDS[entry.step]}</strong>: {summary(entry.step, view.results[entry.step]!)}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** A step's frame: what it asks, its form, its problems and its last result. */
function StepForm({
  title,
  intro,
  onSubmit,
  busy,
  submitLabel,
  problems,
  error,
  result,
  children,
  resultView,
}: {
  title: string;
  intro: ReactNode;
  onSubmit(): void;
  busy: boolean;
  submitLabel: string;
  problems: Problem[];
  error?: string;
  result?: StepResult;
  children: ReactNode;
  resultView?: ReactNode;
}) {
  return (
    <form
      className="card wizard-step"
      aria-label={title}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <h2>{title}</h2>
      <div className="muted">{intro}</div>
      {children}
      <div className="save-bar">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Working…' : submitLabel}
        </button>
      </div>
      {error && problems.length === 0 && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      <ProblemList problems={problems} title="Please fix:" />
      {result && (
        <div className={`notice step-result ${result.ok ? 'ok' : 'error'}`} role="status">
          <strong>{result.ok ? 'Done' : 'Not done yet'}</strong>
          {result.message && <> — {result.message}</>}
          {resultView}
        </div>
      )}
    </form>
  );
}

/** Submit state for a step: busy, the error sentence and the problems of a 400. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const submit = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    setProblems([]);
    try {
      await action();
    } catch (failure) {
      setError((failure as Error).message);
      setProblems(problemsOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, problems, submit };
}

/** Leaves out empty optional answers, so "not given" is not sent as "". */
function given<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== '' && value !== undefined)) as Partial<T>;
}

function slugOf(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

interface Proposal {
  timezone: string | null;
  reason: string;
  alternative?: { timezone: string; reason: string };
}

function BasicsStep({
  answers,
  result,
  submitLabel,
  run,
}: {
  answers: Record<string, any>;
  result?: StepResult;
  submitLabel: string;
  run(basics: Record<string, unknown>): Promise<unknown>;
}) {
  const [values, setValues] = useState({
    name: String(answers.name ?? ''),
    slug: String(answers.slug ?? ''),
    address: String(answers.address ?? ''),
    officePhone: String(answers.officePhone ?? ''),
    officeEmail: String(answers.officeEmail ?? ''),
    timezone: String(answers.timezone ?? ''),
    hoursPreset: String(answers.hoursPreset ?? ''),
  });
  const [slugEdited, setSlugEdited] = useState(Boolean(answers.slug));
  const presets = useData<{
    presets: Array<{ id: string; label: string; description: string; businessHours: Record<string, Array<{ open: string; close: string }>> }>;
  }>('/v1/api/hours-presets');
  const [proposal, setProposal] = useState<Proposal>();
  const { busy, error, problems, submit } = useSubmit();

  // The time zone proposed from the address and phone, refreshed as they are typed.
  useEffect(() => {
    if (values.address.trim().length < 5 && !/^\+\d{8,}$/.test(values.officePhone.trim())) return;
    const timer = setTimeout(() => {
      api<Proposal>('POST', '/v1/api/timezone-proposal', given({ address: values.address.trim(), phone: values.officePhone.trim() }))
        .then(setProposal)
        .catch(() => setProposal(undefined));
    }, 400);
    return () => clearTimeout(timer);
  }, [values.address, values.officePhone]);

  const set = (key: keyof typeof values, value: string) =>
    setValues((current) => ({ ...current, [key]: value, ...(key === 'name' && !slugEdited ? { slug: slugOf(value) } : {}) }));
  const preset = presets.data?.presets.find((entry) => entry.id === values.hoursPreset);
  return (
    <StepForm
      title="Basics"
      intro="The office's name, address and contact details. The time zone is proposed from the address; opening hours start from a preset (the template pack's own when you leave it) and can be edited later on the office page."
      onSubmit={() => submit(() => run(given(values)))}
      busy={busy}
      submitLabel={submitLabel}
      problems={problems}
      error={error}
      result={result}
      resultView={result?.timezone ? <p>Time zone {String(result.timezone)}.</p> : undefined}
    >
      <div className="grid">
        <label>
          Office name
          <input value={values.name} onChange={(event) => set('name', event.target.value)} />
          <FieldProblems problems={problems} path="name" />
        </label>
        <label>
          Short name (slug)
          <input
            value={values.slug}
            onChange={(event) => {
              setSlugEdited(true);
              set('slug', event.target.value);
            }}
          />
          <FieldProblems problems={problems} path="slug" />
        </label>
        <label className="wide">
          Postal address
          <input value={values.address} onChange={(event) => set('address', event.target.value)} />
          <FieldProblems problems={problems} path="address" />
        </label>
        <label>
          Office phone
          <input value={values.officePhone} placeholder="+15125550142" onChange={(event) => set('officePhone', event.target.value)} />
          <FieldProblems problems={problems} path="officePhone" />
        </label>
        <label>
          Office e-mail
          <input value={values.officeEmail} onChange={(event) => set('officeEmail', event.target.value)} />
          <FieldProblems problems={problems} path="officeEmail" />
        </label>
        <label>
          Time zone
          <input
            value={values.timezone}
            placeholder={proposal?.timezone ?? 'proposed from the address'}
            onChange={(event) => set('timezone', event.target.value)}
          />
          <FieldProblems problems={problems} path="timezone" />
        </label>
        <label>
          Opening hours
          <select value={values.hoursPreset} onChange={(event) => set('hoursPreset', event.target.value)}>
            <option value="">The template pack's hours</option>
            {presets.data?.presets.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.label}
              </option>
            ))}
          </select>
          <FieldProblems problems={problems} path="hoursPreset" />
        </label>
      </div>
      {proposal && (
        <p className="proposal" data-testid="timezone-proposal">
          {proposal.timezone ? (
            <>
              Proposed time zone: <strong>{proposal.timezone}</strong>, because {proposal.reason}.
            </>
          ) : (
            <>No time zone could be proposed ({proposal.reason}); type one.</>
          )}
          {proposal.alternative && (
            <>
              {' '}
              Or {proposal.alternative.timezone}: {proposal.alternative.reason}.
            </>
          )}
          {values.timezone && proposal.timezone && values.timezone !== proposal.timezone && <> You chose {values.timezone} instead.</>}
        </p>
      )}
      {preset && <p className="muted">{preset.description}</p>}
      {preset && <HoursEditor hours={preset.businessHours} onChange={() => undefined} problems={[]} disabled />}
    </StepForm>
  );
}

interface PackSummary {
  id: string;
  name: string;
  description: string;
  hoursPreset: string;
  appointmentTypes: string[];
}

function PackStep({ view, run }: { view: OnboardingView; run(body: unknown): Promise<unknown> }) {
  const packs = useData<{ packs: PackSummary[] }>('/v1/api/packs');
  const [chosen, setChosen] = useState<string>(view.answers.pack?.pack ?? '');
  const detail = useData<{ office: { templates: Templates } }>(chosen ? `/v1/api/packs/${chosen}` : undefined);
  const [templates, setTemplates] = useState<Templates>();
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!detail.data) return;
    const base = structuredClone(detail.data.office.templates);
    const earlier = view.answers.pack?.pack === chosen ? view.answers.pack?.templates : undefined;
    setTemplates({ sms: { ...base.sms, ...(earlier?.sms ?? {}) }, email: { ...base.email, ...(earlier?.email ?? {}) } });
    setEdited(false);
  }, [detail.data, chosen, view.answers.pack]);
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.pack;
  return (
    <StepForm
      title="Template pack"
      intro="A pack is a trade's ready-made appointment types, booking rules and texts. Choose the closest; you can edit any text here or later."
      onSubmit={() =>
        submit(() => {
          const base = detail.data?.office.templates;
          // Only the texts that differ from the pack's are sent, so the pack's own stay the reference.
          const changed = (channel: 'sms' | 'email') =>
            Object.fromEntries(
              Object.entries(templates?.[channel] ?? {}).filter(([kind, value]) => JSON.stringify(value) !== JSON.stringify(base?.[channel]?.[kind])),
            );
          const sms = changed('sms');
          const email = changed('email');
          const edits =
            Object.keys(sms).length || Object.keys(email).length
              ? { templates: { ...(Object.keys(sms).length ? { sms } : {}), ...(Object.keys(email).length ? { email } : {}) } }
              : {};
          return run({ pack: chosen, ...edits });
        })
      }
      busy={busy}
      submitLabel="Use this pack and continue"
      problems={problems}
      error={error}
      result={result}
      resultView={result?.appointmentTypes ? <p>Appointment types: {(result.appointmentTypes as string[]).join(', ')}.</p> : undefined}
    >
      <DataState state={packs} empty="No template packs are installed." isEmpty={(data) => data.packs.length === 0}>
        {(data) => (
          <fieldset className="choices">
            <legend>Packs</legend>
            {data.packs.map((pack) => (
              <label key={pack.id} className={`choice ${chosen === pack.id ? 'chosen' : ''}`}>
                <span className="choice-head">
                  <input type="radio" name="pack" value={pack.id} checked={chosen === pack.id} onChange={() => setChosen(pack.id)} />{' '}
                  <strong>{pack.name}</strong>
                </span>
                <span className="muted">{pack.description}</span>
                <span>Appointment types: {pack.appointmentTypes.join(', ')}</span>
              </label>
            ))}
          </fieldset>
        )}
      </DataState>
      <FieldProblems problems={problems} path="pack" />
      {chosen && templates && (
        <>
          <h3>The pack's messages {edited && <span className="muted">(edited)</span>}</h3>
          <TemplateEditor
            templates={templates}
            onChange={(next) => {
              setTemplates(next);
              setEdited(true);
            }}
            scope={{ pack: chosen }}
            problems={problems}
          />
        </>
      )}
    </StepForm>
  );
}

const CALENDAR_CHOICES = [
  { id: 'zoho', name: 'Zoho Calendar', connect: "the office's Zoho account (Calendar and CRM, in Zoho's own sign-in page)" },
  { id: 'google', name: 'Google Calendar', connect: "the office's Google account (Google's sign-in page; pick the account whose calendar takes bookings)" },
  { id: 'microsoft', name: 'Microsoft 365 (Outlook)', connect: "the office's Microsoft 365 mailbox (Microsoft's sign-in page; a work or school account)" },
] as const;
const CRM_CHOICES = [
  { id: 'zoho', name: 'Zoho CRM' },
  { id: 'hubspot', name: 'HubSpot (private app token, set under Offices → secrets)' },
  { id: 'none', name: 'No CRM' },
] as const;

function CalendarStep({ view, run }: { view: OnboardingView; run(body: unknown): Promise<unknown> }) {
  const saved = (view.answers.calendar ?? {}) as { provider?: string; crmProvider?: string; calendarId?: string };
  const [provider, setProvider] = useState<string>(saved.provider ?? 'zoho');
  const [crmProvider, setCrmProvider] = useState<string>(saved.crmProvider ?? 'zoho');
  // The list is the saved provider's: a new choice is saved first ("Save and connect"), then its calendars load.
  const savedProvider = saved.provider ?? 'zoho';
  const calendars = useData<{ calendars: Array<{ id: string; name: string; timezone?: string; isDefault: boolean }> }>(
    `/v1/api/onboarding/${view.id}/calendars?provider=${savedProvider}`,
  );
  const [chosen, setChosen] = useState<string>(saved.calendarId ?? '');
  useEffect(() => {
    const list = calendars.data?.calendars;
    if (chosen || !list?.length) return;
    // The office's own calendar when the account has one of that name, else the account's default.
    setChosen((list.find((entry) => entry.id === `${view.slug}-appointments`) ?? list.find((entry) => entry.isDefault) ?? list[0]!).id);
  }, [calendars.data, chosen, view.slug]);
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.calendar;
  const freeBusy = result?.freeBusy as { ok: boolean; busyBlocks?: number; days?: number; message?: string } | undefined;
  const choice = CALENDAR_CHOICES.find((entry) => entry.id === provider) ?? CALENDAR_CHOICES[0];
  const changed = provider !== savedProvider || crmProvider !== (saved.crmProvider ?? 'zoho');
  return (
    <StepForm
      title="Calendar"
      intro="Where appointments are booked (Zoho Calendar, Google Calendar or Microsoft 365) and which CRM records callers; the two are chosen independently. Switchboard reads the calendar's free/busy times to offer only open slots."
      onSubmit={() => submit(() => (changed ? run({ provider, crmProvider }) : run({ provider, crmProvider, calendarId: chosen })))}
      busy={busy}
      submitLabel={changed ? 'Save the choice' : 'Use this calendar and continue'}
      problems={problems}
      error={error}
      result={result}
      resultView={
        freeBusy ? (
          <p>
            {freeBusy.ok
              ? `Free/busy read for the next ${freeBusy.days} days: ${freeBusy.busyBlocks} busy ${freeBusy.busyBlocks === 1 ? 'block' : 'blocks'}.`
              : `Free/busy could not be read: ${freeBusy.message}`}
          </p>
        ) : typeof result?.message === 'string' ? (
          <p>{result.message}</p>
        ) : undefined
      }
    >
      <fieldset className="choices">
        <legend>Calendar provider</legend>
        {CALENDAR_CHOICES.map((entry) => (
          <label key={entry.id} className={`choice ${provider === entry.id ? 'chosen' : ''}`}>
            <span className="choice-head">
              <input type="radio" name="calendar-provider" value={entry.id} checked={provider === entry.id} onChange={() => setProvider(entry.id)} />{' '}
              <strong>{entry.name}</strong>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset className="choices">
        <legend>CRM</legend>
        {CRM_CHOICES.map((entry) => (
          <label key={entry.id} className={`choice ${crmProvider === entry.id ? 'chosen' : ''}`}>
            <span className="choice-head">
              <input type="radio" name="crm-provider" value={entry.id} checked={crmProvider === entry.id} onChange={() => setCrmProvider(entry.id)} />{' '}
              <strong>{entry.name}</strong>
            </span>
          </label>
        ))}
      </fieldset>
      {changed ? (
        <p className="muted">Save the choice, then connect {choice.name} and pick the calendar appointments go into.</p>
      ) : (
        <>
          <p className="muted">
            Not connected yet, or the wrong account?{' '}
            <a href={`/v1/oauth/${provider}/start?client=${encodeURIComponent(view.slug ?? '')}`}>Connect {choice.connect}</a>, then come back here. In demo
            mode the emulator is connected already.
          </p>
          <DataState
            state={calendars}
            empty={`The ${choice.name} account has no calendars. Make one there, then reload.`}
            isEmpty={(data) => data.calendars.length === 0}
          >
            {(data) => (
              <fieldset className="choices">
                <legend>Calendars of the connected {choice.name} account</legend>
                {data.calendars.map((calendar) => (
                  <label key={calendar.id} className={`choice ${chosen === calendar.id ? 'chosen' : ''}`}>
                    <span className="choice-head">
                      <input type="radio" name="calendar" value={calendar.id} checked={chosen === calendar.id} onChange={() => setChosen(calendar.id)} />{' '}
                      <strong>{calendar.name}</strong>
                      {calendar.isDefault && <span className="muted"> (default)</span>}
                    </span>
                    <span className="muted">
                      {calendar.id}
                      {calendar.timezone ? ` · ${calendar.timezone}` : ''}
                    </span>
                  </label>
                ))}
              </fieldset>
            )}
          </DataState>
        </>
      )}
      <FieldProblems problems={problems} path="calendarId" />
    </StepForm>
  );
}

const A2P_NOTE =
  'US carriers filter business texts from a local number unless it has an approved A2P 10DLC campaign. Register the campaign in the Twilio console (it takes days). Until an admin marks it approved on the office page, marketing texts are held; confirmations and reminders go out.';

function TextingStep({ view, run }: { view: OnboardingView; run(step: 'texting', body: unknown, advance?: boolean): Promise<{ result: StepResult }> }) {
  const [values, setValues] = useState({ accountSid: '', authToken: '', phoneNumber: view.answers.texting?.phoneNumber ?? '', testTo: '' });
  const listed = useSubmit();
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.texting;
  const numbers = (result?.numbers ?? []) as Array<{ phoneNumber: string; name: string; sms: boolean }>;
  const credentials = given({ accountSid: values.accountSid.trim(), authToken: values.authToken.trim() });
  const list = () => listed.submit(() => run('texting', credentials, false));
  // The account's numbers, read once with the credentials the office has (its own, the environment's or the emulator's).
  useEffect(() => {
    if (numbers.length === 0) void list();
    // Only on entering the step.
  }, []);
  const set = (key: keyof typeof values, value: string) => setValues((current) => ({ ...current, [key]: value }));
  return (
    <StepForm
      title="Texting"
      intro="The Twilio number texts come from. Switchboard checks the account, points the number's incoming texts here, and can send you a test text."
      onSubmit={() => submit(() => run('texting', { ...credentials, ...given({ phoneNumber: values.phoneNumber, testTo: values.testTo.trim() }) }))}
      busy={busy}
      submitLabel="Use this number and continue"
      problems={[...listed.problems, ...problems]}
      error={error ?? listed.error}
      result={result?.numbers && !result.ok && !result.testText && !result.configured ? undefined : result}
      resultView={
        result && (
          <>
            {result.configured && <p>Incoming texts to {String(result.configured.phoneNumber)} now come to Switchboard.</p>}
            {result.testText && <p>{result.testText.ok ? 'Test text sent.' : `Test text failed: ${result.testText.message}`}</p>}
          </>
        )
      }
    >
      <p className="a2p-note">
        <strong>A2P 10DLC:</strong> {String(result?.a2p ?? A2P_NOTE)}
      </p>
      <details>
        <summary>Use this office's own Twilio account (optional)</summary>
        <div className="grid">
          <label>
            Account SID
            <input value={values.accountSid} autoComplete="off" onChange={(event) => set('accountSid', event.target.value)} />
            <FieldProblems problems={[...listed.problems, ...problems]} path="accountSid" />
          </label>
          <label>
            Auth token
            <input type="password" autoComplete="new-password" value={values.authToken} onChange={(event) => set('authToken', event.target.value)} />
            <FieldProblems problems={[...listed.problems, ...problems]} path="authToken" />
          </label>
        </div>
        <button type="button" onClick={list} disabled={listed.busy}>
          Check and list the numbers
        </button>
      </details>
      {listed.busy && <p aria-busy="true">Reading the account's numbers…</p>}
      {numbers.length > 0 && (
        <fieldset className="choices">
          <legend>Numbers of the account</legend>
          {numbers.map((number) => (
            <label key={number.phoneNumber} className={`choice ${values.phoneNumber === number.phoneNumber ? 'chosen' : ''}`}>
              <span className="choice-head">
                <input
                  type="radio"
                  name="phoneNumber"
                  value={number.phoneNumber}
                  checked={values.phoneNumber === number.phoneNumber}
                  disabled={!number.sms}
                  onChange={() => set('phoneNumber', number.phoneNumber)}
                />{' '}
                <strong>{number.phoneNumber}</strong>
              </span>
              <span className="muted">
                {number.name}
                {number.sms ? '' : ' · cannot send texts'}
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <FieldProblems problems={problems} path="phoneNumber" />
      <div className="grid">
        <label>
          Send a test text to (optional, your phone)
          <input value={values.testTo} placeholder="+15125550199" onChange={(event) => set('testTo', event.target.value)} />
          <FieldProblems problems={problems} path="testTo" />
        </label>
      </div>
    </StepForm>
  );
}

function EmailStep({ view, run }: { view: OnboardingView; run(body: unknown): Promise<unknown> }) {
  const [values, setValues] = useState({ smtpUrl: '', from: view.answers.email?.from ?? '', testTo: '' });
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.email;
  const set = (key: keyof typeof values, value: string) => setValues((current) => ({ ...current, [key]: value }));
  const basics = view.answers.basics ?? {};
  return (
    <StepForm
      title="E-mail"
      intro="How e-mail leaves: the office's SMTP server (optional; the server's own is used otherwise) and the sender callers see."
      onSubmit={() => submit(() => run(given({ smtpUrl: values.smtpUrl.trim(), from: values.from.trim(), testTo: values.testTo.trim() })))}
      busy={busy}
      submitLabel="Save and continue"
      problems={problems}
      error={error}
      result={result}
      resultView={result?.testEmail && <p>{result.testEmail.ok ? 'Test e-mail sent.' : `Test e-mail failed: ${result.testEmail.message}`}</p>}
    >
      <div className="grid">
        <label className="wide">
          SMTP URL (optional, write-only)
          <input
            type="password"
            autoComplete="new-password"
            value={values.smtpUrl}
            placeholder="smtps://user:password@smtp.example.com:465"
            onChange={(event) => set('smtpUrl', event.target.value)}
          />
          <FieldProblems problems={problems} path="smtpUrl" />
        </label>
        <label>
          From (optional)
          <input
            value={values.from}
            placeholder={`${basics.name ?? 'Office'} <${basics.officeEmail ?? 'office@example.com'}>`}
            onChange={(event) => set('from', event.target.value)}
          />
          <FieldProblems problems={problems} path="from" />
        </label>
        <label>
          Send a test e-mail to (optional)
          <input value={values.testTo} onChange={(event) => set('testTo', event.target.value)} />
          <FieldProblems problems={problems} path="testTo" />
        </label>
      </div>
    </StepForm>
  );
}

function AlertsStep({ view, run }: { view: OnboardingView; run(body: unknown): Promise<unknown> }) {
  const [url, setUrl] = useState('');
  const [test, setTest] = useState(true);
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.alerts;
  return (
    <StepForm
      title="Alerts"
      intro="Where problems are reported: a Slack channel (optional). Alerts also go by e-mail to the office's admins and appear in the dashboard."
      onSubmit={() => submit(() => run({ ...given({ slackWebhookUrl: url.trim() }), test }))}
      busy={busy}
      submitLabel="Save and continue"
      problems={problems}
      error={error}
      result={result}
      resultView={
        result && (
          <p>
            {result.slackTest
              ? result.slackTest.ok
                ? 'Test message posted to Slack.'
                : `Slack test failed: ${result.slackTest.message}`
              : `Slack: ${result.slack}`}
          </p>
        )
      }
    >
      <div className="grid">
        <label className="wide">
          Slack incoming-webhook URL (optional, write-only)
          <input
            type="password"
            autoComplete="new-password"
            value={url}
            placeholder="https://hooks.slack.com/services/…"
            onChange={(event) => setUrl(event.target.value)}
          />
          <FieldProblems problems={problems} path="slackWebhookUrl" />
        </label>
        <label className="check">
          <input type="checkbox" checked={test} onChange={(event) => setTest(event.target.checked)} /> Post a test message
        </label>
      </div>
    </StepForm>
  );
}

function RetellStep({ view, run }: { view: OnboardingView; run(body: unknown): Promise<unknown> }) {
  const [values, setValues] = useState({ apiKey: '', agentId: view.answers.retell?.agentId ?? '' });
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.retell;
  const agents = (result?.agents ?? []) as Array<{ agentId: string; name?: string; agentName?: string }>;
  const set = (key: keyof typeof values, value: string) => setValues((current) => ({ ...current, [key]: value }));
  return (
    <StepForm
      title="Retell agent"
      intro="The Retell voice agent that answers the office's number. Switchboard installs its tools (booking, caller memory, transfers) on the agent and points the number at it. In demo mode an agent is made for you."
      onSubmit={() => submit(() => run(given({ apiKey: values.apiKey.trim(), agentId: values.agentId.trim() })))}
      busy={busy}
      submitLabel="Connect the agent and continue"
      problems={problems}
      error={error}
      result={result}
      resultView={
        result?.ok && (
          <p>
            Agent {String(result.agentId)}: {Array.isArray(result.tools) ? `${result.tools.length} tools installed` : 'tools installed'}.
          </p>
        )
      }
    >
      <div className="grid">
        <label>
          Retell API key (optional, write-only)
          <input type="password" autoComplete="new-password" value={values.apiKey} onChange={(event) => set('apiKey', event.target.value)} />
          <FieldProblems problems={problems} path="apiKey" />
        </label>
        {agents.length > 0 ? (
          <label>
            Agent
            <select value={values.agentId} onChange={(event) => set('agentId', event.target.value)}>
              <option value="">Choose…</option>
              {agents.map((agent) => (
                <option key={agent.agentId} value={agent.agentId}>
                  {agent.agentName ?? agent.name ?? agent.agentId}
                </option>
              ))}
            </select>
            <FieldProblems problems={problems} path="agentId" />
          </label>
        ) : (
          <label>
            Agent id (optional)
            <input value={values.agentId} placeholder="agent_…" onChange={(event) => set('agentId', event.target.value)} />
            <FieldProblems problems={problems} path="agentId" />
          </label>
        )}
      </div>
    </StepForm>
  );
}

interface ReadinessItem {
  item: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

function GoLiveStep({ view, onChecked }: { view: OnboardingView; onChecked(result: StepResult): void }) {
  const { busy, error, problems, submit } = useSubmit();
  const result = view.results.golive;
  const items = (result?.items ?? []) as ReadinessItem[];
  return (
    <>
      <StepForm
        title="Go-live check"
        intro="Checks everything once more: the office is served, each vendor test passed, the readiness checks, and (in demo mode) a simulated call that books an appointment."
        onSubmit={() =>
          submit(async () => {
            const checked = await api<{ ready: boolean; items: ReadinessItem[] }>('POST', `/v1/api/onboarding/${view.id}/golive`, {});
            onChecked({ ok: checked.ready, at: new Date().toISOString(), items: checked.items });
          })
        }
        busy={busy}
        submitLabel={result ? 'Check again' : 'Run the go-live check'}
        problems={problems}
        error={error}
      >
        {result && (
          <>
            <p className={result.ok ? 'ready' : 'error-text'} role="status" data-testid="golive-verdict">
              {result.ok ? 'Ready to go live.' : 'Not ready yet: fix the items marked below.'}
            </p>
            <ul className="readiness plain">
              {items.map((item) => (
                <li key={item.item} className={item.ok ? 'ok' : 'bad'}>
                  <span className={`status status-${item.ok ? 'ok' : item.item === 'A2P 10DLC campaign' ? 'warning' : 'failed'}`}>
                    {item.ok ? 'ok' : item.item === 'A2P 10DLC campaign' ? 'later' : 'fix'}
                  </span>{' '}
                  <strong>{item.item}</strong>: {item.detail}
                  {item.fix && <div className="muted">To fix: {item.fix}</div>}
                </li>
              ))}
            </ul>
          </>
        )}
      </StepForm>
      {view.slug && (
        <div className="card">
          <h2>For setting up Retell by hand</h2>
          <RetellTools slug={view.slug} />
        </div>
      )}
    </>
  );
}

/** The office's Retell tool definitions and prompt snippet, to paste into Retell's dashboard. */
export function RetellTools({ slug }: { slug: string }) {
  const tools = useData<{ tools: unknown[]; webhookUrl: string; inboundWebhookUrl: string; prompt: string }>(`/v1/api/offices/${slug}/retell-tools`);
  return (
    <DataState state={tools} empty="" isEmpty={() => false}>
      {(data) => (
        <div className="retell-tools">
          <p>
            Webhook URL: <code>{data.webhookUrl}</code>
            <br />
            Inbound webhook URL: <code>{data.inboundWebhookUrl}</code>
          </p>
          <Copyable label="Tools (JSON)" text={JSON.stringify(data.tools, null, 2)} />
          <Copyable label="Prompt snippet" text={data.prompt} />
        </div>
      )}
    </DataState>
  );
}

function Copyable({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="copyable">
      <div className="row copy-head">
        <label htmlFor={id}>{label}</label>
        <button
          type="button"
          onClick={() =>
            navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : `Copy ${label.toLowerCase()}`}
        </button>
      </div>
      <textarea id={id} readOnly rows={8} value={text} className="json" onFocus={(event) => event.target.select()} />
    </div>
  );
}
