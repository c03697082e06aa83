// foldBatchNorm: conv + batch norm (+ ReLU / ReLU6) folded into one convolution gives the
// unfolded model's predictions (to 1e-5 of the output scale) on the library's ResNet18, UNet
// (conv-bn-relu), MobileNetV2 (depthwise + ReLU6) and a sequential stack; pairs that are not
// foldable (a conv output read twice, a model output) stay; the original is untouched.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../src/backend';
import { foldBatchNorm, MobileNetV2, ResNet18, UNet } from '../../src/models';
import { makeRng } from '../../src/util/random';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Moving statistics, gamma and beta away from their initial 0 / 1, so folding has work to do. */
function randomiseBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = makeRng(seed);
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    l.setWeights(
      l.getWeights().map((w, i, all) => {
        const vals = Float32Array.from({ length: w.size }, () =>
          // the variance (last weight) positive; the others around their usual values
          i === all.length - 1
            ? 0.2 + rng.next()
            : i === 0 && all.length === 4
              ? 0.5 + rng.next()
              : rng.normal() * 0.3,
        );
        return tf.tensor(vals, w.shape);
      }),
    );
  }
}

/** One flat array of a model's output(s). */
function flat(t: tf.Tensor | tf.Tensor[]): Float32Array {
  const parts = (Array.isArray(t) ? t : [t]).map((p) => [...p.dataSync()]);
  return Float32Array.from(parts.flat());
}

function maxRelDiff(a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[]): number {
  const x = flat(a);
  const y = flat(b);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(y[i] as number));
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  return worst / Math.max(scale, 1e-12);
}

async function check(model: tfl.LayersModel, shape: number[], wantFolded: number): Promise<void> {
  randomiseBatchNorms(model, 7);
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const before = model.predict(x);
  const folded = foldBatchNorm(model);
  const bnLeft = folded.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
  const bnBefore = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
  expect(bnBefore - bnLeft).toBe(wantFolded);
  const after = folded.predict(x);
  expect(flat(after).length).toBe(flat(before).length);
  expect(maxRelDiff(after, before)).toBeLessThan(1e-5);
  // the original still predicts as before
  const again = model.predict(x);
  expect(maxRelDiff(again, before)).toBe(0);
  tf.dispose([x, before, after, again]);
  folded.dispose();
  model.dispose();
}

describe('foldBatchNorm', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`ResNet18 on ${backend}: every conv-bn pair folded, same predictions`, async () => {
      if (backend === 'wasm') await setupBackend({ prefer: 'wasm' });
      else await tf.setBackend('cpu');
      await check(ResNet18({ inputShape: [32, 32, 1], classes: 3, seed: 1 }), [2, 32, 32, 1], 20);
    });
  }

  it('MobileNetV2: depthwise convolutions and ReLU6 folded', async () => {
    await setupBackend({ prefer: 'wasm' });
    const m = MobileNetV2({ inputShape: [32, 32, 3], classes: 4, alpha: 0.35, seed: 2 });
    const bns = m.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    await check(m, [2, 32, 32, 3], bns);
  });

  it('UNet (segment head): conv-bn-relu stacks folded', async () => {
    await setupBackend({ prefer: 'wasm' });
    const m = UNet({ inputShape: [32, 32, 1], filters: 4, head: 'segment', upsample: 'transpose', seed: 3 });
    await check(m, [2, 32, 32, 1], 18);
  });

  it('sequential stacks, and pairs that must not fold', async () => {
    await tf.setBackend('cpu');
    const seq = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, useBias: true }),
        tfl.layers.batchNormalization({ epsilon: 1e-3 }),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    await check(seq, [3, 8, 8, 2], 1);
    // a conv read by a batch norm and by a residual add: the add needs the unnormalised map
    const inp = tfl.input({ shape: [8, 8, 2] });
    const c = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(inp) as tfl.SymbolicTensor;
    const b = tfl.layers.batchNormalization().apply(c) as tfl.SymbolicTensor;
    const out = tfl.layers.add().apply([b, c]) as tfl.SymbolicTensor;
    // a batch norm right after the input (no conv before it) stays too
    const b2 = tfl.layers.batchNormalization().apply(inp) as tfl.SymbolicTensor;
    await check(tfl.model({ inputs: inp, outputs: [out, b2] }), [2, 8, 8, 2], 0);
  });

  it('names the argument for a model it cannot fold', () => {
    const inp = tfl.input({ shape: [4, 4, 1] });
    const conv = tfl.layers.conv2d({ filters: 1, kernelSize: 1 });
    const shared = tfl.model({
      inputs: inp,
      outputs: tfl.layers
        .add()
        .apply([
          conv.apply(inp),
          conv.apply(conv.apply(inp) as tfl.SymbolicTensor),
        ] as tfl.SymbolicTensor[]) as tfl.SymbolicTensor,
    });
    expect(() => foldBatchNorm(shared)).toThrow(/foldBatchNorm: model/);
  });
});
