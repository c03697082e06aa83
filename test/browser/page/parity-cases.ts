// The cases of the parity page (parity.ts): every custom layer and every registry model, each
// at the smallest input its builder accepts whose batch-norm layers all keep at least 2x2
// pixels (sizes checked by the page: see `minBnPixels`), at batch 2.
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tfLayers from '@tensorflow/tfjs-layers';
import { buildModel, listModels } from '../../../src/models';
import * as L from '../../../src/layers';
import { THESIS_MODELS } from '../../models/thesis-models';

/** One case: a model built the same way on each backend from seeded weights. */
export interface Case {
  name: string;
  build: () => tfl.LayersModel;
  input: number[];
}

/** Models built with 4 base filters (their default widths only cost time here). */
const FILTERS4 = new Set(THESIS_MODELS);

/**
 * The input side per model (default 32). Training-mode batch norm over 2 samples of 1x1
 * pixel computes xhat = d / sqrt(d^2 + eps) from the half-difference d of two values: when d
 * is near sqrt(eps) (3e-3 for ResNet's 1.001e-5) a float32 rounding of the input moves the
 * output by up to ~1/sqrt(eps) = 316 times as much, layer after layer (measured: ResNet18 at
 * 32x32 goes from 3e-6 to 4e-2 through its five 1x1 batch norms on cpu vs webgl alike; at
 * batch 1 the output is beta and every gradient upstream is 0). At 2x2 the statistics are of
 * 8 values and webgl matches cpu to 2e-5 through ResNet18. So each batch-norm model gets the
 * smallest side that keeps its last stage at 2x2 or more: 33 for the 'same'-padded /32 nets
 * (ResNet, MobileNetV2), 61 for DenseNet's 'valid' pools, 107 for the Inception stems.
 */
export const SIZE: Record<string, number> = {
  ResNet18: 33,
  ResNet34: 33,
  ResNet50: 33,
  ResNet101: 33,
  ResNet152: 33,
  MobileNetV2: 33,
  DenseNet121: 61,
  DenseNet161: 61,
  DenseNet169: 61,
  DenseNet201: 61,
  EmbeddingNet: 61,
  ResDenseFusion: 61,
  InceptionV3: 107,
  InceptionResNetV2: 107,
  SimpleCNN: 8,
  SmallVGG: 16,
  ThesisVGG: 16,
  ResUNet: 18,
  ResUNetECSA: 18,
  ResUNetFPRM: 18,
  DResUNet: 18,
};

function layerCase(name: string, make: () => tfl.layers.Layer, shape = [8, 8, 8]): Case {
  return {
    name: `layer ${name}`,
    input: [2, ...shape],
    build: () => {
      const x = tfLayers.input({ shape });
      return tfLayers.model({ inputs: x, outputs: make().apply(x) as tfl.SymbolicTensor });
    },
  };
}

/** Every layer and every registry model, or those whose name ends with one of `only`. */
export function cases(only: string[] | null): Case[] {
  const layers: Case[] = [
    layerCase('SqueezeExcite', () => new L.SqueezeExcite({ reduction: 2 })),
    layerCase('ChannelSE', () => new L.ChannelSE({ reduction: 2 })),
    layerCase('SpatialSE', () => new L.SpatialSE()),
    layerCase('SCSE', () => new L.SCSE({ reduction: 2 })),
    layerCase('ECA', () => new L.ECA()),
    layerCase('ECAsE', () => new L.ECAsE()),
    layerCase('UpsampleBilinear', () => new L.UpsampleBilinear()),
    layerCase('DeformConv2D', () => new L.DeformConv2D({ filters: 4, kernelSize: [3, 3] })),
  ];
  const models: Case[] = listModels().map((name) => {
    const size = SIZE[name] ?? 32;
    const channels = name === 'PneumoniaCNN' ? 1 : 3;
    return {
      name: `model ${name}`,
      input: [2, size, size, channels],
      build: () =>
        buildModel(name, {
          inputShape: [size, size, channels],
          classes: 2,
          seed: 7,
          ...(FILTERS4.has(name) ? { filters: 4 } : {}),
        } as never),
    };
  });
  const list = [...layers, ...models];
  return only ? list.filter((c) => only.some((o) => c.name.endsWith(` ${o}`))) : list;
}
