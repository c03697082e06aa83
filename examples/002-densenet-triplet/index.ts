/**
 * Document 002 (COVID-CT course project): a sanity check that overfits one batch, then three
 * training phases on DenseNet169 —
 *   1. fine-tune the classifier, denseblock4 and denseblock3 (Keras names `conv5_*`, `conv4_*`)
 *      with cross-entropy, SGD lr 0.007 halved every 400 epochs;
 *   2. drop the classifier, add three dense layers to a 512-d L2-normalised embedding and
 *      train it with a triplet loss (margin 0.5), SGD lr 5e-4; triplets are random (the
 *      document's choice, default), or anchor + its augmented copy + a random negative (the
 *      document's other recipe), or batch-hard (`--mining random|augmented|batch-hard|semi-hard`);
 *   3. add a linear classifier on the embedding and fine-tune, SGD lr 3e-4.
 * Augmentation: RandomResizedCrop, horizontal and vertical flips p=0.7, rotation, colour jitter
 * (brightness, contrast); normalised with the dataset's own mean and std. Test accuracy, F1, AUC.
 *
 *   npx tsx examples/002-densenet-triplet/index.ts            # quick: CT phantoms
 *   npx tsx examples/002-densenet-triplet/index.ts --smoke    # a few steps (CI)
 *   npx tsx examples/002-densenet-triplet/index.ts --data /path/to/COVID-CT --size 224 --weights densenet169-b2777c0a.pth
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  colorJitter,
  computeStats,
  ctWindow,
  flip,
  normalize,
  randomResizedCrop,
  rotate,
  type NormalizeStats,
} from 'medinets/augment';
import { ctPhantoms, stratifiedSplit } from 'medinets/data';
import {
  DenseNet169,
  EmbeddingClassifier,
  EmbeddingNet,
  loadWeights,
  setBatchNormMomentum,
  type LoadWeightsReport,
} from 'medinets/models';
import {
  LearningRateScheduler,
  ProgressBar,
  fitWithMixing,
  overfitOneBatch,
  stepDecay,
  trainOnly,
  tripletLoss,
  type BatchMixer,
  type TripletMining,
  type OverfitResult,
} from 'medinets/train';
import { historyChart, saveFigure } from 'medinets/plot';
import { parseExampleArgs, type ExampleArgs } from '../common/cli';
import {
  disposeSplit,
  evaluateBinary,
  oneHot,
  savePlots,
  subset,
  trainClassifier,
  validationThreshold,
  type Evaluation,
  type Split,
} from '../common/classify';
import { loadCovidCt } from '../common/datasets';
import { textTable, writeReport, type ReportTable } from '../common/report';
import { initBackend, reportTensors, seconds } from '../common/setup';

interface Settings {
  size: number;
  n: number;
  batchSize: number;
  overfitSteps: number;
  overfitBatch: number;
  epochs: [number, number, number];
  lr: [number, number, number];
  /** Epochs between halvings of the phase-1 rate (document: 400 of 3000). */
  decayEvery: number;
  hidden: [number, number];
}

function settingsFor(args: ExampleArgs): Settings {
  const base: Record<string, Settings> = {
    // Document: 224x224, batch 128 / 32-64 / ?, 3000 / 300 / 220 epochs, lr 0.007 / 5e-4 / 3e-4.
    // Quick: 400 small phantoms, a handful of epochs, 10x / 100x the phase 2 / 3 rates (momentum
    // 0.9 throughout); decision thresholds from the validation split.
    quick: {
      size: 64,
      n: 400,
      batchSize: 16,
      overfitSteps: 30,
      overfitBatch: 8,
      epochs: [6, 3, 6],
      lr: [0.007, 5e-3, 3e-2],
      decayEvery: 2,
      hidden: [256, 256],
    },
    smoke: {
      size: 32,
      n: 24,
      batchSize: 8,
      overfitSteps: 2,
      overfitBatch: 4,
      epochs: [1, 1, 1],
      lr: [0.007, 5e-4, 3e-4],
      decayEvery: 1,
      hidden: [32, 32],
    },
    full: {
      size: 224,
      n: 0,
      batchSize: 32,
      overfitSteps: 200,
      overfitBatch: 16,
      epochs: [3000, 300, 220],
      lr: [0.007, 5e-4, 3e-4],
      decayEvery: 400,
      hidden: [1024, 1024],
    },
  };
  const s = { ...(base[args.mode] as Settings) };
  if (args.size) s.size = args.size;
  if (args.epochs) s.epochs = [args.epochs, args.epochs, args.epochs];
  return s;
}

/** Phantom slices in HU -> lung window [0, 1]; 60/15/25 stratified split. */
function phantomSplits(s: Settings, seed: number): { train: Split; val: Split; test: Split } {
  const p = ctPhantoms({ n: s.n, size: s.size, seed, positiveFraction: 0.5, difficulty: 'easy' });
  const x = ctWindow(p.images, 'lung');
  const labels = Int32Array.from(p.labels.dataSync());
  tf.dispose([p.images, p.labels, p.masks]);
  const all: Split = { x, labels };
  const sp = stratifiedSplit(labels, { fractions: [0.6, 0.15, 0.25], seed });
  const out = { train: subset(all, sp.train), val: subset(all, sp.val), test: subset(all, sp.test) };
  disposeSplit(all);
  return out;
}

/**
 * 002's training transform on [0, 1] images: RandomResizedCrop (scale 0.6-1), flips p=0.7 on
 * both axes, rotation up to 15 degrees, brightness/contrast jitter 0.2, then the dataset's
 * normalisation. Targets pass through (one-hot labels, or tiled labels for the triplet phase).
 */
function augmenter(size: number, stats: NormalizeStats): BatchMixer {
  return (x, y, seed) =>
    tf.tidy(() => {
      let a = randomResizedCrop(x as tf.Tensor4D, { size: [size, size], scale: [0.6, 1], seed });
      a = flip(a, { mode: 'horizontal_and_vertical', prob: 0.7, seed: seed + 1 });
      a = rotate(a, { degrees: 15, seed: seed + 2, fillMode: 'constant' });
      a = colorJitter(a, { brightness: 0.2, contrast: 0.2, seed: seed + 3 });
      return { x: normalize(a, stats), y: tf.clone(y) };
    });
}

function normalized(s: Split, stats: NormalizeStats): Split {
  return { x: normalize(s.x, stats), labels: s.labels };
}

/** The triplet selections `--mining` takes; `'random'` is the document's. */
export const MININGS: readonly TripletMining[] = ['random', 'augmented', 'batch-hard', 'semi-hard'];

function miningOf(args: ExampleArgs): TripletMining {
  const m = args.mining ?? 'random';
  if (!(MININGS as readonly string[]).includes(m)) {
    throw new Error(`002: --mining must be one of ${MININGS.join(', ')}; got '${m}'`);
  }
  return m as TripletMining;
}

/**
 * `--weights`: a DenseNet169 file in any format `loadWeights` reads (torchvision's
 * `densenet169-b2777c0a.pth` with its legacy keys, timm safetensors, Keras .h5, TF.js) into
 * the backbone. Every backbone weight must be in the file with its shape; the file's
 * classifier is skipped when its class count differs from the model's (a new head, as the
 * document replaces torchvision's 1000-way classifier), and loaded when it matches.
 */
export async function loadBackboneWeights(net: tfl.LayersModel, file: string): Promise<LoadWeightsReport> {
  const r = await loadWeights(net, file, { strict: false });
  const head = (n: string): boolean => n.startsWith('predictions/');
  const bad = [...r.missing, ...r.mismatched.map((m) => m.name)].filter((n) => !head(n));
  if (bad.length > 0) {
    throw new Error(
      `002: --weights ${file} does not fit ${net.name}: ${bad.length} backbone weights missing or of another shape, first '${bad[0]}'`,
    );
  }
  return r;
}

/**
 * The phase-2 mixer of `'augmented'` mining: a batch `x` of n images becomes
 * `[aug(x); aug'(x)]` (2n rows, two independent augmentations), labels `[y; y]`, the layout
 * `tripletLoss({ mining: 'augmented' })` reads: the positive of each row is its other view.
 */
function twoViews(aug: BatchMixer): BatchMixer {
  return (x, y, seed) => {
    const a = aug(x, y, seed);
    const b = aug(x, y, seed + 7919);
    const out = { x: tf.concat([a.x, b.x], 0), y: tf.concat([a.y, b.y], 0) };
    tf.dispose([a.x, a.y, b.x, b.y]);
    return out;
  };
}

/**
 * Validation for `'augmented'` mining: chunks of `batchSize / 2` images laid out as
 * `[chunk; aug(chunk)]`, so `evaluate` with `batchSize` sees each image with its view.
 */
function pairedValidation(
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  batchSize: number,
  aug: BatchMixer,
  seed: number,
): [tf.Tensor, tf.Tensor] {
  const h = batchSize / 2;
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let at = 0; at < x.shape[0]; at += h) {
    const k = Math.min(h, x.shape[0] - at);
    const cx = tf.slice(x, [at, 0, 0, 0], [k, -1, -1, -1]);
    const cy = tf.slice(y, [at, 0], [k, -1]);
    const v = aug(cx, cy, seed + at);
    xs.push(cx, v.x);
    ys.push(cy, v.y);
  }
  const out: [tf.Tensor, tf.Tensor] = [tf.concat(xs, 0), tf.concat(ys, 0)];
  tf.dispose([...xs, ...ys]);
  return out;
}

const MINING_TEXT: Record<TripletMining, string> = {
  random: "random triplets in each batch, the document's choice",
  augmented: 'anchor + its augmented copy as positive + a random negative',
  'batch-hard': 'batch-hard: farthest positive, closest negative',
  'semi-hard': 'semi-hard negatives (FaceNet)',
};

/** Labels as `[n, dim]` (first column read by tripletLoss; model.fit wants the output's shape). */
function tiledLabels(labels: Int32Array, dim: number): tf.Tensor2D {
  return tf.tidy(() => tf.tile(tf.tensor2d(Array.from(labels), [labels.length, 1]), [1, dim]) as tf.Tensor2D);
}

/** Denseblock3/4 (+ transitions and the final BN) and everything after, by Keras layer names. */
const PHASE1_TRAINABLE = /^(pool3_|conv4_|pool4_|conv5_|bn$|relu$|avg_pool|predictions)/;
/** Phase 2-3: denseblock4 and the new layers (the document's batch limit forced this). */
const PHASE23_TRAINABLE = /^(pool4_|conv5_|bn$|relu$|avg_pool|embed_|embedding|classifier)/;

/**
 * Dispose models that share layers (phase 2-3 reuse the phase-1 network's layers): every
 * distinct layer once — `model.dispose()` on each would dispose the shared ones twice.
 */
function disposeSharing(models: tfl.LayersModel[]): void {
  const done = new Set<tfl.layers.Layer>();
  for (const m of models) {
    for (const l of m.layers) {
      if (done.has(l)) continue;
      done.add(l);
      l.dispose();
    }
  }
}

export async function main(args: ExampleArgs): Promise<{ table: ReportTable; overfit: OverfitResult }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const tensorsBefore = tf.memory().numTensors;
  const s = settingsFor(args);
  const mining = miningOf(args);
  if (mining === 'augmented' && s.batchSize % 2 !== 0) {
    throw new Error(`002: --mining augmented needs an even batch size; got ${s.batchSize}`);
  }
  mkdirSync(args.outDir, { recursive: true });
  console.log(
    `002-densenet-triplet (${args.mode}): DenseNet169 at ${s.size}x${s.size}, epochs ${s.epochs.join('/')}, batch ${s.batchSize}`,
  );
  const raw = args.data ? await loadCovidCt(args.data, s.size, args.seed) : phantomSplits(s, args.seed);
  // The dataset's own statistics (the document found them better than ImageNet's).
  const stats = computeStats(raw.train.x);
  const val = normalized(raw.val, stats);
  const test = normalized(raw.test, stats);
  console.log(
    `data: ${raw.train.labels.length} train / ${val.labels.length} val / ${test.labels.length} test; ` +
      `mean ${stats.mean[0]?.toFixed(3)} std ${stats.std[0]?.toFixed(3)}`,
  );
  const timings: Record<string, number> = { data: seconds(t0) };
  const aug = augmenter(s.size, stats);

  const net = DenseNet169({ inputShape: [s.size, s.size, 1], classes: 2, seed: args.seed });
  const weightFiles = args.weightFiles ?? [];
  if (weightFiles.length > 1)
    throw new Error(`002: --weights takes one DenseNet169 file; got ${weightFiles.join(', ')}`);
  let weightsNote = 'random initialisation (no --weights)';
  if (weightFiles[0]) {
    const r = await loadBackboneWeights(net, weightFiles[0]);
    weightsNote = `${r.file} (${r.format}, ${r.map}): ${r.matched.length} weights loaded, RGB stem summed for the grey input, classifier ${r.mismatched.length ? 'new (class count differs)' : 'loaded'}`;
    console.log(`weights: ${weightsNote}`);
  }
  // The document trained torchvision's DenseNet169, whose BatchNorm keeps 10% of each batch's
  // statistics (PyTorch momentum 0.1 = Keras 0.9); Keras' 0.99 leaves the moving statistics
  // near their initial values after a short run, and inference then fails.
  setBatchNormMomentum(net, 0.9);
  const models: tfl.LayersModel[] = [net];
  // Optimizer slots (momentum) are not owned by the models: dispose them too.
  const optimizers: tf.Optimizer[] = [];
  const sgd = (lr: number): tf.Optimizer => {
    const o = tf.train.momentum(lr, 0.9);
    optimizers.push(o);
    return o;
  };
  try {
    // Sanity check: with everything trainable the network must memorise one batch.
    let t = performance.now();
    net.compile({ optimizer: sgd(s.lr[0]), loss: 'categoricalCrossentropy' });
    const picked = subset(
      raw.train,
      Array.from({ length: Math.min(s.overfitBatch, raw.train.labels.length) }, (_, i) => i),
    );
    const bx = normalize(picked.x, stats);
    const yb = oneHot(picked.labels, 2);
    const overfit = await overfitOneBatch(net, { x: bx, y: yb }, { steps: s.overfitSteps, targetLoss: 0.05 });
    tf.dispose([bx, yb]);
    disposeSplit(picked);
    timings['overfit one batch'] = seconds(t);
    console.log(
      `overfit one batch: loss ${overfit.initialLoss.toFixed(3)} -> ${overfit.finalLoss.toFixed(3)} in ${overfit.steps} steps ` +
        `(${overfit.converged ? 'converged' : 'not converged'})`,
    );

    // Phase 1: classifier + denseblock4 + denseblock3, cross-entropy, SGD with step decay.
    const kept = trainOnly(net, PHASE1_TRAINABLE);
    net.compile({ optimizer: sgd(s.lr[0]), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h1 = await trainClassifier(net, raw.train, val, {
      classes: 2,
      epochs: s.epochs[0],
      batchSize: s.batchSize,
      seed: args.seed,
      mixer: aug,
      callbacks: [
        new LearningRateScheduler(stepDecay({ baseLr: s.lr[0], stepSize: s.decayEvery, factor: 0.5 })),
        new ProgressBar(),
      ],
    });
    timings['phase 1: DenseNet169 fine-tune'] = h1.seconds;
    // Decision thresholds are chosen on the validation split (Youden's J), not fixed at 0.5:
    // a short run ranks well before its scores are calibrated around 0.5.
    const thr1 = validationThreshold(net, val);
    const e1 = evaluateBinary(net, test, 'phase1_densenet169', thr1);

    // Phase 2: backbone up to global pooling -> 3 dense layers -> 512-d unit embedding, triplet loss.
    t = performance.now();
    const features = tfl.model({
      inputs: net.inputs,
      outputs: net.getLayer('avg_pool').output as tfl.SymbolicTensor,
    });
    const embed = EmbeddingNet({
      backbone: features,
      hiddenUnits: s.hidden,
      embeddingDim: 512,
      seed: args.seed,
    });
    models.push(features, embed);
    trainOnly(embed, PHASE23_TRAINABLE);
    embed.compile({
      optimizer: sgd(s.lr[1]),
      loss: tripletLoss({ margin: 0.5, mining, seed: args.seed }),
    });
    const yt = tiledLabels(raw.train.labels, 512);
    const yv = tiledLabels(val.labels, 512);
    // 'augmented' validates on [chunk; augmented chunk] pairs (the training pairing).
    const valData: [tf.Tensor, tf.Tensor] =
      mining === 'augmented' ? pairedValidation(val.x, yv, s.batchSize, aug, args.seed + 3) : [val.x, yv];
    let h2: Record<string, number[]>;
    try {
      const r = await fitWithMixing(embed, raw.train.x, yt, {
        epochs: s.epochs[1],
        batchSize: s.batchSize,
        seed: args.seed + 1,
        mixer: mining === 'augmented' ? twoViews(aug) : aug,
        validationData: valData,
        callbacks: [new ProgressBar()],
      });
      h2 = r.history;
    } finally {
      tf.dispose([yt, yv]);
      if (mining === 'augmented') tf.dispose(valData);
    }
    timings['phase 2: triplet embedding'] = seconds(t);

    // Phase 3: linear classifier on the embedding, fine-tuned with denseblock4 and the embedding layers.
    const clf = EmbeddingClassifier(embed, { classes: 2, seed: args.seed });
    models.push(clf);
    trainOnly(clf, PHASE23_TRAINABLE);
    clf.compile({ optimizer: sgd(s.lr[2]), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h3 = await trainClassifier(clf, raw.train, val, {
      classes: 2,
      epochs: s.epochs[2],
      batchSize: s.batchSize,
      seed: args.seed + 2,
      mixer: aug,
      callbacks: [new ProgressBar()],
    });
    timings['phase 3: embedding classifier'] = h3.seconds;
    const thr3 = validationThreshold(clf, val);
    const e3 = evaluateBinary(clf, test, 'phase3_triplet_classifier', thr3);
    timings.total = seconds(t0);

    const cols = ['accuracy', 'f1', 'auc', 'precision', 'recall'];
    const evals: Record<string, Evaluation> = { phase1_densenet169: e1, phase3_triplet_classifier: e3 };
    const thresholds: Record<string, number> = { phase1_densenet169: thr1, phase3_triplet_classifier: thr3 };
    const table: ReportTable = {
      header: ['model', 'threshold', ...cols],
      rows: Object.entries(evals).map(([name, e]) => [
        name,
        thresholds[name] ?? 0.5,
        ...cols.map((c) => e.metrics[c] ?? NaN),
      ]),
    };
    const figures = await savePlots(
      args.outDir,
      { phase1: h1.history, phase3: h3.history },
      evals,
      'phase3_triplet_classifier',
    );
    figures.push(
      await saveFigure(
        historyChart(h2, { title: 'phase 2: triplet loss' }),
        join(args.outDir, 'curves_phase2_triplet.png'),
      ),
    );
    figures.push(
      await saveFigure(
        historyChart({ loss: overfit.losses }, { title: 'overfit one batch: loss per step' }),
        join(args.outDir, 'overfit_one_batch.png'),
      ),
    );
    const reportPath = writeReport(args.outDir, {
      title: 'Document 002: DenseNet169, triplet-loss embedding and classifier on COVID-CT',
      summary:
        `Binary COVID vs non-COVID classification on ${args.data ? `the COVID-CT dataset at ${args.data}` : 'built-in chest-CT phantoms (easy preset)'} ` +
        `(${args.mode} mode). Overfit-one-batch check: loss ${overfit.initialLoss.toFixed(3)} -> ${overfit.finalLoss.toFixed(3)} ` +
        `in ${overfit.steps} steps (${overfit.converged ? 'converged' : 'not converged'}). The document reports test accuracy 0.941, F1 0.941, AUC 0.942.`,
      settings: {
        backend: backend.backend,
        mode: args.mode,
        'input size': `${s.size}x${s.size}x1 (lung window -> [0, 1] -> dataset mean/std)`,
        backbone: `DenseNet169 (BatchNorm momentum 0.9, PyTorch's 0.1), weights: ${weightsNote}; ${kept} layers selected trainable in phase 1`,
        'batch size': s.batchSize,
        'phase 1': `${s.epochs[0]} epochs, SGD momentum 0.9 lr ${s.lr[0]} halved every ${s.decayEvery} epochs, cross-entropy`,
        'phase 2': `${s.epochs[1]} epochs, dense ${s.hidden.join(', ')}, 512 -> L2, triplet loss margin 0.5 (${MINING_TEXT[mining]}), SGD momentum 0.9 lr ${s.lr[1]}`,
        'phase 3': `${s.epochs[2]} epochs, linear classifier on the embedding, SGD momentum 0.9 lr ${s.lr[2]}`,
        augmentation:
          'RandomResizedCrop (scale 0.6-1), h+v flip p=0.7, rotation 15 deg, colour jitter brightness/contrast 0.2',
        'decision threshold': `chosen on the validation split (Youden's J, midway to the next validation score): phase 1 ${thr1.toFixed(4)}, phase 3 ${thr3.toFixed(4)}`,
        seed: args.seed,
      },
      tables: [{ caption: 'Test metrics (thresholds from the validation split)', table }],
      timings,
      figures,
      notes:
        args.mode === 'full'
          ? []
          : [
              `${args.mode} mode: ${s.size}x${s.size} phantoms instead of 224x224 images, epochs ${s.epochs.join('/')} instead of 3000/300/220, ` +
                `batch ${s.batchSize} instead of 128/32-64, hidden dense layers ${s.hidden.join('/')} instead of 1024/1024` +
                (args.mode === 'quick'
                  ? `, learning rates ${s.lr.join('/')} instead of 0.007/5e-4/3e-4 so a few epochs move the weights`
                  : '') +
                '. Phases 2-3 train denseblock4 and the new layers (the document fine-tuned denseblock4 there for memory).',
              'SGD uses momentum 0.9 (the document names SGD without its momentum).',
            ],
    });
    console.log(`\n${textTable(table)}\n`);
    console.log(`report: ${reportPath}`);
    return { table, overfit };
  } finally {
    disposeSharing(models);
    for (const o of optimizers) {
      o.dispose();
      // tfjs-core's MomentumOptimizer.dispose skips its SGD parent's learning-rate scalar.
      tf.SGDOptimizer.prototype.dispose.call(o);
    }
    disposeSplit(raw.train);
    disposeSplit(raw.val);
    disposeSplit(raw.test);
    val.x.dispose();
    test.x.dispose();
    reportTensors('002-densenet-triplet', tensorsBefore);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('002-densenet-triplet'));
}
