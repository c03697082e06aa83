/**
 * Document 001 (thesis): DResUNet and six baselines as COVID-CT classifiers — SimpleCNN,
 * VGG (4 conv + 2 FC), UNet, ResUNet, ResUNet-ECSA, ResUNet-FPRM, DResUNet — trained with
 * random resized crops (scale 0.5), horizontal flips, brightness/contrast 0.2 and mixup
 * (alpha 0.4), Adam with a cosine schedule of period 10, reporting accuracy, precision, recall, AUC and F1, and Grad-CAM maps of the best.
 *
 *   npx tsx examples/001-dresunet/index.ts            # quick: phantoms, all seven models
 *   npx tsx examples/001-dresunet/index.ts --models DResUNet
 *   npx tsx examples/001-dresunet/index.ts --data /path/to/COVID-CT --size 256 --epochs 100
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  colorJitter,
  computeStats,
  ctWindow,
  flip,
  mixup,
  normalize,
  randomResizedCrop,
  type NormalizeStats,
} from 'medinets/augment';
import { ctPhantoms, stratifiedSplit, type PhantomDifficulty } from 'medinets/data';
import { gradCam, overlayHeatmap } from 'medinets/explain';
import { buildModel, type ModelName } from 'medinets/models';
import { cosineSchedule, LearningRateScheduler, ProgressBar } from 'medinets/train';
import { imageGrid, saveFigure } from 'medinets/plot';
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
import { loadCovidCt } from '../common/datasets';
import { writeReport, textTable, type ReportTable } from '../common/report';
import { initBackend, seconds } from '../common/setup';

export const THESIS_MODELS: ModelName[] = [
  'SimpleCNN',
  'SmallVGG',
  'UNet',
  'ResUNet',
  'ResUNetECSA',
  'ResUNetFPRM',
  'DResUNet',
];

/**
 * The run's knobs per mode; `main`'s `overrides` replace them (the demo's lighter task), and
 * `--size` / `--epochs` replace both.
 */
export interface Settings {
  difficulty: PhantomDifficulty;
  size: number;
  n: number;
  epochs: number;
  batchSize: number;
  lr: number;
  filters: number;
  /** Dropout of the residual family's classifier head (ResUNet, -ECSA, -FPRM, DResUNet). */
  headDropout: number;
}

/** The models whose builder takes the residual-UNet head's `dropout`. */
const RESIDUAL_FAMILY = new Set(['ResUNet', 'ResUNetECSA', 'ResUNetFPRM', 'DResUNet']);

function settingsFor(args: ExampleArgs, overrides: Partial<Settings>): Settings {
  const base: Record<string, Settings> = {
    // Thesis: 256x256 (table 5.1), Adam 1e-4, batch 16, head dropout 0.5. Quick mode: small
    // phantoms and widths, and a 10x learning rate so a few epochs suffice; stated in the report.
    quick: {
      difficulty: 'moderate',
      size: 64,
      n: 480,
      epochs: 10,
      batchSize: 16,
      lr: 1e-3,
      filters: 8,
      headDropout: 0.5,
    },
    smoke: {
      difficulty: 'easy',
      size: 32,
      n: 48,
      epochs: 1,
      batchSize: 16,
      lr: 1e-3,
      filters: 4,
      headDropout: 0.5,
    },
    full: {
      difficulty: 'medium',
      size: 256,
      n: 0,
      epochs: 100,
      batchSize: 16,
      lr: 1e-4,
      filters: 64,
      headDropout: 0.5,
    },
  };
  const s = { ...(base[args.mode] as Settings), ...overrides };
  if (args.size) s.size = args.size;
  if (args.epochs) s.epochs = args.epochs;
  return s;
}

/** Phantom slices in HU -> lung window [0, 1]; 60/15/25 stratified split. */
function phantomSplits(s: Settings, seed: number): { train: Split; val: Split; test: Split } {
  const p = ctPhantoms({ n: s.n, size: s.size, seed, positiveFraction: 0.5, difficulty: s.difficulty });
  const x = ctWindow(p.images, 'lung');
  const labels = Int32Array.from(p.labels.dataSync());
  const all: Split = { x, labels, masks: p.masks };
  p.images.dispose();
  p.labels.dispose();
  const sp = stratifiedSplit(labels, { fractions: [0.6, 0.15, 0.25], seed });
  const out = { train: subset(all, sp.train), val: subset(all, sp.val), test: subset(all, sp.test) };
  disposeSplit(all);
  return out;
}

/**
 * Standardise the validation and test splits with the training split's own mean and std (as
 * document 002 does); the training split stays in [0, 1] and is standardised inside the mixer,
 * after the augmentation, in torchvision's order (RandomResizedCrop, flip, ColorJitter,
 * ToTensor, Normalize). Returns the statistics.
 */
function standardizeEval(d: { train: Split; val: Split; test: Split }): NormalizeStats {
  const stats = computeStats(d.train.x);
  for (const k of ['val', 'test'] as const) {
    const x = normalize(d[k].x, stats);
    d[k].x.dispose();
    d[k].x = x;
  }
  return stats;
}

/**
 * 001's batch augmentation (the thesis's training settings: "randomly cropped with a scale of 0.5, horizontally
 * flipped, random contrast, and random luminance with a factor of 0.2"), read as the PyTorch
 * pipeline of the COVID-CT baseline it builds on: RandomResizedCrop(size, scale=(0.5, 1)),
 * RandomHorizontalFlip, ColorJitter(brightness=0.2, contrast=0.2) on [0, 1] images; then
 * the training split's standardisation and mixup alpha 0.4.
 */
function thesisMixer(size: number, stats: NormalizeStats) {
  return (x: tf.Tensor, y: tf.Tensor, seed: number): { x: tf.Tensor; y: tf.Tensor } =>
    tf.tidy(() => {
      let a = randomResizedCrop(x as tf.Tensor4D, { size: [size, size], scale: [0.5, 1], seed });
      a = flip(a, { mode: 'horizontal', seed: seed + 1 });
      a = colorJitter(a, { brightness: 0.2, contrast: 0.2, seed: seed + 2 });
      a = normalize(a, stats);
      const m = mixup(a, y, { alpha: 0.4, seed: seed + 3 });
      return { x: m.x, y: m.y };
    });
}

export async function main(
  args: ExampleArgs,
  overrides: Partial<Settings> = {},
): Promise<{ table: ReportTable; best: string; overlays: string[] }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const s = settingsFor(args, overrides);
  const models = args.models ?? THESIS_MODELS;
  for (const m of models) {
    if (!THESIS_MODELS.includes(m as ModelName))
      throw new Error(`001: unknown model '${m}'; choose from ${THESIS_MODELS.join(', ')}`);
  }
  console.log(`001-dresunet (${args.mode}): ${models.join(', ')} at ${s.size}x${s.size}, ${s.epochs} epochs`);

  const data = args.data ? await loadCovidCt(args.data, s.size, args.seed) : phantomSplits(s, args.seed);
  const stats = standardizeEval(data);
  console.log(
    `data: ${data.train.labels.length} train / ${data.val.labels.length} val / ${data.test.labels.length} test`,
  );
  const timings: Record<string, number> = { data: seconds(t0) };

  const evals: Record<string, Evaluation> = {};
  const histories: Record<string, Record<string, number[]>> = {};
  const rows: (string | number)[][] = [];
  const trained: Record<string, tfl.LayersModel> = {};
  for (const name of models) {
    const model = buildModel(
      name as ModelName,
      {
        inputShape: [s.size, s.size, 1],
        classes: 2,
        filters: s.filters,
        seed: args.seed,
        ...(RESIDUAL_FAMILY.has(name) ? { dropout: s.headDropout } : {}),
      } as never,
    );
    model.compile({ optimizer: tf.train.adam(s.lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const { history, seconds: secs } = await trainClassifier(model, data.train, data.val, {
      classes: 2,
      epochs: s.epochs,
      batchSize: s.batchSize,
      seed: args.seed,
      mixer: thesisMixer(s.size, stats),
      callbacks: [new LearningRateScheduler(cosineSchedule({ baseLr: s.lr, period: 10 })), new ProgressBar()],
    });
    timings[`train ${name}`] = secs;
    const e = evaluateBinary(model, data.test, name);
    evals[name] = e;
    histories[name] = history;
    rows.push([name, model.countParams(), ...TABLE_METRICS.map((m) => e.metrics[m] ?? NaN), secs]);
    trained[name] = model;
  }
  const table: ReportTable = { header: ['model', 'params', ...TABLE_METRICS, 'train s'], rows };
  const best = models.reduce((a, b) => ((evals[b]?.metrics.auc ?? 0) > (evals[a]?.metrics.auc ?? 0) ? b : a));

  // Grad-CAM of the best model on test positives; score the peak against the lesion masks.
  const figures = await savePlots(args.outDir, histories, evals, best);
  const overlays: string[] = [];
  const pos = Array.from(data.test.labels.keys())
    .filter((i) => data.test.labels[i] === 1)
    .slice(0, 8);
  let peakHits = 0;
  if (pos.length) {
    const sample = subset(data.test, pos);
    const maps = gradCam(trained[best] as tfl.LayersModel, sample.x, { targets: pos.map(() => 1) });
    const mapData = maps.arraySync();
    const maskData = sample.masks ? (sample.masks.arraySync() as number[][][][]) : undefined;
    const cells = [];
    for (let i = 0; i < pos.length; i++) {
      const img = tf.tidy(() =>
        tf.reshape(tf.slice(sample.x, [i, 0, 0, 0], [1, -1, -1, -1]), [s.size, s.size, 1]),
      );
      const hm = tf.tensor2d(mapData[i] as number[][]);
      const rgba = overlayHeatmap(img, hm, { colormap: 'jet', alpha: 0.45 });
      img.dispose();
      hm.dispose();
      cells.push({
        pixels: { width: rgba.width, height: rgba.height, channels: 4 as const, data: rgba.data },
        caption: `test #${pos[i]}`,
      });
      if (maskData) {
        const m = mapData[i] as number[][];
        let by = 0;
        let bx = 0;
        for (let yy = 0; yy < m.length; yy++)
          for (let xx = 0; xx < (m[yy] as number[]).length; xx++)
            if ((m[yy]![xx] as number) > (m[by]![bx] as number)) [by, bx] = [yy, xx];
        if ((maskData[i]![by]![bx]![0] as number) > 0.5) peakHits++;
      }
    }
    maps.dispose();
    disposeSplit(sample);
    overlays.push(
      await saveFigure(
        imageGrid({
          title: `${best}: Grad-CAM on COVID-like test slices`,
          images: cells,
          columns: 4,
          cellSize: 128,
        }),
        join(args.outDir, 'gradcam_grid.png'),
      ),
    );
    figures.push(...overlays);
  }
  timings.total = seconds(t0);

  const reportPath = writeReport(args.outDir, {
    title: 'Document 001: DResUNet and baselines on COVID-CT',
    summary:
      `Binary COVID vs non-COVID classification on ${args.data ? `the COVID-CT dataset at ${args.data}` : 'built-in chest-CT phantoms'} ` +
      `(${args.mode} mode). Best model by AUC: **${best}**. Grad-CAM peak inside a lesion on ${peakHits}/${pos.length} COVID-like test slices.`,
    settings: {
      backend: backend.backend,
      mode: args.mode,
      'input size': `${s.size}x${s.size}x1 (lung window -600/1500 HU -> [0, 1], standardised with the training split's mean and std)`,
      'phantom difficulty': s.difficulty,
      'base width (filters)': s.filters,
      epochs: s.epochs,
      'batch size': s.batchSize,
      'head dropout (residual family)': `${s.headDropout} (thesis: 0.5)`,
      optimizer: `Adam lr ${s.lr} (thesis: 1e-4), cosine schedule period 10`,
      augmentation:
        'random resized crop scale [0.5, 1] back to the input size, horizontal flip, colour jitter brightness and contrast 0.2, mixup alpha 0.4',
      seed: args.seed,
    },
    tables: [{ caption: 'Test metrics (table 5.1 columns)', table }],
    timings,
    figures,
    notes:
      args.mode === 'quick'
        ? [
            `Quick mode: ${s.size}x${s.size} '${s.difficulty}' phantoms, base width ${s.filters}, Adam lr ${s.lr} (thesis 1e-4), ${s.epochs} epochs and a residual-family head dropout of ${s.headDropout} (thesis 0.5).`,
          ]
        : [],
  });

  console.log(`\n${textTable(table)}\n`);
  console.log(`report: ${reportPath}`);
  for (const o of overlays) console.log(`Grad-CAM overlays: ${o}`);
  for (const m of Object.values(trained)) {
    m.optimizer?.dispose();
    m.dispose();
  }
  disposeSplit(data.train);
  disposeSplit(data.val);
  disposeSplit(data.test);
  return { table, best, overlays };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('001-dresunet'));
}
