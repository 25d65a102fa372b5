import type { ReactNode } from 'react';
import { BitbenchError } from '../../../shared/errors';

/** What the box's bold word says: a refusal of bad input is not a failure of the app. */
function titleOf(error: unknown): string {
  const code = error instanceof BitbenchError ? error.code : undefined;
  if (code === 'bad_request' || code === 'conflict' || code === 'not_found') return 'Refused.';
  if (code === 'cancelled') return 'Cancelled.';
  return 'Something went wrong.';
}

export function ErrorBox({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      <strong>{titleOf(error)}</strong> {message}
      {children}
    </div>
  );
}
