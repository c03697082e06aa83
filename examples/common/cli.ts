/**
 * Shared command line of every example: `--quick` (default, phantoms at small size),
 * `--smoke` (a few steps, for CI), `--data <dir>` (the document's real dataset),
 * `--size`, `--epochs`, `--backend`, `--out`, `--seed`.
 */
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendName } from 'medinets/backend';

export type Mode = 'quick' | 'smoke' | 'full';

export interface ExampleArgs {
  mode: Mode;
  data?: string;
  size?: number;
  epochs?: number;
  backend?: BackendName;
  outDir: string;
  seed: number;
  models?: string[];
  /**
   * `--weights` as given (flags repeated are joined with commas): weight files in any format
   * `loadWeights` reads (.pth, .safetensors, Keras .h5, a TF.js model.json or its directory).
   */
  weights?: string;
  /** The same, split into files (commas and repeated flags), in the order given. */
  weightFiles?: string[];
  /** `--mining`: example 002's triplet selection (`random`, `augmented`, `batch-hard`, `semi-hard`). */
  mining?: string;
}

export function parseExampleArgs(name: string, argv = process.argv.slice(2)): ExampleArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      data: { type: 'string' },
      size: { type: 'string' },
      epochs: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      models: { type: 'string' },
      weights: { type: 'string', multiple: true },
      mining: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      `usage: ${name} [--quick | --smoke] [--data DIR] [--size N] [--epochs N] [--backend wasm|cpu|node|node-gpu] [--out DIR] [--seed N] [--models a,b] [--weights FILE[,FILE]] (.pth, .safetensors, .h5, model.json) [--mining random|augmented|batch-hard|semi-hard]`,
    );
    process.exit(0);
  }
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`${name}: --${flag} must be a positive number; got '${v}'`);
    return n;
  };
  const mode: Mode = values.smoke ? 'smoke' : values.data ? 'full' : 'quick';
  const outDir = resolve(values.out ?? join('out', name));
  mkdirSync(outDir, { recursive: true });
  return {
    mode,
    data: values.data,
    size: num(values.size, 'size'),
    epochs: num(values.epochs, 'epochs'),
    backend: values.backend as BackendName | undefined,
    outDir,
    seed: num(values.seed, 'seed') ?? 42,
    models: values.models?.split(',').map((s) => s.trim()),
    weights: values.weights?.join(','),
    mining: values.mining,
    weightFiles: (values.weights ?? [])
      .flatMap((w) => w.split(','))
      .map((w) => w.trim())
      .filter((w) => w),
  };
}
