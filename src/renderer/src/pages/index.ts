import type { ComponentType } from 'react';
import { ComparePage } from './ComparePage';
import { DatasetsPage } from './DatasetsPage';
import { DeployPage } from './DeployPage';
import { DevicesPage } from './DevicesPage';
import { QuantizePage } from './QuantizePage';
import { RecordPage } from './RecordPage';
import { TrainPage } from './TrainPage';

/** The left rail, in the order of the loop. */
export const pages: ReadonlyArray<{ id: string; label: string; component: ComponentType }> = [
  { id: 'devices', label: 'Devices', component: DevicesPage },
  { id: 'record', label: 'Record', component: RecordPage },
  { id: 'datasets', label: 'Datasets', component: DatasetsPage },
  { id: 'train', label: 'Train', component: TrainPage },
  { id: 'quantize', label: 'Quantize', component: QuantizePage },
  { id: 'deploy', label: 'Deploy & Profile', component: DeployPage },
  { id: 'compare', label: 'Compare', component: ComparePage },
];
