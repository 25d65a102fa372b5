import type { ReactNode } from 'react';

export function ErrorBox({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      <strong>Something went wrong.</strong> {message}
      {children}
    </div>
  );
}
