import type { ServiceImpl } from '../../shared/api/contract';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { SessionsRepo } from '../store/sessions-repo';
import { defaultBoardConnector } from './board-connector';
import { decimateMinMax } from './decimate';
import { RecordingManager, type RecordingManagerDeps } from './recording-manager';
import { SessionEditor } from './session-editor';
import { detailOf, summaryOf } from './session-views';

/**
 * The process's recording manager. Created once per context; creating it marks sessions left
 * 'recording' by a process that died as interrupted (they keep what was committed). Tests and the
 * benchmark pass their own connector before the services are created.
 */
export function recordingManager(
  ctx: AppContext,
  deps: Partial<RecordingManagerDeps> = {},
): RecordingManager {
  return ctx.singleton('recording', () => {
    const repo = new SessionsRepo(ctx.db);
    repo.markInterrupted();
    const m = new RecordingManager({
      repo,
      events: ctx.events,
      connector: defaultBoardConnector(ctx),
      ...deps,
    });
    ctx.onClose(() => m.close());
    return m;
  });
}

export function createRecordingService(ctx: AppContext): ServiceImpl['recording'] {
  const manager = recordingManager(ctx);
  const repo = new SessionsRepo(ctx.db);
  const editor = new SessionEditor(ctx.db, repo);
  const detail = (id: number) => detailOf(repo, editor.session(id));
  return {
    start: (input) => manager.start(input),
    stop: () => manager.stop(),
    status: () => manager.status(),
    wait: () => manager.wait(),
    sessions: ({ dataset, limit }) =>
      repo
        .list(dataset !== undefined ? { dataset } : {})
        .slice(0, limit)
        .map((s) => summaryOf(repo, s)),
    session: ({ id }) => detail(id),
    samples: ({ id, start, end, maxPoints }) => {
      const s = editor.session(id);
      const from = Math.min(start ?? 0, s.sampleCount);
      const to = Math.min(end ?? s.sampleCount, s.sampleCount);
      if (to < from) throw new BitbenchError('bad_request', `Range [${start}, ${end}) is empty or reversed.`);
      const { data, channels } = repo.readSamples(id, { start: from, end: to });
      const d = decimateMinMax(data, channels, from, maxPoints);
      return {
        id,
        rate_hz: s.rateHz,
        channels: s.channels.map((c) => c.name),
        total: s.sampleCount,
        start: from,
        end: to,
        bucket: d.bucket,
        index: d.index,
        values: d.channels,
      };
    },
    label: ({ id, label }) => {
      editor.setLabel(id, label);
      return detail(id);
    },
    addSegment: ({ id, label, start, end }) => {
      editor.addSegment(id, label, start, end);
      return detail(id);
    },
    updateSegment: ({ labelId, label, start, end }) => {
      const l = editor.updateSegment(labelId, {
        ...(label !== undefined ? { label } : {}),
        ...(start !== undefined ? { start } : {}),
        ...(end !== undefined ? { end } : {}),
      });
      return detail(l.sessionId);
    },
    deleteSegment: ({ labelId }) => detail(editor.deleteSegment(labelId).sessionId),
    rename: ({ id, name }) => summaryOf(repo, editor.rename(id, name)),
    delete: ({ id }) => {
      const s = editor.delete(id);
      return { deleted: s.id, undo: editor.undoInfo().description ?? '' };
    },
    undo: () => editor.undo(),
    undoInfo: () => editor.undoInfo(),
  };
}
