import { useState } from 'react';
import { api, query } from '../api';
import { formatTime } from '../format';
import { DataState, Status, useAction, useApp, useData } from '../shared';

interface Connection {
  clientId: string;
  name: string;
  timezone: string;
  zoho: { status: string; dataCenter: string; ownerEmail: string | null; accessExpiresAt: string | null; refreshedAt: string | null; lastError: string | null; emulated: boolean; connectPath: string };
  crm: { enabled: boolean; health: { status: string; detail: string | null; checkedAt: string } | null; lastSyncs: Array<{ id: number; status: string; lastError: string | null; at: string }> };
  alerts: { slack: boolean; emails: string[] };
  providers: Array<{ channel: 'sms' | 'email'; provider: string; position: number; sender: string | null; state: 'closed' | 'open' | 'half_open'; since: string | null; emulated: boolean }>;
}

const PROVIDER_NAMES: Record<string, string> = { twilio: 'Twilio', telnyx: 'Telnyx', smtp: 'SMTP server', sendgrid: 'SendGrid' };
const CIRCUIT_WORDS: Record<string, string> = { closed: 'Working', open: 'Failing — skipped, retried every 30 s', half_open: 'Being retried' };
const CIRCUIT_STATUS: Record<string, string> = { closed: 'ok', open: 'broken', half_open: 'refreshing' };

const ZOHO_WORDS: Record<string, string> = { ok: 'Connected', refreshing: 'Connected (renewing access)', broken: 'Broken — reconnect', not_connected: 'Not connected' };

export function Connections() {
  const app = useApp();
  const state = useData<{ connections: Connection[] }>(`/v1/api/connections${query({ client: app.clientId })}`, ['connection.', 'outbox.']);
  const test = useAction();
  const [sent, setSent] = useState<string>();
  return (
    <section aria-labelledby="connections-title">
      <header className="screen-header"><h1 id="connections-title">Connections</h1></header>
      {test.error && <div className="notice error" role="alert">{test.error}</div>}
      {sent && <div className="notice" role="status">{sent}</div>}
      <DataState state={state} empty="No offices to show." isEmpty={(data) => data.connections.length === 0}>
        {(data) => (
          <ul className="cards">
            {data.connections.map((connection) => (
              <li key={connection.clientId} className="card">
                <h2>{connection.name}</h2>
                <p className="zone-note">Times shown in {connection.timezone}.</p>
                <h3>Zoho Calendar and CRM</h3>
                <p>
                  <span className={`status status-${connection.zoho.status}`}>{ZOHO_WORDS[connection.zoho.status] ?? connection.zoho.status}</span>
                  {connection.zoho.emulated && <span className="muted"> (demo emulator)</span>}
                  {connection.zoho.ownerEmail && <> as {connection.zoho.ownerEmail}</>} · data center {connection.zoho.dataCenter.toUpperCase()}
                </p>
                {connection.zoho.accessExpiresAt && <p className="muted">Access renews before {formatTime(connection.zoho.accessExpiresAt, connection.timezone)}</p>}
                {connection.zoho.lastError && <p className="error-text">Last problem: {connection.zoho.lastError}</p>}
                <a className="button" href={connection.zoho.connectPath}>{connection.zoho.status === 'not_connected' ? 'Connect Zoho' : 'Reconnect Zoho'}</a>
                <h3>Last CRM updates</h3>
                {connection.crm.health && <p><Status value={connection.crm.health.status} /> {connection.crm.health.detail}</p>}
                {connection.crm.lastSyncs.length === 0 ? <p className="muted">None yet.</p> : (
                  <ul className="plain">{connection.crm.lastSyncs.map((sync) => <li key={sync.id}><Status value={sync.status} /> {formatTime(sync.at, connection.timezone)} {sync.lastError && <span className="error-text">{sync.lastError}</span>}</li>)}</ul>
                )}
                <h3>Texts and e-mail providers</h3>
                <ul className="plain" aria-label={`Providers of ${connection.name}`}>
                  {connection.providers.map((provider) => (
                    <li key={`${provider.channel}-${provider.provider}`}>
                      {provider.channel === 'sms' ? 'Texts' : 'E-mail'} {provider.position}: {PROVIDER_NAMES[provider.provider] ?? provider.provider}
                      {provider.sender && <span className="muted"> from {provider.sender}</span>}{' '}
                      <span className={`status status-${CIRCUIT_STATUS[provider.state] ?? provider.state}`}>{CIRCUIT_WORDS[provider.state] ?? provider.state}</span>
                      {provider.state !== 'closed' && provider.since && <span className="muted"> since {formatTime(provider.since, connection.timezone)}</span>}
                      {provider.emulated && <span className="muted"> (demo emulator)</span>}
                    </li>
                  ))}
                </ul>
                <h3>Alerts</h3>
                <p>Slack: {connection.alerts.slack ? 'set up' : 'not set up'} · E-mail: {connection.alerts.emails.join(', ') || 'nobody'}</p>
                <button disabled={test.busy} onClick={() => test.run(() => api('POST', `/v1/api/connections/${connection.clientId}/alert-test`, {}).then((result: { message: string }) => setSent(result.message)))}>Send a test alert</button>
              </li>
            ))}
          </ul>
        )}
      </DataState>
    </section>
  );
}
