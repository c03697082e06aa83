/**
 * Benchmark of `deformConv2d` (issue 4): forward + backward (gradients for x, offset, mask,
 * kernel and bias) against torchvision's `deform_conv2d` on the same shapes and the same two
 * cores, printing each time and its ratio to PyTorch's (target: within 3x).
 *
 *   npx tsx bench/deform-conv.ts                 cpu and wasm, default repeats
 *   npx tsx bench/deform-conv.ts --backends=wasm --reps=5 --no-torch
 *
 * PyTorch runs through bench/deform_conv_torch.py with /usr/bin/python3 (Debian's torch).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import '../src/index';
import { setupBackend } from '../src/backend';
import { deformConv2d } from '../src/layers';

interface Shape {
  name: string;
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  groups: number;
  reps: number;
}

const args = process.argv.slice(2);
const arg = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const reps = Number(arg('reps') ?? 5);
const backends = (arg('backends') ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];

// DResUNet-like stages: 3x3 deformable convs at stride 1 and 2, and the 1x1 one near the head.
const SHAPES: Shape[] = [
  {
    name: '3x3 s1 64x64 32->32 batch4',
    n: 4,
    h: 64,
    w: 64,
    cin: 32,
    cout: 32,
    k: 3,
    stride: 1,
    pad: 1,
    groups: 1,
    reps,
  },
  {
    name: '3x3 s2 64x64 64->64 batch4',
    n: 4,
    h: 64,
    w: 64,
    cin: 64,
    cout: 64,
    k: 3,
    stride: 2,
    pad: 1,
    groups: 1,
    reps,
  },
  {
    name: '3x3 s1 32x32 128->128 g2 batch2',
    n: 2,
    h: 32,
    w: 32,
    cin: 128,
    cout: 128,
    k: 3,
    stride: 1,
    pad: 1,
    groups: 2,
    reps,
  },
  {
    name: '1x1 s1 16x16 256->256 batch4',
    n: 4,
    h: 16,
    w: 16,
    cin: 256,
    cout: 256,
    k: 1,
    stride: 1,
    pad: 0,
    groups: 1,
    reps,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeTfjs(s: Shape): number {
  const ho = Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.pad - s.k) / s.stride) + 1;
  const K = s.k * s.k;
  const x = tf.randomNormal([s.n, s.h, s.w, s.cin], 0, 1, 'float32', 1);
  const off = tf.randomNormal([s.n, ho, wo, 2 * s.groups * K], 0, 2, 'float32', 2);
  const mask = tf.randomUniform([s.n, ho, wo, s.groups * K], 0, 1, 'float32', 3);
  const kernel = tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.1, 'float32', 4);
  const bias = tf.randomNormal([s.cout], 0, 1, 'float32', 5);
  const dy = tf.randomNormal([s.n, ho, wo, s.cout], 0, 1, 'float32', 6);
  const opts = { strides: s.stride, padding: s.pad };
  const grad = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
    tf.sum(
      tf.mul(
        deformConv2d(
          a as tf.Tensor4D,
          b as tf.Tensor4D,
          c as tf.Tensor4D,
          d as tf.Tensor4D,
          e as tf.Tensor1D,
          opts,
        ),
        dy,
      ),
    ),
  );
  const step = (): number => {
    const t0 = performance.now();
    const gs = grad([x, off, mask, kernel, bias]);
    gs.forEach((g) => g.dataSync());
    const dt = performance.now() - t0;
    tf.dispose(gs);
    return dt;
  };
  step();
  const times = Array.from({ length: s.reps }, step);
  tf.dispose([x, off, mask, kernel, bias, dy]);
  return median(times);
}

function torchTimes(): number[] | null {
  if (args.includes('--no-torch')) return null;
  const py = '/usr/bin/python3';
  if (!existsSync(py)) {
    console.log('PyTorch baseline skipped: /usr/bin/python3 not found');
    return null;
  }
  const script = fileURLToPath(new URL('./deform_conv_torch.py', import.meta.url));
  const r = spawnSync(py, [script, JSON.stringify(SHAPES)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '2' },
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as { ms?: number[]; error?: string; torch?: string; threads?: number };
    if (!parsed.ms) {
      console.log(`PyTorch baseline skipped: ${parsed.error ?? r.stderr}`);
      return null;
    }
    console.log(`PyTorch ${parsed.torch} (torchvision deform_conv2d), ${parsed.threads} threads`);
    return parsed.ms;
  } catch {
    console.log(`PyTorch baseline failed: ${r.stderr || line}`);
    return null;
  }
}

// PyTorch runs before and after the tfjs timings and keeps its better time per shape, so a
// load change on the shared cores during the run does not flatter the ratios.
const torchBefore = torchTimes();
const rows: string[][] = [['shape', 'torch ms', ...backends.flatMap((b) => [`${b} ms`, `${b}/torch`])]];
const results: Record<string, number[]> = {};
for (const b of backends) {
  await setupBackend({ prefer: b });
  results[b] = SHAPES.map((s) => timeTfjs(s));
}
const torchAfter = torchBefore ? torchTimes() : null;
const torch = torchBefore ? torchBefore.map((t, i) => Math.min(t, torchAfter?.[i] ?? t)) : null;
SHAPES.forEach((s, i) => {
  const t = torch ? torch[i] : NaN;
  rows.push([
    s.name,
    torch ? t.toFixed(1) : '-',
    ...backends.flatMap((b) => [
      results[b][i].toFixed(1),
      torch ? `${(results[b][i] / t).toFixed(2)}x` : '-',
    ]),
  ]);
});
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c])).join('  '));
