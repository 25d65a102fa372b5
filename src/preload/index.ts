import { contextBridge, ipcRenderer } from 'electron';
import { buildApiClient } from '../shared/api/client';
import { EVENT_PREFIX, eventSchemas, type EventsClient } from '../shared/api/contract';
import type { Reply } from '../shared/errors';

// Exposes exactly the typed API (one function per contract method, plus typed event
// subscription); no ipcRenderer, no generic invoke.

const events: EventsClient = {
  on(name, listener) {
    if (!Object.hasOwn(eventSchemas, name)) throw new Error(`Unknown event "${String(name)}"`);
    const channel = `${EVENT_PREFIX}${name}`;
    const handler = (_e: unknown, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
};

const api = buildApiClient(
  (channel, input) => ipcRenderer.invoke(channel, input) as Promise<Reply<unknown>>,
  events,
);

contextBridge.exposeInMainWorld('bitbench', api);
