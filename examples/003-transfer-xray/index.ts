/**
 * Document 003 (chest X-ray): a custom CNN — conv / max-pool blocks with 30% dropout, ReLU,
 * dense 64 then 2 sigmoid units, binary cross-entropy — against transfer learning with
 * InceptionV3, InceptionResNetV2, ResNet50 and ResNet152 (the last layers fine-tuned, or the base frozen under a
 * new head). Grid searches over learning rate, batch size, optimizer and the choice of
 * pretrained weights (a backbone file, nsfwjs' ImageNet-initialised Keras InceptionV3, or
 * random weights) select each model by validation F1; every trial keeps its best epoch
 * (ModelCheckpoint, save best only) and stops when the validation loss stops improving
 * (EarlyStopping). All of the document's augmentations are used. Evaluated by precision,
 * recall, F1, ROC curve and ROC-AUC, with pictures of feature maps and learned filters.
 *
 *   npx tsx examples/003-transfer-xray/index.ts            # quick: X-ray phantoms
 *   npx tsx examples/003-transfer-xray/index.ts --smoke    # a few steps (CI)
 *   npx tsx examples/003-transfer-xray/index.ts --data /path/to/chest_xray --size 224 \
 *     --weights ResNet50=resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5,ResNet152=resnet152.h5,InceptionV3=nsfwjs
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resize } from 'medinets/augment';
import { stratifiedSplit, xrayPhantoms } from 'medinets/data';
import {
  EarlyStopping,
  ModelCheckpoint,
  ProgressBar,
  gridSearch,
  loadCheckpoint,
  type TrialResult,
} from 'medinets/train';
import { parseExampleArgs, type ExampleArgs, type Mode } from '../common/cli';
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
import { NSFWJS } from '../common/pretrained';
import { AUGMENTATIONS, xrayAugment } from './augment';
import { CustomCNN, explainPictures } from './custom-cnn';
import { TRANSFER_MODELS, transferModel, type TransferName, type TransferTraining } from './transfer';

export { CustomCNN } from './custom-cnn';

export const XRAY_MODELS = ['CustomCNN', ...TRANSFER_MODELS] as const;
export type XrayModel = (typeof XRAY_MODELS)[number];

/** Optimizers of the grid (Keras defaults: SGD without momentum, RMSprop rho 0.9, Adam). */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

interface Grid {
  lr: number[];
  batchSize: number[];
  optimizer: OptimizerName[];
}

interface Settings {
  size: number;
  /** Input side of the transfer backbones (phantoms are resized to it). */
  transferSize: number;
  n: number;
  epochs: number;
  transferEpochs: number;
  patience: number;
  /** Early-stopping patience of the transfer models. */
  transferPatience: number;
  /** The custom CNN's grid. */
  grid: Grid;
  /** Each transfer backbone's grid (its pretrained weights choices are added per backbone). */
  transferGrid: Grid;
  /** ResNet stem / first-stage width (64 = the real ResNet). */
  transferFilters: number;
  /** What a pretrained backbone trains: 'head' (base frozen) or 'last-stage' (the document's fine-tuning). */
  pretrainedTraining: TransferTraining;
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
      transferSize: 96,
      n: 400,
      epochs: 8,
      transferEpochs: 12,
      patience: 3,
      transferPatience: 4,
      grid: { lr: [3e-3, 1e-3], batchSize: [16, 32], optimizer: ['adam', 'rmsprop'] },
      transferGrid: { lr: [1e-3], batchSize: [16], optimizer: ['adam'] },
      transferFilters: 8,
      pretrainedTraining: 'head',
      bnMomentum: 0.9,
      models: ['CustomCNN', 'ResNet50', 'InceptionV3'],
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
      grid: { lr: [1e-3], batchSize: [16], optimizer: ['adam'] },
      transferGrid: { lr: [1e-3], batchSize: [16], optimizer: ['adam'] },
      transferFilters: 8,
      pretrainedTraining: 'head',
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
      grid: { lr: [1e-3, 1e-4], batchSize: [16, 32], optimizer: ['adam', 'sgd', 'rmsprop'] },
      transferGrid: { lr: [1e-3, 1e-4], batchSize: [16, 32], optimizer: ['adam', 'sgd', 'rmsprop'] },
      transferFilters: 64,
      pretrainedTraining: 'last-stage',
      bnMomentum: 0.99,
      models: ['CustomCNN', 'ResNet50', 'ResNet152', 'InceptionV3', 'InceptionResNetV2'],
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
  for (const m of ['InceptionV3', 'InceptionResNetV2'] as const) {
    if (s.models.includes(m) && s.transferSize < 75) {
      throw new Error(
        `003: ${m} needs inputs of at least 75x75; got ${s.transferSize} (pass --size 75 or more)`,
      );
    }
  }
  return s;
}

/**
 * `--weights Model=FILE[,Model=FILE]` (a bare FILE or `nsfwjs` means InceptionV3): the
 * pretrained weights each transfer backbone's grid tries beside random weights. InceptionV3
 * defaults to nsfwjs' ImageNet-initialised Keras InceptionV3 when the package is installed.
 */
export function pretrainedChoices(
  files: readonly string[],
  mode: Mode,
): Partial<Record<TransferName, string>> {
  const out: Partial<Record<TransferName, string>> = {};
  if (mode !== 'smoke' && nsfwjsInstalled()) out.InceptionV3 = NSFWJS;
  for (const f of files) {
    const eq = f.indexOf('=');
    const name = eq > 0 ? f.slice(0, eq) : 'InceptionV3';
    if (!(TRANSFER_MODELS as readonly string[]).includes(name)) {
      throw new Error(
        `003: --weights '${f}': '${name}' is not a transfer model (${TRANSFER_MODELS.join(', ')})`,
      );
    }
    out[name as TransferName] = eq > 0 ? f.slice(eq + 1) : f;
  }
  return out;
}

function nsfwjsInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('nsfwjs');
    return true;
  } catch {
    return false;
  }
}

/** Quick-mode phantom preset: 'easy' let the custom CNN reach test AUC 0.998. */
const PHANTOMS = 'moderate';

/** X-ray phantoms 0..255 -> [0, 1], as RGB (Keras' loaders read X-ray files in colour); 60/15/25 stratified split. */
function phantomSplits(s: Settings, seed: number): { train: Split; val: Split; test: Split } {
  const p = xrayPhantoms({ n: s.n, size: s.size, seed, positiveFraction: 0.5, difficulty: PHANTOMS });
  const x = tf.tidy(() => tf.tile(tf.div(p.images, 255), [1, 1, 1, 3]) as tf.Tensor4D);
  const labels = Int32Array.from(p.labels.dataSync());
  tf.dispose([p.images, p.labels, p.masks]);
  const all: Split = { x, labels };
  const sp = stratifiedSplit(labels, { fractions: [0.6, 0.15, 0.25], seed });
  const out = { train: subset(all, sp.train), val: subset(all, sp.val), test: subset(all, sp.test) };
  disposeSplit(all);
  return out;
}

function resized(s: Split, size: number): Split {
  if (s.x.shape[1] === size) return { x: tf.clone(s.x), labels: s.labels };
  return { x: resize(s.x, { size: [size, size] }), labels: s.labels };
}

function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  if (name === 'sgd') return tf.train.sgd(lr);
  if (name === 'rmsprop') return tf.train.rmsprop(lr, 0.9);
  return tf.train.adam(lr);
}

async function trainWithCheckpoint(
  build: () => Promise<tfl.LayersModel>,
  hp: { lr: number; batchSize: number; optimizer: OptimizerName },
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
  const model = await build();
  const optimizer = makeOptimizer(hp.optimizer, hp.lr);
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
      batchSize: hp.batchSize,
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

/** A grid's best model so far (ties keep the earlier trial, as gridSearch does). */
interface Kept {
  model: tfl.LayersModel;
  history: Record<string, number[]>;
  f1: number;
  params: Record<string, unknown>;
}

function keepBest(kept: Kept | undefined, cand: Kept): Kept {
  if (!kept || cand.f1 > kept.f1) {
    kept?.model.dispose();
    return cand;
  }
  cand.model.dispose();
  return kept;
}

/** One grid search: every trial trained with checkpoint + early stopping, scored on val, also tested. */
async function searchGrid(
  space: Record<string, readonly unknown[]>,
  run: (
    p: Record<string, unknown>,
    index: number,
  ) => Promise<{
    model: tfl.LayersModel;
    history: Record<string, number[]>;
    seconds: number;
    bestEpoch: number;
    stoppedEpoch: number;
  }>,
  val: Split,
  test: Split,
): Promise<{ results: TrialResult[]; kept: Kept }> {
  let kept: Kept | undefined;
  const search = await gridSearch({
    space,
    select: 'f1',
    trainEval: async (params, index) => {
      const r = await run(params, index);
      const e = evaluateBinary(r.model, val, 'val');
      const t = evaluateBinary(r.model, test, 'test');
      kept = keepBest(kept, { model: r.model, history: r.history, f1: e.metrics.f1 ?? NaN, params });
      return {
        ...e.metrics,
        test_f1: t.metrics.f1 ?? NaN,
        test_auc: t.metrics.auc ?? NaN,
        test_accuracy: t.metrics.accuracy ?? NaN,
        bestEpoch: r.bestEpoch + 1,
        stoppedEpoch: r.stoppedEpoch + 1,
        seconds: r.seconds,
      };
    },
  });
  if (!kept) throw new Error('003: grid search kept no model');
  return { results: search.results, kept };
}

function gridTable(results: TrialResult[], keys: string[]): ReportTable {
  return {
    header: [
      'trial',
      ...keys,
      'val f1',
      'val auc',
      'test f1',
      'test auc',
      'test acc',
      'best epoch',
      'stopped at',
      'train s',
    ],
    rows: results.map((g) => [
      g.index + 1,
      ...keys.map((k) => String(g.params[k])),
      g.metrics.f1 ?? NaN,
      g.metrics.auc ?? NaN,
      g.metrics.test_f1 ?? NaN,
      g.metrics.test_auc ?? NaN,
      g.metrics.test_accuracy ?? NaN,
      g.metrics.bestEpoch ?? NaN,
      (g.metrics.stoppedEpoch ?? 0) > 0 ? (g.metrics.stoppedEpoch as number) : '-',
      g.metrics.seconds ?? NaN,
    ]),
  };
}

export async function main(args: ExampleArgs): Promise<{
  table: ReportTable;
  best: string;
  grid: TrialResult[];
  transferGrids: Record<string, TrialResult[]>;
}> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const tensorsBefore = tf.memory().numTensors;
  const s = settingsFor(args);
  const pretrained = pretrainedChoices(args.weightFiles ?? [], args.mode);
  mkdirSync(args.outDir, { recursive: true });
  console.log(
    `003-transfer-xray (${args.mode}): ${s.models.join(', ')}; custom CNN at ${s.size}x${s.size}, transfer at ${s.transferSize}x${s.transferSize}`,
  );
  const data = args.data
    ? await loadKermany(args.data, s.size, args.seed, 0.15, 3)
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
  const selected: string[] = [];
  const weightNotes: string[] = [];
  let grid: TrialResult[] = [];
  const transferGrids: Record<string, TrialResult[]> = {};
  const tables: { caption: string; table: ReportTable }[] = [];
  const figures: string[] = [];
  try {
    if (s.models.includes('CustomCNN')) {
      const t = performance.now();
      const { results, kept } = await searchGrid(
        { lr: s.grid.lr, batchSize: s.grid.batchSize, optimizer: s.grid.optimizer },
        (p, index) => {
          console.log(`custom CNN trial ${index + 1}: ${JSON.stringify(p)}`);
          return trainWithCheckpoint(
            () => Promise.resolve(CustomCNN(s.size, s.filters, args.seed)),
            p as { lr: number; batchSize: number; optimizer: OptimizerName },
            s.epochs,
            s.patience,
            data,
            join(ckptRoot, `custom_trial${index}`),
            args.seed,
          );
        },
        data.val,
        data.test,
      );
      grid = results;
      trained.CustomCNN = kept.model;
      histories.CustomCNN = kept.history;
      timings['grid search (custom CNN)'] = seconds(t);
      selected.push(`CustomCNN: ${JSON.stringify(kept.params)} (val F1 ${kept.f1.toFixed(3)})`);
      const e = evaluateBinary(kept.model, data.test, 'CustomCNN');
      evals.CustomCNN = e;
      rows.push([
        'CustomCNN',
        'random',
        kept.model.countParams(),
        ...TABLE_METRICS.map((m) => e.metrics[m] ?? NaN),
        timings['grid search (custom CNN)'],
      ]);
      tables.push({
        caption: 'Grid search, custom CNN (selected by validation F1)',
        table: gridTable(results, ['lr', 'batchSize', 'optimizer']),
      });
    }

    for (const name of s.models.filter((m): m is TransferName => m !== 'CustomCNN')) {
      const train = resized(data.train, s.transferSize);
      const val = resized(data.val, s.transferSize);
      const test = resized(data.test, s.transferSize);
      const file = pretrained[name];
      // With pretrained weights the grid compares them with random ones under the same
      // protocol; without, random weights train every layer (a frozen random base is a fixed
      // random feature extractor).
      const weightsChoices = file ? [file, 'random'] : ['random'];
      const t = performance.now();
      try {
        const { results, kept } = await searchGrid(
          {
            weights: weightsChoices,
            optimizer: s.transferGrid.optimizer,
            lr: s.transferGrid.lr,
            batchSize: s.transferGrid.batchSize,
          },
          (p, index) => {
            console.log(`${name} trial ${index + 1}: ${JSON.stringify(p)}`);
            const weights = p.weights === 'random' ? undefined : (p.weights as string);
            return trainWithCheckpoint(
              async () => {
                const tm = await transferModel({
                  name,
                  size: s.transferSize,
                  filters: s.transferFilters,
                  weights,
                  training: file ? s.pretrainedTraining : 'all',
                  bnMomentum: s.bnMomentum,
                  seed: args.seed,
                  cacheDir: join(args.outDir, 'weights'),
                });
                if (tm.report) {
                  weightNotes.push(
                    `${name} from ${tm.report.file} (${tm.report.format}, ${tm.report.map}): ${tm.report.matched.length} weights loaded, ${tm.report.unexpected.length} file tensors unused`,
                  );
                }
                return tm.model;
              },
              p as { lr: number; batchSize: number; optimizer: OptimizerName },
              s.transferEpochs,
              s.transferPatience,
              { train, val },
              join(ckptRoot, `${name}_trial${index}`),
              args.seed,
            );
          },
          val,
          test,
        );
        transferGrids[name] = results;
        trained[name] = kept.model;
        histories[name] = kept.history;
        timings[`grid ${name}`] = seconds(t);
        selected.push(`${name}: ${JSON.stringify(kept.params)} (val F1 ${kept.f1.toFixed(3)})`);
        const e = evaluateBinary(kept.model, test, name);
        evals[name] = e;
        rows.push([
          name,
          String(kept.params.weights),
          kept.model.countParams(),
          ...TABLE_METRICS.map((m) => e.metrics[m] ?? NaN),
          timings[`grid ${name}`] as number,
        ]);
        tables.push({
          caption: `Grid search, ${name} (${file ? `pretrained ${file} vs random weights, same split and seed; ${s.pretrainedTraining === 'head' ? 'base frozen, new head' : 'last stage and head trained'}` : 'random weights, every layer trained'})`,
          table: gridTable(results, ['weights', 'optimizer', 'lr', 'batchSize']),
        });
        if (name === 'InceptionV3' || name === 'ResNet50') {
          const inner = kept.model.layers.find((l): l is tfl.LayersModel => l instanceof tfl.LayersModel);
          if (inner) {
            const convs = inner.layers.filter((l) => l.getClassName() === 'Conv2D').slice(0, 3);
            figures.push(
              ...(await explainPictures(kept.model, test, args.outDir, {
                tag: name.toLowerCase(),
                title: `${name} (${String(kept.params.weights)})`,
                convs: convs.map((l) => `${inner.name}/${l.name}`),
                firstConv: convs[0]?.name ?? '',
                filterModel: inner,
              })),
            );
          }
        }
      } finally {
        disposeSplit(train);
        disposeSplit(val);
        disposeSplit(test);
      }
    }

    const names = Object.keys(evals);
    const best = names.reduce((a, b) => ((evals[b]?.metrics.f1 ?? 0) > (evals[a]?.metrics.f1 ?? 0) ? b : a));
    const table: ReportTable = { header: ['model', 'weights', 'params', ...TABLE_METRICS, 'search s'], rows };
    figures.unshift(...(await savePlots(args.outDir, histories, evals, best)));
    if (trained.CustomCNN) {
      figures.push(
        ...(await explainPictures(trained.CustomCNN, data.test, args.outDir, {
          tag: 'custom_cnn',
          title: 'Custom CNN',
          convs: trained.CustomCNN.layers.filter((l) => l.name.startsWith('conv')).map((l) => l.name),
          firstConv: 'conv1',
        })),
      );
    }
    timings.total = seconds(t0);
    const transfers = s.models.filter((m) => m !== 'CustomCNN');
    const reportPath = writeReport(args.outDir, {
      title: 'Document 003: custom CNN and transfer learning on chest X-ray',
      summary:
        `Binary pneumonia-like vs normal classification on ${args.data ? `the chest X-ray images at ${args.data}` : `built-in chest X-ray phantoms (${PHANTOMS} preset)`} ` +
        `(${args.mode} mode). Best test F1: **${best}**. The document found ResNet50 best, with lr 1e-4, batch 16, Adam.`,
      settings: {
        backend: backend.backend,
        mode: args.mode,
        'input size': `custom CNN ${s.size}x${s.size}x3, transfer ${s.transferSize}x${s.transferSize}x3 (grey levels / 255 as RGB; each backbone's preprocess_input inside the model)`,
        'custom CNN': `conv ${s.filters.join('/')} 3x3 ReLU, max-pool 2, dropout 0.3 per block; dense 64 ReLU; dense 2 sigmoid`,
        'grid (custom CNN)': `lr ${s.grid.lr.join(', ')} x batch ${s.grid.batchSize.join(', ')} x optimizer ${s.grid.optimizer.join(', ')}, binary cross-entropy, selected by validation F1`,
        'grid (transfer)': `weights (pretrained where available, random) x optimizer ${s.transferGrid.optimizer.join(', ')} x lr ${s.transferGrid.lr.join(', ')} x batch ${s.transferGrid.batchSize.join(', ')}, selected by validation F1`,
        selected: selected.join('; ') || '-',
        transfer: transfers.length
          ? `${transfers.join(', ')}: GAP, dense 64 ReLU, dropout 0.3, dense 2 sigmoid; pretrained backbones: ${s.pretrainedTraining === 'head' ? 'base frozen (batch norm in inference mode, as Keras), new head' : 'last stage + head trained'}; ResNet width ${s.transferFilters}${s.transferFilters !== 64 ? ' (real: 64)' : ''}, BN momentum ${s.bnMomentum}, ${s.transferEpochs} epochs`
          : 'none',
        'pretrained weights': weightNotes.length ? [...new Set(weightNotes)].join('; ') : 'none',
        'epochs (custom CNN)': s.epochs,
        callbacks: `ModelCheckpoint(val_loss, save best only), EarlyStopping(val_loss, patience ${s.patience}; transfer models ${s.transferPatience})`,
        augmentation: AUGMENTATIONS,
        seed: args.seed,
      },
      tables: [{ caption: 'Test metrics (best trial of each grid)', table }, ...tables],
      timings,
      figures,
      notes:
        args.mode === 'full'
          ? []
          : [
              `${args.mode} mode: ${s.size}x${s.size} phantoms (transfer at ${s.transferSize}x${s.transferSize}), ${s.epochs} epochs for the custom CNN and ${s.transferEpochs} for transfer (document: 20), tiny grids` +
                (s.models.includes('ResNet50') && !pretrained.ResNet50
                  ? `; ResNet50 at width ${s.transferFilters} (real: 64), every layer trained from random weights (no ResNet50 file given), BN momentum ${s.bnMomentum}`
                  : '') +
                '.',
            ],
    });
    for (const t of tables) console.log(`\n${t.caption}\n${textTable(t.table)}`);
    console.log(`\n${textTable(table)}\n\nreport: ${reportPath}`);
    return { table, best, grid, transferGrids };
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
