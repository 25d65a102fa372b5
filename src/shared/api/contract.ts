import type { z } from 'zod';
import { boardsService } from './boards';
import { datasetsService } from './datasets';
import { deployService } from './deploy';
import { engineService } from './engine';
import { firmwareService } from './firmware';
import type { MethodDef, ServiceDef } from './define';
import { eventSchemas } from './events';
import { jobsService } from './jobs';
import { lowbitService } from './lowbit';
import { quantService } from './quant';
import { recordingService } from './recording';
import { statusService } from './status';
import { modelsService, trainingService } from './models';

/**
 * The one contract between the UI and the main process. Every call is declared here once
 * (service → method → zod input/output); main implements it once, preload and the headless
 * host expose it once each. A feature adds its service module next to this file and one line
 * below.
 */
export const contract = {
  status: statusService,
  jobs: jobsService,
  boards: boardsService,
  recording: recordingService,
  datasets: datasetsService,
  training: trainingService,
  models: modelsService,
  quant: quantService,
  lowbit: lowbitService,
  engine: engineService,
  deploy: deployService,
  firmware: firmwareService,
} satisfies Record<string, ServiceDef>;

export { eventSchemas };

export type Contract = typeof contract;
export type ServiceName = keyof Contract;
export type MethodName<S extends ServiceName> = keyof Contract[S] & string;

type Def<S extends ServiceName, M extends MethodName<S>> = Contract[S][M] extends MethodDef
  ? Contract[S][M]
  : never;
export type MethodInput<S extends ServiceName, M extends MethodName<S>> = z.input<Def<S, M>['input']>;
export type MethodParsedInput<S extends ServiceName, M extends MethodName<S>> = z.output<Def<S, M>['input']>;
export type MethodOutput<S extends ServiceName, M extends MethodName<S>> = z.output<Def<S, M>['output']>;

export type EventName = keyof typeof eventSchemas;
export type EventPayload<E extends EventName> = z.output<(typeof eventSchemas)[E]>;

/** What the renderer sees: typed domain methods, nothing generic. */
export type ServiceClient<S extends ServiceName> = {
  [M in MethodName<S>]: undefined extends MethodInput<S, M>
    ? (input?: MethodInput<S, M>) => Promise<MethodOutput<S, M>>
    : (input: MethodInput<S, M>) => Promise<MethodOutput<S, M>>;
};
export type EventsClient = {
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
};
export type BitbenchApi = { [S in ServiceName]: ServiceClient<S> } & { events: EventsClient };

/** What main implements: handlers receive validated input. */
export type ServiceImpl = {
  [S in ServiceName]: {
    [M in MethodName<S>]: (
      input: MethodParsedInput<S, M>,
    ) => Promise<MethodOutput<S, M>> | MethodOutput<S, M>;
  };
};

/** Channel names carry one prefix, checked on both sides. */
export const CHANNEL_PREFIX = 'bb:';
export const EVENT_PREFIX = 'bb-event:';

export function channelOf(service: string, methodName: string): string {
  return `${CHANNEL_PREFIX}${service}.${methodName}`;
}

export function parseChannel(channel: string): { service: ServiceName; method: string } | undefined {
  if (!channel.startsWith(CHANNEL_PREFIX)) return undefined;
  const [service, methodName, extra] = channel.slice(CHANNEL_PREFIX.length).split('.');
  if (!service || !methodName || extra !== undefined) return undefined;
  if (!Object.hasOwn(contract, service)) return undefined;
  const svc = contract[service as ServiceName] as ServiceDef;
  if (!Object.hasOwn(svc, methodName)) return undefined;
  return { service: service as ServiceName, method: methodName };
}

export function allChannels(): Array<{ service: ServiceName; method: string; channel: string }> {
  const out: Array<{ service: ServiceName; method: string; channel: string }> = [];
  for (const service of Object.keys(contract) as ServiceName[]) {
    for (const m of Object.keys(contract[service]))
      out.push({ service, method: m, channel: channelOf(service, m) });
  }
  return out;
}
