// The addon checks every argument in C before touching memory: each bad call below throws an
// Error "medinets native <kernel>: <argument> ..." (the fuzz test drives thousands more).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nativeKernelsInUse } from '../../src/backend';
import { activeAddon, type NativeAddon } from '../../src/backend/native';

const available = nativeKernelsInUse().active;
const F = (n: number): Float32Array => new Float32Array(n);
/** conv params: N, H, W, Cin, Ho, Wo, Cout, kh, kw, sh, sw, dh, dw, pt, pl, act */
const P = (...over: [number, number][]): Int32Array => {
  const p = Int32Array.from([1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0]);
  for (const [i, v] of over) p[i] = v;
  return p;
};
const MM = (...v: number[]): Int32Array => Int32Array.from(v);
/** depthwise params: 1x4x4x2 image, multiplier 2, 3x3 taps, stride 1, pad 1 -> 1x4x4x4 */
const DW = (...over: [number, number][]): Int32Array => {
  const p = Int32Array.from([1, 4, 4, 2, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0]);
  for (const [i, v] of over) p[i] = v;
  return p;
};

type Bad = [string, (a: NativeAddon) => unknown, RegExp];
const BAD: Bad[] = [
  [
    'conv2d: wrong output length',
    (a) => a.conv2d(F(32), F(54), null, F(47), P(), 0),
    /conv2d: out: has 47 values, its shape \[batch, outHeight, outWidth, outChannels\] needs 48/,
  ],
  ['conv2d: longer input', (a) => a.conv2d(F(33), F(54), null, F(48), P(), 0), /conv2d: x: has 33 values/],
  [
    'conv2d: stride 0',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([9, 0]), 0),
    /conv2d: params\[9\] \(strideHeight\) must be >= 1, got 0/,
  ],
  [
    'conv2d: dilation 0',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([12, 0]), 0),
    /conv2d: params\[12\] \(dilationWidth\) must be >= 1, got 0/,
  ],
  [
    'conv2d: negative extent',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([1, -4]), 0),
    /params\[1\] \(inHeight\) must be >= 0, got -4/,
  ],
  [
    'conv2d: negative pad',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([13, -1]), 0),
    /params\[13\] \(padTop\) must be >= 0/,
  ],
  [
    'conv2d: activation code',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([15, 9]), 0),
    /params\[15\] \(activation\) must be <= 3, got 9/,
  ],
  [
    'conv2d: too many taps',
    (a) => a.conv2d(F(32), F(6 * 17 * 17), null, F(48), P([7, 17], [8, 17]), 0),
    /conv2d: params: a 17x17 filter has more than 256 taps/,
  ],
  [
    'conv2d: size overflow',
    (a) => a.conv2d(F(32), F(54), null, F(48), P([0, 65536], [1, 65536], [2, 65536]), 0),
    /conv2d: the input .* the size overflows/,
  ],
  [
    'conv2d: wrapping product',
    (a) =>
      a.conv2d(F(0), F(54), null, F(48), P([0, 2 ** 31 - 1], [1, 2 ** 31 - 1], [2, 2 ** 31 - 1], [3, 8]), 0),
    /size overflows/,
  ],
  [
    'conv2d: 15 params',
    (a) => a.conv2d(F(32), F(54), null, F(48), new Int32Array(15), 0),
    /conv2d: params: expected 16 values, got 15/,
  ],
  [
    'conv2d: params type',
    (a) => a.conv2d(F(32), F(54), null, F(48), new Float32Array(16) as unknown as Int32Array, 0),
    /conv2d: params: expected a Int32Array/,
  ],
  [
    'conv2d: x type',
    (a) => a.conv2d(new Float64Array(32) as unknown as Float32Array, F(54), null, F(48), P(), 0),
    /conv2d: x: expected a Float32Array/,
  ],
  [
    'conv2d: bias length',
    (a) => a.conv2d(F(32), F(54), F(2), F(48), P(), 0),
    /conv2d: bias: has 2 values, its shape \[outChannels\] needs 3/,
  ],
  [
    'conv2d: alpha NaN',
    (a) => a.conv2d(F(32), F(54), null, F(48), P(), Number.NaN),
    /conv2d: alpha: expected a finite number/,
  ],
  [
    'conv2d: alpha missing',
    (a) => (a.conv2d as (...x: unknown[]) => void)(F(32), F(54), null, F(48), P()),
    /conv2d: expected 6 arguments, got 5/,
  ],
  [
    'conv2d: out aliases x',
    (a) => {
      const m = F(80);
      a.conv2d(m.subarray(0, 32), F(54), null, m.subarray(31, 79), P(), 0);
    },
    /conv2d: out: shares memory with x/,
  ],
  [
    'conv2dBackpropInput: dx length',
    (a) => a.conv2dBackpropInput(F(48), F(54), F(31), P()),
    /conv2dBackpropInput: dx: has 31 values/,
  ],
  [
    'conv2dBackpropInput: stride 0',
    (a) => a.conv2dBackpropInput(F(48), F(54), F(32), P([10, 0])),
    /conv2dBackpropInput: params\[10\] \(strideWidth\) must be >= 1/,
  ],
  [
    'conv2dBackpropFilter: dw length',
    (a) => a.conv2dBackpropFilter(F(32), F(48), F(53), P()),
    /conv2dBackpropFilter: dw: has 53 values/,
  ],
  [
    'conv2dBackpropFilter: dy type',
    (a) => a.conv2dBackpropFilter(F(32), new Int32Array(48) as unknown as Float32Array, F(54), P()),
    /conv2dBackpropFilter: dy: expected a Float32Array/,
  ],
  [
    'matmul: batches 2 and 3',
    (a) => a.matmul(F(2 * 6), F(3 * 6), null, F(3 * 4), MM(2, 3, 2, 2, 3, 0, 0, 0), 0),
    /matmul: params: batch dimension 0 of a \(2\) and b \(3\) do not broadcast/,
  ],
  [
    'matmul: extents vs batch',
    (a) => a.matmul(F(12), F(6), null, F(8), MM(2, 1, 2, 2, 3, 0, 0, 0, 1, 3, 1), 0),
    /matmul: params: the batch extents multiply to 3 and 1, not batchA 2/,
  ],
  [
    'matmul: rank 9',
    (a) =>
      a.matmul(F(6), F(6), null, F(4), MM(1, 1, 2, 2, 3, 0, 0, 0, 9, ...new Array<number>(18).fill(1)), 0),
    /matmul: params: expected 8 to 25 values, got 27/,
  ],
  [
    'matmul: transA 2',
    (a) => a.matmul(F(6), F(6), null, F(4), MM(1, 1, 2, 2, 3, 2, 0, 0), 0),
    /matmul: params\[5\] \(transA\) must be <= 1/,
  ],
  [
    'matmul: negative M',
    (a) => a.matmul(F(6), F(6), null, F(4), MM(1, 1, -2, 2, 3, 0, 0, 0), 0),
    /matmul: params\[2\] \(M\) must be >= 0/,
  ],
  [
    'matmul: short a',
    (a) => a.matmul(F(5), F(6), null, F(4), MM(1, 1, 2, 2, 3, 0, 0, 0), 0),
    /matmul: a: has 5 values, its shape \[batchA, M, K\] needs 6/,
  ],
  [
    'matmul: c aliases b',
    (a) => {
      const m = F(10);
      a.matmul(F(6), m.subarray(0, 6), null, m.subarray(5, 9), MM(1, 1, 2, 2, 3, 0, 0, 0), 0);
    },
    /matmul: c: shares memory with b/,
  ],
  [
    'bnTrain: no channels',
    (a) => a.bnTrain(F(4), F(0), F(0), F(4), F(0), F(0), F(0), 1e-3),
    /bnTrain: scale: expected at least one channel/,
  ],
  [
    'bnTrain: ragged x',
    (a) => a.bnTrain(F(7), F(2), F(2), F(7), F(2), F(2), F(2), 1e-3),
    /bnTrain: x: has 7 values, not a whole number of rows of 2 channels/,
  ],
  [
    'bnTrain: short mean',
    (a) => a.bnTrain(F(8), F(2), F(2), F(8), F(1), F(2), F(2), 1e-3),
    /bnTrain: mean: has 1 values, its shape \[c\] needs 2/,
  ],
  [
    'bnTrain: epsilon',
    (a) => a.bnTrain(F(8), F(2), F(2), F(8), F(2), F(2), F(2), Number.POSITIVE_INFINITY),
    /bnTrain: epsilon: expected a finite number/,
  ],
  [
    'bnTrainGrad: long dx',
    (a) => a.bnTrainGrad(F(8), F(8), F(2), F(2), F(2), F(9), F(2), F(2)),
    /bnTrainGrad: dx: has 9 values, its shape \[n, c\] needs 8/,
  ],
  [
    'bnInfer: short offset',
    (a) => a.bnInfer(F(8), F(2), F(2), null, F(1), F(8), 1e-3),
    /bnInfer: offset: has 1 values/,
  ],
  [
    'bnInfer: y is x',
    (a) => {
      const x = F(8);
      a.bnInfer(x, F(2), F(2), null, null, x, 1e-3);
    },
    /bnInfer: y: shares memory with x/,
  ],
  ['relu: y length', (a) => a.relu(F(8), F(7)), /relu: y: has 7 values, its shape of x needs 8/],
  ['relu: cap 0', (a) => a.relu(F(8), F(8), 0), /relu: cap: expected a positive number, got 0/],
  [
    'relu: cap NaN',
    (a) => a.relu(F(8), F(8), Number.NaN),
    /relu: cap: expected a number|relu: cap: expected a finite/,
  ],
  [
    'concat: outer 0',
    (a) => a.concat(F(0), [F(0)], 0),
    /concat: outer: expected an integer from 1 to 2\^40, got 0/,
  ],
  ['concat: outer 1.5', (a) => a.concat(F(3), [F(3)], 1.5), /concat: outer: expected an integer/],
  [
    'concat: not an array',
    (a) => a.concat(F(3), F(3) as unknown as Float32Array[], 1),
    /concat: inputs: expected an array of Float32Arrays/,
  ],
  ['concat: no parts', (a) => a.concat(F(3), [], 1), /concat: inputs: expected 1 to 1024 arrays, got 0/],
  [
    'concat: ragged part',
    (a) => a.concat(F(6), [F(4), F(3)], 2),
    /concat: inputs\[1\]: has 3 values, not a whole number of 2 rows/,
  ],
  ['concat: sum', (a) => a.concat(F(9), [F(4), F(4)], 2), /concat: out: has 9 values/],
  [
    'copyRuns: not triplets',
    (a) => a.copyRuns?.(F(8), F(8), Int32Array.from([0, 0, 2, 1])),
    /copyRuns: runs: expected \(source, destination, length\) triplets, got 4 values/,
  ],
  [
    'copyRuns: past the source',
    (a) => a.copyRuns?.(F(8), F(16), Int32Array.from([0, 0, 4, 6, 4, 3])),
    /copyRuns: runs\[1\]: \(6, 4, 3\) ends past src \(8 values\) or dst \(16 values\)/,
  ],
  [
    'copyRuns: past the destination',
    (a) => a.copyRuns?.(F(8), F(4), Int32Array.from([0, 2, 3])),
    /copyRuns: runs\[0\]: \(0, 2, 3\) ends past src/,
  ],
  [
    'copyRuns: negative',
    (a) => a.copyRuns?.(F(8), F(8), Int32Array.from([-1, 0, 2])),
    /copyRuns: runs\[0\]: expected offsets and a length >= 0, got \(-1, 0, 2\)/,
  ],
  [
    'copyRuns: overlapping destinations',
    (a) => a.copyRuns?.(F(8), F(8), Int32Array.from([0, 4, 2, 2, 5, 2])),
    /copyRuns: runs\[1\]: destination 5 starts before the previous run's end 6/,
  ],
  ['copyRuns: no runs', (a) => a.copyRuns?.(F(8), F(8), new Int32Array(0)), /copyRuns: runs: expected 3 to/],
  [
    'copyRuns: dst is src',
    (a) => {
      const x = F(8);
      return a.copyRuns?.(x, x, Int32Array.from([0, 4, 2]));
    },
    /copyRuns: .*(overlap|share|alias|same)/,
  ],
  [
    'split: a part type',
    (a) => a.split(F(8), [F(4), [1, 2, 3, 4] as unknown as Float32Array], 2),
    /split: outputs: expected a Float32Array/,
  ],
  [
    'split: outputs overlap',
    (a) => {
      const m = F(8);
      a.split(F(8), [m.subarray(0, 4), m.subarray(2, 6)], 2);
    },
    /split: outputs: shares memory with outputs/,
  ],
  [
    'maxPoolGrad: dilation 0 (an endless loop before)',
    (a) => a.maxPoolGrad(F(16), F(16), F(16), Int32Array.from([1, 4, 4, 1, 4, 4, 3, 3, 1, 1, 0, 1, 1, 1])),
    /maxPoolGrad: params\[10\] \(dilationHeight\) must be >= 1, got 0/,
  ],
  [
    'maxPoolGrad: dx length',
    (a) => a.maxPoolGrad(F(16), F(16), F(15), Int32Array.from([1, 4, 4, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1])),
    /maxPoolGrad: dx: has 15 values/,
  ],
  [
    'binaryBroadcast: small length',
    (a) => a.binaryBroadcast?.(2, F(24), F(5), F(24), Int32Array.from([2, 3, 4, 0])),
    /binaryBroadcast: small: has 5 values, its shape \[outer, inner\] needs 8/,
  ],
  [
    'binaryBroadcast: smallFirst 2',
    (a) => a.binaryBroadcast?.(2, F(24), F(8), F(24), Int32Array.from([2, 3, 4, 2])),
    /binaryBroadcast: smallFirst must be <= 1, got 2/,
  ],
  [
    'binaryBroadcast: y over big',
    (a) => {
      const m = F(30);
      a.binaryBroadcast?.(0, m.subarray(0, 24), F(8), m.subarray(6, 30), Int32Array.from([2, 3, 4, 0]));
    },
    /binaryBroadcast: y: shares memory with big/,
  ],
  [
    'maxPool: y length',
    (a) => a.maxPool?.(F(16), F(3), Int32Array.from([1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0])),
    /maxPool: y: has 3 values, its shape \[batch, outHeight, outWidth, channels\] needs 4/,
  ],
  [
    'maxPool: stride 0',
    (a) => a.maxPool?.(F(16), F(4), Int32Array.from([1, 4, 4, 1, 2, 2, 2, 2, 0, 2, 1, 1, 0, 0])),
    /maxPool: params\[8\] \(strideHeight\) must be >= 1, got 0/,
  ],
  [
    'maxPool: y over x',
    (a) => {
      const m = F(20);
      a.maxPool?.(
        m.subarray(0, 16),
        m.subarray(14, 18),
        Int32Array.from([1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0]),
      );
    },
    /maxPool: y: shares memory with x/,
  ],
  ['setThreads: 0', (a) => a.setThreads(0), /setThreads: threads must be >= 1, got 0/],
  ['setThreads: 2.5', (a) => a.setThreads(2.5), /setThreads: threads: expected an integer, got 2.5/],
  // depthwise params: N, H, W, C, Ho, Wo, multiplier, kh, kw, sh, sw, dh, dw, pt, pl, act (x 32, filter 36, out 64)
  [
    'depthwiseConv2d: stride 0',
    (a) => a.depthwiseConv2d(F(32), F(36), null, F(64), DW([10, 0]), 0),
    /^medinets native depthwiseConv2d: params\[10\] \(strideWidth\) must be >= 1, got 0/,
  ],
  [
    'depthwiseConv2d: dilation 0',
    (a) => a.depthwiseConv2d(F(32), F(36), null, F(64), DW([11, 0]), 0),
    /depthwiseConv2d: params\[11\] \(dilationHeight\) must be >= 1, got 0/,
  ],
  [
    'depthwiseConv2d: negative multiplier',
    (a) => a.depthwiseConv2d(F(32), F(36), null, F(64), DW([6, -2]), 0),
    /depthwiseConv2d: params\[6\] \(multiplier\) must be >= 0, got -2/,
  ],
  [
    'depthwiseConv2d: wrong filter length',
    (a) => a.depthwiseConv2d(F(32), F(35), null, F(64), DW(), 0),
    /depthwiseConv2d: filter: has 35 values, its shape \[filterHeight, filterWidth, channels, multiplier\] needs 36/,
  ],
  [
    'depthwiseConv2d: bias length',
    (a) => a.depthwiseConv2d(F(32), F(36), F(3), F(64), DW(), 0),
    /depthwiseConv2d: bias: has 3 values/,
  ],
  [
    'depthwiseConv2d: output aliasing the input',
    (a) => {
      const m = F(96);
      a.depthwiseConv2d(m.subarray(0, 32), F(36), null, m.subarray(32), DW(), 0);
      a.depthwiseConv2d(m.subarray(0, 32), F(36), null, m.subarray(16, 80), DW(), 0);
    },
    /depthwiseConv2d: out: shares memory with x/,
  ],
  [
    'depthwiseConv2d: size overflow',
    (a) => a.depthwiseConv2d(F(32), F(36), null, F(64), DW([0, 65536], [1, 65536], [2, 65536]), 0),
    /depthwiseConv2d: the input .* the size overflows/,
  ],
  [
    'depthwiseConv2dBackpropInput: an activation',
    (a) => a.depthwiseConv2dBackpropInput(F(64), F(36), F(32), DW([15, 1])),
    /depthwiseConv2dBackpropInput: params\[15\] \(activation\): a gradient takes none/,
  ],
  [
    'depthwiseConv2dBackpropFilter: wrong dy length',
    (a) => a.depthwiseConv2dBackpropFilter(F(32), F(63), F(36), DW()),
    /depthwiseConv2dBackpropFilter: dy: has 63 values, its shape \[batch, outHeight, outWidth, channels \* multiplier\] needs 64/,
  ],
];

describe.skipIf(!available)('native addon argument checks', () => {
  const addon = activeAddon() as NativeAddon;

  it.each(BAD)('%s', (_, call, message) => {
    let err: unknown;
    try {
      call(addon);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^medinets native \w+: /);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts empty tensors as an explicit empty result, and huge extents of empty ones', () => {
    const out = F(3).fill(Number.NaN);
    // no input channels: the output is the bias alone
    addon.conv2d(
      F(0),
      F(0),
      Float32Array.from([1, -2, 3]),
      out,
      Int32Array.from([1, 2, 2, 0, 1, 1, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1]),
      0,
    );
    expect(Array.from(out)).toEqual([1, 0, 3]);
    // no batch: nothing to do, however large the image (this returned only after 2^62 loops before)
    const big = 2 ** 31 - 1;
    addon.conv2dBackpropInput(
      F(0),
      F(9 * 16 * 4),
      F(0),
      Int32Array.from([0, big, big, 16, big, big, 4, 3, 3, big, big, 1, 1, 0, 0, 0]),
    );
    const dx = F(8).fill(Number.NaN);
    addon.conv2dBackpropInput(
      F(0),
      F(0),
      dx,
      Int32Array.from([1, 2, 2, 2, big, big, 0, 3, 3, 1, 1, 1, 1, 0, 0, 0]),
    );
    expect(Array.from(dx)).toEqual(new Array<number>(8).fill(0));
    const c = F(4).fill(Number.NaN);
    addon.matmul(F(0), F(0), null, c, Int32Array.from([1, 1, 2, 2, 0, 0, 0, 0]), 0);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    addon.maxPoolGrad(
      F(0),
      F(0),
      F(0),
      Int32Array.from([0, big, big, 1, big, big, big, big, 1, 1, 1, 1, 0, 0]),
    );
  });

  it('keeps freed tensor memory in glibc (mallocTuned), unless MEDINETS_NATIVE_MALLOC=0', () => {
    // glibc's malloc only: CI's sanitizer pass preloads ASan, whose allocator has no mallopt
    const asan = (process.env.LD_PRELOAD ?? '').includes('asan');
    const glibc = process.platform === 'linux' && process.env.MEDINETS_NATIVE_MALLOC !== '0' && !asan;
    expect(addon.mallocTuned?.()).toBe(glibc);
    const path = nativeKernelsInUse().path;
    const load = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(path)}); console.log(m.exports.mallocTuned())`;
    const off = spawnSync(process.execPath, ['-e', load], {
      env: { ...process.env, MEDINETS_NATIVE_MALLOC: '0' },
      encoding: 'utf8',
    });
    expect(off.stdout.trim()).toBe('false');
  });

  it('broadcasts batch dimensions on both sides ([2,1] x [1,3] -> [2,3])', () => {
    const a = Float32Array.from([1, 2]); // [2, 1, 1, 1]
    const b = Float32Array.from([10, 20, 30]); // [1, 3, 1, 1]
    const c = F(6);
    addon.matmul(a, b, null, c, Int32Array.from([2, 3, 1, 1, 1, 0, 0, 0, 2, 2, 1, 1, 3]), 0);
    expect(Array.from(c)).toEqual([10, 20, 30, 20, 40, 60]);
  });
});
