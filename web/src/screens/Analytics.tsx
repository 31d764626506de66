/**
 * Analytics: one office's figures (headlines, funnel, calls and sentiment over time, busiest hours, follow-ups,
 * quality) or, for "All offices", the table that compares offices with the previous period. Every chart has its
 * table and a CSV link; lines differ by dash pattern and every figure is also written out, so nothing relies on
 * colour alone. Days are the office's own.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, query } from '../api';
import { formatDuration } from '../format';
import { DataState, useAction, useApp, useData, type Loaded } from '../shared';
import { CALL_SENTIMENTS, type OfficeSummary, type Series } from '../../../src/shared/analytics';

type Preset = 'this_week' | 'last_7' | 'last_30' | 'last_90' | 'tax_season' | 'custom';
const PRESETS: Array<[Preset, string]> = [
  ['this_week', 'This week'],
  ['last_7', 'Last 7 days'],
  ['last_30', 'Last 30 days'],
  ['last_90', 'Last 90 days'],
  ['tax_season', 'This tax season'],
  ['custom', 'Custom'],
];

function todayIn(zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
function rangeOf(preset: Preset, zone: string, custom: { from: string; to: string }): { from: string; to: string } {
  const today = todayIn(zone);
  switch (preset) {
    case 'this_week': {
      const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
      return { from: addDays(today, -weekday), to: today };
    }
    case 'last_30':
      return { from: addDays(today, -29), to: today };
    case 'last_90':
      return { from: addDays(today, -89), to: today };
    case 'tax_season': {
      // US filing season: January 1 to the April 15 deadline.
      const year = today.slice(0, 4);
      const deadline = `${year}-04-15`;
      return { from: `${year}-01-01`, to: today < deadline ? today : deadline };
    }
    case 'custom':
      return custom.from && custom.to ? custom : { from: addDays(today, -6), to: today };
    default:
      return { from: addDays(today, -6), to: today };
  }
}

const count = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 0 });
const share = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const money = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });

interface Agency {
  from: string;
  to: string;
  previous: { from: string; to: string };
  headlines: Array<{ key: string; label: string; kind: 'count' | 'rate' }>;
  offices: Array<{
    client: string;
    name: string;
    figures: Record<string, number | null>;
    previous: Record<string, number | null>;
    change: Record<string, number | null>;
  }>;
}

const METRIC_LABELS: Record<string, string> = {
  'calls.total': 'Calls',
  'calls.conversations': 'Conversations',
  'calls.abandoned': 'Abandoned / short',
  'calls.after_hours': 'After hours',
  'sentiment.positive': 'Positive',
  'sentiment.neutral': 'Neutral',
  'sentiment.negative': 'Negative',
  'sentiment.unknown': 'Unknown',
};
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const STROKES = ['#1f5fbf', '#1c7c3c', '#b3261e', '#5b6575'];

function LineChart({ series, title }: { series: Series; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const labels = series.buckets.map((bucket) => bucket.start);
    const data: uPlot.AlignedData = [
      labels.map((_, index) => index),
      ...series.metrics.map((metric) => series.buckets.map((bucket) => bucket.values[metric] ?? 0)),
    ];
    const plot = new uPlot(
      {
        title,
        width: Math.max(320, element.clientWidth),
        height: 240,
        scales: { x: { time: false } },
        // Whole buckets only on the x axis: its ticks are indexes into the labels.
        axes: [{ incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 30, 48, 60, 90], values: (_u, ticks) => ticks.map((tick) => labels[Math.round(tick)] ?? '') }, {}],
        series: [
          { label: series.bucket },
          ...series.metrics.map((metric, index) => ({
            label: METRIC_LABELS[metric] ?? metric,
            stroke: STROKES[index % STROKES.length],
            dash: DASHES[index % DASHES.length],
            width: 2,
          })),
        ],
      },
      data,
      element,
    );
    return () => plot.destroy();
  }, [series, title]);
  return <div ref={box} className="chart" role="img" aria-label={`${title}: chart; the same numbers are in the table below`} />;
}

function SeriesTable({ series, caption }: { series: Series; caption: string }) {
  return (
    <details className="chart-table">
      <summary>{caption} as a table</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">
              {series.bucket === 'hour'
                ? 'Hour starting'
                : series.bucket === 'day'
                  ? 'Day'
                  : `${series.bucket[0]!.toUpperCase()}${series.bucket.slice(1)} starting`}
            </th>
            {series.metrics.map((metric) => (
              <th scope="col" key={metric}>
                {METRIC_LABELS[metric] ?? metric}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {series.buckets.map((bucket) => (
            <tr key={bucket.start}>
              <td>{bucket.start}</td>
              {series.metrics.map((metric) => (
                <td key={metric}>{count(bucket.values[metric] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function CsvLink({ path, label }: { path: string; label: string }) {
  return (
    <a className="button csv" href={`${path}${path.includes('?') ? '&' : '?'}format=csv`} download>
      {label} (CSV)
    </a>
  );
}

/** One series over time: its chart, the same numbers as a table, and its CSV (nothing relies on the chart alone). */
function SeriesSection({
  heading,
  title,
  caption = heading,
  state,
  path,
}: {
  heading: string;
  title: string;
  caption?: string;
  state: Loaded<Series>;
  path: string;
}) {
  return (
    <>
      <h2>{heading}</h2>
      <DataState state={state} empty="No calls." isEmpty={() => false}>
        {(series) => (
          <>
            <LineChart series={series} title={title} />
            <SeriesTable series={series} caption={caption} />
            <CsvLink path={path} label={caption} />
          </>
        )}
      </DataState>
    </>
  );
}

/** A small table of named figures, each row a label and its value. */
function FigureTable({ caption, rows }: { caption: string; rows: Array<[string, string]> }) {
  return (
    <table>
      <caption>{caption}</caption>
      <tbody>
        {rows.map(([label, value]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Funnel({ summary }: { summary: OfficeSummary }) {
  const steps = summary.funnel.steps;
  const top = Math.max(1, steps[0]!.count);
  return (
    <figure className="funnel">
      <svg
        viewBox={`0 0 400 ${steps.length * 34}`}
        width="100%"
        role="img"
        aria-label="Funnel from calls to held appointments; the numbers are in the table beside it"
      >
        {steps.map((step, index) => (
          <g key={step.key} transform={`translate(0 ${index * 34})`}>
            <rect
              x="0"
              y="4"
              width={Math.max(2, (step.count / top) * 260)}
              height="24"
              fill={step.key === 'no_show' ? '#f0b8b4' : '#9dbbe8'}
              stroke="#1d2430"
              strokeDasharray={step.key === 'no_show' ? '4 2' : undefined}
            />
            <text x="268" y="21" fontSize="13">
              {step.label}: {count(step.count)}
            </text>
          </g>
        ))}
      </svg>
      <table>
        <caption>Funnel</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Count</th>
            <th scope="col">Of the step before</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step) => (
            <tr key={step.key} data-figure={`funnel.${step.key}`}>
              <th scope="row">{step.label}</th>
              <td>{count(step.count)}</td>
              <td>{step.key === 'no_show' ? `${share(step.rateFromPrevious)} of booked` : share(step.rateFromPrevious)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Not marked, appointment over (unknown)</th>
            <td>{count(summary.funnel.unknown)}</td>
            <td />
          </tr>
          <tr>
            <th scope="row">Still to come</th>
            <td>{count(summary.funnel.upcoming)}</td>
            <td />
          </tr>
          <tr>
            <th scope="row">Booked value / held value</th>
            <td colSpan={2}>
              {money(summary.funnel.bookedValue)} / {money(summary.funnel.heldValue)}
            </td>
          </tr>
        </tbody>
      </table>
    </figure>
  );
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function HeatMap({ heatmap }: { heatmap: number[][] }) {
  const most = Math.max(1, ...heatmap.flat());
  return (
    <table className="heatmap">
      <caption>Busiest hours: calls by weekday and hour (office time)</caption>
      <thead>
        <tr>
          <th scope="col">Day</th>
          {Array.from({ length: 24 }, (_, hour) => (
            <th scope="col" key={hour}>
              {hour}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {heatmap.map((hours, weekday) => (
          <tr key={weekday}>
            <th scope="row">{WEEKDAYS[weekday]}</th>
            {hours.map((value, hour) => (
              <td key={hour} className={`heat-${Math.ceil((value / most) * 4)}`}>
                {value || ''}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function bucketFor(range: { from: string; to: string }): 'hour' | 'day' | 'week' {
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
  return days <= 2 ? 'hour' : days <= 92 ? 'day' : 'week';
}

function OfficeAnalytics({ office, range }: { office: string; range: { from: string; to: string } }) {
  const summaryPath = `/v1/api/analytics/summary${query({ client: office, ...range })}`;
  const bucket = bucketFor(range);
  const callsPath = `/v1/api/analytics/series${query({ client: office, ...range, bucket, metric: 'calls' })}`;
  const sentimentPath = `/v1/api/analytics/series${query({ client: office, ...range, bucket, metric: 'sentiment' })}`;
  const live = ['call.', 'appointment.', 'outbox.', 'callback.', 'error.'];
  const summary = useData<OfficeSummary>(summaryPath, live);
  const calls = useData<Series>(callsPath, live);
  const sentiment = useData<Series>(sentimentPath, live);
  return (
    <DataState state={summary} empty="" isEmpty={() => false}>
      {(data) => (
        <>
          <p className="zone-note">
            {data.from} to {data.to}, days and hours in {data.zone} (the office's time zone). <CsvLink path={summaryPath} label="All figures" />
          </p>
          <dl className="headlines">
            {(
              [
                ['calls.total', 'Calls', count(data.calls.total)],
                ['calls.conversations', 'Conversations', count(data.calls.conversations)],
                ['funnel.booked', 'Booked', count(data.funnel.steps[3]!.count)],
                ['funnel.held', 'Held', count(data.funnel.steps[4]!.count)],
                ['funnel.show_rate', 'Show rate (held of marked)', share(data.funnel.showRate)],
                ['calls.after_hours_share', 'After hours', share(data.calls.afterHoursShare)],
                ['calls.abandoned', 'Abandoned / short', count(data.calls.abandoned)],
                ['calls.transfers', 'Transfers', count(data.calls.transfers)],
                ['calls.first_time', 'First-time / returning', `${count(data.calls.firstTime)} / ${count(data.calls.returning)}`],
                ['calls.duration', 'Average / p90 length', `${formatDuration(data.calls.averageDurationMs)} / ${formatDuration(data.calls.p90DurationMs)}`],
              ] as const
            ).map(([key, label, value]) => (
              <div key={key} className="headline" data-figure={key}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          <h2>Funnel</h2>
          <Funnel summary={data} />
          <SeriesSection heading="Calls over time" title="Calls" state={calls} path={callsPath} />
          <SeriesSection heading="Caller sentiment" title="Sentiment" caption="Sentiment over time" state={sentiment} path={sentimentPath} />
          <h2>Busiest hours</h2>
          <HeatMap heatmap={data.heatmap} />
          <div className="grid">
            <FigureTable
              caption="Follow-ups"
              rows={[
                [
                  'Texts sent / delivered / failed',
                  `${count(data.followUps.sms.sent)} / ${count(data.followUps.sms.delivered)} / ${count(data.followUps.sms.failed)}`,
                ],
                [
                  'E-mails sent / accepted / failed',
                  `${count(data.followUps.email.sent)} / ${count(data.followUps.email.delivered)} / ${count(data.followUps.email.failed)}`,
                ],
                [
                  'Opt-outs (text / spoken / other)',
                  `${count(data.followUps.optOuts.total)} (${data.followUps.optOuts.text} / ${data.followUps.optOuts.spoken} / ${data.followUps.optOuts.other})`,
                ],
                ['Replies', count(data.followUps.replies)],
                [
                  'Nurtured callers booked within 14 days',
                  `${count(data.followUps.nurture.bookedWithin14Days)} of ${count(data.followUps.nurture.customers)} (${share(data.followUps.nurture.rate)})`,
                ],
                [
                  'Show rate with / without a reminder',
                  `${share(data.followUps.reminders.reminded.showRate)} / ${share(data.followUps.reminders.notReminded.showRate)}`,
                ],
              ]}
            />
            <FigureTable
              caption="Quality"
              rows={[
                ['Sentiment (positive / neutral / negative / unknown)', CALL_SENTIMENTS.map((key) => count(data.quality.sentiment[key])).join(' / ')],
                [
                  'Callbacks done before their deadline',
                  `${count(data.quality.callbacks.doneInTime)} of ${count(data.quality.callbacks.created)} (${share(data.quality.callbacks.rate)})`,
                ],
                ['Errors', count(data.quality.errors)],
                ['Top intents', data.quality.topIntents.length ? data.quality.topIntents.map((entry) => `${entry.intent} (${entry.count})`).join(', ') : '—'],
                [
                  'Caller needs',
                  data.quality.needs.length ? data.quality.needs.map((entry) => `${entry.need.replace(/_/g, ' ')} (${entry.count})`).join(', ') : '—',
                ],
              ]}
            />
          </div>
        </>
      )}
    </DataState>
  );
}

function AgencyTable({ range }: { range: { from: string; to: string } }) {
  const path = `/v1/api/analytics/summary${query(range)}`;
  const state = useData<Agency>(path, ['call.', 'appointment.']);
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: 'calls', descending: true });
  return (
    <DataState state={state} empty="No offices." isEmpty={(data) => data.offices.length === 0}>
      {(data) => {
        const format = (kind: string, value: number | null) => (value === null ? '—' : kind === 'rate' ? share(value) : count(value));
        const change = (kind: string, value: number | null) =>
          value === null || value === 0
            ? '±0'
            : `${value > 0 ? '▲ +' : '▼ −'}${kind === 'rate' ? `${Math.abs(value * 100).toFixed(1)} pts` : count(Math.abs(value))}`;
        const rows = [...data.offices].sort((a, b) => {
          const left = sort.key === 'name' ? a.name : (a.figures[sort.key] ?? -Infinity);
          const right = sort.key === 'name' ? b.name : (b.figures[sort.key] ?? -Infinity);
          const order = left < right ? -1 : left > right ? 1 : 0;
          return sort.descending ? -order : order;
        });
        const header = (key: string, label: string) => (
          <th scope="col" key={key} aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
            <button className="link" onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : true })}>
              {label}
              {sort.key === key ? (sort.descending ? ' ↓' : ' ↑') : ''}
            </button>
          </th>
        );
        return (
          <>
            <p className="zone-note">
              {data.from} to {data.to} in each office's own days, against {data.previous.from} to {data.previous.to}. <CsvLink path={path} label="Offices" />
            </p>
            <div className="table-scroll">
              <table className="agency">
                <thead>
                  <tr>
                    {header('name', 'Office')}
                    {data.headlines.map((headline) => header(headline.key, headline.label))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.client} data-office={row.client}>
                      <th scope="row">{row.name}</th>
                      {data.headlines.map((headline) => (
                        <td key={headline.key} data-figure={headline.key}>
                          {format(headline.kind, row.figures[headline.key] ?? null)}
                          <span className="change"> {change(headline.kind, row.change[headline.key] ?? null)}</span>
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        );
      }}
    </DataState>
  );
}

/** The signed-in user's weekly digest e-mail, on or off (audited on the server). */
function DigestSwitch() {
  const state = useData<{ enabled: boolean }>('/v1/api/me/digest');
  const action = useAction();
  if (!state.data) return null;
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={state.data.enabled}
        disabled={action.busy}
        onChange={async (event) => {
          const enabled = event.target.checked;
          if (await action.run(() => api('PUT', '/v1/api/me/digest', { enabled }))) state.reload();
        }}
      />
      E-mail me the weekly digest (Mondays 08:00 office time)
      {action.error && (
        <span className="error-text" role="alert">
          {' '}
          {action.error}
        </span>
      )}
    </label>
  );
}

export function Analytics() {
  const app = useApp();
  const [office, setOffice] = useState(app.clientId || (app.clients.length === 1 ? app.clients[0]!.id : ''));
  const [preset, setPreset] = useState<Preset>('last_7');
  const [custom, setCustom] = useState({ from: '', to: '' });
  const zone = office ? app.zoneOf(office) : (app.clients[0]?.timezone ?? 'UTC');
  const range = useMemo(() => rangeOf(preset, zone, custom), [preset, zone, custom]);
  return (
    <section aria-labelledby="analytics-title">
      <header className="screen-header">
        <h1 id="analytics-title">Analytics</h1>
        <DigestSwitch />
      </header>
      <div className="filters">
        <label>
          Office
          <select aria-label="Analytics office" value={office} onChange={(event) => setOffice(event.target.value)}>
            {app.clients.length > 1 && <option value="">All offices (compare)</option>}
            {app.clients.map((client) => (
              <option key={client.id} value={client.id}>
                {client.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Range
          <select aria-label="Range" value={preset} onChange={(event) => setPreset(event.target.value as Preset)}>
            {PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {preset === 'custom' && (
          <>
            <label>
              From
              <input type="date" value={custom.from} onChange={(event) => setCustom({ ...custom, from: event.target.value })} />
            </label>
            <label>
              To
              <input type="date" value={custom.to} onChange={(event) => setCustom({ ...custom, to: event.target.value })} />
            </label>
          </>
        )}
      </div>
      {office ? <OfficeAnalytics key={office} office={office} range={range} /> : <AgencyTable range={range} />}
    </section>
  );
}
