// Edits of stored sessions — rename, labels, segments, delete — each undoable until the next one.
// Delete is a soft delete (the session is hidden, its samples kept) so undo is instant; the
// session is purged for good when another destructive action takes the single undo slot.

import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { RecordingUndoRepo } from '../store/recording-undo-repo';
import type { Label, Session, SessionsRepo } from '../store/sessions-repo';

type UndoPayload =
  | { action: 'delete_session'; id: number }
  | { action: 'rename'; id: number; before: string }
  | { action: 'set_label'; sessionId: number; removed: Label | null; added: number }
  | { action: 'add_segment'; labelId: number }
  | { action: 'update_segment'; before: Label }
  | { action: 'delete_segment'; label: Label };

function describeRange(l: Pick<Label, 'startSample' | 'endSample'>): string {
  return l.endSample === null ? `from sample ${l.startSample}` : `samples [${l.startSample}, ${l.endSample})`;
}

export class SessionEditor {
  private readonly undoRepo: RecordingUndoRepo;

  constructor(
    private readonly db: Db,
    private readonly repo: SessionsRepo,
  ) {
    this.undoRepo = new RecordingUndoRepo(db);
  }

  session(id: number): Session {
    const s = this.repo.get(id);
    if (!s || s.deletedAt) throw new BitbenchError('not_found', `No session with id ${id}.`);
    return s;
  }

  private label(id: number): Label {
    const l = this.repo.getLabel(id);
    if (!l || !this.repo.get(l.sessionId) || this.repo.get(l.sessionId)!.deletedAt) {
      throw new BitbenchError('not_found', `No label with id ${id}.`);
    }
    return l;
  }

  /** Records the new undo step; a session deleted by the step it replaces is purged now. */
  private remember(description: string, payload: UndoPayload): void {
    const prev = this.undoRepo.get();
    const p = prev?.payload as UndoPayload | undefined;
    if (p?.action === 'delete_session') this.repo.purge(p.id);
    this.undoRepo.set(payload.action, description, payload);
  }

  private checkRange(s: Session, start: number, end: number | null): void {
    if (end !== null && end <= start) {
      throw new BitbenchError('bad_request', `A segment needs start < end; got [${start}, ${end}).`);
    }
    const last = end ?? start + 1;
    if (s.state !== 'recording' && last > s.sampleCount) {
      throw new BitbenchError(
        'bad_request',
        `Segment [${start}, ${end ?? 'end'}) is outside session ${s.id} "${s.name}", which has ${s.sampleCount} samples.`,
      );
    }
  }

  rename(id: number, name: string): Session {
    const s = this.session(id);
    if (s.name === name) return s;
    this.db.transaction(() => {
      this.repo.rename(id, name);
      this.remember(`rename "${name}" back to "${s.name}"`, { action: 'rename', id, before: s.name });
    })();
    return this.session(id);
  }

  setLabel(id: number, label: string): void {
    this.session(id);
    this.db.transaction(() => {
      const removed = this.repo.labels(id).find((l) => l.startSample === 0 && l.endSample === null) ?? null;
      const added = this.repo.setSessionLabel(id, label);
      this.remember(
        removed
          ? `label of session ${id} back to "${removed.label}"`
          : `remove label "${label}" of session ${id}`,
        { action: 'set_label', sessionId: id, removed, added: added.id },
      );
    })();
  }

  addSegment(id: number, label: string, start: number, end: number): Label {
    const s = this.session(id);
    this.checkRange(s, start, end);
    return this.db.transaction(() => {
      const l = this.repo.addLabel(id, label, start, end);
      this.remember(`remove segment "${label}" ${describeRange(l)}`, {
        action: 'add_segment',
        labelId: l.id,
      });
      return l;
    })();
  }

  updateSegment(labelId: number, patch: { label?: string; start?: number; end?: number | null }): Label {
    const before = this.label(labelId);
    const s = this.session(before.sessionId);
    const start = patch.start ?? before.startSample;
    const end = patch.end === undefined ? before.endSample : patch.end;
    this.checkRange(s, start, end);
    return this.db.transaction(() => {
      this.repo.updateLabel(labelId, {
        ...(patch.label !== undefined ? { label: patch.label } : {}),
        startSample: start,
        endSample: end,
      });
      this.remember(`segment back to "${before.label}" ${describeRange(before)}`, {
        action: 'update_segment',
        before,
      });
      return this.repo.getLabel(labelId)!;
    })();
  }

  deleteSegment(labelId: number): Label {
    const l = this.label(labelId);
    this.db.transaction(() => {
      this.repo.deleteLabel(labelId);
      this.remember(`restore segment "${l.label}" ${describeRange(l)}`, {
        action: 'delete_segment',
        label: l,
      });
    })();
    return l;
  }

  delete(id: number): Session {
    const s = this.session(id);
    if (s.state === 'recording' && s.endedAt === null) {
      throw new BitbenchError(
        'conflict',
        `Session ${id} "${s.name}" is still recording; stop it before deleting it.`,
      );
    }
    this.db.transaction(() => {
      this.repo.softDelete(id);
      this.remember(`restore session ${id} "${s.name}"`, { action: 'delete_session', id });
    })();
    return s;
  }

  undoInfo(): { action: string | null; description: string | null } {
    const e = this.undoRepo.get();
    return { action: e?.action ?? null, description: e?.description ?? null };
  }

  /** Undoes the last destructive action; returns what was undone (nulls when nothing was pending). */
  undo(): { action: string | null; description: string | null } {
    const e = this.undoRepo.get();
    if (!e) return { action: null, description: null };
    const p = e.payload as UndoPayload;
    const gone = (what: string) =>
      new BitbenchError('not_found', `Cannot undo "${e.description}": ${what} no longer exists.`);
    this.db.transaction(() => {
      switch (p.action) {
        case 'delete_session':
          if (!this.repo.get(p.id)) throw gone(`session ${p.id}`);
          this.repo.restore(p.id);
          break;
        case 'rename':
          if (!this.repo.get(p.id)) throw gone(`session ${p.id}`);
          this.repo.rename(p.id, p.before);
          break;
        case 'set_label':
          if (!this.repo.get(p.sessionId)) throw gone(`session ${p.sessionId}`);
          this.repo.deleteLabel(p.added);
          if (p.removed) this.repo.restoreLabel(p.removed);
          break;
        case 'add_segment':
          this.repo.deleteLabel(p.labelId);
          break;
        case 'update_segment':
          if (!this.repo.getLabel(p.before.id)) throw gone(`label ${p.before.id}`);
          this.repo.updateLabel(p.before.id, {
            label: p.before.label,
            startSample: p.before.startSample,
            endSample: p.before.endSample,
          });
          break;
        case 'delete_segment':
          if (!this.repo.get(p.label.sessionId)) throw gone(`session ${p.label.sessionId}`);
          this.repo.restoreLabel(p.label);
          break;
      }
      this.undoRepo.clear();
    })();
    return { action: e.action, description: e.description };
  }
}
