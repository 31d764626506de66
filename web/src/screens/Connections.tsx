import { useState } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { DataState, Status, useAction, useApp, useData } from '../shared';

interface OAuthConnectionView {
  status: string;
  ownerEmail: string | null;
  accessExpiresAt: string | null;
  refreshedAt: string | null;
  lastError: string | null;
  emulated: boolean;
  connectPath: string;
}

interface Connection {
  clientId: string;
  name: string;
  timezone: string;
  calendar: { provider: string; label: string; connection: OAuthConnectionView | null };
  zoho: (OAuthConnectionView & { dataCenter: string }) | null;
  crm: {
    enabled: boolean;
    provider: string;
    label: string;
    emulated: boolean;
    connection: OAuthConnectionView | null;
    health: { status: string; detail: string | null; checkedAt: string } | null;
    lastSyncs: Array<{ id: number; status: string; lastError: string | null; at: string }>;
  };
  alerts: { slack: boolean; emails: string[] };
  providers: Array<{
    channel: 'sms' | 'email';
    provider: string;
    position: number;
    sender: string | null;
    state: 'closed' | 'open' | 'half_open';
    since: string | null;
    emulated: boolean;
  }>;
}

const PROVIDER_NAMES: Record<string, string> = { twilio: 'Twilio', telnyx: 'Telnyx', smtp: 'SMTP server', sendgrid: 'SendGrid' };
const CIRCUIT_WORDS: Record<string, string> = { closed: 'Working', open: 'Failing — skipped, retried every 30 s', half_open: 'Being retried' };
const CIRCUIT_STATUS: Record<string, string> = { closed: 'ok', open: 'broken', half_open: 'refreshing' };

const CONNECTION_WORDS: Record<string, string> = {
  ok: 'Connected',
  refreshing: 'Connected (renewing access)',
  broken: 'Broken — reconnect',
  not_connected: 'Not connected',
};
const CONNECT_NAMES: Record<string, string> = { zoho: 'Zoho', google: 'Google', microsoft: 'Microsoft 365' };

/** One OAuth connection (the calendar's, or Zoho CRM's): its state, the account, and the connect/reconnect button. */
function ConnectionState({
  provider,
  connection,
  timezone,
  dataCenter,
}: {
  provider: string;
  connection: OAuthConnectionView;
  timezone: string;
  dataCenter?: string;
}) {
  const name = CONNECT_NAMES[provider] ?? provider;
  return (
    <>
      <p>
        <span className={`status status-${connection.status}`}>{CONNECTION_WORDS[connection.status] ?? connection.status}</span>
        {connection.emulated && <span className="muted"> (demo emulator)</span>}
        {connection.ownerEmail && <> as {connection.ownerEmail}</>}
        {dataCenter && <> · data center {dataCenter.toUpperCase()}</>}
      </p>
      {connection.accessExpiresAt && <p className="muted">Access renews before {formatTime(connection.accessExpiresAt, timezone)}</p>}
      {connection.lastError && <p className="error-text">Last problem: {connection.lastError}</p>}
      <a className="button" href={connection.connectPath}>
        {connection.status === 'not_connected' ? `Connect ${name}` : `Reconnect ${name}`}
      </a>
    </>
  );
}

export function Connections() {
  const app = useApp();
  const state = useData<{ connections: Connection[] }>(`/v1/api/connections${query({ client: app.clientId })}`, ['connection.', 'outbox.']);
  const test = useAction();
  const [sent, setSent] = useState<string>();
  return (
    <section aria-labelledby="connections-title">
      <header className="screen-header">
        <h1 id="connections-title">Connections</h1>
      </header>
      {test.error && (
        <div className="notice error" role="alert">
          {test.error}
        </div>
      )}
      {sent && (
        <div className="notice" role="status">
          {sent}
        </div>
      )}
      <DataState state={state} empty="No offices to show." isEmpty={(data) => data.connections.length === 0}>
        {(data) => (
          <ul className="cards">
            {data.connections.map((connection) => (
              <li key={connection.clientId} className="card">
                <h2>{connection.name}</h2>
                <p className="zone-note">Times shown in {connection.timezone}.</p>
                <h3>Calendar: {connection.calendar.label}</h3>
                {connection.calendar.connection ? (
                  <ConnectionState
                    provider={connection.calendar.provider}
                    connection={connection.calendar.connection}
                    timezone={connection.timezone}
                    {...(connection.calendar.provider === 'zoho' && connection.zoho ? { dataCenter: connection.zoho.dataCenter } : {})}
                  />
                ) : (
                  <p className="error-text">This server has no {connection.calendar.label} set up; ask the operator (see docs/deploy.md).</p>
                )}
                <h3>CRM: {connection.crm.label}</h3>
                {connection.crm.emulated && <p className="muted">Demo emulator.</p>}
                {connection.crm.provider === 'zoho' && connection.crm.connection && connection.calendar.provider !== 'zoho' && (
                  <ConnectionState
                    provider="zoho"
                    connection={connection.crm.connection}
                    timezone={connection.timezone}
                    {...(connection.zoho ? { dataCenter: connection.zoho.dataCenter } : {})}
                  />
                )}
                {connection.crm.provider === 'zoho' && connection.calendar.provider === 'zoho' && <p className="muted">Uses the Zoho connection above.</p>}
                {connection.crm.provider === 'hubspot' && <p className="muted">Private app access token, set as an office secret (Offices → secrets).</p>}
                {connection.crm.provider === 'none' && <p className="muted">Callers are not recorded in a CRM. Choose one in the office's settings.</p>}
                <h3>Last CRM updates</h3>
                {connection.crm.health && (
                  <p>
                    <Status value={connection.crm.health.status} /> {connection.crm.health.detail}
                  </p>
                )}
                {connection.crm.lastSyncs.length === 0 ? (
                  <p className="muted">None yet.</p>
                ) : (
                  <ul className="plain">
                    {connection.crm.lastSyncs.map((sync) => (
                      <li key={sync.id}>
                        <Status value={sync.status} /> {formatTime(sync.at, connection.timezone)}{' '}
                        {sync.lastError && <span className="error-text">{sync.lastError}</span>}
                      </li>
                    ))}
                  </ul>
                )}
                <h3>Texts and e-mail providers</h3>
                <ul className="plain" aria-label={`Providers of ${connection.name}`}>
                  {connection.providers.map((provider) => (
                    <li key={`${provider.channel}-${provider.provider}`}>
                      {provider.channel === 'sms' ? 'Texts' : 'E-mail'} {provider.position}: {PROVIDER_NAMES[provider.provider] ?? provider.provider}
                      {provider.sender && <span className="muted"> from {provider.sender}</span>}{' '}
                      <span className={`status status-${CIRCUIT_STATUS[provider.state] ?? provider.state}`}>
                        {CIRCUIT_WORDS[provider.state] ?? provider.state}
                      </span>
                      {provider.state !== 'closed' && provider.since && <span className="muted"> since {formatTime(provider.since, connection.timezone)}</span>}
                      {provider.emulated && <span className="muted"> (demo emulator)</span>}
                    </li>
                  ))}
                </ul>
                <h3>Alerts</h3>
                <p>
                  Slack: {connection.alerts.slack ? 'set up' : 'not set up'} · E-mail: {connection.alerts.emails.join(', ') || 'nobody'}
                </p>
                <button
                  disabled={test.busy}
                  onClick={() =>
                    test.run(() =>
                      api('POST', `/v1/api/connections/${connection.clientId}/alert-test`, {}).then((result: { message: string }) => setSent(result.message)),
                    )
                  }
                >
                  Send a test alert
                </button>
              </li>
            ))}
          </ul>
        )}
      </DataState>
    </section>
  );
}
