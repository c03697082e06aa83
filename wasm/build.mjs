// Builds medinets' WebAssembly SIMD kernels (wasm/*.c) with clang's wasm32 target and wasm-ld
// (Debian: clang-14, lld, llvm-14 for llvm-objdump) into src/backend/kernels/wasm-simd-binary.ts:
// two modules as base64 strings, one importing a plain memory (tfjs-backend-wasm's SIMD binary)
// and one a shared memory (its threaded SIMD binary). The generated file is committed, so
// typecheck, tests and bundlers (which inline it: no URL to resolve) work without the
// toolchain; `npm run build` rebuilds it. Under CI=true a missing toolchain, a module that
// would write memory it does not own, or a committed file that differs from the rebuilt one
// fails the build; elsewhere a missing toolchain keeps the committed file, with a note.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'wasm');
const target = join(root, 'src', 'backend', 'kernels', 'wasm-simd-binary.ts');
const ci = process.env.CI === 'true' || process.env.CI === '1';

function tool(names) {
  for (const n of names) {
    try {
      execFileSync(n, ['--version'], { stdio: 'ignore' });
      return n;
    } catch {
      // next candidate
    }
  }
  return null;
}

const clang = tool(['clang-14', 'clang']);
const wasmLd = tool(['wasm-ld-14', 'wasm-ld']);
const objdump = tool(['llvm-objdump-14', 'llvm-objdump']);
if (clang == null || wasmLd == null || objdump == null) {
  const why = `needs clang, wasm-ld and llvm-objdump (apt: clang lld llvm-14); found clang ${clang}, wasm-ld ${wasmLd}, llvm-objdump ${objdump}`;
  if (ci) {
    console.error(`medinets wasm SIMD kernels not built: ${why}`);
    process.exit(1);
  }
  console.log(`medinets wasm SIMD kernels not rebuilt (${why}); the committed build is used.`);
  process.exit(0);
}

const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith('.c'))
  .sort();
const tmp = mkdtempSync(join(tmpdir(), 'medinets-wasm-build-'));

/**
 * The linked module must own no memory: no data segment (it would be copied over emscripten's
 * data at instantiation) and no use of the shadow-stack global (a stack frame would be written
 * at the linker's stack address, inside emscripten's heap).
 */
function checkOwnsNoMemory(file) {
  const headers = execFileSync(objdump, ['-h', file], { encoding: 'utf8' });
  if (/\bDATA\b/.test(headers)) throw new Error(`wasm/build.mjs: ${file} has a DATA section:\n${headers}`);
  const code = execFileSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const globals = code.split('\n').filter((l) => /\bglobal\.(get|set)\b/.test(l));
  if (globals.length > 0)
    throw new Error(
      `wasm/build.mjs: ${file} uses the shadow stack (an array the compiler did not keep in locals):\n${globals.slice(0, 5).join('\n')}`,
    );
}

/**
 * clang 14 emits relaxed SIMD's fused multiply-add as the prototype's `f32x4.fma` (0xfd 0xaf
 * 0x01); engines take the standard `f32x4.relaxed_madd` (0xfd 0x85 0x02, same operands a, b, c
 * for a * b + c, same length). Each one, located by llvm-objdump in the code section, is
 * rewritten; anything left unrewritten fails the build.
 */
function patchRelaxed(file) {
  const buf = readFileSync(file);
  const leb = (p) => {
    let r = 0;
    let shift = 0;
    let b;
    do {
      b = buf[p++];
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return [r, p];
  };
  let p = 8;
  let code = -1;
  while (p < buf.length) {
    const id = buf[p];
    const [size, body] = leb(p + 1);
    if (id === 10) code = body;
    p = body + size;
  }
  const dis = execFileSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let n = 0;
  for (const m of dis.matchAll(/^\s*([0-9a-f]+): fd af 01\s+f32x4\.fma\b/gm)) {
    const o = code + parseInt(m[1], 16);
    if (buf[o] !== 0xfd || buf[o + 1] !== 0xaf || buf[o + 2] !== 0x01)
      throw new Error(`wasm/build.mjs: no f32x4.fma at byte ${o} of ${file}`);
    buf[o + 1] = 0x85;
    buf[o + 2] = 0x02;
    n++;
  }
  const left = dis.split('\n').filter((l) => /f32x4\.fm[as]|f64x2\.fm[as]/.test(l) && !/fd af 01/.test(l));
  if (n === 0 || left.length > 0)
    throw new Error(
      `wasm/build.mjs: ${n} f32x4.fma rewritten in ${file}; left: ${left.slice(0, 3).join(' / ')}`,
    );
  writeFileSync(file, buf);
  return n;
}

function build(shared, relaxed = false) {
  const flags = [
    '--target=wasm32',
    '-msimd128',
    '-mbulk-memory',
    '-O3',
    '-nostdlib',
    '-ffreestanding',
    '-Wall',
    '-Werror',
  ];
  if (shared) flags.push('-matomics');
  // the relaxed module: the matrix product (and Winograd's, on its register block) alone, its
  // multiply-adds fused
  if (relaxed) flags.push('-mrelaxed-simd', '-DMEDINETS_RELAXED');
  const tag = `${shared ? 'shared' : 'plain'}${relaxed ? '-relaxed' : ''}`;
  const objs = (relaxed ? ['gemm.c', 'winograd.c'] : sources).map((s) => {
    const o = join(tmp, `${s}.${tag}.o`);
    execFileSync(clang, [...flags, '-c', join(srcDir, s), '-o', o], { stdio: 'inherit' });
    return o;
  });
  const out = join(tmp, `kernels-${tag}.wasm`);
  const link = ['--no-entry', '--import-memory', '--strip-all', '-o', out, ...objs];
  // tfjs-backend-wasm's threaded memory is shared with a 4 GiB maximum: the import must match
  if (shared) link.unshift('--shared-memory', '--max-memory=4294967296');
  execFileSync(wasmLd, link, { stdio: 'inherit' });
  checkOwnsNoMemory(out);
  if (relaxed) patchRelaxed(out);
  return readFileSync(out);
}

let text;
try {
  const plain = build(false);
  const shared = build(true);
  const relaxedPlain = build(false, true);
  const relaxedShared = build(true, true);
  text =
    `// Generated by wasm/build.mjs from wasm/*.c (${sources.join(', ')}); do not edit.\n` +
    `// ${clang}, wasm32 + simd128, -O3; ${plain.length} and ${shared.length} bytes; the relaxed\n` +
    `// product ${relaxedPlain.length} and ${relaxedShared.length} bytes.\n\n` +
    `/** The kernels' module for a plain (non-shared) memory, base64. */\n` +
    `export const SIMD_PLAIN_WASM =\n  '${plain.toString('base64')}';\n\n` +
    `/** The same kernels for a shared memory (the threaded binary), base64. */\n` +
    `export const SIMD_SHARED_WASM =\n  '${shared.toString('base64')}';\n\n` +
    `/** wasm/gemm.c and winograd.c alone with relaxed SIMD's fused multiply-add, for a plain memory, base64. */\n` +
    `export const SIMD_RELAXED_PLAIN_WASM =\n  '${relaxedPlain.toString('base64')}';\n\n` +
    `/** The same for a shared memory, base64. */\n` +
    `export const SIMD_RELAXED_SHARED_WASM =\n  '${relaxedShared.toString('base64')}';\n`;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

let committed = null;
try {
  committed = readFileSync(target, 'utf8');
} catch {
  // first build
}
if (committed === text) {
  console.log(`medinets wasm SIMD kernels up to date: ${target}`);
} else if (ci && committed != null) {
  console.error(
    `medinets wasm SIMD kernels: ${target} differs from what wasm/*.c builds to; run \`node wasm/build.mjs\` and commit it.`,
  );
  process.exit(1);
} else {
  writeFileSync(target, text);
  console.log(`medinets wasm SIMD kernels built: ${target}`);
}
