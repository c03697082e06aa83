import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activeAddon } from '../native';
import { BN_INFER_RELU_KERNEL, fusableRelu, reluInPlace } from './bn-activation';
import { nativeCap } from './native-kernels';
import { mark, takeMark } from './running-model';
import { allocFloat, release, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/**
 * Batch-norm in training, channels last: inputs `x, scale, offset` and optionally `movingMean,
 * movingVariance` (with attr `momentum`); outputs `[y, mean, variance, invStd]`, then with attr
 * `cap` (a ReLU capped at it fused after y: Infinity for ReLU, 6 for ReLU6) `coef`, the float64
 * per-channel a and shift of y = x a + shift as 4c float32 slots, which the gradient takes back to
 * recompute the ReLU's input exactly; then the updated moving mean and variance when given.
 */
export const BN_TRAIN_KERNEL = 'MedinetsBatchNormTrain';
/**
 * Its gradient: inputs `dy, x, scale, mean, invStd` (through a fused ReLU also `coef`, with
 * attr `cap`); outputs `[dx, dScale, dOffset]`.
 */
export const BN_TRAIN_GRAD_KERNEL = 'MedinetsBatchNormTrainGrad';

/** A kernel function's argument, as the batch-norm kernels read it. */
export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * Batch statistics over every axis but the last (float64 sums and sums of squares in one
 * pass; biased variance, as tf.moments), and y = (x - mean) / sqrt(var + eps) * scale +
 * offset in a second pass.
 */
export function bnTrain({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, scale, offset, movingMean, movingVariance } = inputs as Record<
    'x' | 'scale' | 'offset',
    TensorInfo
  > &
    Partial<Record<'movingMean' | 'movingVariance', TensorInfo>>;
  const eps = attrs.epsilon as number;
  const c = x.shape[x.shape.length - 1] as number;
  const n = tf.util.sizeFromShape(x.shape) / c;
  const moving = movingMean != null && movingVariance != null;
  const cap = attrs.cap as number | undefined;
  const native = activeAddon();
  const simd = native == null && cap == null ? wasmSimd(backend) : null;
  // the wasm SIMD module's float64 scratch (2c values), on the heap, before the views below
  const tmp = simd != null ? allocFloat(backend, [4 * c]).info : null;
  // Views are taken after every allocation: on wasm an allocation may move the heap.
  const [y, meanOut, varOut, invOut, ...rest] = [
    x.shape,
    [c],
    [c],
    [c],
    ...(cap != null ? [[4 * c]] : []),
    ...(moving ? [[c], [c]] : []),
  ]
    .map((shape) => allocFloat(backend, shape).info)
    .map((info) => ({ info, data: viewFloat(backend, info) }));
  const outputs = [y, meanOut, varOut, invOut, ...rest].map((o) => o.info);
  const coef = cap != null ? rest.shift() : undefined;
  const newMoving = rest;
  const xs = viewFloat(backend, x);
  const g = viewFloat(backend, scale);
  const b = viewFloat(backend, offset);
  const outs = [y.data, meanOut.data, varOut.data, invOut.data] as const;
  if (coef != null && native != null) {
    native.bnTrain(xs, g, b, ...outs, eps, nativeCap(cap as number), coef.data);
  } else if (coef != null) {
    const ab = bnTrainJs(xs, g, b, ...outs, n, c, eps);
    reluInPlace(y.data, cap as number);
    new Uint8Array(coef.data.buffer, coef.data.byteOffset, 16 * c).set(new Uint8Array(ab.buffer));
  } else if (native != null) {
    native.bnTrain(xs, g, b, ...outs, eps);
  } else if (simd != null && tmp != null) {
    simd.bnTrain(xs, g, b, ...outs, eps, viewFloat(backend, tmp));
  } else {
    bnTrainJs(xs, g, b, ...outs, n, c, eps);
  }
  if (tmp != null) release(backend, tmp);
  if (moving) {
    // The stock layer's update, v - (v - value) * (1 - momentum), in float32 operations.
    const decay = Math.fround(1 - (attrs.momentum as number));
    for (const [k, old, value] of [
      [0, movingMean, meanOut.data],
      [1, movingVariance, varOut.data],
    ] as const) {
      const v = viewFloat(backend, old);
      const out = (newMoving[k] as { data: Float32Array }).data;
      for (let j = 0; j < c; j++) {
        const o = v[j] as number;
        out[j] = o - Math.fround(Math.fround(o - (value[j] as number)) * decay);
      }
    }
  }
  return outputs;
}

function bnTrainJs(
  xs: Float32Array,
  g: Float32Array,
  b: Float32Array,
  yd: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  invStd: Float32Array,
  n: number,
  c: number,
  eps: number,
): Float64Array {
  // One pass of float64 sums and sums of squares: with 53-bit accumulators the cancellation
  // in E[x^2] - mean^2 costs nothing at float32 output precision for activations.
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let i = 0, p = 0; i < n; i++)
    for (let j = 0; j < c; j++, p++) {
      const v = xs[p] as number;
      s1[j] += v;
      s2[j] += v * v;
    }
  const a = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const mu = (s1[j] as number) / n;
    const v = Math.max(0, (s2[j] as number) - n * mu * mu) / n;
    const inv = 1 / Math.sqrt(v + eps);
    mean[j] = mu;
    variance[j] = v;
    invStd[j] = inv;
    a[j] = inv * (g[j] as number);
    shift[j] = (b[j] as number) - mu * (a[j] as number);
  }
  for (let i = 0, p = 0; i < n; i++)
    for (let j = 0; j < c; j++, p++) yd[p] = (xs[p] as number) * (a[j] as number) + (shift[j] as number);
  const ab = new Float64Array(2 * c);
  ab.set(a);
  ab.set(shift, c);
  return ab;
}

/** The gradient of {@link BN_TRAIN_KERNEL} (backend-independent; it calls the grad kernel). */
export const batchNormTrainGradient: GradConfig = {
  kernelName: BN_TRAIN_KERNEL,
  inputsToSave: ['x', 'scale'],
  // index 4: coef with a fused ReLU (else the new moving mean, c values, unused)
  outputsToSave: [false, true, false, true, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: NamedAttrMap) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
    const [x, scale, mean, invStd, coef] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
    const cap = attrs?.cap as number | undefined;
    const [dx, dScale, dOffset] = tf
      .engine()
      .runKernel(
        BN_TRAIN_GRAD_KERNEL,
        cap != null && coef != null ? { dy, x, scale, mean, invStd, coef } : { dy, x, scale, mean, invStd },
        cap != null ? { cap } : {},
      ) as tf.Tensor[];
    // The moving statistics are not trainable: no gradient flows to them (thunks for the tape).
    return {
      x: () => dx as tf.Tensor,
      scale: () => dScale as tf.Tensor,
      offset: () => dOffset as tf.Tensor,
      movingMean: () => tf.zerosLike(mean),
      movingVariance: () => tf.zerosLike(mean),
    };
  },
};

/** What the patched call (and conv-bn-fusion.ts) reads of a tfjs-layers BatchNormalization (4.x). */
export interface BatchNormLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}
type CallFn = (
  this: BatchNormLike,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor;

const PATCHED = Symbol.for('medinets.fusedBatchNorm');

// The stock layer's training arithmetic (tf.moments, biased variance) for layers it cannot run.
function momentsNormalized(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): tf.Tensor[] {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, offset, scale, epsilon), mean, variance];
}

/**
 * Route a training-mode tfjs-layers `BatchNormalization` (channels last, float32) through
 * {@link BN_TRAIN_KERNEL} when the current backend has it (wasm and cpu with medinets' kernels
 * active); a layer without scale or centre trains through tf.moments on other backends
 * (the stock layer cannot train it). The moving averages are updated exactly as the stock
 * layer does; inference of a layer without scale or centre gets ones / zeros in their place
 * (the stock code cannot be taped then); other configurations run the stock code. Idempotent.
 */
export function installFusedBatchNorm(): void {
  if (tf.getGradient(BN_TRAIN_KERNEL) == null) tf.registerGradient(batchNormTrainGradient);
  const proto = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as Record<symbol, unknown> & {
    call: CallFn;
  };
  if (proto[PATCHED] != null) return;
  const stock = proto.call;
  proto[PATCHED] = stock;
  proto.call = function fusedBatchNormCall(this: BatchNormLike, inputs, kwargs): tf.Tensor {
    const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    // computed by the convolution before it (conv-bn-fusion.ts): passed on, marked for the ReLU
    // it fused too (a new tensor on the same buffer: the executor may dispose the input)
    const done = takeMark(inputs, this);
    if (done != null) {
      const y = tf.reshape(input, input.shape);
      return done.data == null ? y : mark(y, done.data as object);
    }
    const training = kwargs?.training === true;
    const rank = input.rank;
    const axis = this.axis >= 0 ? this.axis : this.axis + rank;
    if ((Array.isArray(inputs) && inputs.length !== 1) || rank < 2 || axis !== rank - 1) {
      return stock.call(this, inputs, kwargs);
    }
    if (!training) {
      // A ReLU that alone consumes this output is fused (no gradient tape: the kernel has none).
      const relu =
        tf.engine().state.gradientDepth === 0 && tf.getKernel(BN_INFER_RELU_KERNEL, tf.getBackend()) != null
          ? fusableRelu(this, input, true)
          : null;
      if (relu != null) {
        const y = tf.engine().runKernel(
          BN_INFER_RELU_KERNEL,
          {
            x: input,
            mean: this.movingMean.read(),
            variance: this.movingVariance.read(),
            ...(this.scale && this.gamma != null ? { scale: this.gamma.read() } : {}),
            ...(this.center && this.beta != null ? { offset: this.beta.read() } : {}),
          },
          { epsilon: this.epsilon, cap: relu.cap },
        ) as tf.Tensor;
        return mark(y, relu.consumer);
      }
      // In inference the stock layer hands batchNorm a null scale / offset for such a layer,
      // which a gradient tape cannot save (TypeError reading 'dataId' in any gradient taken
      // through it, e.g. a frozen InceptionV3 stage in inference mode below a trained one).
      if (this.gamma != null && this.beta != null) return stock.call(this, inputs, kwargs);
      return tf.tidy(() => {
        const c = input.shape[rank - 1];
        const scale = this.gamma != null ? this.gamma.read() : tf.ones([c]);
        const offset = this.beta != null ? this.beta.read() : tf.zeros([c]);
        return tf.batchNorm(
          input,
          this.movingMean.read(),
          this.movingVariance.read(),
          offset,
          scale,
          this.epsilon,
        );
      });
    }
    const fused = tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) != null && input.dtype === 'float32';
    // tfjs-layers 4.22 reads gamma and beta unconditionally in training, so a layer built with
    // `scale: false` (Keras InceptionV3's every BN) or `center: false` fails there with a raw
    // TypeError; those go through the batch statistics here on every backend.
    const partial = !this.scale || !this.center || this.gamma == null || this.beta == null;
    if (!fused && !partial) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const c = input.shape[rank - 1];
      const scale = this.scale && this.gamma != null ? this.gamma.read() : tf.ones([c]);
      const offset = this.center && this.beta != null ? this.beta.read() : tf.zeros([c]);
      if (fused) {
        // One kernel: the batch statistics, y (through the ReLU that alone consumes it, if
        // any), and the moving averages' update.
        const relu = fusableRelu(this, input);
        const [y, , , , ...rest] = tf.engine().runKernel(
          BN_TRAIN_KERNEL,
          {
            x: input,
            scale,
            offset,
            movingMean: this.movingMean.read(),
            movingVariance: this.movingVariance.read(),
          },
          { epsilon: this.epsilon, momentum: this.momentum, ...(relu != null ? { cap: relu.cap } : {}) },
        ) as tf.Tensor[];
        const [mean, variance] = relu != null ? rest.slice(1) : rest;
        this.movingMean.write(mean as tf.Tensor);
        this.movingVariance.write(variance as tf.Tensor);
        return relu != null ? mark(y as tf.Tensor, relu.consumer) : (y as tf.Tensor);
      }
      const [y, mean, variance] = momentsNormalized(input, scale, offset, this.epsilon);
      // The stock layer's moving-average update: v -= (v - value) * (1 - momentum).
      const decay = 1 - this.momentum;
      for (const [v, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = v.read();
          v.write(tf.sub(orig, tf.mul(tf.sub(orig, value as tf.Tensor), decay)));
        });
      }
      return y as tf.Tensor;
    });
  };
}
