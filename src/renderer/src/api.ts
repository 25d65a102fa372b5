import { buildApiClient } from '../../shared/api/client';
import { EVENT_PREFIX, type BitbenchApi, type EventName, type EventsClient } from '../../shared/api/contract';
import { DamagedRowsEventSchema } from '../../shared/api/damaged-rows';
import type { Reply } from '../../shared/errors';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser talking to the headless host. */
    bitbench?: BitbenchApi;
  }
}

const TOKEN_KEY = 'bitbench-token';

/**
 * Whether this tab still reaches the headless host that served it: `unreachable` once the host
 * stopped (calls fail, the event socket cannot reopen), `stale-token` once a host answers but not
 * to this tab's token (it was restarted, with a new token). The app shows a banner for both.
 */
export type HostLink = 'ok' | 'unreachable' | 'stale-token';

/** What a call that could not reach the host fails with, and what the banner over every page says. */
export const HOST_GONE =
  'The bitbench host does not answer: it was stopped, or it crashed. Start it again (npm start) and open the URL it prints.';
export const HOST_RESTARTED =
  'The bitbench host was restarted, and this tab holds the old run’s token. Open the URL the host printed in its terminal (it carries the new token).';
let hostLink: HostLink = 'ok';
const linkListeners = new Set<(l: HostLink) => void>();
function setHostLink(l: HostLink): void {
  if (l === hostLink) return;
  hostLink = l;
  for (const fn of linkListeners) fn(l);
}
export const hostLinkState = {
  get: (): HostLink => hostLink,
  subscribe(fn: (l: HostLink) => void): () => void {
    linkListeners.add(fn);
    return () => linkListeners.delete(fn);
  },
};

/**
 * The headless host's event socket came back after a drop (a laptop's sleep, a host busy past the
 * socket's patience): events sent meanwhile are lost, so what pages show may be stale. Hooks that
 * show server state (useApi, useJob) ask again. Never fires under Electron (IPC does not drop).
 */
const resyncListeners = new Set<() => void>();
export const eventLinkResync = {
  subscribe(fn: () => void): () => void {
    resyncListeners.add(fn);
    return () => resyncListeners.delete(fn);
  },
};

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
  // A restarted host's URL pasted into this tab changes only the fragment, which reloads nothing:
  // take the new token and start afresh with it.
  window.addEventListener('hashchange', () => {
    const fresh = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (fresh && fresh !== token) {
      sessionStorage.setItem(TOKEN_KEY, fresh);
      window.location.replace(`${window.location.pathname}#/devices`);
      window.location.reload();
    }
  });
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let socket: WebSocket | undefined;
  let retryMs = 500;
  let failures = 0;
  let dropped = false;
  const connect = () => {
    // A restarted host will never take this token again: stop knocking.
    if (hostLink === 'stale-token') return;
    const url = `${window.location.origin.replace(/^http/, 'ws')}/events?token=${encodeURIComponent(token)}`;
    socket = new WebSocket(url);
    socket.onmessage = (msg) => {
      const { event, payload } = JSON.parse(String(msg.data)) as { event: string; payload: unknown };
      const name = event.startsWith(EVENT_PREFIX) ? event.slice(EVENT_PREFIX.length) : event;
      for (const l of listeners.get(name) ?? []) l(payload);
    };
    socket.onopen = () => {
      retryMs = 500;
      failures = 0;
      setHostLink('ok');
      if (dropped) {
        dropped = false;
        for (const fn of resyncListeners) fn();
      }
    };
    socket.onclose = () => {
      // Set once a socket that was open closes (also when reconnecting fails): the next open resyncs.
      dropped = true;
      // One drop can be a blip; three in a row (about 3.5 s) mean the host is gone or restarted.
      if (++failures >= 3) void probe();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  /** Tells an unreachable host from a restarted one (which refuses this tab's token). */
  const probe = async () => {
    try {
      const res = await fetch('/api/bb%3Astatus.get', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{}',
      });
      setHostLink(res.status === 401 ? 'stale-token' : 'ok');
    } catch {
      setHostLink('unreachable');
    }
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
    let res: Response;
    try {
      res = await fetch(`/api/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: input === undefined ? '' : JSON.stringify(input),
      });
    } catch {
      // The browser's own message ("Failed to fetch", "NetworkError…") says nothing a user can act on.
      setHostLink('unreachable');
      return { ok: false, error: { code: 'unavailable', message: HOST_GONE } };
    }
    if (res.status === 401) {
      setHostLink('stale-token');
      return { ok: false, error: { code: 'unavailable', message: HOST_RESTARTED } };
    }
    setHostLink('ok');
    const reply = (await res.json()) as Reply<unknown>;
    // Rows a list left out (damaged in the database) come with the reply too: the page shows them
    // even when this call beat the event socket's opening.
    const damaged = reply.ok && DamagedRowsEventSchema.safeParse({ rows: reply.damaged });
    if (damaged && damaged.success) for (const l of listeners.get('damagedRows') ?? []) l(damaged.data);
    return reply;
  }, events);
}

export const api: BitbenchApi = window.bitbench ?? createHostApi();
export const transport: 'electron' | 'headless-host' = window.bitbench ? 'electron' : 'headless-host';
