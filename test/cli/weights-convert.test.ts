// `medinets weights convert` on a real torchvision checkpoint (a seeded resnet18 saved with
// torch.save by test/fixtures/weights/make_torchvision_full.py at test time): converted to the
// TF.js layers format, loaded back, it gives torchvision's logits and the same predictions as
// the model loadWeights fills directly; help, bad flags (exit 2) and a wrong architecture.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run';
import { ResNet18 } from '../../src/models';
import * as tfl from '@tensorflow/tfjs-layers';
import { fileHandler } from '../../src/weights/file-io';
import { loadWeights } from '../../src/weights';
import { GENERATED, ensureTorchFixtures, relativeError, torchCase } from '../weights/helpers';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  let err = '';
  const code = await run(argv, { out: (t) => out.push(t), err: { write: (t: string) => (err += t) } });
  return { code, out: out.join('\n'), err };
}

const PTH = join(GENERATED, 'resnet18.pth');
let dir = '';
beforeAll(() => {
  process.env.MEDINETS_BACKEND = 'cpu';
  ensureTorchFixtures(['resnet18']);
  dir = mkdtempSync(join(tmpdir(), 'medinets-convert-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('medinets weights convert', () => {
  it('a torchvision .pth -> TF.js layers format that predicts as torchvision does', async () => {
    const out = join(dir, 'resnet18');
    const r = await cli(
      'weights',
      'convert',
      PTH,
      out,
      '--model',
      'ResNet18',
      '--variant',
      'torchvision',
      '--input-size',
      '32',
      '--activation',
      'linear',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*model\.json \(11,699,112 parameters\)/);
    expect(r.err).toMatch(/loaded \(torch, map 'torchvision\/timm resnet'\), 0 missing, 0 mismatched/);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);

    const { input, logits } = torchCase('resnet18');
    const back = { model: await tfl.loadLayersModel(fileHandler(`file://${out}/model.json`)) };
    const direct = ResNet18({
      variant: 'torchvision',
      inputShape: [32, 32, 3],
      classifierActivation: 'linear',
      zeroInit: true,
    });
    await loadWeights(direct, PTH);
    const a = back.model.predict(input) as tf.Tensor;
    const b = direct.predict(input) as tf.Tensor;
    expect(relativeError(a, logits)).toBeLessThan(1e-4);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    tf.dispose([a, b, input, logits]);
    back.model.dispose();
    direct.dispose();
  }, 120_000);

  it('--help, and bad flags as one line with exit code 2', async () => {
    const h = await cli('weights', 'convert', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--model NAME/);
    expect(h.out).toMatch(/--input-size N/);
    for (const [argv, message] of [
      [['weights', 'convert', PTH, join(dir, 'x')], /holds no architecture; pass --model NAME/],
      [['weights', 'convert', PTH, join(dir, 'x'), '--model', 'ResNet9'], /--model must be one of/],
      [
        ['weights', 'convert', PTH, join(dir, 'x'), '--model', 'ResNet18', '--variant', 'caffe'],
        /--variant must be one of keras, torchvision/,
      ],
      [
        ['weights', 'convert', PTH, join(dir, 'x'), '--model', 'ResNet18', '--input-size', 'big'],
        /--input-size must be an integer/,
      ],
      [
        ['weights', 'convert', PTH, join(dir, 'x'), '--model', 'ResNet18', '--strict', 'maybe'],
        /--strict must be one of true, false, all/,
      ],
      [['weights', 'convert', PTH, join(dir, 'x'), '--frobnicate'], /Unknown option '--frobnicate'/],
      [['weights', 'convert', PTH], /expected IN and OUT/],
    ] as [string[], RegExp][]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('a checkpoint of another architecture: exit 1 naming the file and the first missing weight', async () => {
    const r = await cli(
      'weights',
      'convert',
      PTH,
      join(dir, 'wrong'),
      '--model',
      'ResNet50',
      '--variant',
      'torchvision',
      '--input-size',
      '32',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/resnet18\.pth: .*(lacks|shape)/);
    expect(existsSync(join(dir, 'wrong'))).toBe(false);
  });
});
