import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/weights */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'weights');

/** Where make_torchvision_full.py writes its (large, git-ignored) checkpoints. */
export const GENERATED = join(FIXTURES, 'generated');

/** Debian's Python with torch/torchvision/h5py (`.ci/run` installs them). */
export const PYTHON = '/usr/bin/python3';

/**
 * Makes the full-depth checkpoints of `archs` unless present: the files are too large to
 * commit. Fails (never skips) when the reference Python is missing.
 */
export function ensureTorchFixtures(archs: string[], ext = '.pth'): void {
  const todo = archs.filter(
    (a) => !existsSync(join(GENERATED, `${a}.json`)) || !existsSync(join(GENERATED, a + ext)),
  );
  if (todo.length === 0) return;
  execFileSync(PYTHON, [join(FIXTURES, 'make_torchvision_full.py'), GENERATED, ...todo], {
    stdio: 'inherit',
  });
}

/** The input and logits make_torchvision_full.py recorded for `arch`. */
export function torchCase(arch: string): { size: number; input: tf.Tensor4D; logits: tf.Tensor2D } {
  const j = JSON.parse(readFileSync(join(GENERATED, `${arch}.json`), 'utf8')) as {
    size: number;
    input: number[];
    logits: number[][];
  };
  return {
    size: j.size,
    input: tf.tensor4d(j.input, [2, j.size, j.size, 3]),
    logits: tf.tensor2d(j.logits),
  };
}

/** max |a - b| / max |b|. */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}
