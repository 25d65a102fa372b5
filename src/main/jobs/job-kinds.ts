/** Every kind of job bitbench starts (`JobRunner.start`'s first argument across the services). */
export const JOB_KINDS = [
  'train',
  'quantize',
  'lowbit-train',
  'lowbit-sensitivity',
  'flash',
  'profile',
  'footprint',
  'verify',
  'dataset-import',
  'dataset-build',
  'dataset-export',
  'firmware-build',
] as const;
