import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** What is stored next to the weights so training can resume. */
export interface CheckpointState {
  /** Number of completed epochs (the `initialEpoch` to resume with). */
  epoch: number;
  /** Monitored log key, when a monitor decided this checkpoint. */
  monitor?: string;
  /** Best monitored value so far. */
  best?: number;
  /** Epoch (0-based) of the best value. */
  bestEpoch?: number;
  /** Logs of the last completed epoch. */
  logs?: Record<string, number>;
  /** Per-key history of every completed epoch. */
  history?: Record<string, number[]>;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Training state written to `state.json`. Default `{ epoch: 0 }`. */
  state?: CheckpointState;
  /** Also store the optimizer's slots (Adam moments, iteration count...). Default true. */
  includeOptimizer?: boolean;
  /**
   * Called after each file is written inside the temporary directory, before the swap.
   * Tests use it to simulate a crash mid-write; leave it unset otherwise.
   */
  onFileWritten?: (file: string) => void | Promise<void>;
}

/** A checkpoint read back by {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The model, uncompiled, with the saved weights. */
  model: tfl.LayersModel;
  /** Contents of `state.json`. */
  state: CheckpointState;
  /** The directory actually read (differs from the one asked for after crash recovery). */
  dir: string;
}

const MODEL = 'model.json';
const WEIGHTS = 'weights.bin';
const OPT_WEIGHTS = 'optimizer.bin';
const OPT_SPECS = 'optimizer.json';
const STATE = 'state.json';

function joinBuffers(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

async function writeDurable(path: string, bytes: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the renames still order.
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporary directories next to `target` left by writers that died mid-save. */
async function sweepStale(target: string): Promise<void> {
  const parent = dirname(target);
  const base = basename(target);
  let names: string[] = [];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const n of names) {
    const m = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-`).exec(n);
    if (m && !alive(Number(m[1]))) await rm(join(parent, n), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Save `model` (topology, weights, optionally optimizer slots) and `state` to the directory
 * `dir`, ATOMICALLY: everything is written and fsynced into a sibling temporary directory,
 * which is then renamed over `dir` (the old one is first moved aside, then deleted). A
 * crash at any point leaves either the previous complete checkpoint or the new one;
 * {@link loadCheckpoint} recovers the previous one if the crash fell between the two renames.
 * `model.json` + `weights.bin` are the standard tfjs layers format
 * (`tf.loadLayersModel('file://dir/model.json')` reads them under tfjs-node).
 */
export async function saveCheckpoint(
  model: tfl.LayersModel,
  dir: string,
  opts: SaveCheckpointOptions = {},
): Promise<void> {
  const { state = { epoch: 0 }, includeOptimizer = true, onFileWritten } = opts;
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  await sweepStale(dir);
  const tag = `${process.pid}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  const tmp = join(parent, `${basename(dir)}.tmp-${tag}`);
  await mkdir(tmp);
  try {
    await writeInto(model, tmp, state, includeOptimizer, onFileWritten);
  } catch (e) {
    // An ordinary error cleans up; a real crash leaves tmp for the next save to sweep.
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (await exists(dir)) {
    const old = join(parent, `${basename(dir)}.old-${tag}`);
    await rename(dir, old);
    await rename(tmp, dir);
    await syncDir(parent);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
    await syncDir(parent);
  }
}

async function writeInto(
  model: tfl.LayersModel,
  tmp: string,
  state: CheckpointState,
  includeOptimizer: boolean,
  onFileWritten: SaveCheckpointOptions['onFileWritten'],
): Promise<void> {
  const step = async (file: string): Promise<void> => {
    if (onFileWritten) await onFileWritten(file);
  };

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error(`saveCheckpoint: model.save produced no artifacts`);
  const weights = joinBuffers(artifacts.weightData);
  await writeDurable(join(tmp, WEIGHTS), weights);
  await step(WEIGHTS);
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
  };
  await writeDurable(join(tmp, MODEL), JSON.stringify(modelJson));
  await step(MODEL);

  if (includeOptimizer && model.optimizer) {
    const named = await model.optimizer.getWeights();
    if (named.length > 0) {
      const { data, specs } = await tf.io.encodeWeights(named);
      // getWeights returns live slot variables plus freshly made scalars (the iteration count).
      tf.dispose(named.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
      await writeDurable(join(tmp, OPT_WEIGHTS), joinBuffers(data));
      await step(OPT_WEIGHTS);
      await writeDurable(
        join(tmp, OPT_SPECS),
        JSON.stringify({ className: model.optimizer.getClassName(), specs }),
      );
      await step(OPT_SPECS);
    }
  }
  await writeDurable(join(tmp, STATE), JSON.stringify(state));
  await step(STATE);
  await syncDir(tmp);
}

/** If `dir` vanished between the two renames of a save, put the moved-aside copy back. */
async function recover(dir: string): Promise<string> {
  if (await exists(join(dir, MODEL))) return dir;
  const parent = dirname(dir);
  const base = basename(dir);
  let names: string[] = [];
  try {
    names = await readdir(parent);
  } catch {
    names = [];
  }
  const olds = names.filter((n) => n.startsWith(`${base}.old-`)).sort();
  const last = olds[olds.length - 1];
  if (last !== undefined && !(await exists(dir))) {
    await rename(join(parent, last), dir);
    return dir;
  }
  throw new Error(`loadCheckpoint: no checkpoint at '${dir}' (missing ${MODEL})`);
}

/** Read a checkpoint written by {@link saveCheckpoint}. Custom layers must be registered first. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const real = await recover(dir);
  let modelJson: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    modelJson = JSON.parse(await readFile(join(real, MODEL), 'utf8'));
  } catch (e) {
    throw new Error(`loadCheckpoint: cannot read '${join(real, MODEL)}': ${(e as Error).message}`);
  }
  const buf = await readFile(join(real, WEIGHTS));
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }),
  );
  let state: CheckpointState = { epoch: 0 };
  if (await exists(join(real, STATE)))
    state = JSON.parse(await readFile(join(real, STATE), 'utf8')) as CheckpointState;
  return { model, state, dir: real };
}

/**
 * Put the optimizer slots saved in checkpoint `dir` back into `optimizer` (which must be
 * the same class, attached to a model with the same trainable weights). Returns false
 * when the checkpoint holds no optimizer state.
 */
export async function restoreOptimizer(optimizer: tf.Optimizer, dir: string): Promise<boolean> {
  const real = await recover(dir);
  if (!(await exists(join(real, OPT_SPECS)))) return false;
  const { className, specs } = JSON.parse(await readFile(join(real, OPT_SPECS), 'utf8')) as {
    className: string;
    specs: tf.io.WeightsManifestEntry[];
  };
  if (className !== optimizer.getClassName()) {
    throw new Error(
      `restoreOptimizer: checkpoint '${real}' holds ${className} state, not ${optimizer.getClassName()}`,
    );
  }
  const buf = await readFile(join(real, OPT_WEIGHTS));
  const map = tf.io.decodeWeights(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    specs,
  );
  const list = specs.map((s) => ({ name: s.name, tensor: map[s.name] as tf.Tensor }));
  await optimizer.setWeights(list);
  tf.dispose(list.map((l) => l.tensor));
  return true;
}
