/**
 * `npm run bench -- --profile [models]`: where a training step and a prediction spend their
 * time, on the configuration the bench calls `native` (wasm + the addon; `--configs=wasm`: the
 * wasm-only one, without the addon). One step of each
 * runs under `tf.profile`, which times every kernel; the kernels are summed by name and the
 * largest shares printed, beside the step's wall time, the time outside any kernel (tfjs-layers,
 * the tape, JavaScript glue) and the optimizer's update (timed around `applyGradients`);
 * the prediction also on `foldBatchNorm(model)` (bench --table's folded column).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { foldBatchNorm } from '../src/models';

const TOP = 12;

interface Share {
  name: string;
  ms: number;
  calls: number;
}

function byName(kernels: { name: string; kernelTimeMs: unknown }[]): Share[] {
  const m = new Map<string, Share>();
  for (const k of kernels) {
    // `<op>__op` entries are op scopes around a kernel listed on its own: not counted twice
    if (k.name.endsWith('__op')) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const s = m.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    s.ms += ms;
    s.calls += 1;
    m.set(k.name, s);
  }
  return [...m.values()].sort((a, b) => b.ms - a.ms);
}

function print(title: string, wall: number, shares: Share[], extra: [string, number][]): void {
  const inKernels = shares.reduce((a, s) => a + s.ms, 0);
  console.log(
    `  ${title}: wall ${wall.toFixed(1)} ms, in kernels ${inKernels.toFixed(1)} ms, outside kernels ${(wall - inKernels).toFixed(1)} ms`,
  );
  for (const [label, ms] of extra)
    console.log(
      `    ${label.padEnd(28)}${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / wall).toFixed(1).padStart(5)} %`,
    );
  for (const s of shares.slice(0, TOP)) {
    console.log(
      `    ${s.name.padEnd(28)}${s.ms.toFixed(1).padStart(8)} ms ${((100 * s.ms) / wall).toFixed(1).padStart(5)} %  (${s.calls} calls)`,
    );
  }
}

/**
 * Profile one prediction and one training step of a compiled, warmed-up model; prints the
 * kernels' shares of the wall time.
 */
export async function profileModel(
  name: string,
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
): Promise<void> {
  console.log(`\n${name}: profile on ${tf.getBackend()} (one call each, after a warm-up)`);
  let t = performance.now();
  const inferProfile = await tf.profile(() => {
    const p = model.predict(x) as tf.Tensor;
    p.dataSync();
    p.dispose();
  });
  const inferWall = performance.now() - t;
  print('inference', inferWall, byName(inferProfile.kernels), []);

  // the same prediction on foldBatchNorm(model): what bench --table's folded column times
  const folded = foldBatchNorm(model);
  const predictFolded = (): void => {
    const p = folded.predict(x) as tf.Tensor;
    p.dataSync();
    p.dispose();
  };
  predictFolded(); // warm-up
  t = performance.now();
  const foldedProfile = await tf.profile(predictFolded);
  print('folded inference', performance.now() - t, byName(foldedProfile.kernels), []);
  folded.dispose();

  const opt = model.optimizer as tf.Optimizer & { applyGradients: tf.Optimizer['applyGradients'] };
  const original = opt.applyGradients.bind(opt);
  let optMs = 0;
  opt.applyGradients = (g) => {
    const t0 = performance.now();
    original(g);
    optMs += performance.now() - t0;
  };
  try {
    t = performance.now();
    const trainProfile = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    const trainWall = performance.now() - t;
    print('train step', trainWall, byName(trainProfile.kernels), [['(optimizer update, total)', optMs]]);
  } finally {
    opt.applyGradients = original;
  }
}
