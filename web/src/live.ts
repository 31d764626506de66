/**
 * One WebSocket for the whole app. Reconnects with backoff after any drop; after a reconnect every screen
 * refetches, since events may have been missed while disconnected.
 */
import { useEffect, useRef, useState } from 'react';
import { sessionEnded } from './api';

export interface LiveEvent {
  type: string;
  clientId?: string;
  data?: Record<string, unknown>;
  at?: number;
}

type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();
const statusListeners = new Set<(connected: boolean) => void>();
let socket: WebSocket | undefined;
let retryMs = 500;
let stopped = true;
let timer: ReturnType<typeof setTimeout> | undefined;

function connect(): void {
  if (stopped) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/api/live`;
  const current = new WebSocket(url);
  socket = current;
  current.onopen = () => {
    retryMs = 500;
    statusListeners.forEach((listener) => listener(true));
    // Anything may have changed while we were away.
    listeners.forEach((listener) => listener({ type: 'reconnected' }));
  };
  current.onmessage = (message) => {
    try {
      const event = JSON.parse(String(message.data)) as LiveEvent;
      listeners.forEach((listener) => listener(event));
    } catch {
      // ignore unreadable frames
    }
  };
  current.onclose = (event) => {
    if (socket !== current) return;
    // 4401: the server ended this user's sessions (disabled, new password): show the sign-in page now.
    if (event.code === 4401) sessionEnded.dispatchEvent(new Event('ended'));
    statusListeners.forEach((listener) => listener(false));
    if (stopped) return;
    timer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };
}

export function startLive(): void {
  if (!stopped) return;
  stopped = false;
  connect();
}

export function stopLive(): void {
  stopped = true;
  clearTimeout(timer);
  socket?.close();
  socket = undefined;
}

export function useLiveStatus(): boolean {
  const [connected, setConnected] = useState(socket?.readyState === WebSocket.OPEN);
  useEffect(() => {
    statusListeners.add(setConnected);
    return () => void statusListeners.delete(setConnected);
  }, []);
  return connected;
}

/**
 * Calls `refresh` when an event of one of `prefixes` arrives, or after a reconnect. Refreshes start at once;
 * `useData` folds a burst into at most one request in flight plus one more.
 */
export function useLiveRefresh(prefixes: string[], refresh: () => void): void {
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const key = prefixes.join(',');
  useEffect(() => {
    const wanted = key ? key.split(',') : [];
    const listener: Listener = (event) => {
      if (event.type !== 'reconnected' && !wanted.some((prefix) => event.type.startsWith(prefix))) return;
      refreshRef.current();
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, [key]);
}
