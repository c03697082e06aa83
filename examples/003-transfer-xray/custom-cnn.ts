/**
 * Document 003's custom CNN, and the pictures it asks for: feature maps of one image through
 * the conv layers, and the learned filters of the first conv layer (of the custom CNN and of a
 * transfer backbone).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { activationGrid, filterWeights, layerActivations } from 'medinets/explain';
import { imageGrid, saveFigure, type GridImage } from 'medinets/plot';
import { disposeSplit, subset, type Split } from '../common/classify';

/** The custom CNN: three conv(3x3, ReLU) -> max-pool -> dropout 0.3 blocks, dense 64, dense 2 sigmoid; RGB input. */
export function CustomCNN(size: number, filters: [number, number, number], seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'input' });
  let x: tfl.SymbolicTensor = input;
  filters.forEach((f, i) => {
    const k = i + 1;
    x = tfl.layers
      .conv2d({
        filters: f,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: `conv${k}`,
        kernelInitializer: tfl.initializers.heNormal({ seed: seed + k }),
      })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.maxPooling2d({ poolSize: 2, name: `pool${k}` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers
      .dropout({ rate: 0.3, name: `dropout${k}`, seed: seed + 10 + k })
      .apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({
      units: 64,
      activation: 'relu',
      name: 'fc64',
      kernelInitializer: tfl.initializers.heNormal({ seed: seed + 20 }),
    })
    .apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      units: 2,
      activation: 'sigmoid',
      name: 'output',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 21 }),
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'custom_cnn' });
}

/**
 * Feature maps of `convs` of `model` for one positive test image, and the filters of `firstConv`.
 * Names may reach into a nested backbone (`'inception_v3/conv2d'`).
 */
export async function explainPictures(
  model: tfl.LayersModel,
  test: Split,
  outDir: string,
  opts: { tag: string; title: string; convs: string[]; firstConv: string; filterModel?: tfl.LayersModel },
): Promise<string[]> {
  const pos = test.labels.findIndex((l) => l === 1);
  const one = subset(test, [pos >= 0 ? pos : 0]);
  const acts = layerActivations(model, one.x, opts.convs);
  const cells: GridImage[] = [];
  const owned: tf.Tensor[] = [];
  const img = tf.squeeze(one.x, [0]) as tf.Tensor3D;
  owned.push(img);
  cells.push({ pixels: img, caption: 'input (positive)' });
  for (const name of opts.convs) {
    const a = acts[name] as tf.Tensor;
    const g = activationGrid(a);
    const g3 = tf.expandDims(g, -1) as tf.Tensor3D;
    owned.push(g, g3);
    cells.push({ pixels: g3, caption: `${name.slice(name.lastIndexOf('/') + 1)}: ${a.shape[3]} maps` });
  }
  const files = [
    await saveFigure(
      imageGrid({ title: `${opts.title} feature maps`, images: cells, columns: cells.length, cellSize: 200 }),
      join(outDir, `feature_maps_${opts.tag}.png`),
    ),
  ];
  const k = filterWeights(opts.filterModel ?? model, opts.firstConv);
  const filters = tf.unstack(k).map((f, i) => ({ pixels: f as tf.Tensor3D, caption: `#${i}` }));
  files.push(
    await saveFigure(
      imageGrid({
        title: `${opts.title}: ${opts.firstConv} filters`,
        images: filters,
        columns: Math.min(filters.length, 8),
        cellSize: 48,
      }),
      join(outDir, `filters_${opts.tag}.png`),
    ),
  );
  tf.dispose([...owned, ...Object.values(acts), k, ...filters.map((f) => f.pixels)]);
  disposeSplit(one);
  return files;
}
