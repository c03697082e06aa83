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
  /** Whether the page also compares it layer by layer (a {@link CHAOTIC} model). */
  layerwise: boolean;
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

/**
 * The models whose whole-model gradient is chaotic in a training step from their seeded
 * initialisation, with the measured sensitivity: the gradient figure (max |a - b| over the
 * largest gradient) of cpu against cpu on the case's input moved by 1e-7 * N(0, 1), i.e. by
 * float32 rounding (`run-parity.ts 'target=cpu&perturb=1e-7&only=...'`, 2026-12-03). Deep
 * training-mode batch-norm stacks amplify a relative rounding of 1e-7 to ~1e-4 in the logits
 * and their gradients explode with depth (|grad| of the first layer 1e3-1e4 times the last's),
 * so any two float32 backends, or cpu with itself on rounded inputs, differ beyond 1e-3. More
 * values per batch norm does not help (ResNet50 at 1e-6: 2.3e-2 at batch 2, 4.0e-2 at batch 4,
 * 2.1e-2 at batch 8, 2.0e-2 at 65x65, 2.2e-2 at 65x65 batch 4). For these the test asserts the
 * training forward and the gradients layer by layer (layerwise.ts; ResDenseFusion's nested
 * backbones layer by layer too), each layer fed the same activations on both backends: the
 * training logits are chaotic too (moved at 1e-7 by 1.2e-3 in ResNet152, 3.3e-4 in
 * ResDenseFusion, 2.3e-4 in ResNet101). The inference forward and the moving statistics stay
 * whole-model. The rest measure at most 2.9e-5 (MobileNetV2; DenseNet169 1.6e-5, EmbeddingNet
 * 1.4e-5, ResNet18 1.5e-6, VGG 1e-8). DenseNet201 (listed at 1e-6) is well-conditioned at 1e-7
 * (1.2e-5) but not at 1e-6, and webgl's rounding sits between (its training logits differ by
 * 1.1e-5 from cpu's, cpu's moved 2.9e-6 by 1e-7 and 1.9e-5 by 1e-6; its gradients 8.1e-3).
 */
export const CHAOTIC: Record<string, number> = {
  ResNet50: 1.1e-2,
  ResNet101: 2.8e-2,
  ResNet152: 8.4e-2,
  DenseNet161: 5.9e-3,
  DenseNet201: 6.3e-3,
  InceptionV3: 2.7e-2,
  InceptionResNetV2: 1.4e-2,
  ResDenseFusion: 2.4e-2,
};

function layerCase(name: string, make: () => tfl.layers.Layer, shape = [8, 8, 8]): Case {
  return {
    name: `layer ${name}`,
    input: [2, ...shape],
    layerwise: false,
    build: () => {
      const x = tfLayers.input({ shape });
      return tfLayers.model({ inputs: x, outputs: make().apply(x) as tfl.SymbolicTensor });
    },
  };
}

/** Overrides of a case's input (the page's `?size=` and `?batch=`), for measuring conditioning. */
export interface Override {
  size?: number;
  batch?: number;
  /**
   * Inference only (`?mode=forward`): batch norm then uses its moving statistics, so no size
   * has to keep it well-conditioned and each model gets the smallest input its builder
   * accepts (32; 75 for the Inception stems), capped at its training size.
   */
  forward?: boolean;
  /** Compare every model layer by layer too (`?layerwise=1`). */
  layerwise?: boolean;
}

/** The smallest input side a model's builder accepts when it is above 32. */
const MIN_SIZE: Record<string, number> = { InceptionV3: 75, InceptionResNetV2: 75 };

/** Every layer and every registry model, or those whose name ends with one of `only`. */
export function cases(only: string[] | null, override: Override = {}): Case[] {
  // seeded initialisers: an unseeded SqueezeExcite (4 hidden units for 2 samples) now and then
  // drew weights whose ReLUs were all off, and its first weight's gradient was 0
  const layers: Case[] = [
    layerCase('SqueezeExcite', () => new L.SqueezeExcite({ reduction: 2, seed: 1 })),
    layerCase('ChannelSE', () => new L.ChannelSE({ reduction: 2, seed: 2 })),
    layerCase('SpatialSE', () => new L.SpatialSE({ seed: 3 })),
    layerCase('SCSE', () => new L.SCSE({ reduction: 2, seed: 4 })),
    layerCase('ECA', () => new L.ECA({ seed: 5 })),
    layerCase('ECAsE', () => new L.ECAsE({ seed: 6 })),
    layerCase('UpsampleBilinear', () => new L.UpsampleBilinear()),
    layerCase('DeformConv2D', () => new L.DeformConv2D({ filters: 4, kernelSize: [3, 3], seed: 7 })),
  ];
  const models: Case[] = listModels().map((name) => {
    const trainSize = SIZE[name] ?? 32;
    const size = override.size ?? (override.forward ? Math.min(trainSize, MIN_SIZE[name] ?? 32) : trainSize);
    const channels = name === 'PneumoniaCNN' ? 1 : 3;
    return {
      name: `model ${name}`,
      input: [override.batch ?? 2, size, size, channels],
      layerwise: override.layerwise === true || name in CHAOTIC,
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
