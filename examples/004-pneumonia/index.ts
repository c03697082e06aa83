/**
 * Document 004 (pneumonia detection on chest X-ray, Kermany et al. data): the report's
 * 2,525,121-parameter Keras CNN (PneumoniaCNN, 128x128x1) and a frozen VGG16 base with a
 * flatten -> 512 -> 128 -> 1 head (VGG16Transfer, 256x256x3, 31,558,209 parameters), both with
 * class-weighted binary cross-entropy and Adam lr 1e-4; and the PyTorch ResNet50 with a
 * 2-way softmax, class-weighted cross-entropy (PyTorch's weighted mean) and Adam lr 1e-4 with
 * weight decay 1e-4 (the code cell's torch.optim.Adam: L2 added to the gradient). Class weights
 * are the document's [3876/5218, 1342/5218]; batch 32, random horizontal flip, ReduceLROnPlateau
 * and early stopping; accuracy, precision, recall, F1 and the confusion matrix of each model.
 *
 *   npx tsx examples/004-pneumonia/index.ts                 # quick: X-ray phantoms
 *   npx tsx examples/004-pneumonia/index.ts --smoke         # CI: a few steps
 *   npx tsx examples/004-pneumonia/index.ts --data /path/to/chest_xray --epochs 100
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flip, rotate } from 'medinets/augment';
import { classCounts, stratifiedSplit, xrayPhantoms } from 'medinets/data';
import { PneumoniaCNN, ResNet50, setBatchNormMomentum, summary, VGG16Transfer } from 'medinets/models';
import {
  adamw,
  binaryCrossEntropy,
  categoricalCrossEntropy,
  EarlyStopping,
  ProgressBar,
  ReduceLROnPlateau,
} from 'medinets/train';
import { confusionMatrixChart, saveFigure } from 'medinets/plot';
import { parseExampleArgs, type ExampleArgs } from '../common/cli';
import {
  disposeSplit,
  evaluateBinary,
  savePlots,
  subset,
  trainClassifier,
  type Evaluation,
  type Split,
} from '../common/classify';
import { textTable, writeReport, type ReportTable } from '../common/report';
import { initBackend, reportTensors, seconds } from '../common/setup';
import { loadKermany } from '../common/datasets';

export const PNEUMONIA_MODELS = ['PneumoniaCNN', 'VGG16Transfer', 'ResNet50'] as const;
export type PneumoniaModel = (typeof PNEUMONIA_MODELS)[number];

/** Kermany et al. training set: 1,342 NORMAL and 3,876 PNEUMONIA images (the document's counts). */
const KERMANY = { normal: 1342, pneumonia: 3876 };

/** The document's class weights, `torch.FloatTensor([3876/(1342+3876), 1342/(1342+3876)])`. */
export const DOC_CLASS_WEIGHTS = [
  KERMANY.pneumonia / (KERMANY.normal + KERMANY.pneumonia),
  KERMANY.normal / (KERMANY.normal + KERMANY.pneumonia),
];

/** The document's ResNet50 optimizer settings (its code cell: lr 1e-4, weight_decay 1e-4). */
const RESNET_WEIGHT_DECAY = 1e-4;

interface Settings {
  /** PneumoniaCNN input side. */
  size: number;
  /** VGG16Transfer input side. */
  transferSize: number;
  /** VGG16Transfer input channels (the document's 3: grey images repeated into RGB). */
  transferChannels: number;
  /** ResNet50 input side (quick: upsampled phantoms, so its stride-32 trunk keeps a 2x2 map). */
  resnetSize: number;
  /** Phantom count (quick/smoke). */
  n: number;
  cnnEpochs: number;
  vggEpochs: number;
  resnetEpochs: number;
  batchSize: number;
  lr: number;
  /** ResNet50 stem/first-stage width (64 = the real ResNet50). */
  resnetFilters: number;
  /** Adam rate of VGG16Transfer (a VGG trunk has no BN: it needs a smaller rate when it trains). */
  vggLr: number;
  /** Whether VGG16Transfer's base trains (quick mode: it has no pretrained weights to keep). */
  vggTrainBase: boolean;
  lrPatience: number;
  stopPatience: number;
}

function settingsFor(args: ExampleArgs): Settings {
  const base: Record<string, Settings> = {
    // Document: 128x128x1 for the CNN, Adam 1e-4, batch 32, ReduceLROnPlateau (factor 0.3,
    // patience 2, min 1e-6) and early stopping (patience 20). Quick mode (measured on 2 busy
    // CPU cores, wasm): 32x32 phantoms for every model, 10x the rate so a few epochs
    // suffice, batch 16 so the BN moving statistics settle within the run. Without ImageNet
    // weights the transfer models train from scratch: VGG16's base unfrozen with He-normal
    // kernels and Adam 1e-4 for 3 epochs (frozen random, Glorot-initialised or at 3e-4 it
    // stayed near chance), ResNet50 at a quarter of its width for 12 epochs.
    quick: {
      size: 32,
      transferSize: 32,
      transferChannels: 1,
      resnetSize: 64,
      n: 800,
      cnnEpochs: 10,
      vggEpochs: 3,
      resnetEpochs: 12,
      batchSize: 16,
      lr: 1e-3,
      resnetFilters: 8,
      vggLr: 1e-4,
      vggTrainBase: true,
      lrPatience: 2,
      stopPatience: 10,
    },
    smoke: {
      size: 32,
      transferSize: 32,
      transferChannels: 1,
      resnetSize: 32,
      n: 48,
      cnnEpochs: 1,
      vggEpochs: 1,
      resnetEpochs: 1,
      batchSize: 16,
      lr: 1e-3,
      resnetFilters: 8,
      vggLr: 1e-4,
      vggTrainBase: true,
      lrPatience: 2,
      stopPatience: 4,
    },
    full: {
      size: 128,
      transferSize: 256,
      transferChannels: 3,
      resnetSize: 128,
      n: 0,
      cnnEpochs: 100,
      vggEpochs: 100,
      resnetEpochs: 100,
      batchSize: 32,
      lr: 1e-4,
      resnetFilters: 64,
      vggLr: 1e-4,
      vggTrainBase: false,
      lrPatience: 2,
      stopPatience: 20,
    },
  };
  const s = { ...(base[args.mode] as Settings) };
  if (args.size) s.size = s.transferSize = s.resnetSize = args.size;
  if (args.epochs) s.cnnEpochs = s.vggEpochs = s.resnetEpochs = args.epochs;
  return s;
}

/** X-ray phantoms with Kermany's class balance, grey levels 0..255 scaled to [0, 1]; 70/10/20 stratified split. */
function phantomSplits(s: Settings, seed: number): { train: Split; val: Split; test: Split } {
  const p = xrayPhantoms({
    n: s.n,
    size: s.size,
    seed,
    positiveFraction: KERMANY.pneumonia / (KERMANY.normal + KERMANY.pneumonia),
  });
  const x = tf.tidy(() => tf.div(p.images, 255) as tf.Tensor4D);
  const labels = Int32Array.from(p.labels.dataSync());
  tf.dispose([p.images, p.labels, p.masks]);
  const all: Split = { x, labels };
  const sp = stratifiedSplit(labels, { fractions: [0.7, 0.1, 0.2], seed });
  const out = { train: subset(all, sp.train), val: subset(all, sp.val), test: subset(all, sp.test) };
  disposeSplit(all);
  return out;
}

/** The document's augmentation: random horizontal flip and a small random rotation (+-10 degrees). */
function flipRotate(x: tf.Tensor, y: tf.Tensor, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const a = flip(x as tf.Tensor4D, { mode: 'horizontal', seed });
    return { x: rotate(a, { degrees: 10, seed: seed + 1, fillMode: 'nearest' }), y: tf.clone(y) };
  });
}

/**
 * He-normal kernels for a VGG16 base that trains from random weights: thirteen ReLU convs
 * without batch normalisation pass almost no signal from the builder's Glorot-uniform
 * kernels (measured: the output stays at 0.5, loss ln 2), He et al. 2015's scaling keeps it.
 */
function heInitVggBase(model: tfl.LayersModel, seed: number): void {
  model.layers
    .filter((l) => /^block\d_conv\d$/.test(l.name))
    .forEach((l, i) => {
      const [kernel, bias] = l.getWeights() as [tf.Tensor, tf.Tensor];
      const fresh = tfl.initializers.heNormal({ seed: seed + i }).apply(kernel.shape);
      l.setWeights([fresh, bias]);
      fresh.dispose();
    });
}

async function build(
  name: PneumoniaModel,
  s: Settings,
  seed: number,
  weights: string | undefined,
): Promise<tfl.LayersModel> {
  switch (name) {
    case 'PneumoniaCNN':
      return PneumoniaCNN({ inputShape: [s.size, s.size, 1], seed });
    case 'VGG16Transfer': {
      const inputShape: [number, number, number] = [s.transferSize, s.transferSize, s.transferChannels];
      // --weights: VGG16 (no top) weights as a tfjs manifest, loaded by layer name into the base.
      if (weights) return VGG16Transfer({ inputShape, freezeBase: !s.vggTrainBase, weights, seed });
      // No ImageNet weights bundled: a frozen random base is a fixed random feature extractor
      // that leaves the head at chance, so quick/smoke mode trains the base too.
      const vgg = VGG16Transfer({ inputShape, freezeBase: !s.vggTrainBase, seed });
      if (s.vggTrainBase) heInitVggBase(vgg, seed);
      return vgg;
    }
    case 'ResNet50':
      // The document's PyTorch model: torchvision's ResNet-50 (v1.5, BN eps 1e-5), 2 logits ->
      // softmax, F.cross_entropy with class weights.
      return ResNet50({
        inputShape: [s.resnetSize, s.resnetSize, 1],
        variant: 'torchvision',
        classes: 2,
        classifierActivation: 'softmax',
        filters: s.resnetFilters,
        seed,
      });
  }
}

/** Grey `[n, h, w, 1]` repeated into `c` channels (the RGB input of the VGG16 transfer model). */
function withChannels(sp: Split, c: number): Split | null {
  if (c === sp.x.shape[3]) return null;
  return { x: tf.tidy(() => tf.tile(sp.x, [1, 1, 1, c])), labels: sp.labels };
}

/** Resize a split's images to `size` (bilinear), as new tensors; `null` when already that size. */
function resized(sp: Split, size: number): Split | null {
  if (sp.x.shape[1] === size && sp.x.shape[2] === size) return null;
  return { x: tf.tidy(() => tf.image.resizeBilinear(sp.x, [size, size], false, true)), labels: sp.labels };
}

export async function main(args: ExampleArgs): Promise<{ table: ReportTable; best: string }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const tensorsBefore = tf.memory().numTensors;
  const s = settingsFor(args);
  const models = (args.models ?? [...PNEUMONIA_MODELS]) as PneumoniaModel[];
  for (const m of models) {
    if (!PNEUMONIA_MODELS.includes(m))
      throw new Error(`004: unknown model '${m}'; choose from ${PNEUMONIA_MODELS.join(', ')}`);
  }
  console.log(
    `004-pneumonia (${args.mode}): ${models.join(', ')}; CNN at ${s.size}x${s.size} for ${s.cnnEpochs} epochs, ` +
      `VGG16Transfer at ${s.transferSize}x${s.transferSize} for ${s.vggEpochs} epochs, ResNet50 at ${s.resnetSize}x${s.resnetSize} for ${s.resnetEpochs}`,
  );

  const data = args.data ? await loadKermany(args.data, s.size, args.seed) : phantomSplits(s, args.seed);
  const counts = classCounts(data.train.labels, 2);
  // Document 004's weights, fixed: [3876/5218, 1342/5218] (NORMAL, PNEUMONIA), as its code cell.
  const weights = DOC_CLASS_WEIGHTS;
  console.log(
    `data: ${data.train.labels.length} train (${counts[0]} normal / ${counts[1]} pneumonia) / ` +
      `${data.val.labels.length} val / ${data.test.labels.length} test; class weights [${weights.map((w) => w.toFixed(3)).join(', ')}]`,
  );
  const timings: Record<string, number> = { data: seconds(t0) };

  // The document's summary() count, at its 128x128x1 input, whatever size this run trains at.
  const reference = PneumoniaCNN({ inputShape: [128, 128, 1], zeroInit: true });
  const refSummary = summary(reference);
  reference.dispose();

  const evals: Record<string, Evaluation> = {};
  const histories: Record<string, Record<string, number[]>> = {};
  const rows: (string | number)[][] = [];
  const confusionRows: (string | number)[][] = [];
  const stops: Record<string, string> = {};
  const figures: string[] = [];
  for (const name of models) {
    const size = { PneumoniaCNN: s.size, VGG16Transfer: s.transferSize, ResNet50: s.resnetSize }[name];
    const epochs = { PneumoniaCNN: s.cnnEpochs, VGG16Transfer: s.vggEpochs, ResNet50: s.resnetEpochs }[name];
    const tb = performance.now();
    const model = await build(
      name,
      { ...s, size },
      args.seed,
      name === 'VGG16Transfer' ? args.weights : undefined,
    );
    // ResNet50 was PyTorch's in the document: BN momentum 0.1 there is Keras 0.9. The Keras
    // CNN keeps 0.99 on the real data; a short run needs the faster-settling 0.9 (Keras'
    // 0.99 keeps the moving variance far from the batch variance for hundreds of steps).
    if (name === 'ResNet50' || (name === 'PneumoniaCNN' && args.mode !== 'full'))
      setBatchNormMomentum(model, 0.9);
    const buildSecs = seconds(tb);
    const resnet = name === 'ResNet50';
    model.compile({
      // ResNet50: torch.optim.Adam(lr, weight_decay=1e-4), i.e. L2 decay added to the gradient.
      optimizer: resnet
        ? adamw({ learningRate: s.lr, weightDecay: RESNET_WEIGHT_DECAY, decoupled: false })
        : tf.train.adam(name === 'VGG16Transfer' ? s.vggLr : s.lr),
      // F.cross_entropy(weight=w): sum(w_y * l) / sum(w_y), medinets' 'weighted' reduction.
      loss: resnet
        ? categoricalCrossEntropy({ classWeights: weights, reduction: 'weighted' })
        : binaryCrossEntropy({ classWeights: weights }),
      metrics: ['accuracy'],
    });
    const sm = summary(model);
    const channels = name === 'VGG16Transfer' ? s.transferChannels : 1;
    const prep = (sp: Split): Split | null => {
      const r = resized(sp, size);
      const c = withChannels(r ?? sp, channels);
      if (c && r) r.x.dispose();
      return c ?? r;
    };
    const rTrain = prep(data.train);
    const rVal = prep(data.val);
    const rTest = prep(data.test);
    const reduceLr = new ReduceLROnPlateau({
      monitor: 'val_loss',
      factor: 0.3,
      patience: s.lrPatience,
      minLr: 1e-6,
    });
    const stopper = new EarlyStopping({
      monitor: 'val_loss',
      patience: s.stopPatience,
      restoreBestWeights: true,
    });
    console.log(
      `${name}: ${sm.total.toLocaleString('en')} parameters (${sm.trainable.toLocaleString('en')} trainable) at ${size}x${size}x${channels}`,
    );
    const { history, seconds: secs } = await trainClassifier(model, rTrain ?? data.train, rVal ?? data.val, {
      classes: resnet ? 2 : 1,
      epochs,
      batchSize: s.batchSize,
      seed: args.seed,
      mixer: flipRotate,
      callbacks: [reduceLr, stopper, new ProgressBar()],
    });
    timings[`build ${name}`] = buildSecs;
    timings[`train ${name}`] = secs;
    const e = evaluateBinary(model, rTest ?? data.test, name);
    evals[name] = e;
    histories[name] = history;
    const ran = history.loss?.length ?? 0;
    stops[name] =
      `${ran}/${epochs} epochs` +
      (stopper.stoppedEpoch >= 0 ? `, stopped early at epoch ${stopper.stoppedEpoch + 1}` : '') +
      (reduceLr.reductions.length
        ? `, lr cut at epoch(s) ${reduceLr.reductions.map(([ep]) => ep + 1).join(', ')}`
        : '');
    const [[tn, fp], [fn, tp]] = e.confusion as [[number, number], [number, number]];
    rows.push([
      name,
      `${size}x${size}x${channels}`,
      sm.total,
      e.metrics.accuracy ?? NaN,
      e.metrics.precision ?? NaN,
      e.metrics.recall ?? NaN,
      e.metrics.f1 ?? NaN,
      e.metrics.auc ?? NaN,
      secs,
    ]);
    confusionRows.push([name, tn, fp, fn, tp]);
    figures.push(
      await saveFigure(
        confusionMatrixChart({
          title: `${name}: confusion matrix`,
          matrix: e.confusion,
          labels: ['NORMAL', 'PNEUMONIA'],
        }),
        join(args.outDir, `confusion_${name}.png`),
      ),
    );
    for (const r of [rTrain, rVal, rTest]) r?.x.dispose();
    // model.dispose() leaves the optimizer's slots (Adam's moments) alive.
    model.optimizer.dispose();
    model.dispose();
  }
  const table: ReportTable = {
    header: ['model', 'input', 'params', 'accuracy', 'precision', 'recall', 'F1', 'AUC', 'train s'],
    rows,
  };
  const confusion: ReportTable = { header: ['model', 'TN', 'FP', 'FN', 'TP'], rows: confusionRows };
  const best = models.reduce((a, b) => ((evals[b]?.metrics.auc ?? 0) > (evals[a]?.metrics.auc ?? 0) ? b : a));
  figures.unshift(...(await savePlots(args.outDir, histories, evals, best)));
  timings.total = seconds(t0);

  const sizeNote =
    args.mode === 'quick'
      ? [
          `Quick mode: ${s.n} phantoms; PneumoniaCNN at ${s.size}x${s.size} (document: 128x128) for up to ${s.cnnEpochs} epochs; ` +
            `VGG16Transfer at ${s.transferSize}x${s.transferSize} for ${s.vggEpochs} epochs, ResNet50 at ${s.resnetSize}x${s.resnetSize} (the 32x32 phantoms upsampled: at 32x32 its stride-32 trunk ends on a 1x1 map and stayed at chance) for ${s.resnetEpochs} epochs at width ${s.resnetFilters} (real: 64) ` +
            `(measured on 2 busy CPU cores: larger inputs and widths take far beyond the 10-minute budget); ` +
            `Adam lr ${s.lr} instead of 1e-4 (VGG16Transfer ${s.vggLr}), batch ${s.batchSize} instead of 32, PneumoniaCNN's BN momentum 0.9 instead of Keras' 0.99 (the moving statistics would not settle in a short run); early-stopping patience ${s.stopPatience} instead of 20. ` +
            (s.vggTrainBase
              ? `No ImageNet weights: VGG16Transfer's base is trained too (unfrozen, He-normal kernels), since a frozen random base leaves the head at chance.`
              : ''),
        ]
      : args.mode === 'smoke'
        ? [
            `Smoke mode: ${s.n} phantoms at ${s.size}x${s.size}, one epoch, ResNet50 at width ${s.resnetFilters}: checks the pipeline runs, not a result.`,
          ]
        : [];
  const reportPath = writeReport(args.outDir, {
    title: 'Document 004: pneumonia on chest X-ray — CNN, VGG16 transfer, ResNet50',
    summary:
      `NORMAL vs PNEUMONIA classification on ${args.data ? `the chest_xray dataset at ${args.data}` : "built-in chest X-ray phantoms with Kermany's class balance"} ` +
      `(${args.mode} mode). Best model by test AUC: **${best}** (AUC ${(evals[best]?.metrics.auc ?? NaN).toFixed(4)}). ` +
      `PneumoniaCNN at the document's 128x128x1 input: ${refSummary.total.toLocaleString('en')} parameters ` +
      `(${refSummary.trainable.toLocaleString('en')} trainable, ${refSummary.nonTrainable.toLocaleString('en')} non-trainable; the document prints 2,525,121 total and 1,088 non-trainable, its "2,524,003 trainable" being a typo for 2,524,033).`,
    settings: {
      backend: backend.backend,
      mode: args.mode,
      'pixel scaling': '8-bit grey levels / 255 -> [0, 1], one channel',
      'PneumoniaCNN input': `${s.size}x${s.size}x1, up to ${s.cnnEpochs} epochs`,
      'VGG16Transfer / ResNet50 input':
        `${s.transferSize}x${s.transferSize}x${s.transferChannels} / ${s.resnetSize}x${s.resnetSize}x1, up to ${s.vggEpochs} / ${s.resnetEpochs} epochs` +
        (s.resnetFilters !== 64 ? `, ResNet50 width ${s.resnetFilters}` : '') +
        (s.vggTrainBase ? ', VGG16 base trained (He-normal init)' : ', VGG16 base frozen'),
      loss: `class weights [${weights.map((w) => w.toFixed(4)).join(', ')}] (the document's [3876/5218, 1342/5218]); PneumoniaCNN and VGG16Transfer: weighted binary cross-entropy on a sigmoid; ResNet50: weighted cross-entropy on a 2-way softmax, PyTorch's weighted mean`,
      optimizer: `Adam lr ${s.lr}, VGG16Transfer ${s.vggLr} (document: 1e-4); ResNet50 Adam lr ${s.lr} with L2 weight decay ${RESNET_WEIGHT_DECAY} (torch.optim.Adam's weight_decay, medinets adamw({ decoupled: false }))`,
      'batch size': `${s.batchSize} (document: 32)`,
      ReduceLROnPlateau: `val_loss, factor 0.3, patience ${s.lrPatience}, min lr 1e-6`,
      EarlyStopping: `val_loss, patience ${s.stopPatience}, best weights restored`,
      augmentation: 'random horizontal flip, random rotation +-10 degrees',
      'BN momentum': `ResNet50 0.9 (PyTorch's 0.1, as the document's PyTorch ResNet); PneumoniaCNN ${args.mode === 'full' ? '0.99 (Keras)' : '0.9 (Keras: 0.99)'}`,
      split: args.data
        ? 'train folder minus a stratified 10% validation part; test folder for the metrics'
        : '70/10/20 stratified train/val/test',
      ...Object.fromEntries(Object.entries(stops).map(([k, v]) => [`${k} training`, v])),
      seed: args.seed,
    },
    tables: [
      { caption: 'Test metrics (threshold 0.5)', table },
      { caption: 'Confusion matrices on the test split (positive = PNEUMONIA)', table: confusion },
    ],
    timings,
    figures,
    notes: [
      ...sizeNote,
      s.vggTrainBase
        ? 'VGG16Transfer and ResNet50 start from random weights (no ImageNet weights are bundled), so both train every layer: this is training from scratch, not transfer.'
        : 'VGG16Transfer and ResNet50 start from random weights (no ImageNet weights are bundled); the frozen VGG16 base is then a fixed random feature extractor.',
    ],
  });

  console.log(`\n${textTable(table)}\n\n${textTable(confusion)}\n`);
  console.log(`report: ${reportPath}`);
  disposeSplit(data.train);
  disposeSplit(data.val);
  disposeSplit(data.test);
  reportTensors('004-pneumonia', tensorsBefore);
  return { table, best };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('004-pneumonia'));
}
