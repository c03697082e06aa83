import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UpsampleBilinear } from '../../src/layers/upsample-bilinear';

describe('UpsampleBilinear', () => {
  it('aligns corners: 2x2 -> 4x4 interpolates at thirds (PyTorch align_corners=True)', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
    const y = new UpsampleBilinear().apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 4, 4, 1]);
    const v = Array.from(y.dataSync());
    // Row 0: 0 .. 1 in thirds; column 0: 0 .. 2 in thirds; corners equal the input's.
    [0, 1 / 3, 2 / 3, 1].forEach((e, i) => expect(v[i]).toBeCloseTo(e, 6));
    [0, 2 / 3, 4 / 3, 2].forEach((e, i) => expect(v[4 * i]).toBeCloseTo(e, 6));
    expect(v[15]).toBeCloseTo(3, 6);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has the right symbolic shape, round-trips its config, and passes gradients', async () => {
    const inp = tfl.input({ shape: [3, 5, 2] });
    const out = new UpsampleBilinear({ size: [2, 3], name: 'up' }).apply(inp) as tfl.SymbolicTensor;
    expect(out.shape).toEqual([null, 6, 15, 2]);
    const m = tfl.model({ inputs: inp, outputs: out });
    let saved: tf.io.ModelArtifacts | null = null;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.getLayer('up').getConfig().size).toEqual([2, 3]);
    const x = tf.randomUniform([2, 3, 5, 2], 0, 1, 'float32', 3);
    const [a, b] = [m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    // Sum of an aligned-corner upsampling is linear in x: its gradient is the adjoint applied to ones.
    const g = tf.grad((t: tf.Tensor) => tf.sum(m.apply(t) as tf.Tensor))(x);
    expect(g.shape).toEqual(x.shape);
    expect(tf.sum(g).dataSync()[0]).toBeCloseTo(2 * 6 * 15 * 2, 3);
    tf.dispose([x, a, b, g]);
    m.dispose();
    loaded.dispose();
  });

  it('rejects a bad size', () => {
    expect(() => new UpsampleBilinear({ size: 0 })).toThrow(/UpsampleBilinear: 'size'/);
  });
});
