/**
 * Loading a ResNet-50 `.pth` (94 MB, torch.save zip) with `loadWeights` against PyTorch's
 * `torch.load` + `load_state_dict` (bench/torch_load.py) in the same run. The checkpoint is
 * test/fixtures/weights/make_torchvision_full.py's (made on first use).
 *
 *   npx tsx bench/load-weights.ts [--runs=5]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ResNet50 } from '../src/models';
import { loadWeights } from '../src/weights';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'weights');
const OUT = join(FIXTURES, 'generated');
const FILE = join(OUT, 'resnet50.pth');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  if (!existsSync(FILE)) {
    execFileSync('/usr/bin/python3', [join(FIXTURES, 'make_torchvision_full.py'), OUT, 'resnet50'], {
      stdio: 'inherit',
    });
  }
  const model = ResNet50({ variant: 'torchvision', inputShape: [64, 64, 3], classes: 10, zeroInit: true });
  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await loadWeights(model, FILE);
    ours.push((performance.now() - t) / 1000);
  }
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', [join(ROOT, 'bench', 'torch_load.py'), FILE, '10', String(runs)], {
      encoding: 'utf8',
    }),
  ) as { median_s: number };
  const a = median(ours);
  console.log(`ResNet-50 .pth (94 MB), median of ${runs}:`);
  console.log(`  medinets loadWeights            ${a.toFixed(3)} s`);
  console.log(`  torch.load + load_state_dict    ${py.median_s.toFixed(3)} s`);
  console.log(`  ratio (medinets / PyTorch)      ${(a / py.median_s).toFixed(2)}x`);
}

await main();
