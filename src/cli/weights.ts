/**
 * `medinets weights convert IN OUT`: any weights file the loader reads (PyTorch `.pth`,
 * safetensors, Keras `.h5`, TF.js) into the TF.js layers format (`model.json` +
 * `weights.bin`) that `--weights`, `tf.loadLayersModel` and a browser read.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildModel, isModelName, listModels, type ModelName } from '../models';
import { fileHandler } from '../weights/file-io';
import { assignWeights, type LoadWeightsOptions } from '../weights/load';
import { readWeightsFile, type ReadWeights } from '../weights/read';
import { type CliIO, type FlagTable, type Parsed, UsageError, num, oneOf, parseFlags, str } from './args';

const FLAGS: FlagTable = {
  model: { type: 'string' },
  variant: { type: 'string' },
  'batch-norm': { type: 'boolean' },
  'input-size': { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  classes: { type: 'string' },
  'no-top': { type: 'boolean' },
  activation: { type: 'string' },
  strict: { type: 'string' },
};

/** `medinets weights --help`. */
export const WEIGHTS_HELP = `usage: medinets weights convert IN OUT [--model NAME] [options]

Convert weights to the TF.js layers format: OUT/model.json + OUT/weights.bin (one unquantised
shard), written atomically; OUT loads with --weights, tf.loadLayersModel and in a browser.
IN is any file the loader reads: a PyTorch checkpoint (.pth/.pt, torchvision or timm names),
safetensors, Keras HDF5 (.h5, save_weights or keras.applications), or TF.js (model.json, or a
folder holding one). A TF.js model.json with its topology converts as it is; the other formats
hold no architecture, so --model names the registry builder to load them into, by layer name.

  --model NAME        registry model to build (medinets models lists them), e.g. ResNet50
  --variant V         keras | torchvision: the architecture the file was trained with
                      (ResNet, DenseNet, VGG; torchvision files need torchvision)
  --batch-norm        VGG with batch norm (torchvision vgg*_bn)
  --input-size N      input height and width (default 224)
  --channels C        input channels (default 3; 1 sums the RGB stem)
  --classes K         classes of the top (default 1000)
  --no-top            build without the classifier (the file's head is then unused)
  --activation A      softmax | linear | sigmoid, the top's activation (default softmax)
  --strict S          true | false | all (default true): every weight of the model must be in
                      the file; false loads what matches; all also refuses unused tensors
  -h, --help          this text`;

function buildTarget(p: Parsed, inArg: string, io: CliIO): tfl.LayersModel {
  const name = str(p, 'model');
  if (name === undefined) {
    throw new UsageError(
      `medinets weights convert: ${inArg} holds no architecture; pass --model NAME (and --variant, --input-size, --classes)`,
    );
  }
  if (!isModelName(name)) {
    throw new UsageError(
      `medinets weights convert: --model must be one of ${listModels().join(', ')}; got '${name}'`,
    );
  }
  const size = num('weights', p, p.values['input-size'] !== undefined ? 'input-size' : 'size', 224, {
    lo: 16,
    hi: 4096,
    integer: true,
  });
  const channels = num('weights', p, 'channels', 3, { lo: 1, hi: 4, integer: true });
  const classes = num('weights', p, 'classes', 1000, { lo: 1, hi: 100000, integer: true });
  const activation = oneOf('weights', p, 'activation', ['softmax', 'linear', 'sigmoid'] as const, 'softmax');
  const variant = str(p, 'variant');
  if (variant !== undefined) oneOf('weights', p, 'variant', ['keras', 'torchvision'] as const);
  const options = {
    inputShape: [size, size, channels],
    classes,
    classifierActivation: activation,
    includeTop: p.values['no-top'] !== true,
    zeroInit: true,
    ...(variant === undefined ? {} : { variant }),
    ...(p.values['batch-norm'] === true ? { batchNorm: true } : {}),
  };
  io.err.write(`weights: building ${name} ${size}x${size}x${channels}\n`);
  return buildModel(name as ModelName, options as never);
}

function strictFlag(p: Parsed): LoadWeightsOptions['strict'] {
  const s = oneOf('weights', p, 'strict', ['true', 'false', 'all'] as const, 'true');
  return s === 'all' ? 'all' : s === 'true';
}

// A TF.js model.json with its topology: the model it describes, with the file's weights.
async function fromTopology(read: ReadWeights): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(read.file, 'utf8')) as { modelTopology: object };
  const named: tf.NamedTensorMap = {};
  for (const [k, t] of read.weights) named[k] = tf.tensor(t.data, t.shape, 'float32');
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    return await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data }),
    );
  } finally {
    tf.dispose(named);
  }
}

const hasTopology = (read: ReadWeights): boolean => {
  if (read.format !== 'tfjs-layers' || read.file === '<bytes>') return false;
  const json = JSON.parse(readFileSync(read.file, 'utf8')) as { modelTopology?: unknown };
  return json.modelTopology !== undefined && json.modelTopology !== null;
};

/** Run `medinets weights`; returns the exit code. */
export async function weights(argv: string[], io: CliIO): Promise<number> {
  const p = parseFlags('weights', argv, FLAGS, true);
  if (p.values.help || p.positionals.length === 0) {
    io.out(WEIGHTS_HELP);
    return p.values.help ? 0 : 2;
  }
  const [sub, inArg, outArg, ...rest] = p.positionals;
  if (sub !== 'convert')
    throw new UsageError(`medinets weights: unknown subcommand '${sub}'; expected 'convert'`);
  if (inArg === undefined || outArg === undefined || rest.length) {
    throw new UsageError('medinets weights convert: expected IN and OUT');
  }
  const strict = strictFlag(p);
  const read = await readWeightsFile(resolve(inArg), 'medinets weights convert');
  let model: tfl.LayersModel;
  if (hasTopology(read) && str(p, 'model') === undefined) {
    model = await fromTopology(read);
  } else {
    model = buildTarget(p, inArg, io);
    try {
      const r = assignWeights(model, read, { strict }, 'medinets weights convert');
      io.err.write(
        `weights: ${r.matched.length} loaded (${r.format}, map '${r.map}'), ${r.missing.length} missing, ` +
          `${r.mismatched.length} mismatched, ${r.unexpected.length} unused\n`,
      );
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const out = resolve(outArg);
  // Each file is written to a temporary name and renamed, model.json last.
  await model.save(fileHandler(`file://${out}`));
  io.out(`wrote ${join(out, 'model.json')} (${model.countParams().toLocaleString('en')} parameters)`);
  model.dispose();
  return 0;
}
