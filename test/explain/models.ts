// Small models shared by the explain tests; every layer name is fixed so tests can target it.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
const binit = (seed: number) => tfl.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed });

export function conv(
  name: string,
  filters: number,
  seed: number,
  kernelSize = 3,
  activation: 'relu' | 'linear' = 'relu',
): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    padding: 'same',
    activation,
    kernelInitializer: init(seed),
    biasInitializer: binit(seed + 100),
  });
}

export function dense(
  name: string,
  units: number,
  seed: number,
  activation: 'linear' | 'softmax' | 'sigmoid' = 'linear',
): tfl.layers.Layer {
  return tfl.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: init(seed),
    biasInitializer: binit(seed + 100),
  });
}

/** input -> conv c1 -> conv feat -> GAP -> dense head (linear by default). */
export function plainCnn(
  activation: 'linear' | 'softmax' | 'sigmoid' = 'linear',
  units = 3,
): tfl.LayersModel {
  const x = tfl.input({ shape: [8, 8, 2], name: 'image' });
  const c1 = conv('c1', 4, 1).apply(x) as tfl.SymbolicTensor;
  const feat = conv('feat', 5, 2).apply(c1) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(feat) as tfl.SymbolicTensor;
  const y = dense('head', units, 3, activation).apply(gap) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y, name: 'plain' });
}

export function randomImages(n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, h, w, c], 0, 1, 'float32', seed) as tf.Tensor4D;
}
