/**
 * Document 003 (chest X-ray): a custom CNN — conv / max-pool blocks with 30% dropout, ReLU,
 * dense 64 then 2 sigmoid units, Adam, binary cross-entropy — against transfer learning with
 * InceptionV3 / ResNet50 whose last layers are fine-tuned. A grid search over learning rate
 * and batch size picks the custom CNN by validation F1; every run keeps its best epoch
 * (ModelCheckpoint, save best only) and stops when the validation loss stops improving
 * (EarlyStopping). Evaluated by precision, recall, F1, ROC curve and ROC-AUC, with pictures of
 * the feature maps and the learned filters.
 *
 *   npx tsx examples/003-transfer-xray/index.ts            # quick: X-ray phantoms
 *   npx tsx examples/003-transfer-xray/index.ts --smoke    # a few steps (CI)
 *   npx tsx examples/003-transfer-xray/index.ts --data /path/to/chest_xray --size 224 --models CustomCNN,ResNet50,InceptionV3
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brightness, contrast, flip, resize, rotate, zoom } from 'medinets/augment';
import { stratifiedSplit, xrayPhantoms } from 'medinets/data';
import { activationGrid, filterWeights, layerActivations } from 'medinets/explain';
import { InceptionV3, ResNet50, setBatchNormMomentum } from 'medinets/models';
import {
  EarlyStopping,
  ModelCheckpoint,
  ProgressBar,
  gridSearch,
  loadCheckpoint,
  trainOnly,
  type BatchMixer,
  type TrialResult,
} from 'medinets/train';
import { imageGrid, saveFigure, type GridImage } from 'medinets/plot';
import { parseExampleArgs, type ExampleArgs } from '../common/cli';
import {
  disposeSplit,
  evaluateBinary,
  savePlots,
  subset,
  TABLE_METRICS,
  trainClassifier,
  type Evaluation,
  type Split,
} from '../common/classify';
import { textTable, writeReport, type ReportTable } from '../common/report';
import { initBackend, reportTensors, seconds } from '../common/setup';
import { loadKermany } from '../common/datasets';

export const XRAY_MODELS = ['CustomCNN', 'ResNet50', 'InceptionV3'] as const;
export type XrayModel = (typeof XRAY_MODELS)[number];

interface Settings {
  size: number;
  /** Input side of the transfer backbones (phantoms are resized to it). */
  transferSize: number;
  n: number;
  epochs: number;
  transferEpochs: number;
  patience: number;
  /** Early-stopping patience of the transfer models (from scratch, their validation loss is noisier). */
  transferPatience: number;
  grid: { lr: number[]; batchSize: number[] };
  transferLr: number;
  /** ResNet50 stem / first-stage width (64 = the real ResNet50). */
  transferFilters: number;
  /**
   * Train the whole transfer backbone, not only its last stage: right when it has no
   * pretrained weights (a random trunk frozen is a fixed random feature extractor).
   */
  transferTrainAll: boolean;
  /** BatchNormalization momentum of the transfer backbones (Keras 0.99; 0.9 settles in a short run). */
  bnMomentum: number;
  models: XrayModel[];
  /** Filters of the custom CNN's three conv blocks. */
  filters: [number, number, number];
}

function settingsFor(args: ExampleArgs): Settings {
  const base: Record<string, Settings> = {
    // Document: 20 epochs, batch 16, grid over lr / batch / optimizer / weights; best lr 1e-4, batch 16, Adam.
    quick: {
      size: 64,
      transferSize: 64,
      n: 400,
      epochs: 8,
      transferEpochs: 15,
      patience: 3,
      transferPatience: 6,
      grid: { lr: [3e-3, 1e-3], batchSize: [16, 32] },
      transferLr: 1e-3,
      transferFilters: 8,
      transferTrainAll: true,
      bnMomentum: 0.9,
      models: ['CustomCNN', 'ResNet50'],
      filters: [16, 32, 64],
    },
    smoke: {
      size: 32,
      transferSize: 32,
      n: 32,
      epochs: 1,
      transferEpochs: 1,
      patience: 1,
      transferPatience: 1,
      grid: { lr: [1e-3], batchSize: [16] },
      transferLr: 1e-3,
      transferFilters: 8,
      transferTrainAll: true,
      bnMomentum: 0.9,
      models: ['CustomCNN'],
      filters: [4, 8, 8],
    },
    full: {
      size: 224,
      transferSize: 224,
      n: 0,
      epochs: 20,
      transferEpochs: 20,
      patience: 3,
      transferPatience: 3,
      grid: { lr: [1e-3, 1e-4], batchSize: [16, 32] },
      transferLr: 1e-4,
      transferFilters: 64,
      transferTrainAll: false,
      bnMomentum: 0.99,
      models: ['CustomCNN', 'ResNet50', 'InceptionV3'],
      filters: [32, 64, 128],
    },
  };
  const s = { ...(base[args.mode] as Settings) };
  if (args.size) s.size = s.transferSize = args.size;
  if (args.epochs) s.epochs = s.transferEpochs = args.epochs;
  if (args.models) {
    for (const m of args.models) {
      if (!(XRAY_MODELS as readonly string[]).includes(m))
        throw new Error(`003: unknown model '${m}'; choose from ${XRAY_MODELS.join(', ')}`);
    }
    s.models = args.models as XrayModel[];
  }
  if (s.models.includes('InceptionV3') && s.transferSize < 75) {
    throw new Error(
      `003: InceptionV3 needs inputs of at least 75x75; got ${s.transferSize} (pass --size 75 or more)`,
    );
  }
  return s;
}

/** X-ray phantoms (easy preset) 0..255 -> [0, 1]; 60/15/25 stratified split. */
function phantomSplits(s: Settings, seed: number): { train: Split; val: Split; test: Split } {
  const p = xrayPhantoms({ n: s.n, size: s.size, seed, positiveFraction: 0.5, difficulty: 'easy' });
  const x = tf.tidy(() => tf.div(p.images, 255) as tf.Tensor4D);
  const labels = Int32Array.from(p.labels.dataSync());
  tf.dispose([p.images, p.labels, p.masks]);
  const all: Split = { x, labels };
  const sp = stratifiedSplit(labels, { fractions: [0.6, 0.15, 0.25], seed });
  const out = { train: subset(all, sp.train), val: subset(all, sp.val), test: subset(all, sp.test) };
  disposeSplit(all);
  return out;
}

/** Part of 003's augmentation list, per batch: flips, rotation, zoom, contrast, brightness. */
const xrayAugment: BatchMixer = (x, y, seed) =>
  tf.tidy(() => {
    let a = flip(x as tf.Tensor4D, { mode: 'horizontal', seed });
    a = rotate(a, { degrees: 10, seed: seed + 1 });
    a = zoom(a, { scale: [0.9, 1.1], seed: seed + 2 });
    a = contrast(a, { factor: 0.2, seed: seed + 3 });
    a = brightness(a, { delta: 0.1, seed: seed + 4 });
    return { x: a, y: tf.clone(y) };
  });

/** The custom CNN: three conv(3x3, ReLU) -> max-pool -> dropout 0.3 blocks, dense 64, dense 2 sigmoid. */
export function CustomCNN(size: number, filters: [number, number, number], seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 1], name: 'input' });
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
 * Transfer model: backbone without its top, global average pooling, dense 64 (ReLU), dropout 0.3,
 * dense 2 sigmoid; only the last stage (ResNet50 `conv5_*`, InceptionV3 `mixed9`-`mixed10`) and
 * the head train, unless `s.transferTrainAll` (no pretrained weights) trains every layer.
 */
function transferModel(name: 'ResNet50' | 'InceptionV3', s: Settings, seed: number): tfl.LayersModel {
  const opts = {
    inputShape: [s.transferSize, s.transferSize, 1] as [number, number, number],
    includeTop: false,
    pooling: 'avg' as const,
    seed,
  };
  const base = name === 'ResNet50' ? ResNet50({ ...opts, filters: s.transferFilters }) : InceptionV3(opts);
  if (s.bnMomentum !== 0.99) setBatchNormMomentum(base, s.bnMomentum);
  let x = tfl.layers
    .dense({
      units: 64,
      activation: 'relu',
      name: 'head_fc64',
      kernelInitializer: tfl.initializers.heNormal({ seed }),
    })
    .apply(base.outputs[0] as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.3, name: 'head_dropout', seed }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 2, activation: 'sigmoid', name: 'head_output' })
    .apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: base.inputs, outputs: out, name: `${name.toLowerCase()}_transfer` });
  if (!s.transferTrainAll) {
    const lastStage = name === 'ResNet50' ? /^(conv5_|avg_pool|head_)/ : lastInceptionLayers(model);
    trainOnly(model, lastStage);
  }
  return model;
}

/** InceptionV3's layers from the first one feeding `mixed9` on (Keras' fine-tuning recipe trains the top two blocks). */
function lastInceptionLayers(model: tfl.LayersModel): (l: tfl.layers.Layer, i: number) => boolean {
  const start = model.layers.findIndex((l) => l.name === 'mixed8') + 1;
  return (_l, i) => i >= start;
}

function resized(s: Split, size: number): Split {
  if (s.x.shape[1] === size) return { x: tf.clone(s.x), labels: s.labels };
  return { x: resize(s.x, { size: [size, size] }), labels: s.labels };
}

async function trainWithCheckpoint(
  build: () => tfl.LayersModel,
  lr: number,
  batchSize: number,
  epochs: number,
  patience: number,
  data: { train: Split; val: Split },
  ckptDir: string,
  seed: number,
): Promise<{
  model: tfl.LayersModel;
  history: Record<string, number[]>;
  seconds: number;
  bestEpoch: number;
  stoppedEpoch: number;
}> {
  const model = build();
  const optimizer = tf.train.adam(lr);
  model.compile({ optimizer, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const ckpt = new ModelCheckpoint({
    dir: ckptDir,
    monitor: 'val_loss',
    saveLast: false,
    includeOptimizer: false,
  });
  const stop = new EarlyStopping({ monitor: 'val_loss', patience });
  try {
    const r = await trainClassifier(model, data.train, data.val, {
      classes: 2,
      epochs,
      batchSize,
      seed,
      mixer: xrayAugment,
      callbacks: [ckpt, stop, new ProgressBar()],
    });
    // Save-best-only: continue with the best epoch's weights, read back from disk.
    const best = await loadCheckpoint(join(ckptDir, 'best'));
    return {
      model: best.model,
      history: r.history,
      seconds: r.seconds,
      bestEpoch: ckpt.bestEpoch,
      stoppedEpoch: stop.stoppedEpoch,
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** Feature maps of the conv layers for one positive test image, and the first layer's filters. */
async function explainPictures(model: tfl.LayersModel, test: Split, outDir: string): Promise<string[]> {
  const pos = test.labels.findIndex((l) => l === 1);
  const one = subset(test, [pos >= 0 ? pos : 0]);
  const convs = model.layers.filter((l) => l.name.startsWith('conv')).map((l) => l.name);
  const acts = layerActivations(model, one.x, convs);
  const cells: GridImage[] = [];
  const owned: tf.Tensor[] = [];
  const img = tf.squeeze(one.x, [0]) as tf.Tensor3D;
  owned.push(img);
  cells.push({ pixels: img, caption: 'input (positive)' });
  for (const name of convs) {
    const g = activationGrid(acts[name] as tf.Tensor);
    const g3 = tf.expandDims(g, -1) as tf.Tensor3D;
    owned.push(g, g3);
    cells.push({ pixels: g3, caption: `${name}: ${(acts[name] as tf.Tensor).shape[3]} maps` });
  }
  const files = [
    await saveFigure(
      imageGrid({ title: 'Custom CNN feature maps', images: cells, columns: cells.length, cellSize: 200 }),
      join(outDir, 'feature_maps.png'),
    ),
  ];
  const k = filterWeights(model, 'conv1');
  const filters = tf.unstack(k).map((f, i) => ({ pixels: f as tf.Tensor3D, caption: `#${i}` }));
  files.push(
    await saveFigure(
      imageGrid({ title: 'conv1 learned 3x3 filters', images: filters, cellSize: 48 }),
      join(outDir, 'filters_conv1.png'),
    ),
  );
  tf.dispose([...owned, ...Object.values(acts), k, ...filters.map((f) => f.pixels)]);
  disposeSplit(one);
  return files;
}

export async function main(
  args: ExampleArgs,
): Promise<{ table: ReportTable; best: string; grid: TrialResult[] }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const tensorsBefore = tf.memory().numTensors;
  const s = settingsFor(args);
  mkdirSync(args.outDir, { recursive: true });
  console.log(
    `003-transfer-xray (${args.mode}): ${s.models.join(', ')}; custom CNN at ${s.size}x${s.size}, transfer at ${s.transferSize}x${s.transferSize}`,
  );
  const data = args.data
    ? await loadKermany(args.data, s.size, args.seed, 0.15)
    : phantomSplits(s, args.seed);
  console.log(
    `data: ${data.train.labels.length} train / ${data.val.labels.length} val / ${data.test.labels.length} test`,
  );
  const timings: Record<string, number> = { data: seconds(t0) };
  const ckptRoot = join(args.outDir, 'checkpoints');
  rmSync(ckptRoot, { recursive: true, force: true });

  const trained: Record<string, tfl.LayersModel> = {};
  const evals: Record<string, Evaluation> = {};
  const histories: Record<string, Record<string, number[]>> = {};
  const rows: (string | number)[][] = [];
  const settingsRows: string[] = [];
  let grid: TrialResult[] = [];
  try {
    if (s.models.includes('CustomCNN')) {
      // Grid search: each trial trains with checkpoint + early stopping; selected by validation F1.
      const t = performance.now();
      let bestTrial: { model: tfl.LayersModel; history: Record<string, number[]>; index: number } | undefined;
      let bestF1 = -Infinity;
      const search = await gridSearch({
        space: { lr: s.grid.lr, batchSize: s.grid.batchSize },
        select: 'f1',
        trainEval: async (params, index) => {
          const lr = params.lr as number;
          const batchSize = params.batchSize as number;
          console.log(`grid trial ${index + 1}: lr ${lr}, batch ${batchSize}`);
          const r = await trainWithCheckpoint(
            () => CustomCNN(s.size, s.filters, args.seed),
            lr,
            batchSize,
            s.epochs,
            s.patience,
            data,
            join(ckptRoot, `custom_trial${index}`),
            args.seed,
          );
          const e = evaluateBinary(r.model, data.val, 'val');
          const f1 = e.metrics.f1 ?? NaN;
          // Keep only the model gridSearch will select (ties keep the earlier trial, as it does).
          if (!bestTrial || f1 > bestF1) {
            bestTrial?.model.dispose();
            bestTrial = { model: r.model, history: r.history, index };
            bestF1 = f1;
          } else r.model.dispose();
          return {
            ...e.metrics,
            bestEpoch: r.bestEpoch + 1,
            stoppedEpoch: r.stoppedEpoch + 1,
            seconds: r.seconds,
          };
        },
      });
      grid = search.results;
      if (!bestTrial) throw new Error('003: grid search kept no model');
      trained.CustomCNN = bestTrial.model;
      histories.CustomCNN = bestTrial.history;
      timings['grid search (custom CNN)'] = seconds(t);
      const p = search.best.params;
      settingsRows.push(
        `custom CNN: best of grid lr ${String(p.lr)}, batch ${String(p.batchSize)} (val F1 ${search.best.score.toFixed(3)})`,
      );
      const e = evaluateBinary(bestTrial.model, data.test, 'CustomCNN');
      evals.CustomCNN = e;
      rows.push([
        'CustomCNN',
        bestTrial.model.countParams(),
        ...TABLE_METRICS.map((m) => e.metrics[m] ?? NaN),
        timings['grid search (custom CNN)'],
      ]);
    }

    for (const name of s.models.filter((m): m is 'ResNet50' | 'InceptionV3' => m !== 'CustomCNN')) {
      const train = resized(data.train, s.transferSize);
      const val = resized(data.val, s.transferSize);
      const test = resized(data.test, s.transferSize);
      try {
        const r = await trainWithCheckpoint(
          () => transferModel(name, s, args.seed),
          s.transferLr,
          16,
          s.transferEpochs,
          s.transferPatience,
          { train, val },
          join(ckptRoot, name),
          args.seed,
        );
        trained[name] = r.model;
        histories[name] = r.history;
        timings[`train ${name}`] = r.seconds;
        const e = evaluateBinary(r.model, test, name);
        evals[name] = e;
        rows.push([name, r.model.countParams(), ...TABLE_METRICS.map((m) => e.metrics[m] ?? NaN), r.seconds]);
      } finally {
        disposeSplit(train);
        disposeSplit(val);
        disposeSplit(test);
      }
    }

    const names = Object.keys(evals);
    const best = names.reduce((a, b) => ((evals[b]?.metrics.f1 ?? 0) > (evals[a]?.metrics.f1 ?? 0) ? b : a));
    const table: ReportTable = { header: ['model', 'params', ...TABLE_METRICS, 'train s'], rows };
    const gridTable: ReportTable = {
      header: ['trial', 'lr', 'batch', 'val f1', 'val auc', 'best epoch', 'stopped at', 'train s'],
      rows: grid.map((g) => [
        g.index + 1,
        String(g.params.lr),
        String(g.params.batchSize),
        g.metrics.f1 ?? NaN,
        g.metrics.auc ?? NaN,
        g.metrics.bestEpoch ?? NaN,
        (g.metrics.stoppedEpoch ?? 0) > 0 ? (g.metrics.stoppedEpoch as number) : '-',
        g.metrics.seconds ?? NaN,
      ]),
    };
    const figures = await savePlots(args.outDir, histories, evals, best);
    if (trained.CustomCNN)
      figures.push(...(await explainPictures(trained.CustomCNN, data.test, args.outDir)));
    timings.total = seconds(t0);

    const reportPath = writeReport(args.outDir, {
      title: 'Document 003: custom CNN and transfer learning on chest X-ray',
      summary:
        `Binary pneumonia-like vs normal classification on ${args.data ? `the chest X-ray images at ${args.data}` : 'built-in chest X-ray phantoms (easy preset)'} ` +
        `(${args.mode} mode). Best test F1: **${best}**. The document found ResNet50 best, with lr 1e-4, batch 16, Adam.`,
      settings: {
        backend: backend.backend,
        mode: args.mode,
        'input size': `custom CNN ${s.size}x${s.size}x1, transfer ${s.transferSize}x${s.transferSize}x1 (grey levels / 255)`,
        'custom CNN': `conv ${s.filters.join('/')} 3x3 ReLU, max-pool 2, dropout 0.3 per block; dense 64 ReLU; dense 2 sigmoid`,
        'grid search': `lr ${s.grid.lr.join(', ')} x batch ${s.grid.batchSize.join(', ')}, Adam, binary cross-entropy, selected by validation F1`,
        selected: settingsRows.join('; ') || '-',
        transfer: `${s.models.filter((m) => m !== 'CustomCNN').join(', ') || 'none'}: random initialisation (no ImageNet weights offline), ${s.transferTrainAll ? 'every layer trained' : 'last stage + head trained'}, ResNet50 width ${s.transferFilters}${s.transferFilters !== 64 ? ' (real: 64)' : ''}, BN momentum ${s.bnMomentum}, Adam lr ${s.transferLr}, batch 16, ${s.transferEpochs} epochs`,
        'epochs (custom CNN)': s.epochs,
        callbacks: `ModelCheckpoint(val_loss, save best only), EarlyStopping(val_loss, patience ${s.patience}; transfer models ${s.transferPatience})`,
        augmentation: 'horizontal flip, rotation 10 deg, zoom 0.9-1.1, contrast 0.2, brightness 0.1',
        seed: args.seed,
      },
      tables: [
        { caption: 'Test metrics', table },
        { caption: 'Grid search (custom CNN, validation split)', table: gridTable },
      ],
      timings,
      figures,
      notes:
        args.mode === 'full'
          ? []
          : [
              `${args.mode} mode: ${s.size}x${s.size} phantoms, ${s.epochs} epochs (document: 20), a ${grid.length}-trial grid` +
                (s.models.includes('ResNet50')
                  ? `; ResNet50 on ${s.transferSize}x${s.transferSize} resized inputs at width ${s.transferFilters} (real: 64), every layer trained from random weights (no ImageNet weights to keep frozen), BN momentum ${s.bnMomentum}, for ${s.transferEpochs} epochs`
                  : '') +
                (s.models.includes('InceptionV3')
                  ? ''
                  : '; InceptionV3 left out (it needs >= 75x75 inputs; add it with --size 75 --models CustomCNN,InceptionV3)') +
                '.',
            ],
    });
    console.log(`\n${textTable(table)}\n`);
    if (grid.length) console.log(`${textTable(gridTable)}\n`);
    console.log(`report: ${reportPath}`);
    return { table, best, grid };
  } finally {
    for (const m of Object.values(trained)) m.dispose();
    disposeSplit(data.train);
    disposeSplit(data.val);
    disposeSplit(data.test);
    reportTensors('003-transfer-xray', tensorsBefore);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('003-transfer-xray'));
}
