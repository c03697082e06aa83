// Builds medinets' native addon (native/*.c) into prebuilds/<platform>-<arch>/medinets.node
// with the system C compiler and the headers of the running Node; no node-gyp, no downloads.
// It never fails an install: where it cannot build (no compiler, no headers, not x86-64, or
// MEDINETS_NATIVE_BUILD=0) it says why and exits 0, and medinets runs on its wasm / JS kernels.
// `--sanitize` builds a checking copy instead, with clang's AddressSanitizer and
// UndefinedBehaviorSanitizer, to out/native-asan/ (CI loads it through
// MEDINETS_NATIVE_PATH with the asan runtime preloaded); that mode fails loudly.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native');
const sanitize = process.argv.includes('--sanitize');
const outDir = sanitize
  ? join(root, 'out', 'native-asan') // never packed: `files` lists prebuilds/
  : join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const out = join(outDir, 'medinets.node');
const force = process.argv.includes('--force') || sanitize;

function skip(why) {
  if (sanitize) {
    console.error(`medinets sanitized addon not built: ${why}`);
    process.exit(1);
  }
  console.log(`medinets native addon not built: ${why}. The wasm / JS kernels will be used.`);
  process.exit(0);
}

if (process.env.MEDINETS_NATIVE_BUILD === '0') skip('MEDINETS_NATIVE_BUILD=0');
if (process.arch !== 'x64') skip(`the AVX2 kernels need x86-64 (this is ${process.arch})`);
if (process.platform !== 'linux' && process.platform !== 'darwin')
  skip(`unsupported platform ${process.platform}`);

const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith('.c'))
  .sort()
  .map((f) => join(srcDir, f));
const inputs = [
  fileURLToPath(import.meta.url), // a change of flags rebuilds too
  ...sources,
  ...readdirSync(srcDir)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(srcDir, f)),
];
if (!force && existsSync(out)) {
  const built = statSync(out).mtimeMs;
  if (inputs.every((f) => statSync(f).mtimeMs <= built)) {
    console.log(`medinets native addon up to date: ${out}`);
    process.exit(0);
  }
}

const includeDirs = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const include = includeDirs.find((d) => existsSync(join(d, 'node_api.h')));
if (include === undefined) skip(`no Node headers (node_api.h) in ${includeDirs.join(', ')}`);

const cc = sanitize ? (process.env.CC ?? 'clang') : (process.env.CC ?? 'cc');
const flags = [
  ...(sanitize
    ? [
        '-O1',
        '-g',
        '-fno-omit-frame-pointer',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-shared-libasan',
      ]
    : ['-O3']),
  '-std=gnu11',
  // sqrtf without errno: the optimizers' loops vectorise (the results are the same IEEE bits)
  '-fno-math-errno',
  // every multiply and add rounded on its own (no FMA contraction in plain C loops compiled for
  // AVX2 / AVX-512): those loops give the bits of the JavaScript kernels; FMAs are written out
  '-ffp-contract=off',
  '-fPIC',
  '-shared',
  '-pthread',
  '-fvisibility=hidden',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  `-I${include}`,
  '-DNODE_GYP_MODULE_NAME=medinets',
];
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
try {
  execFileSync(cc, [...flags, ...sources, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  rmSync(tmp, { force: true });
  skip(`${cc} failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
}
renameSync(tmp, out); // atomic: a concurrent loader sees the old file or the new one
console.log(`medinets native addon built: ${out}`);
