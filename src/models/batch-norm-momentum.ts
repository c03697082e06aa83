/**
 * Setting the BatchNormalization momentum of a built model. Keras' default 0.99 makes the
 * moving statistics (used at inference) follow the batch statistics (used in training) over
 * hundreds of steps; PyTorch's default 0.1 is Keras' 0.9 and settles in tens of steps —
 * what a short run, or a port of a PyTorch recipe, needs.
 */
import { checkRange } from '../util/checks';
import type { LayerSource } from './freeze';

/**
 * Sets `momentum` on every BatchNormalization layer of `source` (a model or a list of its
 * layers), in place, and returns how many layers changed. The moving averages update as
 * `moving = momentum * moving + (1 - momentum) * batch`; `getConfig()` (so `save()`) keeps
 * the new value. Takes effect on the next training step, no recompile needed.
 */
export function setBatchNormMomentum(source: LayerSource, momentum: number): number {
  checkRange(momentum, 'momentum', 'setBatchNormMomentum', { lo: 0, hi: 1 });
  const layers = Array.isArray(source) ? source : source.layers;
  let n = 0;
  for (const l of layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    // tfjs-layers reads `momentum` at call time but declares it readonly.
    (l as unknown as { momentum: number }).momentum = momentum;
    n++;
  }
  return n;
}
