/**
 * `npm run bench -- --table [nets] [--rounds=2] [--steps=3] [--warmup=8] [--warmup-seconds=2]
 * [--configs=native,wasm]`: issue 19's targets as ratios to PyTorch, from one run. Each
 * network is trained (forward + backward + Adam, trainOnBatch) and run (predict) in a child
 * process per side, untimed first `--warmup` times and for at least `--warmup-seconds` (steady
 * state: V8 compiles tfjs' JavaScript during a fresh process's first steps, on the same two
 * cores; a MobileNetV2 prediction took 22-54 ms over its first 30 calls and 16-19 ms from
 * then on, so a count alone left cheap predictions timed mid-compilation), then the median
 * of `--steps`: PyTorch 1.13 on 2 threads
 * (bench/torch_baseline.py --one), medinets `native` (wasm + the addon, setupBackend's default)
 * and `wasm` (no addon: what macOS, Windows, ARM and browsers get; `wasm-relaxed` the same
 * with relaxed SIMD's fused multiply-adds in the products, as Chrome 114+ and Node 22+ run
 * it; `wasm-js` the same as `wasm` with
 * medinets' WebAssembly SIMD kernels off, its JS loops instead). The sides alternate over
 * `--rounds` rounds (the order turns each round) and each side's best median is compared, as
 * the machine is shared and noisy. Each child reports its peak RSS (the whole process: model,
 * optimizer state and one training step), printed as a ratio to PyTorch's. Inference is also
 * timed on `foldBatchNorm(model)` (batch norms and ReLUs folded into the convolutions; PyTorch
 * runs its eager eval model, unfolded).
 *
 * Networks: the bench's plain-layer nets (bench/models.ts: resnet18, unet, densenet121) and
 * the library's own builders (ResNet18, UNet, DenseNet121, MobileNetV2, ResNet50), at batch 8
 * 128x128x1, ResNet50 at batch 16 224x224x3; each against the torchvision (or bench UNet)
 * network of the same architecture.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '../src/backend';
import { useRelaxedSimd, useWasmSimd, wasmSimd, wasmSimdStatus } from '../src/backend/kernels/wasm-simd';
import { SIMD_RELAXED_PLAIN_WASM } from '../src/backend/kernels/wasm-simd-binary';
import { DenseNet121, foldBatchNorm, MobileNetV2, ResNet18, ResNet50, UNet } from '../src/models';
import { densenet121, resnet18, unet } from './models';

interface Net {
  build: () => tfl.LayersModel;
  batch: number;
  size: number;
  channels: number;
  seg: boolean;
  /** bench/torch_baseline.py's network of the same architecture. */
  torch: string;
}

const S = 128;
const cls = { inputShape: [S, S, 1] as [number, number, number], classes: 2 };
export const NETS: Record<string, Net> = {
  resnet18: { build: () => resnet18(S, 1, 2), batch: 8, size: S, channels: 1, seg: false, torch: 'resnet18' },
  unet: { build: () => unet(S, 1, 32), batch: 8, size: S, channels: 1, seg: true, torch: 'unet' },
  densenet121: {
    build: () => densenet121(S, 1, 2),
    batch: 8,
    size: S,
    channels: 1,
    seg: false,
    torch: 'densenet121',
  },
  ResNet18: { build: () => ResNet18(cls), batch: 8, size: S, channels: 1, seg: false, torch: 'resnet18' },
  UNet: {
    build: () =>
      UNet({
        inputShape: [S, S, 1],
        filters: 32,
        head: 'segment',
        upsample: 'transpose',
        classes: 1,
        classifierActivation: 'sigmoid',
      }),
    batch: 8,
    size: S,
    channels: 1,
    seg: true,
    torch: 'unet',
  },
  DenseNet121: {
    build: () => DenseNet121(cls),
    batch: 8,
    size: S,
    channels: 1,
    seg: false,
    torch: 'densenet121',
  },
  MobileNetV2: {
    build: () => MobileNetV2(cls),
    batch: 8,
    size: S,
    channels: 1,
    seg: false,
    torch: 'mobilenetv2',
  },
  ResNet50: {
    build: () => ResNet50({ inputShape: [224, 224, 3], classes: 2 }),
    batch: 16,
    size: 224,
    channels: 3,
    seg: false,
    torch: 'resnet50',
  },
};

/** One side's times (s) and peak RSS (MiB); `error` when the child failed. */
interface Run {
  train: number;
  infer: number;
  /** predict on foldBatchNorm(model) (medinets only). */
  folded?: number;
  rss: number;
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

async function medianSeconds(n: number, fn: () => unknown): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ts.push((performance.now() - t) / 1000);
  }
  return median(ts);
}

/** A compiled network of the table and one batch of inputs and targets for it. */
export function prepareNet(name: string): { model: tfl.LayersModel; x: tf.Tensor; y: tf.Tensor } {
  const net = NETS[name] as Net;
  const model = net.build();
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: net.seg ? 'binaryCrossentropy' : 'categoricalCrossentropy',
  });
  const { batch, size, channels } = net;
  const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 1);
  const y = net.seg
    ? tf.cast(tf.greater(tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 2), 0.5), 'float32')
    : tf.oneHot(
        tf.tensor1d(
          Array.from({ length: batch }, (_, i) => i % 2),
          'int32',
        ),
        2,
      );
  return { model, x, y };
}

/** The untimed runs before each timed phase, on every side: at least `count`, for at least `seconds`. */
export interface Warmup {
  count: number;
  seconds: number;
}

async function warmUp(w: Warmup, fn: () => unknown): Promise<void> {
  const end = performance.now() + w.seconds * 1000;
  for (let i = 0; i < w.count || performance.now() < end; i++) await fn();
}

/** The child's body: one network on one configuration; prints one JSON line. */
export async function tableChild(config: string, name: string, steps: number, warmup: Warmup): Promise<void> {
  // 'native-cpu': the addon's kernels on the cpu backend's JS-heap tensors, for nets whose
  // training step would outgrow the wasm heap (ResNet-50 at batch 16, 224x224x3 fits since the
  // backward pass frees its gradients as it goes: 2.7 GB). 'wasm' is the product without
  // relaxed SIMD (engines without it: Safari, Node 20 by default), 'wasm-relaxed' with it
  // (Chrome 114+, Node 22+; Node 20 with --experimental-wasm-relaxed-simd, which runMine adds).
  useRelaxedSimd(config === 'wasm-relaxed');
  await setupBackend({
    prefer: config === 'native-cpu' ? 'cpu' : 'wasm',
    native: config.startsWith('native'),
  });
  // 'wasm-js': wasm only with medinets' SIMD module off (its JS kernels, tfjs' optimizer update)
  if (config === 'wasm-js') useWasmSimd(false);
  else if (config.startsWith('wasm') && !wasmSimdStatus(tf.backend()).active)
    throw new Error(
      `bench: the wasm SIMD kernels are not active: ${wasmSimdStatus(tf.backend()).reason ?? ''}`,
    );
  if (config === 'wasm-relaxed' && wasmSimd(tf.backend())?.gemmWorkers().relaxed !== true)
    throw new Error('bench: wasm-relaxed, but the engine runs no relaxed SIMD');
  const { model, x, y } = prepareNet(name);
  const predict = (): void => {
    const p = model.predict(x) as tf.Tensor;
    p.dataSync();
    p.dispose();
  };
  await warmUp(warmup, predict);
  const infer = await medianSeconds(steps, predict);
  const foldedModel = foldBatchNorm(model);
  const predictFolded = (): void => {
    const p = foldedModel.predict(x) as tf.Tensor;
    p.dataSync();
    p.dispose();
  };
  await warmUp(warmup, predictFolded);
  const folded = await medianSeconds(steps, predictFolded);
  foldedModel.dispose();
  await warmUp(warmup, () => model.trainOnBatch(x, y));
  const train = await medianSeconds(steps, () => model.trainOnBatch(x, y));
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ train, infer, folded, rss }));
}

function lastJson(stdout: string | null, stderr: string | null, status: number | null): Run {
  const line = (stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Run;
  } catch {
    const why = (stderr ?? '').trim().split('\n').slice(-2).join(' ').slice(0, 160);
    return { train: NaN, infer: NaN, rss: NaN, error: `exit ${String(status)}: ${why}` };
  }
}

function runTorch(net: Net, steps: number, warmup: Warmup): Run {
  const script = fileURLToPath(new URL('./torch_baseline.py', import.meta.url));
  const args = [script, '--one', net.torch, '--steps', String(steps)];
  args.push('--warmup', String(warmup.count), '--warmup-seconds', String(warmup.seconds));
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 30 * 60_000 });
  return lastJson(r.stdout, r.stderr, r.status);
}

function runMine(config: string, name: string, steps: number, warmup: Warmup): Run {
  const script = fileURLToPath(new URL('./run.ts', import.meta.url));
  const env = { ...process.env, ...(config.startsWith('native') ? {} : { MEDINETS_NATIVE: '0' }) };
  const wa = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
  const flag =
    config === 'wasm-relaxed' && !wa.validate(Buffer.from(SIMD_RELAXED_PLAIN_WASM, 'base64'))
      ? ['--experimental-wasm-relaxed-simd']
      : [];
  const r = spawnSync(
    process.execPath,
    [
      ...flag,
      ...process.execArgv,
      script,
      `--table-child=${config}:${name}`,
      `--steps=${steps}`,
      `--warmup=${warmup.count}`,
      `--warmup-seconds=${warmup.seconds}`,
    ],
    { encoding: 'utf8', timeout: 30 * 60_000, env, maxBuffer: 1 << 24 },
  );
  return lastJson(r.stdout, r.stderr, r.status);
}

/** The better of two runs, field by field (the best median of each quantity over the rounds). */
function best(a: Run | undefined, b: Run): Run {
  if (a == null || Number.isNaN(a.train)) return b;
  if (Number.isNaN(b.train)) return a;
  return {
    train: Math.min(a.train, b.train),
    infer: Math.min(a.infer, b.infer),
    folded: Math.min(a.folded ?? NaN, b.folded ?? NaN),
    rss: Math.min(a.rss, b.rss),
  };
}

const s3 = (v: number): string => (Number.isNaN(v) ? '—' : v.toFixed(3));
const x2 = (a: number, b: number): string => (Number.isNaN(a) || Number.isNaN(b) ? '—' : (a / b).toFixed(2));

/** Runs every network on every side over the rounds and prints the table (and its markdown). */
export function benchTable(
  names: string[],
  configs: string[],
  rounds: number,
  steps: number,
  warmup: Warmup,
): void {
  const sides = ['torch', ...configs];
  const results = new Map<string, Run>();
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const net = NETS[name] as Net;
      // the order turns each round, so no side always runs first (or last) on a warm machine
      const order = sides.map((_, i) => sides[(i + r) % sides.length] as string);
      for (const side of order) {
        const run = side === 'torch' ? runTorch(net, steps, warmup) : runMine(side, name, steps, warmup);
        if (run.error != null) console.log(`  ${name} ${side} round ${r + 1}: failed (${run.error})`);
        const k = `${name}:${side}`;
        results.set(k, best(results.get(k), run));
      }
      console.log(`  round ${r + 1}/${rounds}: ${name} done`);
    }
  }
  const head = ['net', 'batch, input', 'PyTorch train / infer s'];
  for (const c of configs)
    head.push(`${c} train / infer / folded infer s`, `${c} x PyTorch (train / infer / folded)`);
  head.push(`peak RSS MiB: PyTorch / ${configs.join(' / ')} (x PyTorch)`);
  const rows = names.map((name) => {
    const net = NETS[name] as Net;
    const t = results.get(`${name}:torch`) as Run;
    const row = [
      name,
      `${net.batch}, ${net.size}x${net.size}x${net.channels}`,
      `${s3(t.train)} / ${s3(t.infer)}`,
    ];
    const rss = [t.rss.toFixed(0)];
    for (const c of configs) {
      const m = results.get(`${name}:${c}`) as Run;
      const fo = m.folded ?? NaN;
      row.push(
        `${s3(m.train)} / ${s3(m.infer)} / ${s3(fo)}`,
        `${x2(m.train, t.train)} / ${x2(m.infer, t.infer)} / ${x2(fo, t.infer)}`,
      );
      rss.push(`${m.rss.toFixed(0)} (${x2(m.rss, t.rss)})`);
    }
    row.push(rss.join(' / '));
    return row;
  });
  console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
