import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activeAddon } from '../native';
import type { BatchNormLike } from './batch-norm';
import { bnAffine, fusableRelu } from './bn-activation';
import { nativeDepthwise } from './native-depthwise';
import { conv2D } from './native-kernels';
import type { KernelEntry } from './registry';
import { mark, soleConsumer } from './running-model';
import { viewFloat } from './util';

/*
 * A Conv2D or DepthwiseConv2D layer whose only consumer is a BatchNormalization layer in
 * inference (and that one's only consumer, if any, a ReLU / ReLU6) runs the three as one
 * convolution of the native addon: the batch norm's per-channel y = v a + b and the ReLU are
 * applied in the GEMM's (or the depthwise loop's) epilogue while the tile is in registers,
 * instead of two more passes over the output (MobileNetV2, batch 8 at 128x128: 35 batch-norm
 * passes, 7-8 ms of a 28 ms prediction). Unlike folding a and b into the filter (what
 * `foldBatchNorm` does for a deployed copy), the products are untouched: every value is the
 * convolution's, + its bias, times a, + b, each rounded on its own exactly as the separate
 * batch-norm kernel computes it, so predictions keep their bits (tested on every path: the
 * implicit GEMM, Winograd, the depthwise loops). Under a fused ReLU a NaN becomes 0, as in the
 * addon's FusedConv2D (the separate ReLU keeps it).
 *
 * The conditions are those of the other layer fusions (running-model.ts): no gradient tape,
 * the model running (predict / evaluate / apply), the convolution applied once and feeding only
 * the batch norm, channels last, the convolution without an activation of its own, the addon
 * active. The batch norm then returns its input as it is (it was marked for it), and marks it
 * on for the ReLU when one was fused.
 */

let enabled = true;

/** Turn the fusion on or off (tests and benchmarks compare the two); returns the old state. */
export function useConvBnFusion(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** The fused kernel: inputs x, filter, bias?, mean, variance, scale?, offset?. */
export const CONV_BN_KERNEL = 'MedinetsConvBatchNorm';

/** A batch-norm layer as the fusion reads it. */
type BatchNormLayer = BatchNormLike & { call: unknown; getClassName(): string };

/** The convolution as the layer computes it (its kernel read, its bias or null). */
export interface ConvSpec {
  filter: tf.Tensor;
  bias: tf.Tensor | null;
  strides: number[];
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  dilations: number | number[];
  depthwise: boolean;
}

/** What the fusion reads of the convolution layer (Conv2D, DepthwiseConv2D: tfjs-layers 4.x). */
interface ConvLayer {
  dataFormat: string;
  activation: { getClassName(): string } | null;
}

let bnCall: unknown = null;

/** The batch norm that `layer` (channels last, no activation of its own) may hand its output to, or null. */
function fusableBatchNorm(
  layer: object,
  x: tf.Tensor,
  kwargs: Record<string, unknown>,
): BatchNormLayer | null {
  if (!enabled || tf.engine().state.gradientDepth > 0 || kwargs?.training === true) return null;
  if (x.rank !== 4 || x.dtype !== 'float32' || activeAddon() == null) return null;
  const { dataFormat, activation } = layer as ConvLayer;
  if (dataFormat !== 'channelsLast' || (activation != null && activation.getClassName() !== 'linear'))
    return null;
  const backend = tf.getBackend();
  if ((backend !== 'wasm' && backend !== 'cpu') || tf.getKernel(CONV_BN_KERNEL, backend) == null) return null;
  const bn = soleConsumer(layer) as unknown as BatchNormLayer | null;
  if (bn == null || bn.getClassName() !== 'BatchNormalization') return null;
  // the stock layer's call, which passes a marked input through (not a subclass' own call)
  bnCall ??= (Object.getPrototypeOf(tfl.layers.batchNormalization({})) as { call: unknown }).call;
  return bn.call !== bnCall || (bn.axis !== -1 && bn.axis !== 3) ? null : bn;
}

/**
 * The layer's convolution, its consumer batch norm and that one's ReLU as one fused kernel
 * call, marked for the batch norm; null when the fusion does not apply (the layer then runs as
 * it is).
 */
export function convWithBatchNorm(
  layer: object,
  x: tf.Tensor,
  kwargs: Record<string, unknown>,
  conv: () => ConvSpec,
): tf.Tensor | null {
  const bn = fusableBatchNorm(layer, x, kwargs);
  if (bn == null) return null;
  const relu = fusableRelu(bn, x);
  const c = conv();
  const gamma = bn.scale && bn.gamma != null ? bn.gamma.read() : null;
  const beta = bn.center && bn.beta != null ? bn.beta.read() : null;
  const y = tf.engine().runKernel(
    CONV_BN_KERNEL,
    {
      x,
      filter: c.filter,
      ...(c.bias != null ? { bias: c.bias } : {}),
      mean: bn.movingMean.read(),
      variance: bn.movingVariance.read(),
      ...(gamma != null ? { scale: gamma } : {}),
      ...(beta != null ? { offset: beta } : {}),
    },
    {
      strides: c.strides,
      pad: c.pad,
      dilations: c.dilations,
      dataFormat: 'NHWC',
      depthwise: c.depthwise,
      epsilon: bn.epsilon,
      activation: relu == null ? 'linear' : relu.cap === 6 ? 'relu6' : 'relu',
    } as unknown as NamedAttrMap,
  ) as tf.Tensor;
  return mark(y, bn, relu?.consumer ?? null);
}

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };

/** The fused kernel: the addon's convolution with the batch norm's a and b in its epilogue. */
function convBatchNorm({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, filter, bias, mean, variance, scale, offset } = inputs;
  const view = (t: TensorInfo | undefined): Float32Array | null => (t == null ? null : viewFloat(backend, t));
  const channels = mean == null ? 0 : tf.util.sizeFromShape(mean.shape);
  const ok = [variance, scale, offset].every((t) => t == null || tf.util.sizeFromShape(t.shape) === channels);
  // copied out of the heap before the output's allocation (which may move a wasm heap)
  const ab =
    ok && variance != null
      ? bnAffine(
          view(mean) as Float32Array,
          view(variance) as Float32Array,
          view(scale),
          view(offset),
          attrs.epsilon as number,
        )
      : null;
  const args = { inputs: { x, filter, bias }, backend, attrs };
  const out =
    ab == null ? null : attrs.depthwise === true ? nativeDepthwise(args, true, ab) : conv2D(args, true, ab);
  if (out == null) {
    throw new Error(
      `medinets ${CONV_BN_KERNEL}: inputs: expected float32 NHWC x and filter and ${channels}-channel batch-norm parameters matching the output, with the native addon active`,
    );
  }
  return out;
}

const WHY =
  'a Conv2D / DepthwiseConv2D layer in inference whose one consumer is a BatchNormalization (and a ReLU): the normalisation and the ReLU in the convolution epilogue of the addon (new kernel)';

/** The fused kernel's entries for wasm and cpu. */
export const convBnEntries: KernelEntry[] = (['wasm', 'cpu'] as const).map((backendName) => ({
  kernelName: CONV_BN_KERNEL,
  backendName,
  kind: 'speed' as const,
  why: WHY,
  make: () => convBatchNorm as unknown as KernelFunc,
}));
