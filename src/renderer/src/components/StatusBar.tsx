import type { Status } from '../../../shared/api/status';
import { transport } from '../api';
import { useJobs } from '../hooks';

export function StatusBar({ status }: { status: Status | undefined }) {
  const running = useJobs().filter((j) => j.state === 'running');
  return (
    <footer className="statusbar" data-testid="statusbar">
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
