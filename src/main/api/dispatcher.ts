import type { z } from 'zod';
import { contract, parseChannel, type ServiceImpl } from '../../shared/api/contract';
import type { ServiceDef } from '../../shared/api/define';
import { BitbenchError, toApiError, type Reply } from '../../shared/errors';
import { describeStoreError } from '../store/database';
import { collectDamagedRows } from '../store/json-column';

export type Dispatch = (channel: string, rawInput: unknown) => Promise<Reply<unknown>>;

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
}

/**
 * The boundary: every call from IPC or the host goes through here. Unknown channels and bad
 * payloads get a typed error; a throwing handler never takes the process down.
 */
export function createDispatcher(
  impl: ServiceImpl,
  opts: { validateOutput?: boolean; dbPath?: string } = {},
): Dispatch {
  return async (channel, rawInput) => {
    const target = parseChannel(channel);
    if (!target)
      return { ok: false, error: { code: 'bad_request', message: `Unknown API channel "${channel}".` } };
    const def = (contract[target.service] as ServiceDef)[target.method]!;
    const parsed = def.input.safeParse(rawInput);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'bad_request',
          message: `Invalid input for ${target.service}.${target.method}: ${formatIssues(parsed.error)}`,
        },
      };
    }
    try {
      const svc = impl[target.service] as Record<string, (input: unknown) => unknown>;
      // Rows a list left out for a damaged value travel with the reply (and as the damagedRows event).
      const { value, damaged } = await collectDamagedRows(() => svc[target.method]!(parsed.data));
      const extra = damaged.length > 0 ? { damaged } : {};
      if (opts.validateOutput) {
        const out = def.output.safeParse(value);
        if (!out.success) {
          throw new BitbenchError(
            'internal',
            `Output of ${target.service}.${target.method} broke the contract: ${formatIssues(out.error)}`,
          );
        }
        return { ok: true, value: out.data, ...extra };
      }
      return { ok: true, value, ...extra };
    } catch (err) {
      return {
        ok: false,
        error: toApiError(opts.dbPath !== undefined ? describeStoreError(opts.dbPath, err) : err),
      };
    }
  };
}
