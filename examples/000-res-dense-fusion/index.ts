/**
 * Document 000 (MIA-COV19D): COVID vs non-COVID per CT *series* with a Res-Dense fusion —
 * ResNet101 and DenseNet121 trunks in parallel, the ResNet map projected by a 1x1 Conv2D to
 * DenseNet's width and added, global average pooling, softmax. Each trunk preprocesses the
 * RGB pixels its backbone's way (Keras `preprocess_input`: ResNet 'caffe', DenseNet 'torch'),
 * random flip and rotation (factor 0.2, reflect fill), RMSprop 1e-4, best checkpoint kept;
 * first both trunks frozen, then fine-tuned with each trunk's first 100 layers frozen (Keras'
 * `layers[:100]` of each backbone). Inference averages the slice scores of a series; the
 * metric is macro F1 over series.
 *
 *   npx tsx examples/000-res-dense-fusion/index.ts          # quick: CT-series phantoms
 *   npx tsx examples/000-res-dense-fusion/index.ts --data /path/to/mia-cov19d --size 256 \
 *     --weights resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5,densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ctWindow, flip, rotate } from 'medinets/augment';
import { ctSeriesPhantoms, stratifiedSplit, type PhantomDifficulty } from 'medinets/data';
import { aggregateSeries, f1, accuracy, rocAuc } from 'medinets/metrics';
import {
  DENSENET_PREFIX,
  RESNET_PREFIX,
  freezeUpTo,
  fusionTrunks,
  loadWeights,
  ResDenseFusion,
  setBatchNormMomentum,
  summary,
  type LoadWeightsReport,
  type ResDenseFusionOptions,
} from 'medinets/models';
import { ModelCheckpoint, ProgressBar, loadCheckpoint } from 'medinets/train';
import { parseExampleArgs, type ExampleArgs } from '../common/cli';
import { evaluateBinary, savePlots, trainClassifier } from '../common/classify';
import { loadSeriesFolders, type SeriesSplit } from '../common/datasets';
import { textTable, writeReport, type ReportTable } from '../common/report';
import { initBackend, seconds } from '../common/setup';

/**
 * Phase 2 of the document: "freeze 100 layers before", i.e. Keras'
 * `for l in backbone.layers[:100]: l.trainable = False` on each backbone, whose `layers[0]` is
 * its input layer: the first 99 layers of each trunk in Keras' order (`fusionTrunks`).
 */
const KERAS_FROZEN = 100;
/** `len(ResNet101(include_top=False).layers)` and `len(DenseNet121(include_top=False).layers)`. */
const KERAS_LAYERS = { resnet: 345, densenet: 427 };

type TrunkLayout = Pick<
  ResDenseFusionOptions,
  'resnetBlocks' | 'resnetBlock' | 'resnetFilters' | 'densenetBlocks' | 'growthRate'
>;

interface Settings {
  size: number;
  nSeries: number;
  slices: number;
  frozenEpochs: number;
  fineTuneEpochs: number;
  batchSize: number;
  /** RMSprop learning rate (document: 1e-4). */
  lr: number;
  /** Reduced trunks (quick / smoke); `undefined` = the document's ResNet101 + DenseNet121. */
  trunks?: TrunkLayout;
  /** BatchNormalization momentum (Keras 0.99; 0.9 settles within a short run). */
  bnMomentum: number;
  /** Phantom difficulty preset. */
  difficulty: PhantomDifficulty;
  /** Larger, more numerous findings than the preset (quick mode: a signal a few epochs can learn). */
  boldFindings: boolean;
}

/** Quick-mode fusion: the same two-trunk design with ResNet [1, 1, 2, 1] x 16 and DenseNet [2, 2, 4, 2] x 8. */
const QUICK_TRUNKS: TrunkLayout = {
  resnetBlocks: [1, 1, 2, 1],
  resnetBlock: 'bottleneck',
  resnetFilters: 16,
  densenetBlocks: [2, 2, 4, 2],
  growthRate: 8,
};

function settingsFor(args: ExampleArgs): Settings {
  const base: Record<string, Settings> = {
    // Document: 256x256, batch 32, 20 epochs. Quick: 64x64 phantom series, a few epochs.
    quick: {
      size: 64,
      nSeries: 240,
      slices: 4,
      frozenEpochs: 10,
      fineTuneEpochs: 5,
      batchSize: 16,
      lr: 5e-4,
      trunks: QUICK_TRUNKS,
      bnMomentum: 0.9,
      // Harder than 'easy' (at which the series level reached AUC 1.000): more noise, fainter
      // findings, more distractors; the bold findings keep 4 slices per series learnable.
      difficulty: 'moderate',
      boldFindings: true,
    },
    smoke: {
      size: 32,
      nSeries: 8,
      slices: 3,
      frozenEpochs: 1,
      fineTuneEpochs: 1,
      batchSize: 8,
      lr: 1e-3,
      trunks: { resnetBlocks: [1, 1, 1, 1], resnetFilters: 4, densenetBlocks: [1, 1, 1, 1], growthRate: 4 },
      bnMomentum: 0.9,
      difficulty: 'easy',
      boldFindings: true,
    },
    full: {
      size: 256,
      nSeries: 0,
      slices: 0,
      frozenEpochs: 10,
      fineTuneEpochs: 10,
      batchSize: 32,
      lr: 1e-4,
      bnMomentum: 0.99,
      difficulty: 'medium',
      boldFindings: false,
    },
  };
  const s = { ...(base[args.mode] as Settings) };
  if (args.size) s.size = args.size;
  if (args.epochs) s.frozenEpochs = s.fineTuneEpochs = args.epochs;
  return s;
}

/** 4-6 findings of 15-25% of the lung size per positive series (easy preset: 2-4 of 11-20%). */
const BOLD_FINDINGS = {
  lesionCount: [4, 6] as [number, number],
  lesionSize: [0.15, 0.25] as [number, number],
};

function phantomSeries(s: Settings, seed: number): { train: SeriesSplit; val: SeriesSplit } {
  const p = ctSeriesPhantoms({
    nSeries: s.nSeries,
    slices: s.slices,
    size: s.size,
    seed,
    difficulty: s.difficulty,
    ...(s.boldFindings ? BOLD_FINDINGS : {}),
  });
  const seriesLabels = Array.from(p.labels.dataSync());
  // HU -> 8-bit lung window, as RGB (a CT slice saved as an image and read in colour); the
  // model preprocesses these [0, 255] pixels each trunk's way.
  const flat = tf.tidy(() => {
    const x = tf.reshape(p.volumes, [s.nSeries * s.slices, s.size, s.size, 1]) as tf.Tensor4D;
    return tf.tile(ctWindow(x, { preset: 'lung', outputRange: [0, 255] }), [1, 1, 1, 3]) as tf.Tensor4D;
  });
  tf.dispose([p.volumes, p.masks, p.labels, p.sliceLabels]);
  // 75/25 split by series, stratified on the series label, so no patient is in both.
  const sp = stratifiedSplit(seriesLabels, { fractions: [0.75, 0.25], seed });
  const take = (series: number[]): SeriesSplit => {
    const rows: number[] = [];
    for (const sIdx of series) for (let k = 0; k < s.slices; k++) rows.push(sIdx * s.slices + k);
    const ix = tf.tensor1d(rows, 'int32');
    const x = tf.gather(flat, ix) as tf.Tensor4D;
    ix.dispose();
    return {
      x,
      labels: Int32Array.from(rows, (r) => seriesLabels[Math.floor(r / s.slices)] as number),
      seriesOfSlice: rows.map((r) => p.seriesIds[Math.floor(r / s.slices)] as string),
    };
  };
  const out = { train: take(sp.train), val: take(sp.val.length ? sp.val : sp.test) };
  flat.dispose();
  return out;
}

/**
 * Loads `--weights` into the fusion: two files go to the two trunks, the first into the ResNet
 * trunk (`resnet101/` layers), the second into the DenseNet trunk (`densenet121/`), each a
 * plain backbone file in any format `loadWeights` reads (keras.applications' `_notop.h5`,
 * torchvision `.pth`, safetensors, TF.js); strict by Keras' `by_name` rule: every weight of
 * the trunk must be in its file, a file's classifier is reported and skipped. One file is a
 * whole fusion model's weights (e.g. a checkpoint of this example).
 */
export async function loadFusionWeights(
  model: tfl.LayersModel,
  files: readonly string[],
): Promise<LoadWeightsReport[]> {
  if (files.length === 1) return [await loadWeights(model, files[0] as string)];
  if (files.length !== 2) {
    throw new Error(
      `000: --weights takes one fusion file or two backbone files (ResNet101, DenseNet121); got ${files.length}: ${files.join(', ')}`,
    );
  }
  const res = await loadWeights(model, files[0] as string, { prefix: RESNET_PREFIX });
  const dense = await loadWeights(model, files[1] as string, { prefix: DENSENET_PREFIX });
  return [res, dense];
}

/**
 * Full mode without `--weights`: two random 100-layer trunks summed into a
 * glorot-initialised head saturate the softmax (loss stuck at -ln(1e-7) / 2). Start the
 * head near zero instead: the projection at 0 and the classifier scaled by 1e-2, so phase 1
 * fits a linear read-out of the frozen random features, as the recipe intends.
 */
function quietHead(model: tfl.LayersModel): void {
  tf.tidy(() => {
    const proj = model.getLayer('projection');
    proj.setWeights(proj.getWeights().map((w) => tf.zerosLike(w)));
    const head = model.getLayer('predictions');
    head.setWeights(head.getWeights().map((w) => tf.mul(w, 0.01)));
  });
}

function trunkText(t: TrunkLayout | undefined): string {
  if (!t) return 'ResNet101 + DenseNet121';
  return (
    `ResNet [${t.resnetBlocks?.join(', ')}] ${t.resnetBlock ?? 'bottleneck'} x ${t.resnetFilters} + ` +
    `DenseNet [${t.densenetBlocks?.join(', ')}] growth ${t.growthRate}`
  );
}

/**
 * Random flip and random rotation with factor 0.2 (Keras RandomFlip + RandomRotation(0.2)),
 * filling with Keras RandomRotation's default, `fill_mode='reflect'`.
 */
function flipRotate(x: tf.Tensor, y: tf.Tensor, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const a = flip(x as tf.Tensor4D, { mode: 'horizontal_and_vertical', seed });
    return { x: rotate(a, { factor: 0.2, seed: seed + 1, fillMode: 'reflect' }), y: tf.clone(y) };
  });
}

export async function main(args: ExampleArgs): Promise<{ table: ReportTable }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const s = settingsFor(args);
  console.log(
    `000-res-dense-fusion (${args.mode}): ${trunkText(s.trunks)} fusion at ${s.size}x${s.size}` +
      (s.trunks ? ` (${args.mode} mode: reduced trunks trained from scratch, RMSprop ${s.lr})` : ''),
  );
  const data = args.data
    ? await loadSeriesFolders(args.data, s.size, args.seed)
    : phantomSeries(s, args.seed);
  console.log(`data: ${data.train.labels.length} train slices / ${data.val.labels.length} val slices`);
  const timings: Record<string, number> = { data: seconds(t0) };

  const model = ResDenseFusion({
    inputShape: [s.size, s.size, 3],
    classes: 2,
    seed: args.seed,
    preprocess: true,
    ...s.trunks,
  });
  if (s.bnMomentum !== 0.99) setBatchNormMomentum(model, s.bnMomentum);
  // Without pretrained trunks, phase 1 trains them too: frozen random trunks leave only a
  // linear read-out of random features, which stays at chance on these data.
  const weightFiles = args.weightFiles ?? [];
  const pretrained = weightFiles.length > 0;
  const freezeTrunks = pretrained || !s.trunks;
  if (pretrained) {
    for (const r of await loadFusionWeights(model, weightFiles)) {
      console.log(
        `weights ${r.file} (${r.format}, ${r.map}): ${r.matched.length} weights loaded, ${r.unexpected.length} unused in the file`,
      );
    }
  } else if (freezeTrunks) {
    console.warn(
      'warning: no --weights: the frozen trunks are random, so phase 1 trains a head on random features (pass converted ImageNet weights)',
    );
    quietHead(model);
  }
  // Phase 2 freezes Keras' layers[:100] of each backbone (99 trunk layers after the input);
  // a reduced trunk freezes the same share of its layers.
  const trunks = fusionTrunks(model);
  const kerasFirst = (n: number, full: number): number =>
    s.trunks ? Math.round((KERAS_FROZEN / full) * (n + 1)) - 1 : KERAS_FROZEN - 1;
  const freezeRes = kerasFirst(trunks.resnet.length, KERAS_LAYERS.resnet);
  const freezeDense = kerasFirst(trunks.densenet.length, KERAS_LAYERS.densenet);
  const ckptDir = join(args.outDir, 'checkpoint');
  const compile = (): void => {
    model.optimizer?.dispose(); // a recompile replaces the optimizer; free the old one's slots
    model.compile({
      optimizer: tf.train.rmsprop(s.lr),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
  };

  // Phase 1: both trunks frozen (pretrained), or trained with the head (random init).
  if (freezeTrunks) {
    freezeUpTo(trunks.resnet, trunks.resnet.length);
    freezeUpTo(trunks.densenet, trunks.densenet.length);
  }
  compile();
  const frozen = summary(model);
  const ckpt1 = new ModelCheckpoint({ dir: ckptDir, monitor: 'val_loss' });
  const h1 = await trainClassifier(model, data.train, data.val, {
    classes: 2,
    epochs: s.frozenEpochs,
    batchSize: s.batchSize,
    seed: args.seed,
    mixer: flipRotate,
    callbacks: [ckpt1, new ProgressBar()],
  });
  timings[freezeTrunks ? 'train, trunks frozen' : 'train, all layers'] = h1.seconds;

  // Phase 2: unfreeze, then freeze the first layers and fine-tune the rest.
  for (const l of model.layers) l.trainable = true;
  freezeUpTo(trunks.resnet, freezeRes);
  freezeUpTo(trunks.densenet, freezeDense);
  compile();
  const tuned = summary(model);
  const ckpt2 = new ModelCheckpoint({ dir: ckptDir, monitor: 'val_loss', initialBest: ckpt1.best });
  const h2 = await trainClassifier(model, data.train, data.val, {
    classes: 2,
    epochs: s.frozenEpochs + s.fineTuneEpochs,
    initialEpoch: s.frozenEpochs,
    batchSize: s.batchSize,
    seed: args.seed + 1,
    mixer: flipRotate,
    callbacks: [ckpt2, new ProgressBar()],
  });
  timings[`fine-tune, first ${freezeRes} + ${freezeDense} trunk layers frozen`] = h2.seconds;

  // Keep the best checkpoint of either phase, as the document does.
  const best = await loadCheckpoint(join(ckptDir, 'best'));
  const bestModel = best.model;
  const sliceEval = evaluateBinary(bestModel, data.val, 'fusion (slices)');
  const agg = aggregateSeries(sliceEval.scores, data.val.seriesOfSlice, {
    reduce: 'mean',
    yTrue: data.val.labels,
  });
  const yTrue = agg.yTrue as number[];
  const macroF1 = f1(yTrue, agg.predicted, { average: 'macro', zeroDivision: 0 });
  const seriesAcc = accuracy(yTrue, agg.predicted);
  const seriesAuc = new Set(yTrue).size === 2 ? rocAuc(yTrue, agg.scores as ArrayLike<number>) : NaN;
  timings.total = seconds(t0);

  const table: ReportTable = {
    header: ['level', 'n', 'accuracy', 'macro F1', 'AUC'],
    rows: [
      [
        'slice',
        data.val.labels.length,
        sliceEval.metrics.accuracy ?? NaN,
        f1(
          data.val.labels,
          Array.from(sliceEval.scores, (v) => (v >= 0.5 ? 1 : 0)),
          { average: 'macro', zeroDivision: 0 },
        ),
        sliceEval.metrics.auc ?? NaN,
      ],
      ['series (mean of slices)', agg.ids.length, seriesAcc, macroF1, seriesAuc],
    ],
  };
  const history: Record<string, number[]> = {};
  for (const h of [h1.history, h2.history])
    for (const [k, v] of Object.entries(h)) (history[k] ??= []).push(...v);
  const figures = await savePlots(args.outDir, { ResDenseFusion: history }, { fusion: sliceEval }, 'fusion');
  const reportPath = writeReport(args.outDir, {
    title: 'Document 000: Res-Dense fusion for CT series',
    summary:
      `Series-level COVID classification on ${args.data ? args.data : 'built-in CT-series phantoms'} (${args.mode} mode). ` +
      `Validation macro F1 over ${agg.ids.length} series: **${macroF1.toFixed(4)}**.`,
    settings: {
      backend: backend.backend,
      'input size': `${s.size}x${s.size}x3, lung window to 8 bits; in the model ResNet's preprocess_input ('caffe': BGR, minus the ImageNet mean) and DenseNet's ('torch': /255, minus mean, over std)`,
      model: `ResDenseFusion (${trunkText(s.trunks)}), ${model.countParams().toLocaleString('en')} parameters, ${pretrained ? `weights from ${weightFiles.join(' + ')}` : s.trunks ? 'random initialisation' : 'random trunks (no --weights), head started near zero'}`,
      'BN momentum': `${s.bnMomentum}${s.bnMomentum !== 0.99 ? " (Keras' default 0.99 settles too slowly for a short run)" : ''}`,
      'phase 1': `${freezeTrunks ? 'trunks frozen' : 'all layers trained (no pretrained trunks to freeze)'}: ${frozen.trainable.toLocaleString('en')} trainable, ${s.frozenEpochs} epochs`,
      'phase 2': `first ${freezeRes} of ${trunks.resnet.length} ResNet and ${freezeDense} of ${trunks.densenet.length} DenseNet trunk layers frozen (Keras' layers[:${KERAS_FROZEN}] of each backbone${s.trunks ? ', the same share of the reduced trunks' : ''}): ${tuned.trainable.toLocaleString('en')} trainable, ${s.fineTuneEpochs} epochs`,
      optimizer: `RMSprop lr ${s.lr}, cross-entropy (one-hot; equal to sparse CE on indices)`,
      phantoms: args.data
        ? '-'
        : `${s.nSeries} series x ${s.slices} slices, '${s.difficulty}' preset${s.boldFindings ? ', findings 4-6 per series of 15-25% lung size' : ''}`,
      augmentation:
        "random horizontal+vertical flip, random rotation factor 0.2 with RandomRotation's default fill 'reflect'",
      'batch size': s.batchSize,
      checkpoint: `best by val_loss, epoch ${best.state.bestEpoch !== undefined ? best.state.bestEpoch + 1 : '?'} of ${s.frozenEpochs + s.fineTuneEpochs} (atomic writes in ${ckptDir})`,
      seed: args.seed,
    },
    tables: [{ caption: 'Validation (75/25 split by series)', table }],
    timings,
    figures,
    notes: s.trunks
      ? [
          `${args.mode} mode changes versus the document: ${s.nSeries} phantom series x ${s.slices} slices at ${s.size}x${s.size} ` +
            `(document: MIA-COV19D at 256x256); reduced trunks ${trunkText(s.trunks)} instead of ResNet101 + DenseNet121 ` +
            `(same fusion head), trained from random weights, so phase 1 trains every layer instead of a head on frozen ImageNet trunks; ` +
            `RMSprop lr ${s.lr} instead of 1e-4; BN momentum ${s.bnMomentum} instead of 0.99; ` +
            `${s.frozenEpochs} + ${s.fineTuneEpochs} epochs instead of 20; batch ${s.batchSize} instead of 32.`,
        ]
      : [],
  });
  console.log(`\n${textTable(table)}\n\nreport: ${reportPath}`);
  tf.dispose([data.train.x, data.val.x]);
  model.optimizer?.dispose();
  model.dispose();
  bestModel.dispose();
  return { table };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('000-res-dense-fusion'));
}
