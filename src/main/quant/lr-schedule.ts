/** Learning rate at `step` of `totalSteps` (0-based) under a low-bit run's schedule. */
export function scheduledLearningRate(
  base: number,
  schedule: 'constant' | 'cosine',
  step: number,
  totalSteps: number,
): number {
  if (schedule === 'constant' || totalSteps <= 1) return base;
  // Cosine decay to 0 at the last step: late steps move binary weights' latent values little, so the
  // regulariser (at its strongest then) and the task loss settle instead of trading signs.
  const t = Math.min(1, Math.max(0, step / (totalSteps - 1)));
  return 0.5 * base * (1 + Math.cos(Math.PI * t));
}
