// tfjs-layers' ReLU(maxValue 6) and bias-free linear Conv2D routed through tf.relu6 and
// tf.conv2d (src/backend/kernels/layer-paths.ts): the same values and gradients as the stock
// calls' ops, and a network stem's dx no longer computed when nothing needs it.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backend';
import { useLeanBackprop } from '../../src/backend/kernels/lean-backprop';

afterAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('layer paths', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`ReLU(maxValue 6) on ${backend}: relu then clipByValue's values and gradient (tfjs cpu's), in one op each way`, async () => {
      const layer = tfl.layers.reLU({ maxValue: 6 });
      const xs = [-1, -0, 0, 0.5, 3, 6, 6.5, 1e9, Number.NaN, -Infinity];
      const dys = [2, -3, 4, 5, -6, 7, 8, 9, 10, -11];
      const run = (f: (t: tf.Tensor) => tf.Tensor): number[][] =>
        tf.tidy(() => {
          const x = tf.tensor1d(xs);
          return [values(f(x)), values(tf.grad(f)(x, tf.tensor1d(dys)))];
        });
      await tf.setBackend('cpu'); // the reference: the stock ops on the stock cpu kernels
      const [y0, g0] = run((t) => tf.clipByValue(tf.relu(t), 0, 6));
      await tf.setBackend(backend);
      const [y1, g1] = run((t) => layer.apply(t) as tf.Tensor);
      expect(y1).toEqual(y0);
      expect((g1 as number[]).map((v) => Object.is(v, -0))).toEqual(
        (g0 as number[]).map((v) => Object.is(v, -0)),
      );
      expect(g1).toEqual(g0);
      const x = tf.tensor1d(xs);
      const prof = await tf.profile(() => layer.apply(x) as tf.Tensor);
      expect(prof.kernels.map((k) => k.name)).toEqual(['Relu6']);
      x.dispose();
    });

    it(`Conv2D without bias on ${backend}: the stem's dx is skipped, gradients as the fused path's`, async () => {
      await tf.setBackend(backend);
      const layer = tfl.layers.conv2d({
        filters: 5,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        useBias: false,
      });
      const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
      const r = tf.randomNormal([2, 5, 5, 5], 0, 1, 'float32', 2);
      layer.apply(x); // build
      const kernel = layer.getWeights()[0] as tf.Tensor4D;
      const viaLayer = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, r));
      const viaFused = (t: tf.Tensor, w: tf.Tensor): tf.Scalar =>
        tf.sum(
          tf.mul(
            tf.fused.conv2d({ x: t as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same' }),
            r,
          ),
        );
      const variable = layer.trainableWeights[0]?.read() as tf.Variable;
      // a training step's gradient: only the kernel's
      let dW: tf.Tensor | undefined;
      const prof = await tf.profile(() => {
        dW = tf.variableGrads(() => viaLayer(x), [variable]).grads[variable.name];
      });
      const names = prof.kernels.map((k) => k.name);
      expect(names).toContain('Conv2DBackpropFilter');
      expect(names).not.toContain('Conv2DBackpropInput');
      const [refDx, refDw] = tf.grads(viaFused)([x, kernel]) as [tf.Tensor, tf.Tensor];
      expect(values(dW as tf.Tensor)).toEqual(values(refDw));
      // a gradient with respect to the input image still gets dx
      const dx = tf.grad(viaLayer)(x);
      expect(values(dx)).toEqual(values(refDx));
      tf.dispose([x, r, dW as tf.Tensor, refDx, refDw, dx]);
      layer.dispose();
    });

    it(`Conv2D with bias on ${backend}: dx skipped where no gradient reaches the input, the bits of the fused path`, async () => {
      await tf.setBackend(backend);
      const conv = (): tfl.layers.Layer =>
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', biasInitializer: 'randomNormal' });
      const [stem, next] = [conv(), conv()] as [tfl.layers.Layer, tfl.layers.Layer];
      const x = tf.randomNormal([2, 6, 7, 3], 0, 1, 'float32', 3);
      const r = tf.randomNormal([2, 6, 7, 4], 0, 1, 'float32', 4);
      const net = (t: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(next.apply(tf.relu(stem.apply(t) as tf.Tensor)) as tf.Tensor, r));
      net(x).dispose(); // build
      const vars = [...stem.trainableWeights, ...next.trainableWeights].map((w) => w.read() as tf.Variable);
      const step = async (): Promise<{ names: string[]; grads: number[][] }> => {
        let grads: number[][] = [];
        const prof = await tf.profile(() => {
          const g = tf.variableGrads(() => net(x), vars).grads;
          grads = vars.map((v) => values(g[v.name] as tf.Tensor));
          tf.dispose(Object.values(g));
        });
        return { names: prof.kernels.map((k) => k.name), grads };
      };
      const routed = await step();
      // the stem's dx (its input is data) is not computed; the second layer's is (it reaches the stem's weights)
      expect(routed.names.filter((n) => n === 'Conv2DBackpropInput')).toHaveLength(1);
      expect(routed.names.filter((n) => n === 'Conv2DBackpropFilter')).toHaveLength(2);
      useLeanBackprop(false); // tfjs' own gradients: every biased layer takes the fused path
      const fused = await step();
      useLeanBackprop(true);
      expect(fused.names.filter((n) => n === 'Conv2DBackpropInput')).toHaveLength(2);
      expect(routed.grads).toEqual(fused.grads);
      // a gradient with respect to the input image still reaches it, through both layers
      const dx = tf.grad(net)(x);
      expect(values(dx).some((v) => v !== 0)).toBe(true);
      tf.dispose([x, r, dx]);
      stem.dispose();
      next.dispose();
    });
  }
});
