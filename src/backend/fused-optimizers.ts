/*
 * tfjs-core's Adam, Momentum (SGD with momentum, Nesterov or not), RMSprop (plain and centered)
 * and SGD optimizers with their update done in the native addon (on wasm without the addon, in
 * medinets' WebAssembly SIMD module, wasm/elementwise.c): one pass over each variable
 * instead of tfjs' chain of 6 to 14 elementwise kernels, each a full pass over the weights
 * (about 140 ms of a ResNet-18 step on wasm). The addon does the same float32 operations in
 * the same order as tfjs (native/optimizers.c), so the weights and the optimizer's state are
 * the same bits as tfjs' own update gives: this only changes the speed.
 *
 * The classes' own `applyGradients` is replaced once (on import of medinets), as medinets'
 * kernels replace tfjs' kernels, because `model.compile({optimizer: 'adam'})` and
 * `tf.train.adam()` construct tfjs' classes: the users' code and saved optimizers stay as they
 * are. The replacement calls tfjs' own method unless the addon is active, the backend is wasm
 * or cpu (not suspended by suspendTrainingKernels), and every variable, gradient and state
 * is float32 on that backend. The state variables keep tfjs' names and order, so getWeights /
 * setWeights and checkpoints are unchanged. The updates are written to new tensors that are
 * then assigned, as tfjs does: a tensor sharing a variable's storage (tf.clone) never changes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { trainingKernelsSuspended } from './kernels/registry';
import { allocFloat, viewFloat } from './kernels/util';
import { wasmSimd } from './kernels/wasm-simd';
import { activeAddon, type NativeAddon } from './native';

/** Kinds of native/optimizers.c. */
const ADAM = 0;
const MOMENTUM = 1;
const RMSPROP = 2;
const RMSPROP_CENTERED = 3;
const SGD = 4;

/** What applyGradients takes: named tensors in a list, or a map by name. */
type Grads = Parameters<tf.Optimizer['applyGradients']>[0];
interface OptVar {
  originalName: string;
  variable: tf.Variable;
}
interface EngineLike {
  registeredVariables: Record<string, tf.Variable>;
  backend: KernelBackend;
  backendName: string;
  state: { tensorInfo: WeakMap<object, { backend: KernelBackend }> };
  makeTensorFromTensorInfo(info: TensorInfo, backend?: KernelBackend): tf.Tensor;
}
/** The protected and private fields of tfjs' optimizers that their update reads. */
interface OptimizerFields {
  learningRate: number;
  incrementIterations(): void;
  // Adam
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: OptVar[];
  accumulatedSecondMoment: OptVar[];
  // SGD, Momentum
  c: tf.Scalar;
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: OptVar[];
  // RMSprop
  decay: number;
  momentum: number;
  centered: boolean;
  accumulatedMeanSquares: OptVar[];
  accumulatedMoments: OptVar[];
  accumulatedMeanGrads: OptVar[];
}

const engine = (): EngineLike => tf.engine() as unknown as EngineLike;
const f = Math.fround;

/** One variable to update: its value and its gradient (null: skipped, as tfjs skips it). */
interface Item {
  name: string;
  value: tf.Variable;
  grad: tf.Tensor | null;
}

function items(g: Grads): Item[] {
  const vars = engine().registeredVariables;
  const list: [string, tf.Tensor | null | undefined][] = Array.isArray(g)
    ? g.map((v) => [v.name, v.tensor])
    : Object.entries(g);
  return list.map(([name, grad]) => ({ name, value: vars[name] as tf.Variable, grad: grad ?? null }));
}

let enabled = true;

/**
 * Turn the native update off (tfjs' own update runs) or back on, leaving every kernel as it
 * is: for comparing the two within one configuration. @internal
 */
export function useFusedOptimizers(on: boolean): void {
  enabled = on;
}

/** What runs the fused update: the addon, or on wasm without it medinets' SIMD module. */
type Updater = Pick<NativeAddon, 'optimizerUpdate'>;

/** The updater and the backend, when the fused update applies to this call. */
function nativeTarget(): { addon: Updater; backend: KernelBackend } | null {
  const name = tf.getBackend();
  if (!enabled || (name !== 'wasm' && name !== 'cpu') || trainingKernelsSuspended(name)) return null;
  const backend = engine().backend;
  const addon = activeAddon() ?? (name === 'wasm' ? wasmSimd(backend) : null);
  return addon == null ? null : { addon, backend };
}

/** Whether every tensor is float32, lives on `backend`, and has the size of the first. */
function fits(backend: KernelBackend, ts: (tf.Tensor | undefined)[]): boolean {
  const info = engine().state.tensorInfo;
  const size = ts[0]?.size;
  return ts.every(
    (t) =>
      t != null &&
      !t.isDisposed &&
      t.dtype === 'float32' &&
      t.size === size &&
      info.get(t.dataId)?.backend === backend,
  );
}

/** Lazily made state variables, as tfjs makes them (zeros, not trainable, `<name>/<suffix>`). */
function ensureState(list: OptVar[], i: number, it: Item, suffix: string): void {
  if (list[i] == null) {
    list[i] = {
      originalName: `${it.name}/${suffix}`,
      variable: tf.tidy(() => tf.zerosLike(it.value).variable(false)),
    };
  }
}

/**
 * One native update: outputs allocated first (an allocation may move the wasm heap), then
 * views of everything, then the new tensors assigned to `targets` (the param, then states).
 */
function update(
  t: { addon: Updater; backend: KernelBackend },
  kind: number,
  inputs: tf.Tensor[],
  targets: tf.Variable[],
  scalars: number[],
): void {
  const shape = (inputs[0] as tf.Tensor).shape;
  const outs = targets.map(() => allocFloat(t.backend, shape).info);
  t.addon.optimizerUpdate(
    kind,
    inputs.map((x) => viewFloat(t.backend, x)),
    outs.map((o) => viewFloat(t.backend, o)),
    new Float32Array(scalars),
  );
  outs.forEach((o, k) => {
    const out = engine().makeTensorFromTensorInfo(o, t.backend);
    (targets[k] as tf.Variable).assign(out);
    out.dispose();
  });
}

const scalarValue = (s: tf.Tensor): number => (s.dataSync() as Float32Array)[0] as number;

function adam(o: OptimizerFields, g: Grads): boolean {
  const t = nativeTarget();
  if (t == null) return false;
  const list = items(g);
  list.forEach((it, i) => {
    ensureState(o.accumulatedFirstMoment, i, it, 'm');
    ensureState(o.accumulatedSecondMoment, i, it, 'v');
  });
  const states = (i: number): tf.Variable[] => [
    (o.accumulatedFirstMoment[i] as OptVar).variable,
    (o.accumulatedSecondMoment[i] as OptVar).variable,
  ];
  if (!list.every((it, i) => it.grad == null || fits(t.backend, [it.value, it.grad, ...states(i)])))
    return false;
  // tfjs: sub(1, accBeta) in float32; the constants as float32 scalars (1 - beta in float64 first)
  const scalars = [
    f(o.beta1),
    f(1 - o.beta1),
    f(o.beta2),
    f(1 - o.beta2),
    f(1 - scalarValue(o.accBeta1)),
    f(1 - scalarValue(o.accBeta2)),
    f(o.epsilon),
    f(-o.learningRate),
  ];
  list.forEach((it, i) => {
    if (it.grad != null)
      update(t, ADAM, [it.value, it.grad, ...states(i)], [it.value, ...states(i)], scalars);
  });
  tf.tidy(() => {
    o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1));
    o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2));
  });
  o.incrementIterations();
  return true;
}

function momentum(o: OptimizerFields, g: Grads): boolean {
  const t = nativeTarget();
  if (t == null) return false;
  const list = items(g);
  list.forEach((it, i) => ensureState(o.accumulations, i, it, 'momentum'));
  const acc = (i: number): tf.Variable => (o.accumulations[i] as OptVar).variable;
  if (!list.every((it, i) => it.grad == null || fits(t.backend, [it.value, it.grad, acc(i)]))) return false;
  const scalars = [scalarValue(o.m), scalarValue(o.c), o.useNesterov ? 1 : 0];
  list.forEach((it, i) => {
    if (it.grad != null) update(t, MOMENTUM, [it.value, it.grad, acc(i)], [it.value, acc(i)], scalars);
  });
  o.incrementIterations();
  return true;
}

function rmsprop(o: OptimizerFields, g: Grads): boolean {
  const t = nativeTarget();
  if (t == null) return false;
  const list = items(g);
  list.forEach((it, i) => {
    ensureState(o.accumulatedMeanSquares, i, it, 'rms');
    ensureState(o.accumulatedMoments, i, it, 'momentum');
    if (o.centered) ensureState(o.accumulatedMeanGrads, i, it, 'mg');
  });
  const states = (i: number): tf.Variable[] => [
    (o.accumulatedMeanSquares[i] as OptVar).variable,
    (o.accumulatedMoments[i] as OptVar).variable,
    ...(o.centered ? [(o.accumulatedMeanGrads[i] as OptVar).variable] : []),
  ];
  if (!list.every((it, i) => it.grad == null || fits(t.backend, [it.value, it.grad, ...states(i)])))
    return false;
  const scalars = [f(o.decay), f(1 - o.decay), f(o.learningRate), f(o.epsilon), f(o.momentum)];
  const kind = o.centered ? RMSPROP_CENTERED : RMSPROP;
  list.forEach((it, i) => {
    if (it.grad != null)
      update(t, kind, [it.value, it.grad, ...states(i)], [it.value, ...states(i)], scalars);
  });
  o.incrementIterations();
  return true;
}

function sgd(o: OptimizerFields, g: Grads): boolean {
  const t = nativeTarget();
  if (t == null) return false;
  const list = items(g);
  if (!list.every((it) => it.grad == null || fits(t.backend, [it.value, it.grad]))) return false;
  const scalars = [scalarValue(o.c)];
  for (const it of list) if (it.grad != null) update(t, SGD, [it.value, it.grad], [it.value], scalars);
  o.incrementIterations();
  return true;
}

type Apply = (this: tf.Optimizer, g: Grads) => void;
let installed = false;

/**
 * Give tfjs' Adam, Momentum, RMSprop and SGD optimizers the native update (idempotent): each
 * class's `applyGradients` tries it and falls back to tfjs' own.
 */
export function installFusedOptimizers(): void {
  if (installed) return;
  installed = true;
  const classes: [{ prototype: tf.Optimizer }, (o: OptimizerFields, g: Grads) => boolean][] = [
    [tf.AdamOptimizer, adam],
    [tf.MomentumOptimizer, momentum],
    [tf.RMSPropOptimizer, rmsprop],
    [tf.SGDOptimizer, sgd],
  ];
  for (const [cls, fused] of classes) {
    const proto = cls.prototype as unknown as { applyGradients: Apply };
    const stock = proto.applyGradients;
    proto.applyGradients = function applyGradients(this: tf.Optimizer, g: Grads): void {
      if (!fused(this as unknown as OptimizerFields, g)) stock.call(this, g);
    };
  }
}
