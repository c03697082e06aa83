import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradCam, gradCamPlusPlus, occlusionSensitivity, saliency } from '../../src/explain';
import { makeRng } from '../../src/util/random';

const S = 16;
const R = 2;

/** Noisy images; class 1 carries a bright disc of radius R at a random place (the only signal). */
function blobs(
  n: number,
  seed: number,
): { x: tf.Tensor4D; y: tf.Tensor2D; centres: Array<[number, number] | null> } {
  const rng = makeRng(seed);
  const data = new Float32Array(n * S * S);
  const labels = new Float32Array(n * 2);
  const centres: Array<[number, number] | null> = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    for (let p = 0; p < S * S; p++) data[i * S * S + p] = 0.3 + 0.15 * rng.normal();
    if (cls === 1) {
      const cy = R + 1 + rng.int(S - 2 * R - 2);
      const cx = R + 1 + rng.int(S - 2 * R - 2);
      for (let yy = 0; yy < S; yy++)
        for (let xx = 0; xx < S; xx++)
          if ((yy - cy) ** 2 + (xx - cx) ** 2 <= R * R) data[i * S * S + yy * S + xx]! += 0.8;
      centres.push([cy, cx]);
    } else centres.push(null);
    labels[i * 2 + cls] = 1;
  }
  return { x: tf.tensor4d(data, [n, S, S, 1]), y: tf.tensor2d(labels, [n, 2]), centres };
}

function peakHits(maps: tf.Tensor3D, centres: Array<[number, number] | null>): number {
  const v = maps.dataSync();
  let hits = 0;
  let total = 0;
  centres.forEach((c, i) => {
    if (!c) return;
    total++;
    let best = 0;
    for (let p = 1; p < S * S; p++)
      if ((v[i * S * S + p] as number) > (v[i * S * S + best] as number)) best = p;
    const [py, px] = [Math.floor(best / S), best % S];
    if ((py - c[0]) ** 2 + (px - c[1]) ** 2 <= R * R) hits++;
  });
  return hits / total;
}

describe('heat maps find a planted blob after training', () => {
  it('Grad-CAM peak lies inside the blob in >= 90% of class-1 test images', async () => {
    const train = blobs(128, 1);
    const test = blobs(40, 2);
    const x = tfl.input({ shape: [S, S, 1] });
    let h = tfl.layers
      .conv2d({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
      })
      .apply(x) as tfl.SymbolicTensor;
    h = tfl.layers
      .conv2d({
        name: 'last',
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: 2 }),
      })
      .apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
    const y = tfl.layers
      .dense({
        units: 2,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      })
      .apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: y });
    model.compile({ optimizer: tf.train.adam(0.03), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    let t0 = Date.now();
    await model.fit(train.x, train.y, { epochs: 8, batchSize: 32, verbose: 0, shuffle: false });
    const acc = tf.tidy(
      () =>
        tf
          .mean(
            tf.cast(
              tf.equal(tf.argMax(model.predict(test.x) as tf.Tensor, 1), tf.argMax(test.y, 1)),
              'float32',
            ),
          )
          .dataSync()[0] as number,
    );
    expect(acc).toBeGreaterThan(0.9);
    const tFit = Date.now() - t0;
    t0 = Date.now();
    const targets = test.centres.map((c) => (c ? 1 : 0));
    const rates: Record<string, number> = {};
    for (const [name, f] of [
      ['gradCam', gradCam],
      ['gradCamPlusPlus', gradCamPlusPlus],
      ['saliency', saliency],
    ] as const) {
      const maps = f(model, test.x, { targets, ...(name === 'saliency' ? {} : { layer: 'last' }) });
      rates[name] = peakHits(maps, test.centres);
      maps.dispose();
    }
    const tMaps = Date.now() - t0;
    t0 = Date.now();
    const occ = occlusionSensitivity(model, tf.slice(test.x, [1], [8]), {
      targets: 1,
      patchSize: 3,
      stride: 2,
    });
    rates.occlusion = peakHits(occ, test.centres.slice(1, 9));
    occ.dispose();
    console.log(`blob test: fit ${tFit} ms, maps ${tMaps} ms, occlusion ${Date.now() - t0} ms`);
    console.log(`blob test: accuracy ${acc.toFixed(3)}, peak-in-blob rates ${JSON.stringify(rates)}`);
    expect(rates.gradCam).toBeGreaterThanOrEqual(0.9);
    expect(rates.gradCamPlusPlus).toBeGreaterThanOrEqual(0.9);
    expect(rates.occlusion).toBeGreaterThanOrEqual(0.75);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
  });
});
