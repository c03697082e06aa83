// Run by test/backend/native-fuzz.test.ts (and `npm run fuzz:native`) in a child process, so
// that a crash of the addon is a failed test rather than a dead test runner. Drives every
// entry point with seeded random valid calls (checked against float64 references) and
// adversarial ones (a parameter, length, type or alias made wrong): each call must return
// correct values or throw an Error "medinets native <fn>: ...". Prints one JSON line.
// Usage: native-fuzz-child.ts <cases> <seed>
import { createRequire } from 'node:module';
import type { NativeAddon } from '../../../src/backend/native';
import { nativeAddonPath } from '../../../src/backend/native';
import {
  bnCases,
  type Case,
  compare,
  convCases,
  eltCases,
  int,
  matmulCase,
  poolCase,
  type Rand,
  randArray,
  randConv,
  rng,
} from '../native-fuzz-cases';
import { dwCases, dwRecheck, randDw } from '../native-fuzz-depthwise';
import { trainCase } from '../native-fuzz-train';
import { convDwRef, convDxRef, convFromArray, convRef, matmulRef, maxPoolGradRef } from '../native-reference';

const total = Number(process.argv[2] ?? '2000');
const seed = Number(process.argv[3] ?? '1');
const addon = createRequire(import.meta.url)(nativeAddonPath()) as NativeAddon;

const INTS = [0, -1, -7, 1, 2, 255, 257, 65536, 2 ** 31 - 1, -(2 ** 31), 46341, 1 << 20];

/** A valid random call of a random entry point. */
function validCase(r: Rand): Case {
  const kind = int(r, 0, 12);
  if (kind === 12) return trainCase(r);
  if (kind >= 10) return dwCases(r, randDw(r))[int(r, 0, 2)] as Case;
  if (kind <= 2) return convCases(r, randConv(r, r() < 0.1))[kind] as Case;
  if (kind <= 4) return matmulCase(r, r() < 0.08);
  if (kind <= 6) return bnCases(r)[kind - 4] as Case;
  if (kind <= 8) return eltCases(r)[int(r, 0, 2)] as Case;
  return poolCase(r);
}

/** One thing made wrong: a parameter value, an array's length or type, an alias, a number. */
function mutate(r: Rand, c: Case): { c: Case; mustThrow: boolean } {
  const args = [...c.args];
  const which = int(r, 0, 5);
  const idx = int(r, 0, args.length - 1);
  const a = args[idx];
  if (which <= 1) {
    const p = args.find((v) => v instanceof Int32Array) as Int32Array | undefined;
    if (p != null) {
      const q = Int32Array.from(p);
      q[int(r, 0, q.length - 1)] = r() < 0.7 ? (INTS[int(r, 0, INTS.length - 1)] as number) : int(r, -3, 40);
      args[args.indexOf(p)] = q;
      // may still be valid (another size, an empty tensor): then the results are checked
      return { c: { fn: c.fn, args, check: undefined }, mustThrow: false };
    }
  }
  if (which === 2 && a instanceof Float32Array) {
    const len = a.length + (r() < 0.5 ? -1 : 1) * int(r, 1, 3);
    args[idx] = new Float32Array(len < 0 ? a.length + 1 : len);
    // copyRuns' arrays need only hold its runs: another length may still be valid
    return { c: { fn: c.fn, args }, mustThrow: c.fn !== 'copyRuns' };
  }
  if (which === 3) {
    // a wrong type; for a number argument (alpha, epsilon, outer) a non-finite or non-number
    const bad =
      typeof a === 'number'
        ? [Number.NaN, Number.POSITIVE_INFINITY, 'x', undefined, null, {}]
        : [new Float64Array(4), new Int32Array(4), [1, 2, 3], 'x', 7, {}, undefined, null, Number.NaN];
    const v = bad[int(r, 0, bad.length - 1)];
    const nullable =
      c.fn === 'bnInfer'
        ? idx === 3 || idx === 4
        : (c.fn === 'conv2d' || c.fn === 'matmul' || c.fn === 'depthwiseConv2d') && idx === 2;
    // reluGrad's cap and clipGrad's bounds may be infinite
    if (
      typeof v === 'number' &&
      v === Number.POSITIVE_INFINITY &&
      (c.fn === 'reluGrad' || c.fn === 'clipGrad')
    )
      return { c, mustThrow: false };
    if ((v === null || v === undefined) && nullable) return { c, mustThrow: false }; // an absent bias / scale / offset
    args[idx] = v;
    return { c: { fn: c.fn, args }, mustThrow: true };
  }
  if (which === 4) {
    // an output aliasing an input: the first Float32Array argument's memory for the last one
    const f32 = args.filter((v) => v instanceof Float32Array) as Float32Array[];
    const out = f32[f32.length - 1];
    const src = f32[0];
    if (out != null && src != null && out !== src && out.length > 0 && src.length > 0) {
      const shared = new Float32Array(src.length + out.length);
      args[args.indexOf(src)] = shared.subarray(0, src.length);
      args[args.indexOf(out)] = shared.subarray(r() < 0.5 ? 0 : src.length - 1, src.length - 1 + out.length);
      return { c: { fn: c.fn, args }, mustThrow: true };
    }
  }
  args.length = int(r, 0, args.length - 1); // too few arguments
  // relu's cap is optional: [x, y] is relu itself
  if (c.fn === 'relu' && args.length === 2) return { c: { fn: c.fn, args }, mustThrow: false };
  return { c: { fn: c.fn, args }, mustThrow: true };
}

const stats = { cases: 0, valid: 0, adversarial: 0, threw: 0, mismatches: 0, badErrors: 0, missedErrors: 0 };
const failures: string[] = [];
const note = (s: string): void => {
  if (failures.length < 20) failures.push(s);
};

/** Re-checks a call that succeeded after a parameter mutation, against the mutated parameters. */
function recheck(c: Case): string | null {
  const p = c.args.find((v) => v instanceof Int32Array) as Int32Array | undefined;
  if (p == null) return null;
  const f = c.args as Float32Array[];
  if (c.fn.startsWith('depthwise')) return dwRecheck(c, p);
  if (c.fn.startsWith('conv2d')) {
    const cp = convFromArray(p);
    if (cp.n * cp.ho * cp.wo * cp.kh * cp.kw * Math.max(cp.cin, 1) * Math.max(cp.cout, 1) > 5e7) return null;
    if (c.fn === 'conv2d')
      return compare(
        'conv2d',
        f[3] as Float32Array,
        convRef(
          cp,
          f[0] as Float32Array,
          f[1] as Float32Array,
          (c.args[2] as Float32Array | null) ?? null,
          c.args[5] as number,
        ),
      );
    if (c.fn === 'conv2dBackpropInput')
      return compare(
        'conv2dBackpropInput',
        f[2] as Float32Array,
        convDxRef(cp, f[0] as Float32Array, f[1] as Float32Array),
      );
    return compare(
      'conv2dBackpropFilter',
      f[2] as Float32Array,
      convDwRef(cp, f[0] as Float32Array, f[1] as Float32Array),
    );
  }
  if (c.fn === 'matmul') {
    const q = Array.from(p);
    const rank = q.length === 8 ? 1 : (q[8] as number);
    const padA = q.length === 8 ? [q[0] as number] : q.slice(9, 9 + rank);
    const padB = q.length === 8 ? [q[1] as number] : q.slice(9 + rank);
    const [, , m, n, k, tA, tB, act] = q as number[];
    if ((m as number) * (n as number) * (k as number) * Math.max(...padA, ...padB) > 5e7) return null;
    return compare(
      'matmul',
      f[3] as Float32Array,
      matmulRef(
        f[0] as Float32Array,
        f[1] as Float32Array,
        (c.args[2] as Float32Array | null) ?? null,
        padA,
        padB,
        m as number,
        n as number,
        k as number,
        tA === 1,
        tB === 1,
        act as number,
        c.args[5] as number,
      ),
    );
  }
  if (c.fn === 'maxPoolGrad') {
    const q = Array.from(p);
    const taps =
      Math.ceil((q[6] as number) / (q[10] as number)) * Math.ceil((q[7] as number) / (q[11] as number));
    if ((q[0] as number) * (q[4] as number) * (q[5] as number) * (q[3] as number) * taps > 5e7) return null;
    return compare(
      'maxPoolGrad',
      f[2] as Float32Array,
      maxPoolGradRef(p, f[0] as Float32Array, f[1] as Float32Array),
    );
  }
  return null;
}

const describe = (args: unknown[]): string =>
  args
    .map((v) =>
      v instanceof Float32Array
        ? `f32[${v.length}]`
        : v instanceof Int32Array
          ? `i32[${Array.from(v).join(',')}]`
          : Array.isArray(v)
            ? `[${v.length}]`
            : String(v),
    )
    .join(' ');

/** FNV-1a over the bits of every Float32Array argument: the same calls on another ISA must match. */
let digest = 0x811c9dc5;
function absorb(args: unknown[]): void {
  for (const a of args) {
    if (!(a instanceof Float32Array)) continue;
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < u.length; i++) digest = Math.imul(digest ^ (u[i] as number), 16777619) >>> 0;
  }
}

const r = rng(seed);
for (let i = 0; i < total; i++) {
  stats.cases++;
  if (i % 97 === 0) addon.setThreads(int(r, 1, 3)); // results must not depend on it
  const base = validCase(r);
  const adversarial = r() < 0.4;
  const { c, mustThrow } = adversarial ? mutate(r, base) : { c: base, mustThrow: false };
  if (adversarial) stats.adversarial++;
  else stats.valid++;
  const fn = addon[c.fn] as (...args: unknown[]) => unknown;
  try {
    fn.apply(addon, c.args);
    if (mustThrow) {
      stats.missedErrors++;
      note(`case ${i} ${c.fn}: a bad call did not throw: ${describe(c.args)}`);
      continue;
    }
    absorb(c.args);
    const bad = c.check != null ? c.check() : recheck(c);
    if (bad != null) {
      stats.mismatches++;
      note(`case ${i}: ${bad}`);
    }
  } catch (err) {
    stats.threw++;
    const msg = err instanceof Error ? err.message : String(err);
    if (!(err instanceof Error) || !msg.startsWith(`medinets native ${c.fn}: `)) {
      stats.badErrors++;
      note(`case ${i} ${c.fn}: ${err instanceof Error ? err.name : typeof err}: ${msg}`);
    } else if (!adversarial) {
      stats.badErrors++;
      note(`case ${i} ${c.fn}: a valid call threw: ${msg}`);
    }
  }
}
// the same output whatever the thread count, on one product big enough for the pool
const a = randArray(r, 200 * 150);
const b = randArray(r, 150 * 120);
const outs = [1, 2, 3].map((t) => {
  addon.setThreads(t);
  const out = new Float32Array(200 * 120);
  addon.matmul(a, b, null, out, Int32Array.from([1, 1, 200, 120, 150, 0, 0, 0]), 0);
  return out;
});
const threadMismatch = compare(
  'threads',
  outs[1] as Float32Array,
  Float64Array.from(outs[0] as Float32Array),
);
// ...and of the memory-bound passes the pool cuts into channel blocks and row ranges
const [rows, ch] = [1536, 48];
const [bx, bdy, bs, bo] = [
  randArray(r, rows * ch),
  randArray(r, rows * ch),
  randArray(r, ch),
  randArray(r, ch),
];
const passes = [1, 2, 3].map((t) => {
  addon.setThreads(t);
  const [y, dx, g, six] = [0, 1, 2, 3].map(() => new Float32Array(rows * ch)) as Float32Array[];
  const [m, v, iv, ds, db] = [0, 1, 2, 3, 4].map(() => new Float32Array(ch)) as Float32Array[];
  addon.bnTrain(bx, bs, bo, y!, m!, v!, iv!, 1e-3);
  addon.bnTrainGrad(bdy, bx, bs, m!, iv!, dx!, ds!, db!);
  addon.reluGrad(bdy, y!, g!, 6);
  addon.relu(y!, six!, 6);
  return Float32Array.from([y, dx, g, six, m, v, iv, ds, db].flatMap((a) => Array.from(a!)));
});
const identical = [outs, passes].every((set) =>
  set.every((o) => o.every((v, i) => Object.is(v, (set[0] as Float32Array)[i]))),
);
console.log(
  JSON.stringify({
    ...stats,
    identical: identical && threadMismatch == null,
    simd: addon.simd(),
    digest,
    failures,
  }),
);
