/**
 * `medinets train`: build a registry model, train it on a dataset folder with a progress bar,
 * keep the best (by validation loss) and the last checkpoint, resume an interrupted run from
 * its last checkpoint, and write `report.md` with the test metrics and plots.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildModelAsync, isModelName, listModels, loadedWeightsReport, type ModelName } from '../models';
import { historyChart, saveFigure } from '../plot';
import { ModelCheckpoint, ProgressBar, fitWithMixing, loadCheckpoint, resumeFrom } from '../train';
import { MODEL_TABLE } from './model-table';
import { type CliIO, type FlagTable, UsageError, num, oneOf, parseFlags, required, str } from './args';
import { assess } from './assess';
import { AUGMENT_HELP, AUGMENT_PRESETS, augmentPreset } from './augment-presets';
import { LAYOUTS, LAYOUT_HELP, loadSplit, openSplits, type Split } from './data';
import { type RunConfig, checkpointDir, loadRunModel, readRunConfig, writeRunConfig } from './run-dir';

const VARIANTS = ['keras', 'torchvision'] as const;

const FLAGS: FlagTable = {
  model: { type: 'string' },
  data: { type: 'string' },
  layout: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  weights: { type: 'string' },
  variant: { type: 'string' },
  augment: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
};

/** `medinets train --help`. */
export const TRAIN_HELP = `usage: medinets train --model NAME --data DIR --layout LAYOUT --out runs/NAME [options]

Train a classifier from the model registry on a dataset folder. Writes run.json,
checkpoints/best and checkpoints/last, report.md (test metrics), curves.png, roc.png and
confusion_matrix.png to --out. Run the same command again to resume an interrupted run
from checkpoints/last (a larger --epochs continues a finished one).

  --model NAME      a registry model (medinets models lists them), e.g. DResUNet
  --data DIR        the dataset folder (for --layout csv: the CSV file or DIR/labels.csv)
  --layout LAYOUT   ${LAYOUTS.join(' | ')}
${LAYOUTS.map((l) => `                      ${l}: ${LAYOUT_HELP[l]}`).join('\n')}
  --out DIR         the run folder, e.g. runs/dresunet-1
  --size N          input height and width in pixels (default 128)
  --channels 1|3    input channels (default 1; 3 with --weights imagenet)
  --epochs N        epochs (default 10)
  --batch N         batch size (default 16)
  --lr X            Adam learning rate (default 1e-4)
  --weights W       initial weights loaded by layer name: a file or folder in any format
                    the loader reads (.pth, .safetensors, Keras .h5, TF.js model.json), or
                    'imagenet': the model's published file, downloaded once into
                    $MEDINETS_HOME/weights (default ~/.cache/medinets), the head new
  --variant V       keras | torchvision: the architecture of the weights to start from, for
                    the models that have both (ResNet, DenseNet, VGG, InceptionV3; default
                    keras), e.g. --variant torchvision --weights imagenet for torchvision's file
  --augment PRESET  ${AUGMENT_PRESETS.map((p) => `${p}: ${AUGMENT_HELP[p]}`).join('\n                    ')}
  --seed N          seed of initialisation, split, shuffling and augmentation (default 42)
  -h, --help        this text`;

function readConfig(argv: string[]): (Omit<RunConfig, 'classes'> & { out: string }) | 'help' {
  const p = parseFlags('train', argv, FLAGS, false);
  if (p.values.help) return 'help';
  const model = required('train', p, 'model');
  if (!isModelName(model)) {
    throw new UsageError(
      `medinets train: --model must be a registry model (${listModels().join(', ')}); got '${model}'`,
    );
  }
  const weights = str(p, 'weights');
  const variant = p.values.variant === undefined ? undefined : oneOf('train', p, 'variant', VARIANTS);
  if (variant !== undefined && !MODEL_TABLE[model].options.some((o) => o.name === 'variant')) {
    throw new UsageError(`medinets train: --variant: ${model} has one architecture; leave --variant out`);
  }
  return {
    model,
    data: resolve(required('train', p, 'data')),
    layout: oneOf('train', p, 'layout', LAYOUTS),
    out: resolve(required('train', p, 'out')),
    size: num('train', p, 'size', 128, { lo: 16, hi: 2048, integer: true }),
    channels:
      num('train', p, 'channels', weights === 'imagenet' ? 3 : 1, { lo: 1, hi: 3, integer: true }) === 1
        ? 1
        : 3,
    epochs: num('train', p, 'epochs', 10, { lo: 1, hi: 100000, integer: true }),
    batch: num('train', p, 'batch', 16, { lo: 1, hi: 4096, integer: true }),
    lr: num('train', p, 'lr', 1e-4, { lo: 1e-8, hi: 10 }),
    ...(weights !== undefined ? { weights } : {}),
    ...(variant !== undefined ? { variant } : {}),
    augment: oneOf('train', p, 'augment', AUGMENT_PRESETS, 'light'),
    seed: num('train', p, 'seed', 42, { lo: 0, hi: 2 ** 31 - 1, integer: true }),
  };
}

function weightsOption(cfg: RunConfig): string | undefined {
  if (cfg.weights === undefined || cfg.weights === 'imagenet') return cfg.weights;
  if (!existsSync(cfg.weights))
    throw new UsageError(`medinets train: --weights ${cfg.weights} does not exist`);
  return resolve(cfg.weights);
}

async function buildFresh(cfg: RunConfig, io: CliIO): Promise<tfl.LayersModel> {
  const weights = weightsOption(cfg);
  const options = {
    inputShape: [cfg.size, cfg.size, cfg.channels],
    classes: cfg.classes.length,
    seed: cfg.seed,
    ...(weights === undefined ? {} : { weights }),
    ...(cfg.variant === undefined ? {} : { variant: cfg.variant }),
  };
  const model = await buildModelAsync(cfg.model as ModelName, options as never);
  const r = loadedWeightsReport(model);
  if (r !== undefined) {
    io.err.write(
      `weights: ${r.matched.length} weights loaded from ${r.file}, ${r.missing.length + r.mismatched.length} started at random\n`,
    );
  }
  return model;
}

function targets(labels: Int32Array, units: number): tf.Tensor2D {
  return tf.tidy(() =>
    units === 1
      ? tf.tensor2d(Float32Array.from(labels), [labels.length, 1])
      : (tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), units), 'float32') as tf.Tensor2D),
  );
}

/** Run `medinets train`; returns the exit code. */
export async function train(argv: string[], io: CliIO): Promise<number> {
  const parsed = readConfig(argv);
  if (parsed === 'help') {
    io.out(TRAIN_HELP);
    return 0;
  }
  const { out, ...asked } = parsed;
  const ckDir = checkpointDir(out);
  const resuming = existsSync(join(ckDir, 'last'));
  let cfg: RunConfig = { ...asked, classes: [] };
  if (resuming) {
    const prev = readRunConfig(out, 'train');
    for (const k of ['model', 'variant', 'layout', 'size', 'channels'] as const) {
      if (prev[k] !== asked[k]) {
        throw new UsageError(
          `medinets train: ${out} holds a run with --${k} ${String(prev[k])}; resume it with the same value or choose another --out`,
        );
      }
    }
    cfg = { ...prev, epochs: asked.epochs };
  }
  mkdirSync(out, { recursive: true });
  const splits = await openSplits(cfg.layout, cfg.data, cfg.seed);
  cfg.classes = splits.classNames;
  const t0 = performance.now();
  const load = (ds: typeof splits.train): Promise<Split> => loadSplit(ds, cfg.size, cfg.channels);
  const [tr, va, te] = [await load(splits.train), await load(splits.val), await load(splits.test)];
  io.err.write(
    `data: ${cfg.layout} ${cfg.data}: ${tr.labels.length} train / ${va.labels.length} val / ${te.labels.length} test, classes ${cfg.classes.join(', ')}\n`,
  );
  const compile = (model: tfl.LayersModel): tfl.ModelCompileArgs => {
    const units = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1] as number;
    return {
      optimizer: tf.train.adam(cfg.lr),
      loss: units === 1 ? 'binaryCrossentropy' : 'categoricalCrossentropy',
      metrics: ['accuracy'],
    };
  };
  let model: tfl.LayersModel;
  let initialEpoch = 0;
  let resumeState = {};
  if (resuming) {
    const built = await buildFresh(cfg, io);
    const run = await resumeFrom(ckDir, { compile: compile(built) });
    built.dispose();
    model = run.model;
    initialEpoch = run.initialEpoch;
    resumeState = run.checkpoint;
    io.err.write(`resuming ${out} at epoch ${initialEpoch + 1} of ${cfg.epochs}\n`);
  } else {
    model = await buildFresh(cfg, io);
    model.compile(compile(model));
  }
  writeRunConfig(out, cfg);
  const units = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1] as number;
  const y = targets(tr.labels, units);
  const yv = targets(va.labels, units);
  const hasVal = va.labels.length > 0;
  try {
    let history: Record<string, number[]> = {};
    if (initialEpoch < cfg.epochs) {
      const h = await fitWithMixing(model, tr.x, y, {
        epochs: cfg.epochs,
        initialEpoch,
        batchSize: cfg.batch,
        seed: cfg.seed,
        mixer: augmentPreset(cfg.augment as (typeof AUGMENT_PRESETS)[number]),
        validationData: hasVal ? [va.x, yv] : undefined,
        callbacks: [
          new ProgressBar({ stream: io.err }),
          new ModelCheckpoint({ dir: ckDir, monitor: hasVal ? 'val_loss' : 'loss', ...resumeState }),
        ],
      });
      history = h.history;
    }
    const last = await loadCheckpoint(join(ckDir, 'last'));
    history = last.state.history ?? history;
    last.model.dispose();
    const figures: string[] = [];
    if (Object.keys(history).length) {
      figures.push(
        await saveFigure(
          historyChart(history, { title: `${cfg.model}: training curves` }),
          join(out, 'curves.png'),
        ),
      );
    }
    const best = await loadRunModel(out, 'train');
    const a = await assess(best, te.x, te.labels, cfg.classes, out, cfg.model);
    best.dispose();
    const seconds = (performance.now() - t0) / 1000;
    writeReport(out, cfg, a.markdown, [...figures, ...a.figures], seconds, te.labels.length);
    io.out(
      `${cfg.model}: test ${Object.entries(a.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')}`,
    );
    io.out(`wrote ${join(out, 'report.md')} (${seconds.toFixed(1)} s)`);
    return 0;
  } finally {
    tf.dispose([tr.x, va.x, te.x, y, yv]);
    model.dispose();
  }
}

function writeReport(
  out: string,
  cfg: RunConfig,
  table: string,
  figures: string[],
  seconds: number,
  nTest: number,
): void {
  const settings = Object.entries(cfg).map(
    ([k, v]) => `- **${k}**: ${Array.isArray(v) ? v.join(', ') : String(v)}`,
  );
  const md = [
    `# ${cfg.model} on ${cfg.data}`,
    '',
    `Trained with \`medinets train\`; the best checkpoint (lowest validation loss) scored on the ${nTest} test images.`,
    '',
    '## Settings',
    '',
    ...settings,
    '',
    '## Test metrics',
    '',
    table,
    '',
    `Time: ${seconds.toFixed(1)} s.`,
    '',
    '## Figures',
    '',
    ...figures.map((f) => `![${f.split('/').pop()}](${f.split('/').pop()})`),
    '',
  ].join('\n');
  const path = join(out, 'report.md');
  writeFileSync(`${path}.tmp-${process.pid}`, md);
  renameSync(`${path}.tmp-${process.pid}`, path);
}
