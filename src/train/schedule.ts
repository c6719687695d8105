/** Learning-rate schedule: linear warm-up from 0, then cosine decay to `minLr`. */
export interface LrSchedule {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate at 1-based `step`; constant `minLr` past `totalSteps`. */
export function learningRate(step: number, schedule: LrSchedule): number {
  const { maxLr, minLr, warmupSteps, totalSteps } = schedule;
  if (step <= warmupSteps) return (maxLr * step) / Math.max(1, warmupSteps);
  if (step >= totalSteps) return minLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
