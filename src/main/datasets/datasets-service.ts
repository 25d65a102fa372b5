import path from 'node:path';
import type { ServiceImpl } from '../../shared/api/contract';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import type { JobContext } from '../jobs/job-runner';
import { refuseIfDatasetInUse } from '../jobs/jobs-in-use';
import { userDataDir } from '../paths';
import { DatasetsRepo } from '../store/datasets-repo';
import { JobsRepo } from '../store/jobs-repo';
import { SessionsRepo } from '../store/sessions-repo';
import { previewCsv } from './csv-import';
import { exportDataset } from './dataset-export';
import { buildFromSessions, importDataset, type ImportHooks } from './dataset-import';
import { resolveDataset } from './dataset-reader';
import { summarize } from './dataset-writer';

/** Where exports named by a relative path go: exports/ beside the database file. */
function exportsDir(ctx: AppContext): string {
  const p = ctx.store.path;
  return path.join(p === ':memory:' ? userDataDir() : path.dirname(path.resolve(p)), 'exports');
}

function hooksOf(job: JobContext): ImportHooks {
  return { progress: (f, m) => job.progress(f, m), throwIfCancelled: () => job.throwIfCancelled() };
}

export function createDatasetsService(ctx: AppContext): ServiceImpl['datasets'] {
  const repo = new DatasetsRepo(ctx.db);
  const sessions = new SessionsRepo(ctx.db);
  const jobs = new JobsRepo(ctx.db);
  // A second import or build of a name while one runs (a double click, another window or the CLI on
  // the same database) would only make a duplicate version: refuse it before any work.
  const refuseIfMaking = (name: string) => {
    const making = jobs.activeNaming(['dataset-import', 'dataset-build'], name);
    if (making)
      throw new BitbenchError(
        'conflict',
        `Job ${making} is already making dataset "${name}"; wait for it, cancel it, or choose another name.`,
      );
  };
  const detail = (ref: string) => {
    const row = resolveDataset(ctx.db, ref);
    return {
      ...summarize(row),
      versions: repo
        .versions(row.name)
        .filter((v) => v.state === 'ready')
        .map((v) => ({
          version: v.version,
          locked: v.locked || repo.usedByModels(v.id),
          windows: v.stats.windows,
          created_at: v.createdAt,
        })),
    };
  };
  return {
    list: () => repo.listLatest().map(summarize),
    show: ({ name }) => detail(name),
    import: (input) => {
      refuseIfMaking(input.name);
      const handle = ctx.jobs.start(`dataset-import`, input, async (job) => {
        const t0 = Date.now();
        const row = await importDataset(ctx.db, input, hooksOf(job));
        job.progress(
          1,
          `imported ${row.stats.windows} windows in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        return summarize(row);
      });
      return { jobId: handle.id };
    },
    build: (input) => {
      refuseIfMaking(input.name);
      const handle = ctx.jobs.start('dataset-build', input, async (job) => {
        const row = await buildFromSessions(ctx.db, input, hooksOf(job), ctx.audience);
        // The last progress line stays on screen: say what was built, not the last session read.
        job.progress(1, `built ${row.name}@${row.version}: ${row.stats.windows} windows`);
        return summarize(row);
      });
      return { jobId: handle.id };
    },
    preview: ({ path, csv }) => previewCsv(path, csv),
    export: ({ name, format, out: asked, split, maxWindows }) => {
      const row = resolveDataset(ctx.db, name);
      // A relative name is not resolved against wherever the app or host was started from, but
      // against exports/ beside the database (the CLI sends absolute paths, from its own folder).
      const out = path.resolve(exportsDir(ctx), asked);
      const handle = ctx.jobs.start('dataset-export', { name, format, out, split, maxWindows }, (job) =>
        exportDataset(ctx.db, row, format, out, split, hooksOf(job), maxWindows),
      );
      return { jobId: handle.id };
    },
    delete: ({ name }) => {
      const explicit = /@\d+$/.test(name);
      const targets = explicit
        ? [resolveDataset(ctx.db, name)]
        : repo.versions(resolveDataset(ctx.db, name).name);
      const locked = targets.filter((v) => v.locked || repo.usedByModels(v.id));
      if (locked.length > 0) {
        throw new BitbenchError(
          'conflict',
          `${locked.map((v) => `${v.name}@${v.version}`).join(', ')} ${locked.length === 1 ? 'is' : 'are'} locked: a model was trained on ${locked.length === 1 ? 'it' : 'them'}. ` +
            (explicit
              ? 'Delete the models first.'
              : 'Delete unlocked versions one at a time with name@version, or delete the models first.'),
        );
      }
      // A training (or export) still reading it would fail at its end with the work lost.
      refuseIfDatasetInUse(
        ctx.db,
        targets[0]!.name,
        targets.map((v) => v.version),
      );
      let removedSessions = 0;
      ctx.db.transaction(() => {
        for (const v of targets) {
          for (const s of repo.deleteVersion(v.id)) {
            sessions.purge(s);
            removedSessions++;
          }
        }
      })();
      return { deleted: targets.map((v) => v.version), sessions: removedSessions };
    },
    lock: ({ name }) => {
      const row = resolveDataset(ctx.db, name);
      repo.lock(row.id);
      return summarize(repo.byId(row.id)!);
    },
    groups: () => {
      const byGroup = new Map<string, { sessions: number; samples: number; labels: Set<string> }>();
      for (const s of sessions.list()) {
        if (s.dataset === null || s.source !== 'board') continue;
        const g = byGroup.get(s.dataset) ?? { sessions: 0, samples: 0, labels: new Set<string>() };
        g.sessions++;
        g.samples += s.sampleCount;
        for (const l of sessions.labels(s.id)) g.labels.add(l.label);
        byGroup.set(s.dataset, g);
      }
      return [...byGroup].map(([group, g]) => ({
        group,
        sessions: g.sessions,
        samples: g.samples,
        labels: [...g.labels].sort(),
      }));
    },
  };
}
