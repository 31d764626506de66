/** Pieces every screen uses: the app context, data loading with plain-words states, navigation. */
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { api } from './api';
import { STATUS_WORDS } from './format';
import { useLiveRefresh } from './live';

export interface Client {
  id: string;
  name: string;
  timezone: string;
}

export interface AppState {
  user: { id: number; email: string; role: 'admin' | 'staff' };
  clients: Client[];
  demo: boolean;
  /** '' = every client the user may see. */
  clientId: string;
  zoneOf(clientId: string): string;
  navigate(path: string): void;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside the app');
  return state;
}

export function navigateTo(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigateTo(to);
      }}
    >
      {children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` now, again when it changes, and when a live event of `liveTypes` arrives. */
export function useData<T>(path: string | undefined, liveTypes: string[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  // One request in flight at a time; reloads asked for meanwhile fold into one more request when it returns, so a
  // burst of live events neither floods the server nor delays the first refresh.
  const flight = useRef({ path, generation: 0, inFlight: false, again: false });
  const load = useCallback(() => {
    const current = flight.current;
    if (!current.path) return;
    if (current.inFlight) {
      current.again = true;
      return;
    }
    current.inFlight = true;
    current.again = false;
    const generation = current.generation;
    setLoading(true);
    api<T>('GET', current.path)
      .then((result) => {
        if (generation !== current.generation) return;
        setData(result);
        setError(undefined);
      })
      .catch((failure: Error) => generation === current.generation && setError(failure.message))
      .finally(() => {
        current.inFlight = false;
        if (generation === current.generation) setLoading(false);
        if (current.again || generation !== current.generation) load();
      });
  }, []);
  useLiveRefresh(liveTypes, load);
  useEffect(() => {
    flight.current.path = path;
    flight.current.generation += 1;
    load();
  }, [path, load]);
  return { data, error, loading, reload: load };
}

/** Loading, error and empty states in plain words; children only when there is something to show. */
export function DataState<T>({
  state,
  empty,
  isEmpty,
  children,
}: {
  state: Loaded<T>;
  empty: string;
  isEmpty(data: T): boolean;
  children(data: T): ReactNode;
}) {
  if (state.error && !state.data) {
    return (
      <div className="notice error" role="alert">
        {state.error} <button onClick={state.reload}>Try again</button>
      </div>
    );
  }
  if (!state.data)
    return (
      <div className="notice" aria-busy="true">
        Loading…
      </div>
    );
  return (
    <>
      {state.error && (
        <div className="notice error" role="alert">
          {state.error}
        </div>
      )}
      {isEmpty(state.data) ? <div className="notice empty">{empty}</div> : children(state.data)}
    </>
  );
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{STATUS_WORDS[value] ?? value.replace(/_/g, ' ')}</span>;
}

export function ZoneNote({ clientId }: { clientId?: string }) {
  const app = useApp();
  const ids = clientId ? [clientId] : app.clientId ? [app.clientId] : app.clients.map((client) => client.id);
  const zones = [...new Set(ids.map((id) => app.zoneOf(id)))];
  return <p className="zone-note">Times shown in {zones.join(', ')} (each office's own time zone).</p>;
}

export function ClientName({ id }: { id: string }) {
  const app = useApp();
  if (app.clients.length < 2) return null;
  return <span className="client-tag">{app.clients.find((client) => client.id === id)?.name ?? id}</span>;
}

/** Runs a state change, reporting its error in words; returns whether it worked. */
export function useAction(): { busy: boolean; error: string | undefined; run(action: () => Promise<unknown>): Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (failure) {
      setError((failure as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
