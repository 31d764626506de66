import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, sessionEnded } from './api';
import { startLive, stopLive, useLiveStatus } from './live';
import { AppContext, Link, navigateTo, type AppState, type Client } from './shared';
import { Activity } from './screens/Activity';
import { Analytics } from './screens/Analytics';
import { Appointments } from './screens/Appointments';
import { CallPage } from './screens/CallPage';
import { Calls } from './screens/Calls';
import { Connections } from './screens/Connections';
import { CustomerPage, Customers } from './screens/Customers';
import { DeadLetters } from './screens/DeadLetters';
import { Errors } from './screens/Errors';
import { FollowUps } from './screens/FollowUps';
import { Invite } from './screens/Invite';
import { Live } from './screens/Live';
import { Login } from './screens/Login';
import { Messages } from './screens/Messages';
import { OfficePage, Offices } from './screens/Offices';
import { Onboarding } from './screens/Onboarding';
import { Users } from './screens/Users';

interface Me {
  user: AppState['user'];
  clients: Client[];
  demo: boolean;
}

const NAV: Array<[string, string]> = [
  ['/live', 'Live'],
  ['/calls', 'Calls'],
  ['/messages', 'Messages'],
  ['/follow-ups', 'Follow-ups'],
  ['/dead-letters', 'Dead letters'],
  ['/appointments', 'Appointments'],
  ['/analytics', 'Analytics'],
  ['/customers', 'Customers'],
  ['/errors', 'Errors'],
  ['/connections', 'Connections'],
  ['/activity', 'Activity'],
  ['/offices', 'Offices'],
  ['/onboarding', 'Onboarding'],
];
/** Screens for admins only. */
const ADMIN_NAV: Array<[string, string]> = [['/users', 'Users']];

/** Screens only admins may use. */
const ADMIN_ONLY = ['/onboarding'];

function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}

function Screen({ path }: { path: string }) {
  const [, section, id] = path.split('/');
  switch (section) {
    case 'calls':
      return id ? <CallPage id={decodeURIComponent(id)} /> : <Calls />;
    case 'messages':
      return <Messages />;
    case 'dead-letters':
      return <DeadLetters />;
    case 'appointments':
      return <Appointments />;
    case 'analytics':
      return <Analytics />;
    case 'customers':
      return id ? <CustomerPage id={decodeURIComponent(id)} /> : <Customers />;
    case 'follow-ups':
      return <FollowUps />;
    case 'errors':
      return <Errors />;
    case 'connections':
      return <Connections />;
    case 'activity':
      return <Activity />;
    case 'offices':
      return id ? <OfficePage key={id} slug={decodeURIComponent(id)} /> : <Offices />;
    case 'onboarding':
      return <Onboarding key={id ?? ''} id={id ? decodeURIComponent(id) : undefined} />;
    case 'users':
      return <Users />;
    default:
      return <Live />;
  }
}

export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null>();
  const [clientId, setClientId] = useState(() => sessionStorage.getItem('client') ?? '');
  const connected = useLiveStatus();

  const loadMe = useCallback(() => {
    api<Me>('GET', '/v1/api/me')
      .then(setMe)
      .catch(() => setMe(null));
  }, []);
  useEffect(loadMe, [loadMe]);
  useEffect(() => {
    const ended = () => setMe(null);
    sessionEnded.addEventListener('ended', ended);
    return () => sessionEnded.removeEventListener('ended', ended);
  }, []);
  useEffect(() => {
    if (me) startLive();
    else stopLive();
  }, [me]);

  const state = useMemo<AppState | undefined>(() => {
    if (!me) return undefined;
    const valid = me.clients.some((client) => client.id === clientId) ? clientId : me.clients.length === 1 ? me.clients[0]!.id : '';
    return {
      ...me,
      clientId: valid,
      zoneOf: (id) => me.clients.find((client) => client.id === id)?.timezone ?? me.clients[0]?.timezone ?? 'UTC',
      navigate: navigateTo,
    };
  }, [me, clientId]);

  // An invitation or reset link works whoever is signed in on this browser (or nobody): it signs its owner in.
  if (path.startsWith('/invite/'))
    return (
      <Invite
        token={decodeURIComponent(path.slice('/invite/'.length))}
        onSignedIn={() => {
          loadMe();
          navigateTo('/live');
        }}
      />
    );
  if (me === undefined)
    return (
      <div className="notice" aria-busy="true">
        Loading…
      </div>
    );
  if (!state)
    return (
      <Login
        onSignedIn={() => {
          loadMe();
          if (path === '/' || path === '/login') navigateTo('/live');
        }}
      />
    );

  const current = `/${path.split('/')[1] || 'live'}`;
  return (
    <AppContext.Provider value={state}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Switchboard</span>
        <nav aria-label="Screens">
          {[...NAV.filter(([to]) => state.user.role === 'admin' || !ADMIN_ONLY.includes(to)), ...(state.user.role === 'admin' ? ADMIN_NAV : [])].map(
            ([to, label]) => (
              <Link key={to} to={to} className={current === to ? 'active' : ''}>
                {label}
              </Link>
            ),
          )}
        </nav>
        <div className="who">
          {state.clients.length > 1 && (
            <label>
              <span className="visually-hidden">Office</span>
              <select
                aria-label="Office"
                value={state.clientId}
                onChange={(event) => {
                  sessionStorage.setItem('client', event.target.value);
                  setClientId(event.target.value);
                }}
              >
                <option value="">All offices</option>
                {state.clients.map((client) => (
                  <option key={client.id} value={client.id}>
                    {client.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span
            className={connected ? 'dot on' : 'dot off'}
            title={connected ? 'Live updates on' : 'Reconnecting…'}
            aria-label={connected ? 'Live updates on' : 'Reconnecting'}
            role="img"
          />
          <span className="email">{state.user.email}</span>
          <button
            onClick={async () => {
              await api('DELETE', '/v1/api/session').catch(() => undefined);
              setMe(null);
              navigateTo('/login');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen path={path} />
      </main>
    </AppContext.Provider>
  );
}
