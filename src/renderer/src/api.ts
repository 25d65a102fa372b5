import { buildApiClient } from '../../shared/api/client';
import { EVENT_PREFIX, type BitbenchApi, type EventName, type EventsClient } from '../../shared/api/contract';
import type { Reply } from '../../shared/errors';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser talking to the headless host. */
    bitbench?: BitbenchApi;
  }
}

const TOKEN_KEY = 'bitbench-token';

/** The per-run token arrives in the URL fragment once; keep it for reloads of this tab only. */
function hostToken(): string {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', `${window.location.pathname}#/devices`);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** The same typed API over the headless host: HTTP for calls, one WebSocket for events. */
function createHostApi(): BitbenchApi {
  const token = hostToken();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let socket: WebSocket | undefined;
  let retryMs = 500;
  const connect = () => {
    const url = `${window.location.origin.replace(/^http/, 'ws')}/events?token=${encodeURIComponent(token)}`;
    socket = new WebSocket(url);
    socket.onmessage = (msg) => {
      const { event, payload } = JSON.parse(String(msg.data)) as { event: string; payload: unknown };
      const name = event.startsWith(EVENT_PREFIX) ? event.slice(EVENT_PREFIX.length) : event;
      for (const l of listeners.get(name) ?? []) l(payload);
    };
    socket.onopen = () => (retryMs = 500);
    socket.onclose = () => {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  connect();
  const events: EventsClient = {
    on(name: EventName, listener) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
  };
  return buildApiClient(async (channel, input) => {
    const res = await fetch(`/api/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: input === undefined ? '' : JSON.stringify(input),
    });
    return (await res.json()) as Reply<unknown>;
  }, events);
}

export const api: BitbenchApi = window.bitbench ?? createHostApi();
export const transport: 'electron' | 'headless-host' = window.bitbench ? 'electron' : 'headless-host';
