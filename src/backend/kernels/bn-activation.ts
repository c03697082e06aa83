import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activeAddon } from '../native';
import { batchNormInference } from './native-kernels';
import type { KernelEntry } from './registry';
import { installModelTracking, type LayerLike, soleConsumer, takeMark } from './running-model';
import { allocFloat, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/*
 * A BatchNormalization layer whose only consumer is a ReLU (ReLU layer, ReLU6 layer, or an
 * Activation('relu') layer) runs the two in one pass of the native addon: in training the
 * batch-norm kernel writes relu(y) and its gradient applies the ReLU's mask itself (y is
 * recomputed from x and the forward's float64 coefficients), so neither the pre-activation
 * tensor nor the ReLU's two passes are made; in inference (no gradient tape) the normalisation
 * and the ReLU are one pass, also on wasm without the addon (in medinets' SIMD module). The
 * results are bit for bit those of the two kernels in turn.
 *
 * The layer sees only itself, so it fuses only where the graph says the fusion is invisible:
 * the layer is applied once and feeds exactly one node, that node's layer is a ReLU applied
 * once, both belong to the model that is running (fit / trainOnBatch / evaluate / predict /
 * apply of that model, tracked in running-model.ts), and the batch norm's output is not one of its
 * outputs. The ReLU layer then returns its input as it is (a Reshape to its own shape): it was
 * marked for it.
 */

let enabled = true;

/** Turn the fusion on or off (tests and benchmarks compare the two); returns the old state. */
export function useBnReluFusion(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** The inference kernel: inputs x, mean, variance, scale?, offset?; attrs epsilon, cap. */
export const BN_INFER_RELU_KERNEL = 'MedinetsBatchNormInferRelu';

interface ReluLike extends LayerLike {
  maxValue?: number | null;
  activation?: { getClassName(): string } | null;
}

/** The cap of a ReLU layer's activation (Infinity: ReLU, 6: ReLU6), null for other layers. */
function reluCap(layer: ReluLike): number | null {
  const name = layer.getClassName();
  if (name === 'ReLU') return layer.maxValue == null ? Infinity : layer.maxValue === 6 ? 6 : null;
  if (name === 'Activation') return layer.activation?.getClassName() === 'relu' ? Infinity : null;
  return null;
}

/**
 * The ReLU to fuse after batch-norm layer `bn` in the running model, or null (see above). In
 * training only with the native addon active (the fused passes are its; on wasm without it,
 * fusing measured no faster: the mask's arithmetic in the gradient costs what the forward
 * saves); in `inference` also on wasm with medinets' SIMD module (ResNet-50 / MobileNetV2
 * predictions without the addon then skip a pass over each batch norm's output).
 */
export function fusableRelu(
  bn: object,
  x: tf.Tensor,
  inference = false,
): { cap: number; consumer: object } | null {
  if (!enabled || x.dtype !== 'float32') return null;
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return null;
  // in inference also on wasm without the addon: one pass of the SIMD module instead of two
  const simdOnly = inference && backend === 'wasm' && wasmSimd(tf.backend()) != null;
  if (activeAddon() == null && !simdOnly) return null;
  const consumer = soleConsumer(bn);
  const cap = consumer == null ? null : reluCap(consumer as ReluLike);
  return cap == null ? null : { cap, consumer: consumer as object };
}

/** The fused ReLU in JS, as the addon's: min(max(v, 0), cap), -0 to +0, NaN kept. */
export function reluInPlace(y: Float32Array, cap: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (!(v > 0)) y[i] = v !== v ? v : 0;
    else if (v > cap) y[i] = cap;
  }
}

const PATCHED = Symbol.for('medinets.bnActivation');
type CallFn = (this: unknown, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => unknown;
type Proto = Record<symbol, unknown> & { call: CallFn };

/** Install the model tracking and the ReLU layers' pass-through (idempotent). */
export function installBnActivation(): void {
  installModelTracking();
  for (const layer of [tfl.layers.reLU({}), tfl.layers.activation({ activation: 'relu' })]) {
    const proto = Object.getPrototypeOf(layer) as Proto;
    if (proto[PATCHED] != null) continue;
    const stock = proto.call;
    proto[PATCHED] = stock;
    proto.call = function reluPassThrough(this: unknown, inputs, kwargs): unknown {
      if (takeMark(inputs, this as object) != null) {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
        // a new tensor on the same buffer (the executor may dispose x), whose gradient is dy
        // itself: Identity's is a Cast, a copy on wasm
        return tf.reshape(x, x.shape);
      }
      return stock.call(this, inputs, kwargs);
    };
  }
}

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * An inference batch norm as y = x a + b per channel: [a, b] ([2, c]) in the addon's bn_infer
 * arithmetic, each step rounded to float32: a = scale (1 / sqrt(variance + eps)), b = offset -
 * mean a. The fused kernels (the ReLU's, the convolution epilogue's) apply them as it does.
 */
export function bnAffine(
  mean: Float32Array,
  variance: Float32Array,
  scale: Float32Array | null,
  offset: Float32Array | null,
  eps: number,
): Float32Array {
  const c = mean.length;
  const ab = new Float32Array(2 * c);
  const e = Math.fround(eps);
  for (let j = 0; j < c; j++) {
    const inv = Math.fround(1 / Math.fround(Math.sqrt(Math.fround((variance[j] as number) + e))));
    const a = Math.fround((scale == null ? 1 : (scale[j] as number)) * inv);
    ab[j] = a;
    ab[c + j] = (offset == null ? 0 : (offset[j] as number)) - Math.fround((mean[j] as number) * a);
  }
  return ab;
}

/**
 * Batch norm in inference with the ReLU capped at `cap` fused: the addon's bnInfer, or on wasm
 * without it the SIMD module's pass (each with the bits of its batch-norm kernel, then its ReLU
 * kernel), else in JS with the addon's arithmetic.
 */
function bnInferRelu({ inputs, backend, attrs }: Args): TensorInfo {
  const cap = attrs.cap as number;
  const eps = attrs.epsilon as number;
  const done = batchNormInference({ inputs, backend, attrs: { varianceEpsilon: eps } }, cap);
  if (done != null) return done;
  const { x, mean, variance, scale, offset } = inputs as Record<'x' | 'mean' | 'variance', TensorInfo> &
    Partial<Record<'scale' | 'offset', TensorInfo>>;
  const out = allocFloat(backend, x.shape);
  const [xs, m, v] = [x, mean, variance].map((t) => viewFloat(backend, t)) as Float32Array[];
  const [g, b] = [scale, offset].map((t) => (t == null ? null : viewFloat(backend, t)));
  const c = (m as Float32Array).length;
  const ab = bnAffine(m as Float32Array, v as Float32Array, g, b, eps);
  const xd = xs as Float32Array;
  for (let p = 0; p < xd.length; p++) {
    const j = p % c;
    out.data[p] = Math.fround((xd[p] as number) * (ab[j] as number)) + (ab[c + j] as number);
  }
  reluInPlace(out.data, cap);
  return out.info;
}

const WHY =
  'a BatchNormalization layer in inference whose one consumer is a ReLU: the normalisation and the ReLU in one pass of the addon or of the wasm SIMD module (new kernel)';

/** The fused inference kernel's entries for wasm and cpu. */
export const bnInferReluEntries: KernelEntry[] = (['wasm', 'cpu'] as const).map((backendName) => ({
  kernelName: BN_INFER_RELU_KERNEL,
  backendName,
  kind: 'speed' as const,
  why: WHY,
  make: () => bnInferRelu as unknown as KernelFunc,
}));
