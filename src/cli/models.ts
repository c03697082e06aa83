/**
 * `medinets models`: every registry builder, its parameter count, what it is for and the
 * options it takes. The counts and the options come from src/cli/model-table.ts, which
 * tools/model-table.ts generates from the registry (by building each model) and from the
 * builders' TSDoc; only the one-line purpose is written by hand, in the registry.
 */
import { describeModel, listModels } from '../models';
import { type CliIO, type FlagTable, parseFlags } from './args';
import { MODEL_TABLE, type ModelOptionDoc } from './model-table';

/** `medinets models --help`. */
export const MODELS_HELP = `usage: medinets models [--json]

List every model of the registry: its name (for medinets train --model), its parameter count
at the builder's default input, what it is for, and the options its builder takes beyond the
ones every builder shares.

  --json       print one JSON array
  -h, --help   this text`;

/** Options every builder takes (BuilderOptions in src/models/options.ts). */
export const SHARED_OPTIONS =
  'inputShape, classes, includeTop, pooling, classifierActivation, weights, seed, name, zeroInit';

/** One row of the table. */
export interface ModelRow {
  /** Registry name. */
  name: string;
  /** Parameters at the builder's default options. */
  params: number;
  /** What the model is and where it comes from. */
  description: string;
  /** The builder's own options with their documentation. */
  options: ModelOptionDoc[];
}

/** The rows of `medinets models`, in registry order. */
export function modelRows(): ModelRow[] {
  return listModels().map((name) => ({
    name,
    params: MODEL_TABLE[name].params,
    description: describeModel(name),
    options: MODEL_TABLE[name].options,
  }));
}

/** Run `medinets models`; returns the exit code. */
export function models(argv: string[], io: CliIO): number {
  const p = parseFlags('models', argv, { json: { type: 'boolean' } } satisfies FlagTable, false);
  if (p.values.help) {
    io.out(MODELS_HELP);
    return 0;
  }
  const rows = modelRows();
  if (p.values.json) {
    io.out(JSON.stringify({ sharedOptions: SHARED_OPTIONS.split(', '), models: rows }, null, 2));
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  const pw = Math.max(...rows.map((r) => r.params.toLocaleString('en').length));
  for (const r of rows) {
    io.out(`${r.name.padEnd(w)}  ${r.params.toLocaleString('en').padStart(pw)}  ${r.description}`);
    for (const o of r.options) io.out(`${' '.repeat(w + pw + 4)}${o.name}: ${o.doc}`);
  }
  io.out(
    `\n${rows.length} models; parameters at each builder's default input. Every builder also takes: ${SHARED_OPTIONS}.` +
      `\nTrain one: medinets train --model NAME --data DIR --layout LAYOUT --out runs/NAME`,
  );
  return 0;
}
