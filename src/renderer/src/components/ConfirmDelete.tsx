import { useState, type ReactNode } from 'react';
import { ErrorBox } from './ErrorBox';

/**
 * "Delete…", then a confirmation saying what goes, then the deletion; a refusal shows in place.
 * `testId` names the first button; the confirming one is `confirmTestId`.
 */
export function ConfirmDelete({
  what,
  onConfirm,
  onDeleted,
  testId,
  confirmTestId,
}: {
  /** The confirmation's text: what will be deleted. */
  what: ReactNode;
  onConfirm: () => Promise<unknown>;
  onDeleted: () => void;
  testId: string;
  confirmTestId: string;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <div className="row">
      {!confirming ? (
        <button type="button" onClick={() => setConfirming(true)} data-testid={testId}>
          Delete…
        </button>
      ) : (
        <div className="card" role="alertdialog" aria-label="Confirm delete">
          {what} This cannot be undone.{' '}
          <button
            type="button"
            className="primary"
            data-testid={confirmTestId}
            onClick={() => {
              onConfirm().then(onDeleted, (err: unknown) => setError(err));
            }}
          >
            Delete
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
