// Pack the package, install the tarball into a fresh temporary project next to its peer
// dependencies, and import it as ESM and as CommonJS through every subpath.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const dir = mkdtempSync(join(tmpdir(), 'medinets-smoke-'));
try {
  const tarName = run('npm', ['pack', '--silent', '--pack-destination', dir], root).trim().split('\n').pop();
  const peers = [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-layers',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-wasm',
  ];
  const version = (name) =>
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'smoke', version: '1.0.0', private: true, type: 'module' }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(dir, tarName),
      ...peers.map((p) => `${p}@${version(p)}`),
      // What the examples import besides medinets (the InVesalius reader's tar and plist parsers).
      ...['nanotar', 'plist'].map((p) => `${p}@${version(p)}`),
    ],
    dir,
  );

  const names = subpaths.map((s) => (s === '.' ? 'medinets' : `medinets/${s.slice(2)}`));
  const esm = [
    `import { setupBackend } from 'medinets';`,
    ...names.map((n, i) => `import * as m${i} from '${n}';`),
    `const r = await setupBackend({ prefer: 'cpu' });`,
    `if (r.backend !== 'cpu') throw new Error('esm: backend ' + r.backend);`,
    ...names.map(
      (n, i) => `if (Object.keys(m${i}).length === 0) throw new Error('esm: ${n} exports nothing');`,
    ),
    `console.log('esm ok: ${names.length} entry points');`,
  ].join('\n');
  writeFileSync(join(dir, 'esm.mjs'), esm);
  const cjs = [
    `const { setupBackend } = require('medinets');`,
    ...names.map((n, i) => `const m${i} = require('${n}');`),
    ...names.map(
      (n, i) => `if (Object.keys(m${i}).length === 0) throw new Error('cjs: ${n} exports nothing');`,
    ),
    `setupBackend({ prefer: 'cpu' }).then((r) => { if (r.backend !== 'cpu') throw new Error('cjs'); console.log('cjs ok: ${names.length} entry points'); });`,
  ].join('\n');
  writeFileSync(join(dir, 'cjs.cjs'), cjs);
  process.stdout.write(run('node', ['esm.mjs'], dir));
  process.stdout.write(run('node', ['cjs.cjs'], dir));
  // The same layer class must be shared between the root and a subpath (one registration).
  writeFileSync(
    join(dir, 'same.mjs'),
    `import * as root from 'medinets'; import * as backend from 'medinets/backend';\n` +
      `if (root.setupBackend !== backend.setupBackend) throw new Error('duplicate module copies');\nconsole.log('shared modules ok');`,
  );
  process.stdout.write(run('node', ['same.mjs'], dir));
  // The installed package loads its prebuilt native addon (linux-x64) and computes with it;
  // without the addon (MEDINETS_NATIVE=0) it makes wasm threaded in Node (pthread workers from
  // a script file). Both in the ESM and the CJS build, and the process still exits by itself.
  const want = Math.min(8, Math.max(1, (await import('node:os')).availableParallelism()));
  const expectNative = process.platform === 'linux' && process.arch === 'x64';
  const wasmCheck = (mod, native) =>
    [
      `const r = await setupBackend({ prefer: 'wasm' });`,
      native
        ? `if (!r.native.active || r.threads !== 1) throw new Error('${mod}: native ' + JSON.stringify(r.native) + ', wasm threads ' + r.threads);`
        : `if (r.native.active || r.threads !== ${want}) throw new Error('${mod}: wasm threads ' + r.threads + ', want ${want}');`,
      `const y = tf.conv2d(tf.ones([2, 16, 16, 8]), tf.ones([3, 3, 8, 4]), 1, 'valid');`,
      `const v = y.dataSync()[0];`,
      `if (v !== 72) throw new Error('${mod}: conv gave ' + v);`,
      `console.log('${mod} wasm ok: ' + (r.native.active ? 'native addon ' + r.native.simd + ' on ' + r.native.threads : r.threads) + ' threads');`,
    ].join('\n');
  const checks = [
    ...(expectNative ? [['native', true, {}]] : []),
    ['threads', false, { MEDINETS_NATIVE: '0' }],
  ];
  for (const [tag, native, env] of checks) {
    writeFileSync(
      join(dir, `wasm-${tag}.mjs`),
      `import * as tf from '@tensorflow/tfjs-core';\nimport { setupBackend } from 'medinets';\n${wasmCheck('esm', native)}`,
    );
    writeFileSync(
      join(dir, `wasm-${tag}.cjs`),
      `const tf = require('@tensorflow/tfjs-core');\nconst { setupBackend } = require('medinets');\n(async () => {\n${wasmCheck('cjs', native)}\n})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    for (const f of [`wasm-${tag}.mjs`, `wasm-${tag}.cjs`]) {
      process.stdout.write(
        execFileSync('node', [f], {
          cwd: dir,
          timeout: 60_000,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'inherit'],
        }).toString(),
      );
    }
  }
  // The `medinets` command line from the tarball, end to end on a phantom folder written to disk:
  // train one epoch, evaluate, predict with a Grad-CAM heat map.
  writeFileSync(
    join(dir, 'phantoms.mjs'),
    [
      `import { mkdirSync, writeFileSync } from 'node:fs';`,
      `import { ctPhantomArrays, encodePng, setupBackend } from 'medinets';`,
      `await setupBackend({ prefer: 'cpu' });`,
      `const n = 40, size = 48, a = ctPhantomArrays({ n, size, seed: 1, difficulty: 'easy' });`,
      `const names = ['normal', 'opacity'];`,
      `for (const c of names) mkdirSync('data/' + c, { recursive: true });`,
      `for (let i = 0; i < n; i++) {`,
      `  const data = new Uint8Array(size * size);`,
      `  for (let p = 0; p < size * size; p++) data[p] = Math.max(0, Math.min(255, ((a.images[i * size * size + p] + 1000) / 1200) * 255));`,
      `  writeFileSync('data/' + names[a.labels[i]] + '/' + i + '.png', encodePng({ width: size, height: size, channels: 1, data }));`,
      `}`,
    ].join('\n'),
  );
  run('node', ['phantoms.mjs'], dir);
  const bin = join(dir, 'node_modules', '.bin', 'medinets');
  const t0 = performance.now();
  const cli = (...args) => run(bin, args, dir);
  process.stdout.write(
    cli(
      'train',
      '--model',
      'SimpleCNN',
      '--data',
      'data',
      '--layout',
      'folders',
      '--size',
      '48',
      '--epochs',
      '1',
      '--batch',
      '8',
      '--out',
      'runs/smoke',
    ),
  );
  process.stdout.write(cli('evaluate', 'runs/smoke', '--data', 'data'));
  const preds = JSON.parse(
    cli(
      'predict',
      'runs/smoke',
      ...['normal', 'opacity'].map((c) => `data/${c}/${readdirSync(join(dir, 'data', c))[0]}`),
      '--gradcam',
      'cams',
      '--json',
    ),
  );
  for (const f of [
    'runs/smoke/report.md',
    'runs/smoke/checkpoints/best/model.json',
    'runs/smoke/checkpoints/last/model.json',
    'runs/smoke/curves.png',
    'runs/smoke/eval/metrics.json',
    'runs/smoke/eval/roc.png',
  ]) {
    if (!existsSync(join(dir, f))) throw new Error(`cli: ${f} was not written`);
  }
  if (preds.length !== 2 || !preds.every((p) => existsSync(join(dir, p.gradcam)) || existsSync(p.gradcam)))
    throw new Error('cli: predict did not write its heat maps: ' + JSON.stringify(preds));
  let usage = null;
  try {
    execFileSync(bin, ['train', '--nope'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    usage = e;
  }
  if (!usage || usage.status !== 2) throw new Error('cli: an unknown flag must exit with code 2');
  console.log(
    `cli ok: train 1 epoch, evaluate, predict with Grad-CAM in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // The examples import 'medinets' as a user's script does. In the repository tsconfig.json's
  // paths point that at src/; here, with no tsconfig, it is the installed tarball's dist/.
  if (process.env.SMOKE_EXAMPLES !== '0') {
    cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
    execFileSync(join(root, 'node_modules', '.bin', 'tsx'), ['examples/smoke.ts'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
