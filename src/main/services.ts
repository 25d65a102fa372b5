import type { ServiceImpl } from '../shared/api/contract';
import type { AppContext } from './context';
import { createJobsService } from './jobs/jobs-service';
import { createStatusService } from './status-service';

/** Implements the whole contract once; Electron IPC, the headless host and tests all use this. */
export function createServices(ctx: AppContext): ServiceImpl {
  return {
    status: createStatusService(ctx),
    jobs: createJobsService(ctx),
  };
}
