// Logit parity with PyTorch builds of UNet and ResUNet (test/fixtures/models/make_unet_parity.py):
// both sides fill every weight by the same closed-form rule keyed by the TF.js layer name, so
// equal logits check architecture, odd-size padding/cropping, upsampling and weight layouts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UNet } from '../../src/models/unet';
import { ResUNet } from '../../src/models/resunet';

interface ParityCase {
  model: 'UNet' | 'ResUNet';
  upsample: 'bilinear' | 'transpose';
  head: 'classify' | 'segment';
  filters: number;
  classes: number;
  hiddenUnits?: number;
  projection?: 'main' | 'shortcut';
  headPooling?: 'stepwise' | 'global';
  inputShape: [number, number, number];
  batch: number;
  outputShape: number[];
  output: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/models/unet_parity.json', import.meta.url), 'utf8'),
) as { cases: ParityCase[] };

function keySeed(key: string): number {
  let s = 0;
  for (const ch of key) s += ch.charCodeAt(0);
  return s % 97;
}

/** make_unet_parity.py's `hash_uniform`: a deterministic pseudo-random value in [-1, 1). */
function hashUniform(i: number, k: number): number {
  const t = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return 2 * (t - Math.floor(t)) - 1;
}

/** The rule of make_unet_parity.py's `fill`, in the TF.js layout. */
function fill(key: string, shape: number[], bnIndex: number | null): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const k = keySeed(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = hashUniform(i, k);
    if (bnIndex !== null) out[i] = [1 + 0.2 * b, 0.1 * b, 0.1 * b, 1 + 0.5 * b * b][bnIndex];
    else if (shape.length === 1) out[i] = 0.1 * b;
    else out[i] = b * Math.sqrt(6 / (n / shape[shape.length - 1]));
  }
  return out;
}

/** Set every weight of `model` by the rule; returns how many tensors were set. */
function fillWeights(model: tfl.LayersModel): number {
  let count = 0;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    const values = ws.map((w, j) => tf.tensor(fill(`${layer.name}/${j}`, w.shape, isBn ? j : null), w.shape));
    layer.setWeights(values);
    tf.dispose(values); // getWeights returns the variables themselves: keep them
    count += ws.length;
  }
  return count;
}

function makeInput(n: number, [h, w, c]: [number, number, number]): tf.Tensor4D {
  const len = n * h * w * c;
  const v = new Float32Array(len);
  for (let i = 0; i < len; i++) v[i] = hashUniform(i, 7);
  return tf.tensor4d(v, [n, h, w, c]);
}

describe('UNet / ResUNet logits match the PyTorch reference builds', () => {
  for (const c of fixture.cases) {
    const label = `${c.model} ${c.projection ?? ''} ${c.upsample} ${c.head} ${c.headPooling ?? ''} ${c.inputShape.join('x')}`;
    it(label, () => {
      const opts = {
        inputShape: c.inputShape,
        classes: c.classes,
        filters: c.filters,
        upsample: c.upsample,
        head: c.head,
        classifierActivation: 'linear' as const,
      };
      const m =
        c.model === 'UNet'
          ? UNet(opts)
          : ResUNet({
              ...opts,
              hiddenUnits: c.hiddenUnits,
              projection: c.projection,
              headPooling: c.headPooling,
            });
      const nWeights = m.weights.length;
      expect(fillWeights(m)).toBe(nWeights);
      const x = makeInput(c.batch, c.inputShape);
      const y = m.predict(x) as tf.Tensor;
      expect(y.shape).toEqual(c.outputShape);
      const got = y.dataSync();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - c.output[i]));
      expect(worst).toBeLessThan(1e-4);
      // The reference values are not trivially small, so the tolerance is meaningful.
      expect(Math.max(...c.output.map(Math.abs))).toBeGreaterThan(1e-2);
      tf.dispose([x, y]);
      m.dispose();
    });
  }
});
