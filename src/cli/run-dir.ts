/**
 * A training run's folder (`runs/NAME`): `run.json` (how it was trained: model, layout, input
 * size, class names), `checkpoints/best` and `checkpoints/last`, `report.md` and the plots.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadCheckpoint } from '../train';
import type { Layout } from './data';
import { UsageError } from './args';

/** What `run.json` records; `evaluate` and `predict` read images the same way. */
export interface RunConfig {
  /** Registry name of the model. */
  model: string;
  /** Folder layout of the training data. */
  layout: Layout;
  /** Training data folder. */
  data: string;
  /** Input height and width. */
  size: number;
  /** Input channels. */
  channels: 1 | 3;
  /** Class names in label order. */
  classes: string[];
  /** Epochs asked for. */
  epochs: number;
  /** Batch size. */
  batch: number;
  /** Adam learning rate. */
  lr: number;
  /** Initial weights: a file, 'imagenet', or none. */
  weights?: string;
  /** Architecture variant of the builder (`--variant`), when asked for. */
  variant?: 'keras' | 'torchvision';
  /** Augmentation preset. */
  augment: string;
  /** Seed of initialisation, shuffling, augmentation and the split. */
  seed: number;
}

/** `run.json` of a run folder. */
export const runConfigPath = (dir: string): string => join(dir, 'run.json');

/** Where the checkpoints of a run live. */
export const checkpointDir = (dir: string): string => join(dir, 'checkpoints');

/** Write `run.json` atomically (write a sibling file, then rename). */
export function writeRunConfig(dir: string, cfg: RunConfig): void {
  const path = runConfigPath(dir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Read `run.json`; a usage error names the folder when it is not a run. */
export function readRunConfig(dir: string, command: string): RunConfig {
  const path = runConfigPath(dir);
  if (!existsSync(path)) {
    throw new UsageError(
      `medinets ${command}: ${dir} is not a run folder (no run.json; create one with medinets train)`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as RunConfig;
}

/** The run's best checkpoint (or its last when no best was written). */
export async function loadRunModel(dir: string, command: string): Promise<tfl.LayersModel> {
  const ck = checkpointDir(dir);
  const which = existsSync(join(ck, 'best')) ? 'best' : existsSync(join(ck, 'last')) ? 'last' : null;
  if (!which) throw new UsageError(`medinets ${command}: ${dir} has no checkpoint yet`);
  return (await loadCheckpoint(join(ck, which))).model;
}
