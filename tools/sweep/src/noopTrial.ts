/** A trial that returns at once: what a sweep costs per trial beyond the training itself. */
import type { TrialFunction } from '@trainkit/sweep';

export const noopTrial: TrialFunction<{ x: number }> = (config) => ({ loss: config.x });
