// A context on a temp database whose recording manager records from an in-memory fake stream.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApiClient } from '../../src/shared/api/client';
import type { EventName, EventPayload, EventsClient } from '../../src/shared/api/contract';
import { createDispatcher } from '../../src/main/api/dispatcher';
import { createAppContext, type AppContext } from '../../src/main/context';
import type { RecordingManagerDeps } from '../../src/main/recording/recording-manager';
import { createRecordingService, recordingManager } from '../../src/main/recording/recording-service';
import type { ServiceImpl } from '../../src/shared/api/contract';
import { FakeSensorStream } from './fake-sensor-stream';

export function tempDbPath(prefix = 'bb-rec-'): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), prefix)), 'bitbench.db');
}

export function recordingContext(
  opts: { dbPath?: string; stream?: FakeSensorStream; deps?: Partial<RecordingManagerDeps> } = {},
) {
  const dbPath = opts.dbPath ?? tempDbPath();
  const ctx: AppContext = createAppContext({ dbPath, shell: 'cli' });
  const stream = opts.stream ?? new FakeSensorStream();
  let released = 0;
  recordingManager(ctx, {
    connector: {
      open: async () => ({
        stream,
        release: async () => {
          released++;
        },
      }),
    },
    recorder: { flushMs: 20, uiIntervalMs: 20 },
    ...opts.deps,
  });
  // Through the real boundary (zod defaults and checks, typed errors), as the UI and CLI call it.
  // Only the recording service is built, so these tests do not depend on other features' state.
  const dispatch = createDispatcher({ recording: createRecordingService(ctx) } as ServiceImpl, {
    validateOutput: true,
  });
  const eventsClient: EventsClient = {
    on: (name, listener) => ctx.events.subscribe((n, p) => (n as string) === name && listener(p as never)),
  };
  const api = buildApiClient(dispatch, eventsClient);
  const service = api.recording;
  const events: Array<{ name: EventName; payload: unknown }> = [];
  ctx.events.subscribe((name, payload) => events.push({ name, payload }));
  return {
    ctx,
    dbPath,
    stream,
    service,
    api,
    events,
    released: () => released,
    eventsOf<E extends EventName>(name: E): Array<EventPayload<E>> {
      return events.filter((e) => e.name === name).map((e) => e.payload as EventPayload<E>);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
