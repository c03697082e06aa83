// The `medinets` command line in-process: help, usage errors (one line, exit 2), and a whole
// train -> resume -> evaluate -> predict -> weights convert round on a phantom folder on disk.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run';
import { listModels } from '../../src/models';
import { loadCheckpoint } from '../../src/train';
import { writePhantomFolder } from './phantom-folder';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  const out: string[] = [];
  let err = '';
  const code = await run(argv, { out: (t) => out.push(t), err: { write: (t: string) => (err += t) } });
  return { code, out: out.join('\n'), err };
}

let dir = '';
beforeAll(() => {
  // The tests run on the plain cpu backend (test/setup.ts); keep the command line there too.
  process.env.MEDINETS_BACKEND = 'cpu';
  dir = mkdtempSync(join(tmpdir(), 'medinets-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('medinets: help and usage errors', () => {
  it.each(['train', 'evaluate', 'predict', 'models', 'weights'])(
    '%s --help prints its usage, exit 0',
    async (c) => {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: medinets ${c}`));
    },
  );

  it('prints the command list with --help, and exits 2 without a command', async () => {
    expect((await cli('--help')).out).toMatch(/train .*\n.*evaluate/);
    expect((await cli()).code).toBe(2);
  });

  it.each([
    [['frob'], /^medinets: unknown command 'frob'/],
    [['train', '--bogus'], /^medinets train: Unknown option '--bogus'/],
    [
      ['train', '--model', 'Nope', '--data', 'd', '--layout', 'folders', '--out', 'o'],
      /--model must be a registry model/,
    ],
    [
      ['train', '--model', 'SimpleCNN', '--data', '.', '--layout', 'zip', '--out', 'o'],
      /--layout must be one of covid-ct, kermany, series, csv, folders; got 'zip'/,
    ],
    [
      ['train', '--model', 'SimpleCNN', '--data', '.', '--layout', 'folders', '--out', 'o', '--epochs', '0'],
      /--epochs must be an integer in \[1, 100000\]; got '0'/,
    ],
    [
      ['train', '--model', 'SimpleCNN', '--data', '.', '--layout', 'folders', '--out', 'o', '--lr', 'fast'],
      /--lr must be a number/,
    ],
    [['train', '--model', 'SimpleCNN', '--layout', 'folders', '--out', 'o'], /--data is required/],
    [['evaluate'], /expected one run folder/],
    [['evaluate', '/nonexistent-run', '--data', '.'], /is not a run folder/],
    [['predict', '/nonexistent-run'], /at least one image file/],
    [['models', '--verbose'], /Unknown option '--verbose'/],
    [['weights', 'explode', 'a', 'b'], /unknown subcommand 'explode'/],
  ])('%j -> one line, exit 2', async (argv, message) => {
    const r = await cli(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('models lists every registry model with its parameter count and options', async () => {
    const r = await cli('models', '--json');
    const j = JSON.parse(r.out) as {
      sharedOptions: string[];
      models: Array<{ name: string; params: number; options: { name: string }[]; description: string }>;
    };
    expect(j.models.map((x) => x.name)).toEqual(listModels());
    expect(j.sharedOptions).toContain('inputShape');
    for (const x of j.models) expect(x.params).toBeGreaterThan(0);
    const text = (await cli('models')).out;
    for (const x of j.models)
      expect(text).toMatch(new RegExp(`^${x.name} +${x.params.toLocaleString('en')} `, 'm'));
  });
});

describe('medinets: train, resume, evaluate, predict, convert', () => {
  it('runs the whole round on a phantom folder', async () => {
    const data = join(dir, 'data');
    writePhantomFolder(data, 24, 32, 3);
    const out = join(dir, 'runs', 'simple');
    const common = [
      '--model',
      'SimpleCNN',
      '--data',
      data,
      '--layout',
      'folders',
      '--size',
      '32',
      '--batch',
      '8',
      '--out',
      out,
    ];
    const t1 = await cli('train', ...common, '--epochs', '1');
    expect(t1.code, t1.err).toBe(0);
    for (const f of [
      'run.json',
      'report.md',
      'curves.png',
      'roc.png',
      'confusion_matrix.png',
      'checkpoints/best/model.json',
      'checkpoints/last/model.json',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| n \| accuracy \| macro_f1 \| precision/);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).classes).toEqual(['normal', 'opacity']);

    // Resuming: a larger --epochs continues from checkpoints/last at epoch 2.
    const t2 = await cli('train', ...common, '--epochs', '2');
    expect(t2.code, t2.err).toBe(0);
    expect(t2.err).toMatch(/resuming .* at epoch 2 of 2/);
    const last = await loadCheckpoint(join(out, 'checkpoints', 'last'));
    expect(last.state.epoch).toBe(2);
    expect(last.state.history?.loss).toHaveLength(2);
    last.model.dispose();
    // A different model into the same folder is refused.
    const clash = await cli('train', ...common.map((a) => (a === 'SimpleCNN' ? 'ThesisVGG' : a)));
    expect(clash.code).toBe(2);
    expect(clash.err).toMatch(/holds a run with --model SimpleCNN/);

    const ev = await cli('evaluate', out, '--data', data);
    expect(ev.code, ev.err).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'eval', 'metrics.json'), 'utf8'));
    expect(metrics.n).toBeGreaterThan(0);
    expect(metrics.auc).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(out, 'eval', 'confusion_matrix.png'))).toBe(true);

    const cams = join(dir, 'cams');
    const files = [join(data, 'normal', '000.png'), join(data, 'opacity', '001.png')].filter(existsSync);
    const pr = await cli('predict', out, ...files, '--gradcam', cams, '--json');
    expect(pr.code, pr.err).toBe(0);
    const preds = JSON.parse(pr.out) as Array<{
      class: string;
      probabilities: Record<string, number>;
      gradcam: string;
    }>;
    expect(preds).toHaveLength(files.length);
    for (const p of preds) {
      expect(['normal', 'opacity']).toContain(p.class);
      expect((p.probabilities.normal as number) + (p.probabilities.opacity as number)).toBeCloseTo(1, 5);
      expect(readFileSync(p.gradcam).subarray(1, 4).toString()).toBe('PNG');
    }

    // weights convert: a checkpoint -> TF.js layers format predicting identically.
    const conv = join(dir, 'converted');
    const wc = await cli('weights', 'convert', join(out, 'checkpoints', 'best'), conv);
    expect(wc.code, wc.err).toBe(0);
    const a = await loadCheckpoint(join(out, 'checkpoints', 'best'));
    const b = await loadCheckpoint(conv);
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 5);
    const d = tf.tidy(
      () =>
        tf
          .max(tf.abs(tf.sub(a.model.predict(x) as tf.Tensor, b.model.predict(x) as tf.Tensor)))
          .dataSync()[0],
    );
    expect(d).toBe(0);
    tf.dispose(x);
    a.model.dispose();
    b.model.dispose();
  });
});
