// A ZeroPadding2D whose one consumer is a 'valid' DepthwiseConv2D hands its input on unpadded
// at inference, and the convolution takes the padding explicitly
// (src/backend/kernels/pad-fusion.ts): the same bits as the two layers in turn, no PadV2
// kernel; a pad whose output is also a model output, and training, run as before.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backend';
import { usePadFusion } from '../../src/backend/kernels/pad-fusion';

afterAll(async () => {
  usePadFusion(true);
  await tf.setBackend('cpu');
});

function net(exposePad: boolean): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 10, 6] });
  const padded = tfl.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [1, 1],
      ],
    })
    .apply(input) as tfl.SymbolicTensor;
  const y = tfl.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      depthMultiplier: 2,
      useBias: true,
      activation: 'relu',
      biasInitializer: 'randomNormal',
    })
    .apply(padded) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: exposePad ? [y, padded] : y });
}

const bits = (t: tf.Tensor): string => Buffer.from((t.dataSync() as Float32Array).buffer).toString('hex');

describe('ZeroPadding2D folded into the DepthwiseConv2D it feeds', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: the same bits as pad then convolution, without a PadV2 kernel`, async () => {
      await tf.setBackend(backend);
      const model = net(false);
      const x = tf.randomNormal([3, 9, 10, 6], 0, 1, 'float32', 7);
      const before = tf.memory().numTensors;
      let fused: tf.Tensor | undefined;
      const prof = await tf.profile(() => {
        fused = model.predict(x) as tf.Tensor;
      });
      expect(prof.kernels.map((k) => k.name)).not.toContain('PadV2');
      usePadFusion(false);
      const plain = model.predict(x) as tf.Tensor;
      usePadFusion(true);
      expect(bits(fused as tf.Tensor)).toBe(bits(plain));
      tf.dispose([fused as tf.Tensor, plain]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  }

  it('leaves a pad that is also a model output, and training, as they were', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 9, 10, 6], 0, 1, 'float32', 8);
    const exposed = net(true);
    const prof = await tf.profile(() => tf.dispose(exposed.predict(x) as tf.Tensor[]));
    expect(prof.kernels.map((k) => k.name)).toContain('PadV2');
    const model = net(false);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const y = tf.zeros([2, 4, 5, 12]);
    const train = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    expect(train.kernels.map((k) => k.name)).toContain('PadV2');
    tf.dispose([x, y]);
    exposed.dispose();
    model.dispose();
  });
});
