/**
 * `medinets weights convert IN OUT`: weights into the TF.js layers format (`model.json` +
 * `weights.bin`) that `--weights` and `tf.loadLayersModel` read.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildModel,
  isModelName,
  listModels,
  readWeightsManifest,
  setWeightsByName,
  type ModelName,
} from '../models';
import { saveCheckpoint } from '../train';
import { type CliIO, type FlagTable, UsageError, num, parseFlags, str } from './args';

const FLAGS: FlagTable = {
  model: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  classes: { type: 'string' },
};

/** `medinets weights --help`. */
export const WEIGHTS_HELP = `usage: medinets weights convert IN OUT [--model NAME --size N --channels C --classes K]

Convert weights to the TF.js layers format: OUT/model.json + OUT/weights.bin (one unquantised
shard), written atomically. IN is a TF.js layers model (model.json, or a folder holding one,
e.g. a medinets checkpoint), or a TF.js weights manifest without topology, which needs
--model (and the input size and classes) to know the network it belongs to.

  --model NAME     registry model the weights belong to (for a weights-only manifest)
  --size N         input height and width of that model (default 224)
  --channels C     its input channels (default 3)
  --classes K      its classes (default 1000)
  -h, --help       this text`;

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
  let file = resolve(inArg);
  if (!existsSync(file)) throw new UsageError(`medinets weights convert: ${inArg} does not exist`);
  if (statSync(file).isDirectory()) file = join(file, 'model.json');
  if (!/\.json$/i.test(file) || !existsSync(file)) {
    throw new UsageError(
      `medinets weights convert: ${inArg} is not a TF.js model.json or weights manifest (other formats arrive with the weights loader)`,
    );
  }
  const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology?: object };
  const named = await readWeightsManifest(file);
  let model: tfl.LayersModel;
  try {
    if (json.modelTopology) {
      const { data, specs } = await tf.io.encodeWeights(named);
      model = await tfl.loadLayersModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data }),
      );
    } else {
      const name = str(p, 'model');
      if (name === undefined) {
        throw new UsageError(
          `medinets weights convert: ${inArg} has no topology; pass --model NAME (and --size, --channels, --classes)`,
        );
      }
      if (!isModelName(name)) {
        throw new UsageError(
          `medinets weights convert: --model must be one of ${listModels().join(', ')}; got '${name}'`,
        );
      }
      const size = num('weights', p, 'size', 224, { lo: 16, hi: 4096, integer: true });
      const channels = num('weights', p, 'channels', 3, { lo: 1, hi: 4, integer: true });
      const classes = num('weights', p, 'classes', 1000, { lo: 1, hi: 100000, integer: true });
      model = buildModel(name as ModelName, { inputShape: [size, size, channels], classes } as never);
      const r = setWeightsByName(model, named, { strict: false });
      io.err.write(
        `weights: ${r.matched.length} layers matched, ${r.missing.length} missing, ${r.mismatched.length} mismatched\n`,
      );
    }
  } finally {
    tf.dispose(named);
  }
  const out = resolve(outArg);
  await saveCheckpoint(model, out, { includeOptimizer: false });
  io.out(`wrote ${join(out, 'model.json')} (${model.countParams().toLocaleString('en')} parameters)`);
  model.dispose();
  return 0;
}
