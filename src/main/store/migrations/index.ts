import { migration0001 } from './0001-core';
import { migration0003 } from './0003-datasets';
import { migration0004 } from './0004-models';
import { migration0005 } from './0005-quant';
import { migration0006 } from './0006-recording';
import { migration0010 } from './0010-deploy';
import { migration0011 } from './0011-orphan-variants';
import { migration0012 } from './0012-job-cancel-request';
import { migration0013 } from './0013-job-stages';
import { migration0014 } from './0014-run-layer-cost-kernel';
import { migration0015 } from './0015-run-layer-loop-work';
import { migration0016 } from './0016-run-layer-channels';
import type { Migration } from './types';

/** Ordered list of every migration. A feature appends its own, one file each. */
export const migrations: readonly Migration[] = [
  migration0001,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0010,
  migration0011,
  migration0012,
  migration0013,
  migration0014,
  migration0015,
  migration0016,
];

export type { Migration };
