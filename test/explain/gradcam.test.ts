import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { cam, gradCam, gradCamPlusPlus, layerActivations, normalizeMaps } from '../../src/explain';
import { conv, dense, plainCnn, randomImages } from './models';

/** Closed form for a head linear in GAP(A): alpha_k = W[k, c] / (h w), map = ReLU(sum_k alpha_k A_k). */
function closedForm(
  a: tf.Tensor4D,
  w: tf.Tensor2D,
  classes: number[],
  rows: [number, number] = [0, a.shape[3]],
  sign: number[] = classes.map(() => 1),
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, h, wd] = a.shape;
    const ws = tf.gather(tf.slice(w, [rows[0], 0], [rows[1], -1]), classes, 1); // [C, N]
    const alpha = tf.mul(tf.div(tf.transpose(ws), h * wd), tf.tensor2d(sign, [sign.length, 1])); // [N, C]
    return tf.relu(tf.sum(tf.mul(a, tf.reshape(alpha, [a.shape[0], 1, 1, a.shape[3]])), 3)) as tf.Tensor3D;
  });
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

function activation(model: tfl.LayersModel, x: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor4D {
  const r = layerActivations(model, x, [layer]);
  return r[layer] as tf.Tensor4D;
}

function kernelOf(model: tfl.LayersModel, name: string): tf.Tensor2D {
  return model.getLayer(name).getWeights()[0] as tf.Tensor2D;
}

const RAW = { upsample: false, normalize: false } as const;

describe('gradCam closed form', () => {
  it('equals ReLU(sum_k W[k,c]/(hw) A_k) on a linear head, for explicit and default targets (1e-5)', () => {
    const model = plainCnn('linear');
    const x = randomImages(3, 8, 8, 2, 1);
    const a = activation(model, x, 'feat');
    const w = kernelOf(model, 'head');
    const classes = [0, 2, 1];
    const expected = closedForm(a, w, classes);
    const got = gradCam(model, x, { layer: 'feat', targets: classes, ...RAW });
    expect(got.shape).toEqual([3, 8, 8]);
    expect(maxDiff(got, expected)).toBeLessThan(1e-5);
    // Default layer = last 4-D layer = 'feat'; default targets = argmax.
    const pred = tf.tidy(() => Array.from(tf.argMax(model.predict(x) as tf.Tensor, 1).dataSync()));
    const def = gradCam(model, x, RAW);
    const expDef = closedForm(a, w, pred);
    expect(maxDiff(def, expDef)).toBeLessThan(1e-5);
    // Normalised, at input size: min-max of the bilinear resize of the closed form.
    const full = gradCam(model, x, { targets: classes });
    const expFull = tf.tidy(() =>
      normalizeMaps(
        tf.squeeze(
          tf.image.resizeBilinear(tf.expandDims(expected, 3) as tf.Tensor4D, [8, 8], false, true),
          [3],
        ) as tf.Tensor3D,
      ),
    );
    expect(maxDiff(full, expFull)).toBeLessThan(1e-5);
    const mm = tf.tidy(() => [tf.min(full).dataSync()[0], tf.max(full).dataSync()[0]]);
    expect(mm[0]).toBeGreaterThanOrEqual(0);
    expect(mm[1]).toBeCloseTo(1, 6);
    tf.dispose([x, a, expected, got, def, expDef, full, expFull]);
  });

  it('differentiates logits of a softmax head (same map as the linear head) and probabilities on request', () => {
    const model = plainCnn('softmax');
    const x = randomImages(2, 8, 8, 2, 2);
    const a = activation(model, x, 'feat');
    const expected = closedForm(a, kernelOf(model, 'head'), [1, 1]);
    const got = gradCam(model, x, { targets: 1, ...RAW });
    expect(maxDiff(got, expected)).toBeLessThan(1e-5);
    const probs = gradCam(model, x, { targets: 1, logits: false, ...RAW });
    expect(maxDiff(probs, expected)).toBeGreaterThan(1e-6);
    tf.dispose([x, a, expected, got, probs]);
  });

  it('explains class 0 of a one-unit sigmoid head through the negated logit', () => {
    const model = plainCnn('sigmoid', 1);
    const x = randomImages(4, 8, 8, 2, 3);
    const a = activation(model, x, 'feat');
    const p = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    const classes = p.map((v) => (v >= 0.5 ? 1 : 0));
    const w = kernelOf(model, 'head');
    const expected = closedForm(
      a,
      w,
      classes.map(() => 0),
      [0, a.shape[3]],
      classes.map((c) => (c === 1 ? 1 : -1)),
    );
    const got = gradCam(model, x, RAW);
    expect(maxDiff(got, expected)).toBeLessThan(1e-5);
    tf.dispose([x, a, expected, got]);
  });
});

describe('gradCam on non-sequential graphs', () => {
  it('residual skip bypassing the target layer', () => {
    const x = tfl.input({ shape: [8, 8, 2] });
    const c1 = conv('c1', 4, 11).apply(x) as tfl.SymbolicTensor;
    const t = conv('target', 4, 12).apply(c1) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'add' }).apply([t, c1]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: dense('head', 3, 13).apply(gap) as tfl.SymbolicTensor });
    const xs = randomImages(2, 8, 8, 2, 4);
    const a = activation(model, xs, 'target');
    const exp = closedForm(a, kernelOf(model, 'head'), [2, 0]);
    const got = gradCam(model, xs, { layer: 'target', targets: [2, 0], ...RAW });
    expect(maxDiff(got, exp)).toBeLessThan(1e-5);
    tf.dispose([xs, a, exp, got]);
  });

  it('two inputs, concat skip and two outputs chosen by outputIndex', () => {
    const x1 = tfl.input({ shape: [8, 8, 1], name: 'ct' });
    const x2 = tfl.input({ shape: [8, 8, 3], name: 'xray' });
    const b1 = conv('b1', 3, 21).apply(x1) as tfl.SymbolicTensor;
    const b2 = conv('b2', 4, 22).apply(x2) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ name: 'cat' }).apply([b1, b2]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({}).apply(cat) as tfl.SymbolicTensor;
    const yA = dense('headA', 2, 23).apply(gap) as tfl.SymbolicTensor;
    const yB = dense('headB', 3, 24).apply(gap) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [x1, x2], outputs: [yA, yB] });
    const xs = [randomImages(2, 8, 8, 1, 5), randomImages(2, 8, 8, 3, 6)];
    const a = activation(model, xs, 'b2');
    const exp = closedForm(a, kernelOf(model, 'headB'), [1, 2], [3, 4]);
    const got = gradCam(model, xs, { layer: 'b2', outputIndex: 1, targets: [1, 2], ...RAW });
    expect(maxDiff(got, exp)).toBeLessThan(1e-5);
    const a1 = activation(model, xs, 'b1');
    const exp1 = closedForm(a1, kernelOf(model, 'headA'), [0, 1], [0, 3]);
    const got1 = gradCam(model, xs, { layer: 'b1', outputIndex: 0, targets: [0, 1], ...RAW });
    expect(maxDiff(got1, exp1)).toBeLessThan(1e-5);
    expect(() => gradCam(model, xs, { outputIndex: 2 })).toThrow(/'outputIndex'/);
    tf.dispose([...xs, a, exp, got, a1, exp1, got1]);
  });

  it('nested backbone: "backbone/inner" and a plain inner name equal the same graph built flat', () => {
    const l1 = conv('bconv1', 4, 31);
    const l2 = conv('bconv2', 4, 32);
    const head = dense('head', 3, 33);
    const bin = tfl.input({ shape: [8, 8, 2] });
    const h1 = l1.apply(bin) as tfl.SymbolicTensor;
    const h2 = l2.apply(h1) as tfl.SymbolicTensor;
    const backbone = tfl.model({
      inputs: bin,
      outputs: tfl.layers.add({}).apply([h1, h2]) as tfl.SymbolicTensor,
      name: 'backbone',
    });
    const x = tfl.input({ shape: [8, 8, 2] });
    const feats = backbone.apply(x) as tfl.SymbolicTensor;
    const nested = tfl.model({
      inputs: x,
      outputs: head.apply(
        tfl.layers.globalAveragePooling2d({}).apply(feats) as tfl.SymbolicTensor,
      ) as tfl.SymbolicTensor,
    });
    // The same layer objects applied again give a flat graph with identical weights.
    const fx = tfl.input({ shape: [8, 8, 2] });
    const f1 = l1.apply(fx) as tfl.SymbolicTensor;
    const f2 = l2.apply(f1) as tfl.SymbolicTensor;
    const fsum = tfl.layers.add({}).apply([f1, f2]) as tfl.SymbolicTensor;
    const flat = tfl.model({
      inputs: fx,
      outputs: head.apply(
        tfl.layers.globalAveragePooling2d({}).apply(fsum) as tfl.SymbolicTensor,
      ) as tfl.SymbolicTensor,
    });
    const xs = randomImages(3, 8, 8, 2, 7);
    const ref = gradCam(flat, xs, { layer: 'bconv1', targets: [0, 1, 2], ...RAW });
    const viaPath = gradCam(nested, xs, { layer: 'backbone/bconv1', targets: [0, 1, 2], ...RAW });
    const viaSearch = gradCam(nested, xs, { layer: 'bconv1', targets: [0, 1, 2], ...RAW });
    expect(maxDiff(ref, viaPath)).toBeLessThan(1e-6);
    expect(maxDiff(ref, viaSearch)).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.max(ref).dataSync()[0] as number)).toBeGreaterThan(0);
    // Default layer: the backbone itself is the last 4-D top-level layer; its output feeds GAP linearly.
    const a = activation(nested, xs, 'backbone');
    const exp = closedForm(a, kernelOf(nested, 'head'), [0, 1, 2]);
    const def = gradCam(nested, xs, { targets: [0, 1, 2], ...RAW });
    expect(maxDiff(def, exp)).toBeLessThan(1e-5);
    expect(() => gradCam(nested, xs, { layer: 'backbone/nope' })).toThrow(/no layer 'nope'/);
    tf.dispose([xs, ref, viaPath, viaSearch, a, exp, def]);
  });
});

describe('gradCam errors and leaks', () => {
  it('names a non-4-D layer, an unknown layer, a zero gradient and an unused layer', () => {
    const model = plainCnn();
    const x = randomImages(1, 8, 8, 2, 8);
    expect(() => gradCam(model, x, { layer: 'gap' })).toThrow(/'gap'.*not a 4-D/);
    expect(() => gradCam(model, x, { layer: 'nope' })).toThrow(/no layer named 'nope'/);
    expect(() => gradCam(model, x, { targets: 5 })).toThrow(/'targets\[0\]'/);
    // A dead ReLU after the target: zero gradient.
    const xi = tfl.input({ shape: [8, 8, 2] });
    const pre = tfl.layers
      .conv2d({
        name: 'pre',
        filters: 2,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: 'zeros',
        biasInitializer: tfl.initializers.constant({ value: -5 }),
      })
      .apply(xi) as tfl.SymbolicTensor;
    const act = tfl.layers.activation({ activation: 'relu' }).apply(pre) as tfl.SymbolicTensor;
    const dead = tfl.model({
      inputs: xi,
      outputs: dense('head', 2, 41).apply(
        tfl.layers.globalAveragePooling2d({}).apply(act) as tfl.SymbolicTensor,
      ) as tfl.SymbolicTensor,
    });
    expect(() => gradCam(dead, x, { layer: 'pre' })).toThrow(/all zero/);
    // A branch that only feeds output 1 has no gradient for output 0.
    const yi = tfl.input({ shape: [8, 8, 2] });
    const s1 = conv('s1', 2, 42).apply(yi) as tfl.SymbolicTensor;
    const s2 = conv('s2', 2, 43).apply(yi) as tfl.SymbolicTensor;
    const o1 = dense('o1', 2, 44).apply(
      tfl.layers.globalAveragePooling2d({}).apply(s1) as tfl.SymbolicTensor,
    ) as tfl.SymbolicTensor;
    const o2 = dense('o2', 2, 45).apply(
      tfl.layers.globalAveragePooling2d({}).apply(s2) as tfl.SymbolicTensor,
    ) as tfl.SymbolicTensor;
    const two = tfl.model({ inputs: yi, outputs: [o1, o2] });
    expect(() => gradCam(two, x, { layer: 's2', outputIndex: 0 })).toThrow(/gradient/);
    const ok = gradCam(two, x, { layer: 's2', outputIndex: 1 });
    ok.dispose();
    x.dispose();
  });

  it('leaks no tensor over 100 calls (Grad-CAM, Grad-CAM++, CAM)', () => {
    const model = plainCnn('softmax');
    const x = randomImages(2, 8, 8, 2, 9);
    gradCam(model, x).dispose(); // warm-up: lazily created weights / kernels
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const f = i % 3 === 0 ? gradCam : i % 3 === 1 ? gradCamPlusPlus : cam;
      f(model, x).dispose();
    }
    expect(() => gradCam(model, x, { layer: 'gap' })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('cam', () => {
  it('equals sum_k W[k,c] A_k (= hw x Grad-CAM) on GAP + dense heads', () => {
    const model = plainCnn('softmax');
    const x = randomImages(2, 8, 8, 2, 10);
    const a = activation(model, x, 'feat');
    const exp = tf.tidy(() => tf.mul(closedForm(a, kernelOf(model, 'head'), [2, 0]), 64));
    const got = cam(model, x, { targets: [2, 0], ...RAW });
    expect(maxDiff(got, exp)).toBeLessThan(1e-5);
    expect(() => cam(model, x, { layer: 'c1' })).toThrow(/channels/);
    tf.dispose([x, a, exp, got]);
  });
});
