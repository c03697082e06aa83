/**
 * The benchmark networks, built here with plain tfjs-layers so the bench measures the
 * kernels and not any one model builder: a ResNet-18 (7x7 stem, four stages of two basic
 * blocks, 64-512 filters, GAP, dense), a UNet (four levels, 32-512 filters, transposed
 * convolutions) and a DenseNet-121 (growth 32, blocks 6/12/24/16), all for NHWC input.
 */
import * as tfl from '@tensorflow/tfjs-layers';

type ST = tfl.SymbolicTensor;

const conv = (x: ST, filters: number, k: number, strides = 1, useBias = false): ST =>
  tfl.layers.conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias }).apply(x) as ST;
const bn = (x: ST): ST => tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9 }).apply(x) as ST;
const relu = (x: ST): ST => tfl.layers.reLU().apply(x) as ST;

/** ResNet-18 as torchvision's, with a `channels`-channel input and `classes` outputs. */
export function resnet18(size: number, channels: number, classes: number): tfl.LayersModel {
  const inp = tfl.input({ shape: [size, size, channels] });
  let x = relu(bn(conv(inp, 64, 7, 2)));
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as ST;
  let inC = 64;
  for (const [stage, filters] of [64, 128, 256, 512].entries()) {
    for (let b = 0; b < 2; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, stride)));
      y = bn(conv(y, filters, 3));
      const short = stride !== 1 || inC !== filters ? bn(conv(x, filters, 1, stride)) : x;
      x = relu(tfl.layers.add().apply([y, short]) as ST);
      inC = filters;
    }
  }
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as ST;
  const out = tfl.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as ST;
  return tfl.model({ inputs: inp, outputs: out });
}

/** UNet (Ronneberger 2015) with batch norm, `base` filters doubling over four levels. */
export function unet(size: number, channels: number, base = 32): tfl.LayersModel {
  const inp = tfl.input({ shape: [size, size, channels] });
  const double = (x: ST, f: number): ST => relu(bn(conv(relu(bn(conv(x, f, 3))), f, 3)));
  const skips: ST[] = [];
  let x: ST = inp;
  for (let l = 0; l < 4; l++) {
    x = double(x, base << l);
    skips.push(x);
    x = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(x) as ST;
  }
  x = double(x, base << 4);
  for (let l = 3; l >= 0; l--) {
    x = tfl.layers
      .conv2dTranspose({ filters: base << l, kernelSize: 2, strides: 2, padding: 'same' })
      .apply(x) as ST;
    x = tfl.layers.concatenate().apply([x, skips[l] as ST]) as ST;
    x = double(x, base << l);
  }
  const out = tfl.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(x) as ST;
  return tfl.model({ inputs: inp, outputs: out });
}

/** DenseNet-121 (Huang 2017) as torchvision's. */
export function densenet121(size: number, channels: number, classes: number): tfl.LayersModel {
  const inp = tfl.input({ shape: [size, size, channels] });
  let x = relu(bn(conv(inp, 64, 7, 2)));
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as ST;
  let c = 64;
  const blocks = [6, 12, 24, 16];
  blocks.forEach((n, bi) => {
    for (let i = 0; i < n; i++) {
      let y = conv(relu(bn(x)), 128, 1);
      y = conv(relu(bn(y)), 32, 3);
      x = tfl.layers.concatenate().apply([x, y]) as ST;
      c += 32;
    }
    if (bi < blocks.length - 1) {
      c = Math.floor(c / 2);
      x = conv(relu(bn(x)), c, 1);
      x = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x) as ST;
    }
  });
  x = relu(bn(x));
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as ST;
  const out = tfl.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as ST;
  return tfl.model({ inputs: inp, outputs: out });
}
