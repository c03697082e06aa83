// Example 002's --weights and --mining: a torchvision DenseNet checkpoint (reduced depth and
// width, made by make_example_weights.py) loads through the example's loader and gives
// torchvision's logits; with a new 2-class head the backbone loads and the head is left new.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MININGS, loadBackboneWeights } from '../../examples/002-densenet-triplet/index';
import { parseExampleArgs } from '../../examples/common/cli';
import { DenseNet } from '../../src/models';
import { FIXTURES, PYTHON } from '../weights/helpers';

const build = (classes: number, channels = 3) =>
  DenseNet({
    inputShape: [32, 32, channels],
    blocks: [1, 2, 1, 1],
    growthRate: 4,
    classes,
    classifierActivation: 'linear',
    seed: 5,
  });

let dir = '';
let ref: { input: number[]; logits: number[][] };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'example-002-'));
  execFileSync(PYTHON, [join(FIXTURES, '..', 'examples', 'make_example_weights.py'), dir]);
  ref = JSON.parse(readFileSync(join(dir, 'densenet_tiny.json'), 'utf8')) as typeof ref;
});

describe('example 002: --weights densenet.pth', () => {
  it("a torchvision DenseNet file gives torchvision's logits", async () => {
    const model = build(10);
    const r = await loadBackboneWeights(model, join(dir, 'densenet_tiny.pth'));
    expect(r.format).toBe('torch');
    expect(r.mismatched).toEqual([]);
    const x = tf.tensor4d(ref.input, [2, 32, 32, 3]);
    const y = model.predict(x) as tf.Tensor;
    const want = ref.logits.flat();
    const got = Array.from(y.dataSync());
    const scale = Math.max(...want.map(Math.abs));
    const err = Math.max(...got.map((g, i) => Math.abs(g - (want[i] as number)))) / scale;
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a new 2-class head on a grey input: the backbone loads, the head stays as built', async () => {
    const model = build(2, 1);
    const head = model.getLayer('predictions').getWeights()[0]?.dataSync().slice();
    const r = await loadBackboneWeights(model, join(dir, 'densenet_tiny.pth'));
    expect(r.mismatched.map((m) => m.name)).toEqual(['predictions/kernel', 'predictions/bias']);
    expect(r.missing).toEqual([]);
    expect(Array.from(model.getLayer('predictions').getWeights()[0]?.dataSync() ?? [])).toEqual(
      Array.from(head ?? []),
    );
    // The RGB stem summed into one grey channel.
    expect(model.getLayer('conv1/conv').getWeights()[0]?.shape).toEqual([7, 7, 1, 8]);
    model.dispose();
    // A file for another architecture is refused, naming the flag.
    const other = DenseNet({
      inputShape: [32, 32, 3],
      blocks: [1, 1, 1, 1],
      growthRate: 8,
      classes: 2,
      zeroInit: true,
    });
    await expect(loadBackboneWeights(other, join(dir, 'densenet_tiny.pth'))).rejects.toThrow(
      /002: --weights .* does not fit/,
    );
    other.dispose();
  });

  it("--mining takes the document's choices and --weights splits on commas", () => {
    expect(MININGS).toEqual(['random', 'augmented', 'batch-hard', 'semi-hard']);
    const a = parseExampleArgs('x', [
      '--smoke',
      '--mining',
      'augmented',
      '--weights',
      'a.h5,b.pth',
      '--weights',
      'c',
      '--out',
      dir,
    ]);
    expect(a.mining).toBe('augmented');
    expect(a.weightFiles).toEqual(['a.h5', 'b.pth', 'c']);
  });
});
