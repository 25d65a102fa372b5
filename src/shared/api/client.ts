import { unwrapReply, type Reply } from '../errors';
import { allChannels, type BitbenchApi, type EventsClient } from './contract';

/**
 * Builds the typed API object from the contract, given a transport that sends one call and
 * returns the boundary's reply. Used by the preload (IPC) and by the browser client (HTTP).
 */
export function buildApiClient(
  invoke: (channel: string, input: unknown) => Promise<Reply<unknown>>,
  events: EventsClient,
): BitbenchApi {
  const api: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
  for (const { service, method, channel } of allChannels()) {
    const svc = (api[service] ??= {});
    svc[method] = async (input?: unknown) => unwrapReply(await invoke(channel, input));
  }
  return { ...(api as unknown as Omit<BitbenchApi, 'events'>), events } as BitbenchApi;
}
