import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { convWithBatchNorm } from './conv-bn-fusion';
import { gradientReaches } from './lean-backprop';

/*
 * Two tfjs-layers calls routed through cheaper ops of the same arithmetic, on every backend:
 *
 * - `ReLU({ maxValue: 6 })` (Keras' ReLU6, MobileNetV2's every activation) runs relu then
 *   clipByValue: two passes forward and two gradients (ClipByValue's, then Relu's) backward.
 *   tf.relu6 is one of each, with the same values: min(max(x, 0), 6), NaN kept, and a
 *   gradient of dy where 0 < x <= 6, else dy * 0 (NaN where x is NaN), as the pair gives.
 * - A linear Conv2D layer trains through tfjs' fused conv2d, whose customGrad computes dx and
 *   dW together whatever the tape needs: dx of a network's stem (its input is data) was
 *   computed and thrown away every step (ResNet-18, batch 8 at 128x128x1: 5.9 ms of a 210 ms
 *   step). tf.conv2d is the same convolution with tfjs' registered gradient, whose dx and dW
 *   are closures the tape calls only for inputs a gradient flows to; a gradient with respect
 *   to the input image (saliency, Grad-CAM on the input) still gets it. Without a bias every
 *   such layer takes it; with one, the layers no gradient reaches the input of (the stem),
 *   as tf.conv2d then tf.add of the bias: the fused kernel's bias is the same float32 add
 *   after the sum, and its gradient the same sum of dy over the batch and pixels.
 *
 * In inference a Conv2D layer that feeds a batch norm alone may run with it (conv-bn-fusion.ts).
 */

const PATCHED = Symbol.for('medinets.layerPaths');

export type CallFn = (
  this: unknown,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor;
export type Proto = Record<symbol, unknown> & { call: CallFn };

// What the patched calls read of tfjs-layers' ReLU and Conv2D (4.x).
interface ReLULike {
  maxValue?: number | null;
}
interface Conv2DLike {
  rank: number;
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string } | null;
}

/** A layer call's one input tensor, or null when it has several. */
export function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? (inputs[0] as tf.Tensor) : null;
}

/** Replace a layer class' call by make(stock) once (the stock call kept on the prototype). */
export function patch(proto: Proto, make: (stock: CallFn) => CallFn): void {
  if (proto[PATCHED] != null) return;
  const stock = proto.call;
  proto[PATCHED] = stock;
  proto.call = make(stock);
}

const unitDilation = (d: number | number[]): boolean =>
  Array.isArray(d) ? d.every((v) => v === 1) : d === 1;

/** Install both routes (idempotent). */
export function installLayerPaths(): void {
  patch(
    Object.getPrototypeOf(tfl.layers.reLU({ maxValue: 6 })) as Proto,
    (stock) =>
      function relu6Call(this: unknown, inputs, kwargs): tf.Tensor {
        const x = one(inputs);
        if ((this as ReLULike).maxValue !== 6 || x == null || x.dtype !== 'float32') {
          return stock.call(this, inputs, kwargs);
        }
        return tf.relu6(x);
      },
  );
  patch(
    Object.getPrototypeOf(tfl.layers.conv2d({ filters: 1, kernelSize: 1 })) as Proto,
    (stock) =>
      function conv2DCall(this: unknown, inputs, kwargs): tf.Tensor {
        const l = this as Conv2DLike;
        const x = one(inputs);
        const plain =
          tf.engine().state.gradientDepth > 0 &&
          x != null &&
          x.rank === 4 &&
          x.dtype === 'float32' &&
          l.rank === 2 &&
          (l.activation == null || l.activation.getClassName() === 'linear') &&
          l.dataFormat === 'channelsLast' &&
          (l.padding === 'same' || l.padding === 'valid') &&
          unitDilation(l.dilationRate) &&
          (l.bias == null || !gradientReaches(x));
        if (!plain) {
          const fused =
            x != null && l.rank === 2 && (l.padding === 'same' || l.padding === 'valid')
              ? convWithBatchNorm(this as object, x, kwargs, () => ({
                  filter: l.kernel.read(),
                  bias: l.bias?.read() ?? null,
                  strides: l.strides,
                  pad: l.padding as 'same' | 'valid',
                  dilations: l.dilationRate,
                  depthwise: false,
                }))
              : null;
          return fused ?? stock.call(this, inputs, kwargs);
        }
        const y = tf.conv2d(
          x as tf.Tensor4D,
          l.kernel.read() as tf.Tensor4D,
          l.strides as [number, number],
          l.padding as 'same' | 'valid',
          'NHWC',
        );
        return l.bias == null ? y : tf.add(y, l.bias.read());
      },
  );
}
