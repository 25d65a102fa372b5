import type { ServiceImpl } from '../shared/api/contract';
import type { AppContext } from './context';
import { createDatasetsService } from './datasets/datasets-service';
import { createDeployService } from './deploy/deploy-service';
import { createEngineService } from './engine/engine-service';
import { createBoardsService } from './device/boards-service';
import { createFirmwareService } from './device/firmware-service';
import { createJobsService } from './jobs/jobs-service';
import { createLowBitService } from './quant/lowbit-service';
import { createQuantService } from './quant/quant-service';
import { createRecordingService } from './recording/recording-service';
import { createStatusService } from './status-service';
import { createModelsService, createTrainingService } from './ml/training-service';

/** Implements the whole contract once; Electron IPC, the headless host and tests all use this. */
export function createServices(ctx: AppContext): ServiceImpl {
  return {
    status: createStatusService(ctx),
    jobs: createJobsService(ctx),
    boards: createBoardsService(ctx),
    recording: createRecordingService(ctx),
    datasets: createDatasetsService(ctx),
    training: createTrainingService(ctx),
    models: createModelsService(ctx),
    quant: createQuantService(ctx),
    lowbit: createLowBitService(ctx),
    engine: createEngineService(ctx),
    deploy: createDeployService(ctx),
    firmware: createFirmwareService(ctx),
  };
}
