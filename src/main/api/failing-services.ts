import type { Dispatch } from './dispatcher';
import { toApiError } from '../../shared/errors';

/**
 * When the store cannot be opened (missing permissions, locked, corrupt), the UI still loads and
 * every call answers with that error, so the user sees an error page that names the file and
 * the next step instead of a blank window or a silently recreated database.
 */
export function failingDispatcher(err: unknown): Dispatch {
  const error = toApiError(err);
  return async () => ({ ok: false, error });
}
