import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

const MINE = Symbol('medinets mask gradient');

/**
 * Replaces the gradient of tfjs' kernel `name` (an activation whose derivative is a mask of its
 * input x, as ReLU, ReLU6 and ClipByValue) by one that runs the one-pass kernel `mask`
 * (inputs `dy`, `x`; attributes from `maskAttrs`) where `mask` is registered for the active
 * backend and both tensors are float32, and tfjs' own gradient elsewhere (webgl, webgpu,
 * tfjs-node, int tensors). `fromOutput`: the activation's mask is the same function of its
 * output y as of x (ReLU: y > 0 exactly where x > 0, NaN where x is NaN), so the tape saves y
 * instead of x; y is usually saved anyway by the next layer (a convolution's dW reads its
 * input), so the activation's input (a batch norm's output) is no longer kept to the end of the
 * backward pass: one activation-sized tensor less per norm-activation pair, as PyTorch's in-place
 * ReLU saves. Also registers `mask`'s own gradient (second order, a gradient
 * penalty through the activation): linear in dy through the same mask, zero almost everywhere
 * in x. Idempotent.
 */
export function replaceMaskGradient(
  name: string,
  mask: string,
  maskAttrs: (attrs: NamedAttrMap) => NamedAttrMap,
  fromOutput = false,
): void {
  const stock = tf.getGradient(name);
  if (stock != null && (stock as unknown as Record<symbol, unknown>)[MINE] == null) {
    const config: GradConfig = {
      kernelName: name,
      ...(fromOutput ? { outputsToSave: [true] } : { inputsToSave: ['x'] }),
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0] as tf.Tensor;
        const g = dy as tf.Tensor;
        if (tf.getKernel(mask, tf.getBackend()) == null || x.dtype !== 'float32' || g.dtype !== 'float32')
          return stock.gradFunc(dy, saved, attrs);
        const a = maskAttrs(attrs);
        return { x: () => tf.engine().runKernel(mask, { dy: g, x }, a) as tf.Tensor };
      },
    };
    (config as unknown as Record<symbol, unknown>)[MINE] = true;
    tf.registerGradient(config);
  }
  if (tf.getGradient(mask) == null) {
    tf.registerGradient({
      kernelName: mask,
      inputsToSave: ['x'],
      gradFunc: (ddx, saved, attrs) => {
        const x = saved[0] as tf.Tensor;
        return {
          dy: () => tf.engine().runKernel(mask, { dy: ddx as tf.Tensor, x }, attrs) as tf.Tensor,
          x: () => tf.zerosLike(x),
        };
      },
    });
  }
}
