import { z } from 'zod';
import type { DamagedRow } from './api/damaged-rows';

/** Error codes that cross the main↔renderer and host↔browser boundary. */
export const ErrorCode = z.enum([
  'bad_request',
  'not_found',
  'conflict',
  'cancelled',
  'unavailable',
  'device',
  'timeout',
  'store',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiErrorSchema = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** A reply; `damaged` names rows a list left out because a JSON value of theirs is damaged. */
export type Reply<T> = { ok: true; value: T; damaged?: DamagedRow[] } | { ok: false; error: ApiError };

/** An error with a code that the boundary reports as-is; anything else becomes `internal`. */
export class BitbenchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BitbenchError';
  }

  toApiError(): ApiError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof BitbenchError) return err.toApiError();
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

export function unwrapReply<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new BitbenchError(reply.error.code, reply.error.message, reply.error.details);
}
