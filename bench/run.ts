/**
 * Training / inference benchmark of medinets' kernels (issue 3).
 *
 *   npm run bench                      all models, all configurations
 *   npm run bench -- resnet18          one model (resnet18 | unet | densenet121)
 *   npm run bench -- kernels           per-kernel stock vs medinets times only
 *   npm run bench -- resnet18 --configs=wasm,cpu --steps=5 --stock-steps=1 --stock-batch=1 --no-torch
 *   npm run bench -- --threads=1       wasm on tfjs' single-threaded binary, for comparison
 *   npm run bench -- --profile [nets]  each model's top kernels by share of a step (native); nets
 *                                      also the table's (MobileNetV2, ResNet50, ...);
 *                                      --configs=native-cpu profiles the addon on the cpu backend,
 *                                      --configs=wasm the wasm-only configuration (no addon)
 *   npm run bench -- --simd-ab [nets]  wasm only: train step with / without medinets' wasm SIMD
 *                                      kernels, alternated in one process (see simd-ab.ts)
 *   npm run bench -- --table           issue 19's ratio table: every net, native and wasm vs
 *                                      PyTorch (at least --warmup=8 untimed steps and
 *                                      --warmup-seconds=2 of them on each side first),
 *                                      alternated over --rounds=2, peak RSS, kernel
 *                                      GFLOP/s beside the FMA peak (see table.ts)
 *
 * Configurations: `native` (what `setupBackend()` gives: wasm with medinets' native addon
 * for convolutions, matrix products, batch norm and pooling gradients; XNNPACK on 1 thread),
 * `wasm` (wasm + medinets' wasm/JS kernels without the addon, XNNPACK on `--threads` threads,
 * default every core), `cpu` (cpu + medinets' JS kernels, no addon), `cpu-stock` (tfjs cpu
 * with medinets' kernels suspended: minutes per step, so 1 step at batch `--stock-batch`
 * (default 1) scaled linearly to batch 8, stopped after `--stock-budget` seconds (default
 * 600; what did not finish is printed as a lower bound, `>`); `--no-stock` skips it). All but
 * `native` run in child processes, so that each gets its own backend set-up. Each model is batch 8,
 * 128x128x1, train step = forward + backward + Adam (trainOnBatch), inference = predict.
 * PyTorch (bench/torch_baseline.py, /usr/bin/python3, 2 threads) runs in the same session
 * as the baseline; every time is printed with its ratio to PyTorch's, and wasm and cpu
 * with their speed-up over stock cpu.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerTrainingKernels, setupBackend, suspendTrainingKernels } from '../src/backend';
import { benchKernelRates, benchKernels, benchWasmProductRates } from './kernels';
import { profileModel } from './profile';
import { benchSimdAB } from './simd-ab';
import { benchTable, NETS, prepareNet, tableChild } from './table';
import { densenet121, resnet18, unet } from './models';

type Config = 'cpu-stock' | 'cpu' | 'wasm' | 'native';
interface Timing {
  train: number;
  infer: number;
  /** Set when stock cpu ran out of `--stock-budget`: the times are lower bounds. */
  atLeast?: { train: boolean; infer: boolean };
}

const BATCH = 8;
const SIZE = 128;
const MODELS: Record<string, () => tfl.LayersModel> = {
  resnet18: () => resnet18(SIZE, 1, 2),
  unet: () => unet(SIZE, 1, 32),
  densenet121: () => densenet121(SIZE, 1, 2),
};

function arg(name: string, dflt: string): string {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a == null ? dflt : a.slice(name.length + 3);
}
const names = process.argv.slice(2).filter((s) => !s.startsWith('--') && s in MODELS);
const kernelsOnly = process.argv.includes('kernels');
const models = names.length > 0 || kernelsOnly ? names : Object.keys(MODELS);
const configs = (arg('configs', 'native,wasm,cpu,cpu-stock').split(',') as Config[]).filter(
  (c) => c !== 'cpu-stock' || !process.argv.includes('--no-stock'),
);
const threadsArg = arg('threads', '');
const threads = threadsArg === '' ? undefined : Number(threadsArg);
const steps = Number(arg('steps', '3'));
// --table: untimed steps (and predictions) before the timed ones, the same count on each side.
// A fresh Node process runs its first training steps up to 1.5x slower while V8 compiles
// tfjs' JavaScript on the same two cores (MobileNetV2: 182, 161, 138 ms, then ~115 ms from
// the 8th step on); PyTorch's steps are level from the second.
const warmup = Number(arg('warmup', '8'));
const warmupSeconds = Number(arg('warmup-seconds', '2'));
const stockSteps = Number(arg('stock-steps', '1'));
// Stock cpu takes minutes per ResNet step at batch 8: it runs a smaller batch and its
// times are scaled linearly to batch 8 (convolutions dominate and scale with the batch).
const stockBatch = Number(arg('stock-batch', '1'));
const withTorch = !process.argv.includes('--no-torch');
// Stock cpu runs in a child process stopped after this many seconds (a UNet step takes
// well over ten minutes even at batch 1); what did not finish is reported as a lower bound.
const stockBudget = Number(arg('stock-budget', '600'));
const child = arg('child', '');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/**
 * One configuration in a child process (its own backend set-up, no native addon), stopped
 * after `--stock-budget` seconds.
 */
function measureInChild(name: string, config: Config): Timing {
  const script = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      script,
      `--child=${config}:${name}`,
      `--stock-batch=${stockBatch}`,
      `--stock-steps=${stockSteps}`,
      `--steps=${steps}`,
      ...(threads === undefined ? [] : [`--threads=${threads}`]),
    ],
    { encoding: 'utf8', timeout: stockBudget * 1000, env: { ...process.env, MEDINETS_NATIVE: '0' } },
  );
  const elapsed = (performance.now() - t0) / 1000;
  const got: Partial<Timing> = {};
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('{')) Object.assign(got, JSON.parse(line) as Partial<Timing>);
  }
  const scale = config === 'cpu-stock' ? BATCH / stockBatch : 1;
  // What did not finish took at least the rest of the budget (one step at batch stockBatch).
  const rest = Math.max(elapsed - (got.infer ?? 0) * stockSteps, 0);
  return {
    infer: (got.infer ?? elapsed) * scale,
    train: (got.train ?? rest) * scale,
    atLeast: { infer: got.infer == null, train: got.train == null },
  };
}

/** A compiled model of `name` and one batch of inputs and targets for it. */
function prepare(name: string, batch: number): { model: tfl.LayersModel; x: tf.Tensor; y: tf.Tensor } {
  const model = (MODELS[name] as () => tfl.LayersModel)();
  const seg = name === 'unet';
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: seg ? 'binaryCrossentropy' : 'categoricalCrossentropy',
  });
  const x = tf.randomNormal([batch, SIZE, SIZE, 1], 0, 1, 'float32', 1);
  const y = seg
    ? tf.cast(tf.greater(tf.randomUniform([batch, SIZE, SIZE, 1], 0, 1, 'float32', 2), 0.5), 'float32')
    : tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0].slice(0, batch), 'int32'), 2);
  return { model, x, y };
}

/** The median wall time of `n` calls of `fn`, in seconds. */
async function medianSeconds(n: number, fn: () => unknown): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ts.push((performance.now() - t) / 1000);
  }
  return median(ts);
}

function predict(model: tfl.LayersModel, x: tf.Tensor): void {
  const p = model.predict(x) as tf.Tensor;
  p.dataSync();
  p.dispose();
}

/** The body of a child process: prints `{"infer": s}` then `{"train": s}`. */
async function childMain(spec: string): Promise<void> {
  const [config, name] = spec.split(':') as [Config, string];
  if (config === 'wasm') await setupBackend({ prefer: 'wasm', threads, native: false });
  if (config === 'cpu-stock') suspendTrainingKernels(['cpu']);
  if (config !== 'wasm') await tf.setBackend('cpu');
  const stock = config === 'cpu-stock';
  const { model, x, y } = prepare(name, stock ? stockBatch : BATCH);
  const n = stock ? stockSteps : steps;
  if (!stock) predict(model, x); // warm-up
  console.log(JSON.stringify({ infer: await medianSeconds(n, () => predict(model, x)) }));
  if (!stock) await model.trainOnBatch(x, y);
  console.log(JSON.stringify({ train: await medianSeconds(n, () => model.trainOnBatch(x, y)) }));
}

async function measure(name: string, config: Config): Promise<Timing> {
  if (config !== 'native') return measureInChild(name, config);
  registerTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  const { model, x, y } = prepare(name, BATCH);
  predict(model, x); // warm-up
  const infer = await medianSeconds(steps, () => predict(model, x));
  await model.trainOnBatch(x, y);
  const train = await medianSeconds(steps, () => model.trainOnBatch(x, y));
  tf.dispose([x, y]);
  model.optimizer?.dispose();
  model.dispose();
  return { train, infer };
}

function torchBaseline(): Record<string, Timing> | null {
  if (!withTorch) return null;
  const py = '/usr/bin/python3';
  const script = fileURLToPath(new URL('./torch_baseline.py', import.meta.url));
  if (!existsSync(py)) {
    console.log('PyTorch baseline skipped: /usr/bin/python3 not found');
    return null;
  }
  const r = spawnSync(py, [script, ...models], { encoding: 'utf8', timeout: 30 * 60_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed.error === 'string') {
      console.log(`PyTorch baseline skipped: ${parsed.error}`);
      return null;
    }
    console.log(`PyTorch ${String(parsed.torch)} on the CPU, ${String(parsed.threads)} threads`);
    return parsed as unknown as Record<string, Timing>;
  } catch {
    console.log(`PyTorch baseline skipped: ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
    return null;
  }
}

const fmt = (s: number): string => (s >= 10 ? s.toFixed(1) : s.toFixed(3)).padStart(8) + ' s';
const ratio = (a: number, b: number | undefined): string =>
  b == null ? '' : `${(a / b).toFixed(1)}x`.padStart(8);

async function main(): Promise<void> {
  const load = (await import('node:os')).loadavg()[0] ?? 0;
  console.log(
    `medinets kernel bench: batch ${BATCH}, ${SIZE}x${SIZE}x1, steps ${steps} (stock cpu ${stockSteps}), load average ${load.toFixed(1)}`,
  );
  // --profile --configs=native-cpu: the addon on the cpu backend (its JS-heap tensors)
  const profileCpu =
    process.argv.includes('--profile') && arg('configs', '').split(',').includes('native-cpu');
  // `--profile --configs=wasm`: the wasm-only configuration (no addon, XNNPACK on every core)
  const profileWasmOnly = process.argv.includes('--profile') && configs.join() === 'wasm';
  const wasm = await setupBackend({
    prefer: profileCpu ? 'cpu' : 'wasm',
    ...(profileWasmOnly ? { native: false, threads } : {}),
  });
  console.log(
    `native: ${wasm.native.active ? `addon ${wasm.native.simd} on ${wasm.native.threads} thread(s), XNNPACK on ${wasm.threads}` : `unavailable (${wasm.native.reason ?? ''}), XNNPACK on ${wasm.threads}`}`,
  );
  if (process.argv.includes('--profile')) {
    // the table's nets by name too (the library's builders: MobileNetV2, ResNet50, ...)
    const picked = process.argv.slice(2).filter((s) => s in NETS);
    for (const name of picked.length > 0 ? picked : models) {
      registerTrainingKernels();
      const { model, x, y } = NETS[name] != null ? prepareNet(name) : prepare(name, BATCH);
      predict(model, x);
      await model.trainOnBatch(x, y);
      await profileModel(name, model, x, y);
      tf.dispose([x, y]);
      model.optimizer?.dispose();
      model.dispose();
    }
    return;
  }
  if (kernelsOnly || names.length === 0) await benchKernels();
  if (models.length === 0) return;
  const torch = torchBaseline();
  for (const name of models) {
    const base = torch?.[name];
    console.log(
      `\n${name}${base ? `   (PyTorch: train ${base.train.toFixed(3)} s, infer ${base.infer.toFixed(3)} s)` : ''}`,
    );
    console.log('  config        train     /torch      infer     /torch');
    const results: Partial<Record<Config, Timing>> = {};
    for (const config of configs) {
      const t = await measure(name, config);
      results[config] = t;
      const note =
        config === 'cpu-stock' && stockBatch !== BATCH
          ? `   (batch ${stockBatch}, scaled x${BATCH / stockBatch})`
          : '';
      const ge = (b: boolean | undefined): string => (b ? '>' : ' ');
      console.log(
        `  ${config.padEnd(10)}${ge(t.atLeast?.train)}${fmt(t.train).slice(1)}${ratio(t.train, base?.train)} ${ge(t.atLeast?.infer)}${fmt(t.infer).slice(1)}${ratio(t.infer, base?.infer)}${note}${t.atLeast?.train || t.atLeast?.infer ? `   (> : stock did not finish within --stock-budget=${stockBudget} s)` : ''}`,
      );
    }
    const stock = results['cpu-stock'];
    if (stock != null) {
      for (const c of ['cpu', 'wasm', 'native'] as const) {
        const r = results[c];
        if (r != null)
          console.log(
            `  ${c} vs stock cpu: train ${stock.atLeast?.train ? 'at least ' : ''}${(stock.train / r.train).toFixed(1)}x faster, infer ${stock.atLeast?.infer ? 'at least ' : ''}${(stock.infer / r.infer).toFixed(1)}x faster`,
          );
      }
    }
  }
}

const tableChildSpec = arg('table-child', '');
if (process.argv.includes('--simd-ab')) {
  const picked = process.argv.slice(2).filter((s) => s in NETS);
  await benchSimdAB(picked.length > 0 ? picked : ['resnet18'], Number(arg('rounds', '4')), steps);
} else if (tableChildSpec !== '') {
  const [config, name] = tableChildSpec.split(':') as [string, string];
  await tableChild(config, name, steps, { count: warmup, seconds: warmupSeconds });
} else if (child !== '') await childMain(child);
else if (process.argv.includes('--table')) {
  const load = (await import('node:os')).loadavg()[0] ?? 0;
  const picked = process.argv.slice(2).filter((s) => s in NETS);
  const nets = picked.length > 0 ? picked : Object.keys(NETS);
  console.log(`medinets vs PyTorch (2 threads): ${nets.join(', ')}; load average ${load.toFixed(1)}`);
  const wasm = await setupBackend({ prefer: 'wasm' });
  console.log(
    `native: ${wasm.native.active ? `addon ${wasm.native.simd} on ${wasm.native.threads} thread(s)` : `unavailable (${wasm.native.reason ?? ''})`}`,
  );
  await benchKernelRates();
  benchWasmProductRates();
  console.log(
    `each side: at least ${warmup} untimed steps (and predictions) and ${warmupSeconds} s of them, then the median of ${steps}`,
  );
  benchTable(nets, arg('configs', 'native,wasm').split(','), Number(arg('rounds', '2')), steps, {
    count: warmup,
    seconds: warmupSeconds,
  });
} else await main();
