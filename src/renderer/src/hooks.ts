import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventName, EventPayload } from '../../shared/api/contract';
import type { Job } from '../../shared/api/jobs';
import { api, eventLinkResync } from './api';

export interface ApiState<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the answer for the current `deps` arrives (reloads keep showing the previous data). */
  loading: boolean;
  reload: () => void;
}

/**
 * Calls `fn` on mount and whenever `deps` (what is asked: a model, a board) or `refreshOn` (when to
 * ask again: a job's state, a version counter) change; `reload()` calls it again.
 */
export function useApi<T>(
  fn: () => Promise<T>,
  deps: readonly unknown[] = [],
  refreshOn: readonly unknown[] = [],
): ApiState<T> {
  const [result, setResult] = useState<{ data?: T; error?: Error }>({});
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  useEffect(() => {
    fnRef.current = fn;
  });
  // New inputs (another model, another board) drop the old answer at once: until the new one arrives
  // the caller sees `loading`, never the previous input's data as if it were this one's. A reload with
  // the same inputs (reload, refreshOn) keeps showing the current data meanwhile.
  const depsKey = useRef<readonly unknown[]>(deps);
  useEffect(() => {
    let alive = true;
    if (depsKey.current.length !== deps.length || depsKey.current.some((d, i) => !Object.is(d, deps[i]))) {
      depsKey.current = deps;
      setResult({});
    }
    fnRef.current().then(
      (data) => alive && setResult({ data }),
      (error: Error) => alive && setResult({ error }),
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps, ...refreshOn]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // Events missed while the host's event link was down may have changed the answer: ask again.
  useEffect(() => eventLinkResync.subscribe(reload), [reload]);
  return {
    data: result.data,
    error: result.error,
    loading: result.data === undefined && result.error === undefined,
    reload,
  };
}

/** Subscribes to a main-process event for the component's lifetime. */
export function useEvent<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): void {
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => api.events.on(name, (p) => ref.current(p)), [name]);
}

/** Every job seen through `job` events since the component mounted. */
export function useJobs(): Job[] {
  const [jobs, setJobs] = useState<Map<string, Job>>(new Map());
  useEvent('job', (job) =>
    setJobs((m) => {
      const next = new Map(m);
      next.set(job.id, job);
      return next;
    }),
  );
  return [...jobs.values()];
}

/** Whether a job has still to end (queued or running). */
export function isActive(job: Job | undefined): boolean {
  return job?.state === 'running' || job?.state === 'queued';
}

/**
 * The id of a queued or running job of `kind` — of one model, or of any (`'any'`) — started before a
 * reload or from another window or the CLI: how a page shows it again with its progress and Cancel.
 */
export function useRunningJob(kind: string, of: { model: string | undefined } | 'any'): string | undefined {
  const model = of === 'any' ? undefined : of.model;
  const jobs = useApi(() => api.jobs.list({ limit: 20, kind }), [kind, model]);
  return (jobs.data ?? []).find(
    (j) => isActive(j) && (of === 'any' || (j.params as { model?: unknown } | null)?.model === model),
  )?.id;
}

/** Follows one job: its stored state first, then its `job` events. */
export function useJob(id: string | undefined): Job | undefined {
  const [state, setState] = useState<{ id: string; job: Job }>();
  // Bumped when the host's event link comes back after a drop: the job's events meanwhile were lost.
  const [resync, setResync] = useState(0);
  useEffect(() => eventLinkResync.subscribe(() => setResync((n) => n + 1)), []);
  useEffect(() => {
    if (!id) return;
    let alive = true;
    api.jobs.get({ id }).then(
      (job) =>
        alive &&
        setState((cur) =>
          // The first answer, or after a resync the stored state unless an event already said the end.
          cur?.id !== id || (resync > 0 && isActive(cur.job)) ? { id, job } : cur,
        ),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [id, resync]);
  useEvent('job', (job) => {
    if (job.id === id) setState({ id, job });
  });
  return state && state.id === id ? state.job : undefined;
}

/**
 * A choice on a page (the selected model, board, split) kept for this tab, so that a reload — or a
 * link from another page — opens the page on it. sessionStorage: per tab, survives a reload.
 */
const CHOICE_PREFIX = 'bitbench.choice.';
export function storedChoice(key: string): string | undefined {
  try {
    return sessionStorage.getItem(CHOICE_PREFIX + key) ?? undefined;
  } catch {
    return undefined;
  }
}
export function storeChoice(key: string, value: string | undefined): void {
  try {
    if (value === undefined || value === '') sessionStorage.removeItem(CHOICE_PREFIX + key);
    else sessionStorage.setItem(CHOICE_PREFIX + key, value);
  } catch {
    // Storage refused (private mode, quota): the choice just does not outlive the page.
  }
}
/** The stored choice when it is still one of `options` (a deleted model is not chosen again). */
export function storedChoiceIn(key: string, options: readonly string[] | undefined): string | undefined {
  const v = storedChoice(key);
  return v !== undefined && options?.includes(v) ? v : undefined;
}
