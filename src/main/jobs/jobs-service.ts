import type { ServiceImpl } from '../../shared/api/contract';
import type { AppContext } from '../context';

export function createJobsService(ctx: AppContext): ServiceImpl['jobs'] {
  return {
    list: ({ limit, kind }) => ctx.jobs.list(limit, kind),
    get: ({ id }) => ctx.jobs.get(id),
    cancel: ({ id }) => ({ cancelled: ctx.jobs.cancel(id) }),
  };
}
