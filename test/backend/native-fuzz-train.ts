// The training step's elementwise entry points in the native fuzz (native/bindings-train.c):
// optimizerUpdate of every kind (lengths across the pool's split, in place or not), reluGrad,
// clipGrad, binary (add / sub / mul / div), copyRuns (block copies) and reduceMid (float64 column sums), checked bit for bit against float32 references written from tfjs' formulas
// (each operation rounded to float32 in tfjs' order, as native/optimizers.c promises).
import { type Case, int, type Rand, randArray } from './native-fuzz-cases';

const f = Math.fround;

/** tfjs' update of one element: kind's state in, [param, state...] out (optimizers.c's order). */
function updateOne(kind: number, v: number[], s: Float32Array): number[] {
  const [p, g] = v as [number, number];
  if (kind === 0) {
    const [b1, omb1, b2, omb2, c1, c2, eps, nlr] = s as unknown as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const m1 = f(f(v[2]! * b1) + f(g * omb1));
    const v1 = f(f(v[3]! * b2) + f(f(g * g) * omb2));
    const den = f(f(Math.sqrt(f(v1 / c2))) + eps);
    return [f(f(f(f(m1 / c1) / den) * nlr) + p), m1, v1];
  }
  if (kind === 1) {
    const [mom, c, nesterov] = s as unknown as [number, number, number];
    const a1 = f(f(mom * v[2]!) + g);
    const d = nesterov !== 0 ? f(c * f(g + f(a1 * mom))) : f(c * a1);
    return [f(d + p), a1];
  }
  if (kind === 2 || kind === 3) {
    const [decay, omd, lr, eps, mu] = s as unknown as [number, number, number, number, number];
    const ms1 = f(f(v[2]! * decay) + f(f(g * g) * omd));
    let den: number;
    let mg1 = 0;
    if (kind === 3) {
      mg1 = f(f(v[4]! * decay) + f(g * omd));
      den = f(Math.sqrt(f(ms1 - f(f(mg1 * mg1) + eps))));
    } else den = f(Math.sqrt(f(ms1 + eps)));
    const mom1 = f(f(v[3]! * mu) + f(f(g * lr) / den));
    return kind === 3 ? [f(p - mom1), ms1, mom1, mg1] : [f(p - mom1), ms1, mom1];
  }
  return [f(f(s[0]! * g) + p)];
}

const SHAPES = [
  { ins: 4, outs: 3, scalars: 8 },
  { ins: 3, outs: 2, scalars: 3 },
  { ins: 4, outs: 3, scalars: 5 },
  { ins: 5, outs: 4, scalars: 5 },
  { ins: 2, outs: 1, scalars: 1 },
];

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function updateCase(r: Rand): Case {
  const kind = int(r, 0, 4);
  const sh = SHAPES[kind] as (typeof SHAPES)[number];
  // mostly small; sometimes long enough for the pool's slices (2^14 values and more)
  const n = r() < 0.15 ? int(r, 1 << 14, 5 << 14) : int(r, 0, 300);
  const ins = Array.from({ length: sh.ins }, (_, k) =>
    k >= 2 && kind !== 1 && k !== 4 ? randArray(r, n).map(Math.abs) : randArray(r, n),
  );
  const scalars = Float32Array.from({ length: sh.scalars }, () => r());
  if (kind === 1) scalars[2] = r() < 0.5 ? 1 : 0;
  if (kind === 3) scalars[3] = 2; // centered: ms - (mg^2 + eps) can go negative: NaN, as tfjs
  const before = ins.map((a) => Float32Array.from(a));
  // in place (the output is its input's array) or into fresh arrays
  const inPlace = r() < 0.5;
  const outs = Array.from({ length: sh.outs }, (_, k) =>
    inPlace ? (ins[k === 0 ? 0 : k + 1] as Float32Array) : new Float32Array(n),
  );
  return {
    fn: 'optimizerUpdate',
    args: [kind, ins, outs, scalars],
    check: () => {
      for (let i = 0; i < n; i++) {
        const want = updateOne(
          kind,
          before.map((a) => a[i] as number),
          scalars,
        );
        for (let k = 0; k < sh.outs; k++)
          if (!same((outs[k] as Float32Array)[i] as number, want[k] as number))
            return `optimizerUpdate kind ${kind} n ${n} out ${k}[${i}]: ${(outs[k] as Float32Array)[i]}, tfjs ${want[k]}`;
      }
      return null;
    },
  };
}

function gradCase(r: Rand): Case {
  // mostly small; sometimes long enough for the pool's ranges (2^15 values and more)
  const n = r() < 0.1 ? int(r, 1 << 15, 3 << 15) : int(r, 0, 400);
  const x = randArray(r, n).map((v) => v * 8);
  const dy = randArray(r, n);
  if (n > 4) [x[0], x[1], x[2], x[3]] = [0, -0, Number.NaN, 6];
  const dx = new Float32Array(n).fill(Number.NaN);
  if (r() < 0.5) {
    const cap = r() < 0.5 ? Infinity : 6;
    return {
      fn: 'reluGrad',
      args: [dy, x, dx, cap],
      check: () => {
        for (let i = 0; i < n; i++) {
          const v = x[i] as number;
          const want = f((dy[i] as number) * (Number.isNaN(v) ? v : v > 0 && v <= cap ? 1 : 0));
          if (!same(dx[i] as number, want)) return `reluGrad[${i}]: ${dx[i]}, tfjs ${want}`;
        }
        return null;
      },
    };
  }
  const lo = f(r() * -4);
  const hi = f(r() * 6);
  return {
    fn: 'clipGrad',
    args: [dy, x, dx, lo, hi],
    check: () => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        const want = v >= lo && v <= hi ? (dy[i] as number) : 0;
        if (!same(dx[i] as number, want)) return `clipGrad[${i}]: ${dx[i]}, tfjs ${want}`;
      }
      return null;
    },
  };
}

const OPS = [
  (a: number, b: number) => a + b,
  (a: number, b: number) => a - b,
  (a: number, b: number) => a * b,
  (a: number, b: number) => a / b,
];

function binaryCase(r: Rand): Case {
  // mostly small; sometimes long enough for the pool's slices (2^15 values and more)
  const n = r() < 0.15 ? int(r, 1 << 15, 3 << 15) : int(r, 0, 300);
  const op = int(r, 0, 3);
  const a = randArray(r, n);
  const b = randArray(r, n);
  if (n > 3) [b[0], b[1], a[2]] = [0, -0, Number.NaN];
  const y = new Float32Array(n).fill(Number.NaN);
  return {
    fn: 'binary',
    args: [op, a, b, y],
    check: () => {
      for (let i = 0; i < n; i++) {
        const want = f((OPS[op] as (a: number, b: number) => number)(a[i] as number, b[i] as number));
        if (!same(y[i] as number, want)) return `binary op ${op} n ${n} [${i}]: ${y[i]}, tfjs ${want}`;
      }
      return null;
    },
  };
}

function copyRunsCase(r: Rand): Case {
  // runs in increasing, disjoint destinations; sometimes over 256 KB (the pool's split)
  const big = r() < 0.15;
  const srcLen = big ? int(r, 1 << 17, 1 << 18) : int(r, 1, 400);
  const src = randArray(r, srcLen);
  const runs: number[] = [];
  let d = 0;
  for (let k = int(r, 1, big ? 60 : 12); k > 0; k--) {
    const len = int(r, 0, Math.min(srcLen, big ? 8192 : 40));
    d += int(r, 0, 5);
    runs.push(int(r, 0, srcLen - len), d, len);
    d += len;
  }
  const dst = new Float32Array(d + int(r, 0, 5)).fill(Number.NaN);
  const want = Float32Array.from(dst);
  for (let k = 0; k < runs.length; k += 3) {
    const [so, dO, len] = runs.slice(k, k + 3) as [number, number, number];
    want.set(src.subarray(so, so + len), dO);
  }
  return {
    fn: 'copyRuns',
    args: [src, dst, Int32Array.from(runs)],
    check: () => {
      for (let i = 0; i < dst.length; i++)
        if (!same(dst[i] as number, want[i] as number))
          return `copyRuns ${runs.length / 3} runs [${i}]: ${dst[i]}, want ${want[i]}`;
      return null;
    },
  };
}

function reduceCase(r: Rand): Case {
  const big = r() < 0.15;
  const pre = r() < 0.05 ? 0 : int(r, 1, big ? 8 : 3);
  const mid = r() < 0.05 ? 0 : int(r, 1, big ? 300 : 20);
  const inner = r() < 0.05 ? 0 : int(r, 1, big ? 200 : 70);
  const x = randArray(r, pre * mid * inner);
  const out = new Float32Array(pre * inner).fill(Number.NaN);
  const scale = r() < 0.5 ? 1 : 1 / Math.max(mid, 1);
  return {
    fn: 'reduceMid',
    args: [x, out, new Int32Array([pre, mid, inner]), scale],
    check: () => {
      // reduce.ts's JS loop: float64 sums over mid in order, times scale, rounded once
      for (let p = 0; p < pre; p++)
        for (let j = 0; j < inner; j++) {
          let acc = 0;
          for (let i = 0; i < mid; i++) acc += x[(p * mid + i) * inner + j] as number;
          const want = f(acc * scale);
          const got = out[p * inner + j] as number;
          if (!same(got, want)) return `reduceMid ${pre}x${mid}x${inner} [${p}, ${j}]: ${got}, JS ${want}`;
        }
      return null;
    },
  };
}

/** A valid random call of one of the training step's elementwise entry points. */
export const trainCase = (r: Rand): Case => {
  const k = r();
  if (k < 0.4) return updateCase(r);
  if (k < 0.7) return gradCase(r);
  if (k < 0.85) return binaryCase(r);
  return k < 0.92 ? copyRunsCase(r) : reduceCase(r);
};
