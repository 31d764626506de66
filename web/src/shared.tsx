/** Pieces every screen uses: the app context, data loading with plain-words states, navigation. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
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
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  useLiveRefresh(liveTypes, reload);
  useEffect(() => {
    if (!path) return;
    let cancelled = false;
    setLoading(true);
    api<T>('GET', path)
      .then((result) => {
        if (cancelled) return;
        setData(result);
        setError(undefined);
      })
      .catch((failure: Error) => !cancelled && setError(failure.message))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [path, tick]);
  return { data, error, loading, reload };
}

/** Loading, error and empty states in plain words; children only when there is something to show. */
export function DataState<T>({ state, empty, isEmpty, children }: { state: Loaded<T>; empty: string; isEmpty(data: T): boolean; children(data: T): ReactNode }) {
  if (state.error && !state.data) {
    return (
      <div className="notice error" role="alert">
        {state.error} <button onClick={state.reload}>Try again</button>
      </div>
    );
  }
  if (!state.data) return <div className="notice" aria-busy="true">Loading…</div>;
  return (
    <>
      {state.error && <div className="notice error" role="alert">{state.error}</div>}
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
