// Runs in Chromium (bundled by test/browser/harness.ts): every custom layer and every registry
// model (parity-cases.ts), forward and one training step, on webgl (or ?target=wasm) and on
// cpu, from the same weights and inputs. Reports the largest differences to the Node test
// through window.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setupBackend } from '../../../src/backend';
import { wasmSimd, wasmSimdStatus } from '../../../src/backend/kernels/wasm-simd';
import { cases, type Case } from './parity-cases';
import { compareLayers, feeds, layerNames, runLayers, type LayerSides } from './layerwise';

/** What one backend computed for a case. */
interface Side {
  /** Inference-mode output (logits: see `logits`). */
  forward: Float32Array;
  /** Training-mode output of the training step. */
  trainForward: Float32Array;
  /** Gradients of the step's loss, one per trainable weight (or the input's when none). */
  grads: Float32Array[];
  /** The non-trainable weights (batch-norm moving statistics) after the step. */
  stats: Float32Array[];
}

/**
 * The output layer's softmax / sigmoid replaced by the identity: a saturated softmax (deep
 * nets in inference mode with fresh moving statistics give one-hot outputs) equals on any
 * backend and would hide a difference in everything before it.
 */
function logits(model: tfl.LayersModel): void {
  const last = model.layers[model.layers.length - 1] as unknown as {
    activation?: { getClassName(): string };
  };
  const name = last.activation?.getClassName();
  if (name === 'softmax' || name === 'sigmoid') {
    const linear = tfl.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown };
    last.activation = linear.activation as typeof last.activation;
  }
  // Dropout draws unseeded masks, different on each backend: off (batch norm still trains).
  for (const l of model.layers)
    if (/Dropout/.test(l.getClassName())) (l as unknown as { rate: number }).rate = 0;
}

// Read asynchronously: on SwiftShader's WebGPU adapter in headless Chromium, dataSync() of a
// webgpu tensor gave zeros (all 1024 outputs of SqueezeExcite) where data() gave the values.
const read = async (t: tf.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;

/**
 * Inference output, then one training step: the output in training mode and the gradients of
 * sum(output * projection) (a fixed seeded projection) for every trainable weight; the moving
 * statistics that step updated.
 */
async function run(model: tfl.LayersModel, x: tf.Tensor, forwardOnly: boolean): Promise<Side> {
  logits(model);
  // The tensors are kept out of the tidy and read after it: a tidy's result is walked value by
  // value into a Set, which a model's gradients (10^7 distinct floats) overflow.
  const kept: { forward: tf.Tensor | null; trainForward: tf.Tensor | null; grads: tf.Tensor[] } = {
    forward: null,
    trainForward: null,
    grads: [],
  };
  tf.tidy(() => {
    kept.forward = tf.keep(model.predict(x) as tf.Tensor);
    if (forwardOnly) return;
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let y: tf.Tensor | null = null;
    const loss = (xi: tf.Tensor): tf.Scalar => {
      y = tf.keep(model.apply(xi, { training: true }) as tf.Tensor);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 3)));
    };
    // A layer without weights (UpsampleBilinear): the gradient with respect to its input.
    const grads =
      vars.length === 0
        ? [tf.grad(loss)(x)]
        : ((g) => vars.map((v) => g[v.name] as tf.Tensor))(tf.variableGrads(() => loss(x), vars).grads);
    kept.trainForward = y;
    kept.grads = grads.map((g) => tf.keep(g));
  });
  try {
    return {
      forward: await read(kept.forward as unknown as tf.Tensor),
      trainForward: kept.trainForward ? await read(kept.trainForward) : new Float32Array(0),
      grads: await Promise.all(kept.grads.map(read)),
      stats: forwardOnly ? [] : await Promise.all(model.nonTrainableWeights.map((w) => read(w.read()))),
    };
  } finally {
    tf.dispose([kept.forward, kept.trainForward, ...kept.grads].filter((t): t is tf.Tensor => t != null));
  }
}

/** Largest |a - b| and largest |b| of two arrays. */
function gap(a: Float32Array, b: Float32Array): { d: number; s: number } {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number));
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return { d, s };
}

/** max |a - b| over max(1, max |b|): absolute for values below 1, relative above. */
function unitDiff(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(
    0,
    ...a.map((ai, k) => {
      const { d, s } = gap(ai, b[k] as Float32Array);
      return d / Math.max(1, s);
    }),
  );
}

/**
 * Gradients: `err`, max |a - b| over the largest |b| of all the model's gradients (what the
 * test asserts); `perWeight`, max |a - b| over each weight's own largest |b| (floored at 1e-3
 * of the model's largest: a conv bias before a training-mode batch norm has an exact gradient
 * of 0 and holds rounding noise), reported. The per-weight figure is stricter than float32
 * allows after a batch norm over 8 values: its backward pass, n dy - sum dy - xhat sum(dy
 * xhat), cancels to a small remainder whose rounding error is of the size of the terms
 * (measured: InceptionV3 at 107x107 has 0.22 per weight, 2e-4 of the largest gradient; the cpu
 * kernel sums in float64, webgl's shaders in float32).
 */
function gradDiff(a: Float32Array[], b: Float32Array[]): { err: number; perWeight: number; worst: number } {
  const gaps = a.map((ai, k) => gap(ai, b[k] as Float32Array));
  const largest = Math.max(1e-30, ...gaps.map((g) => g.s));
  const errs = gaps.map((g) => g.d / Math.max(g.s, 1e-3 * largest));
  const perWeight = Math.max(0, ...errs);
  return { err: Math.max(0, ...gaps.map((g) => g.d)) / largest, perWeight, worst: errs.indexOf(perWeight) };
}

const norm = (xs: Float32Array[]): number =>
  Math.sqrt(xs.reduce((acc, x) => x.reduce((a, v) => a + v * v, acc), 0));

/** The fewest pixels (height x width) any batch-norm layer of the model normalises over. */
function minBnPixels(model: tfl.LayersModel): number {
  let min = Infinity;
  for (const l of model.layers) {
    const shape = l.outputShape as number[];
    if (l.getClassName() === 'BatchNormalization' && shape.length === 4)
      min = Math.min(min, (shape[1] as number) * (shape[2] as number));
  }
  return min;
}

/** One row of the report. */
export interface Row {
  name: string;
  /** Inference-mode logits, {@link unitDiff}. */
  forward: number;
  /** Training-mode logits of the step, {@link unitDiff}. */
  trainForward: number;
  /** Gradients, {@link gradDiff}. */
  train: number;
  /** Gradients relative per weight, {@link gradDiff} (reported, not asserted). */
  trainPerWeight: number;
  /** The weight whose gradient differs most (relatively), with its scale and difference. */
  worstWeight?: string;
  /** Moving statistics after the step, {@link unitDiff}. */
  stats: number;
  /** Layer by layer (chaotic cases only, else null): outputs and gradients, see layerwise.ts. */
  layerOutput?: number | null;
  layerTrain?: number | null;
  /** The layer whose gradients differ most, layer by layer. */
  worstLayer?: string;
  /** L2 norm of all the cpu gradients, and of the first weight's (the one farthest from the loss). */
  gradNorm: number;
  firstGradNorm: number;
  minBnPixels: number;
  cpuMs: number;
  targetMs: number;
  error?: string;
}

/** A row with nothing measured (NaN): what a failed case, or the training half of ?mode=forward, reports. */
function blank(name: string): Row {
  const nan = NaN;
  return {
    name,
    forward: nan,
    trainForward: nan,
    train: nan,
    trainPerWeight: nan,
    stats: nan,
    gradNorm: nan,
    firstGradNorm: nan,
    minBnPixels: nan,
    cpuMs: 0,
    targetMs: 0,
  };
}

/** How the page compares: `perturb` and `forwardOnly` from the query (see `main`). */
interface Mode {
  target: string;
  perturb: number;
  forwardOnly: boolean;
}

async function compare(c: Case, { target, perturb, forwardOnly }: Mode): Promise<Row> {
  const t0 = performance.now();
  await setupBackend({ prefer: 'cpu' });
  // One model for both backends: built (seeded) on cpu, its weights put back after the cpu
  // step (which moved the batch-norm statistics), then run on the target, where tfjs moves
  // every tensor it reads. Half the builds of a model per backend, and the same graph.
  const model = c.build();
  const weights = model.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync().slice() }));
  const x = tf.randomNormal(c.input, 0, 1, 'float32', 11);
  const xData = x.dataSync().slice();
  const bnPixels = minBnPixels(model);
  try {
    const cpu = await run(model, x, forwardOnly);
    // The chaotic cases (parity-cases.ts) also compare layer by layer (layerwise.ts).
    const fed = c.layerwise && !forwardOnly ? feeds(model, x) : null;
    const cpuLayers: LayerSides = fed ? runLayers(model, fed) : [];
    tf.dispose(x);
    const t1 = performance.now();
    await setupBackend({ prefer: target as 'webgl' | 'webgpu' });
    tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape))));
    // ?perturb=e: the target's input moved by e * N(0, 1) (seeded); with ?target=cpu this
    // measures how far float32 rounding of the input alone moves each figure (conditioning).
    const xt = tf.tidy(() => {
      const x0 = tf.tensor(xData, c.input);
      return perturb > 0 ? tf.add(x0, tf.randomNormal(c.input, 0, perturb, 'float32', 13)) : x0;
    });
    const other = await run(model, xt, forwardOnly);
    const layers = fed ? compareLayers(runLayers(model, fed), cpuLayers, layerNames(model)) : null;
    tf.dispose(xt);
    const cpuMs = Math.round(t1 - t0);
    const targetMs = Math.round(performance.now() - t1);
    if (forwardOnly)
      return { ...blank(c.name), forward: unitDiff([other.forward], [cpu.forward]), cpuMs, targetMs };
    const grad = gradDiff(other.grads, cpu.grads);
    const weightNames = model.trainableWeights.map((w) => w.name);
    const gapOf = (k: number): { d: number; s: number } =>
      gap(other.grads[k] as Float32Array, cpu.grads[k] as Float32Array);
    return {
      name: c.name,
      forward: unitDiff([other.forward], [cpu.forward]),
      trainForward: unitDiff([other.trainForward], [cpu.trainForward]),
      train: grad.err,
      trainPerWeight: grad.perWeight,
      worstWeight: `${weightNames[grad.worst] ?? 'input'} (max |cpu| ${gapOf(grad.worst).s.toExponential(1)}, max |diff| ${gapOf(grad.worst).d.toExponential(1)})`,
      stats: unitDiff(other.stats, cpu.stats),
      layerOutput: layers?.output ?? null,
      layerTrain: layers?.train ?? null,
      worstLayer: layers?.worst,
      gradNorm: norm(cpu.grads),
      firstGradNorm: norm(cpu.grads.slice(0, 1)),
      minBnPixels: bnPixels,
      cpuMs,
      targetMs,
    };
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const params = new URLSearchParams(
    (globalThis as unknown as { location: { search: string } }).location.search,
  );
  const only = params.get('only')?.split(',') ?? null;
  // webgl by default; ?target=wasm compares the wasm backend with medinets' training kernels
  // (Conv2DBackpropFilter and the others tfjs-wasm lacks) to cpu the same way.
  // ?target=webgpu: the WebGPU backend (Chromium with --enable-unsafe-webgpu gives SwiftShader's
  // adapter), imported only then: registered at load, an adapter would make it every page's first
  // choice.
  const target = (params.get('target') ?? 'webgl') as 'webgl' | 'wasm' | 'webgpu' | 'cpu';
  // (On SwiftShader's adapter setupBackend steers tfjs' matrix products off its split-K program,
  // which sums wrongly there: VGG11's gradients were 6.2e-2 off.)
  if (target === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  // ?mode=forward: inference logits only (the CI run of the models the training run leaves out).
  const mode: Mode = {
    target,
    perturb: Number(params.get('perturb') ?? 0),
    forwardOnly: params.get('mode') === 'forward',
  };
  const num = (k: string): number | undefined => (params.has(k) ? Number(params.get(k)) : undefined);
  setWasmPaths('./');
  // Shapes as uniforms: one compiled program serves every shape of an op (SwiftShader takes
  // most of a first run compiling shaders otherwise); the shader arithmetic is the same.
  if (params.get('uniforms') !== '0') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
  const report = await setupBackend({ prefer: target });
  const kernels = [
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'MaxPoolGrad',
    'MedinetsDeformIm2Col',
  ].filter((k) => tf.getKernel(k, target) !== undefined);
  const rows: Row[] = [];
  const override = {
    size: num('size'),
    batch: num('batch'),
    forward: mode.forwardOnly,
    layerwise: params.get('layerwise') === '1',
  };
  for (const c of cases(only, override)) {
    try {
      rows.push(await compare(c, mode));
    } catch (err) {
      rows.push({ ...blank(c.name), error: `${String(err)} ${(err as Error).stack ?? ''}` });
    }
    // Progress for a reader of the page's console (the Node test prints the table at the end).
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  // on wasm: whether medinets' WebAssembly SIMD kernels ran (no native addon in a browser)
  const simd = target === 'wasm' ? wasmSimdStatus(tf.backend()) : undefined;
  // and its products' workers and relaxed SIMD: a convolution large enough to share (19 MFLOP,
  // once the workers have started) against the cpu backend
  let product: { err: number; jobs: number } | undefined;
  const k = target === 'wasm' ? wasmSimd(tf.backend()) : null;
  if (k != null) {
    for (let i = 0; i < 100 && k.gemmWorkers().ready < k.gemmWorkers().started; i++)
      await new Promise((r) => setTimeout(r, 50));
    const x = tf.randomUniform([2, 16, 16, 32], -1, 1, 'float32', 1);
    const w = tf.randomUniform([3, 3, 32, 64], -1, 1, 'float32', 2);
    const jobs = k.gemmWorkers().jobs;
    const got = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync();
    const done = k.gemmWorkers().jobs - jobs;
    const xv = x.dataSync();
    const wv = w.dataSync();
    await tf.setBackend('cpu');
    const want = tf
      .conv2d(tf.tensor4d(xv, [2, 16, 16, 32]), tf.tensor4d(wv, [3, 3, 32, 64]), 1, 'same')
      .dataSync();
    await tf.setBackend('wasm');
    let err = 0;
    for (let i = 0; i < want.length; i++)
      err = Math.max(err, Math.abs((got[i] as number) - (want[i] as number)));
    product = { err, jobs: done };
  }
  const gemm = k?.gemmWorkers();
  (globalThis as unknown as { __result: unknown }).__result = {
    backend: report.backend,
    rows,
    kernels,
    simd,
    gemm,
    product,
    cores: (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator
      .hardwareConcurrency,
  };
}

main().catch((err) => {
  (globalThis as unknown as { __result: unknown }).__result = { error: String(err) };
});
