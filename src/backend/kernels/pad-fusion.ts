import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { convWithBatchNorm } from './conv-bn-fusion';
import { type CallFn, one, patch, type Proto } from './layer-paths';
import { installModelTracking, mark, soleConsumer, takeMark } from './running-model';

/*
 * A ZeroPadding2D layer whose one consumer is a 'valid' DepthwiseConv2D (MobileNetV2's four
 * stride-2 blocks, Keras' correct_pad) writes a padded copy of its input that the convolution
 * then reads again: 2.1 ms of a 26 ms MobileNetV2 prediction (batch 8 at 128x128, with the
 * addon). At inference (no gradient tape) in a running model, the pad hands its input on
 * unpadded and the depthwise convolution takes the padding explicitly: the same products in
 * the same order with the padding's zero terms left out, so the same values (tested bit for
 * bit on cpu and wasm). In training both layers run as they are.
 */

let enabled = true;

/** Turn the fusion off (`false`) or on again, for comparisons. @internal */
export function usePadFusion(on: boolean): void {
  enabled = on;
}

// What the patched calls read of tfjs-layers' ZeroPadding2D and DepthwiseConv2D (4.x).
interface PaddingLike {
  padding: [[number, number], [number, number]];
  dataFormat: string;
}
interface DepthwiseLike {
  padding: string;
  dataFormat: string;
  strides: number[];
  useBias: boolean;
  depthwiseKernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  dilationRate: number | number[];
  activation: { apply(t: tf.Tensor): tf.Tensor } | null;
}

/** The depthwise layer that may take this pad's padding, or null. */
function fusableConsumer(pad: object, x: tf.Tensor): object | null {
  if (!enabled || tf.engine().state.gradientDepth > 0 || x.rank !== 4 || x.dtype !== 'float32') return null;
  if ((pad as PaddingLike).dataFormat !== 'channelsLast') return null;
  const consumer = soleConsumer(pad) as unknown as (DepthwiseLike & { call: unknown }) | null;
  // the stock layer's call, patched below, which takes the padding (not a subclass' own call:
  // foldBatchNorm's folded depthwise layer would convolve the unpadded input)
  if (consumer == null || depthwiseCall == null || consumer.call !== depthwiseCall) return null;
  return consumer.padding === 'valid' && consumer.dataFormat === 'channelsLast' ? consumer : null;
}

/** A ZeroPadding2D's padding as a convolution's explicit NHWC padding. */
function explicit([[top, bottom], [left, right]]: PaddingLike['padding']): [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
] {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** The patched DepthwiseConv2D call. */
let depthwiseCall: CallFn | null = null;

/** Install the pass-through pad and the depthwise layer's explicit padding (idempotent). */
export function installPadFusion(): void {
  installModelTracking();
  patch(
    Object.getPrototypeOf(tfl.layers.zeroPadding2d({})) as Proto,
    (stock) =>
      function zeroPaddingCall(this: unknown, inputs, kwargs): tf.Tensor {
        const x = one(inputs);
        const consumer = x == null ? null : fusableConsumer(this as object, x);
        if (x == null || consumer == null) return stock.call(this, inputs, kwargs);
        // a new tensor on the same buffer (the executor may dispose x)
        return mark(tf.reshape(x, x.shape), consumer, (this as PaddingLike).padding);
      },
  );
  const dwProto = Object.getPrototypeOf(tfl.layers.depthwiseConv2d({ kernelSize: 1 })) as Proto;
  patch(
    dwProto,
    (stock) =>
      function depthwiseFused(this: unknown, inputs, kwargs): tf.Tensor {
        const m = takeMark(inputs, this as object);
        const l = this as DepthwiseLike;
        const x = one(inputs) as tf.Tensor4D | null;
        // with its batch norm (conv-bn-fusion.ts), the padding given or taken from the pad
        const fused =
          x != null
            ? convWithBatchNorm(this as object, x, kwargs, () => ({
                filter: l.depthwiseKernel.read(),
                bias: l.useBias && l.bias != null ? l.bias.read() : null,
                strides: l.strides,
                pad: m == null ? (l.padding as 'same' | 'valid') : explicit(m.data as PaddingLike['padding']),
                dilations: l.dilationRate,
                depthwise: true,
              }))
            : null;
        if (fused != null) return fused;
        if (m == null || x == null) return stock.call(this, inputs, kwargs);
        return tf.tidy(() => {
          let y: tf.Tensor = tf.depthwiseConv2d(
            x,
            l.depthwiseKernel.read() as tf.Tensor4D,
            l.strides as [number, number],
            explicit(m.data as PaddingLike['padding']),
            'NHWC',
          );
          // as the layer's own call: + bias (broadcast over the channels), then the activation
          if (l.useBias && l.bias != null) y = tf.add(y, l.bias.read());
          return l.activation == null ? y : l.activation.apply(y);
        });
      },
  );
  depthwiseCall = dwProto.call;
}
