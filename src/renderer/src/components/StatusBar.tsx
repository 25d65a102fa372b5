import { useState } from 'react';
import type { Status } from '../../../shared/api/status';
import { api, transport } from '../api';
import { useApi, useEvent, useJobs } from '../hooks';

/** The boards this app is connected to, and any that failed, kept current by the `board` events. */
function BoardStatus() {
  const [version, setVersion] = useState(0);
  useEvent('board', (e) => {
    if (e.state !== 'connecting') setVersion((v) => v + 1);
  });
  const list = useApi(() => api.boards.list(), [], [version]);
  const boards = list.data?.boards ?? [];
  const connected = boards.filter((b) => b.state === 'connected');
  const failed = boards.filter((b) => b.state === 'error');
  return (
    <span data-testid="status-board" title={failed.map((b) => `${b.spec}: ${b.error ?? 'error'}`).join('\n')}>
      board:{' '}
      {list.data === undefined
        ? '…'
        : connected.length
          ? connected.map((b) => `${b.spec}${b.counter ? ` (${b.counter.kind})` : ''}`).join(', ')
          : 'none'}
      {failed.map((b) => (
        <span key={b.spec} className="status-board-failed">
          {' '}
          · {b.spec} failed
        </span>
      ))}
    </span>
  );
}

export function StatusBar({ status }: { status: Status | undefined }) {
  const running = useJobs().filter((j) => j.state === 'running');
  return (
    <footer className="statusbar" data-testid="statusbar">
      <BoardStatus />
      <span title="TensorFlow.js backend">tf: {status?.tfBackend ?? '…'}</span>
      <span title={status?.dbPath}>db: {status?.dbPath ?? '…'}</span>
      <span>{transport === 'electron' ? 'desktop' : 'headless host'}</span>
      <span className="spacer" />
      {running.map((j) => (
        <span key={j.id} className="status-job">
          {j.kind} {Math.round(j.progress * 100)}%
        </span>
      ))}
      <span>bitbench {status?.appVersion ?? ''}</span>
    </footer>
  );
}
