/*
 * Data movement and inference passes in WebAssembly SIMD on tfjs-backend-wasm's heap (see
 * kernels.c for the memory rules): strided row copies (Concat / SplitV along any axis, the
 * stock wasm kernels copy value by value), batched 2-D transposes, batch norm at inference and ReLU / ReLU6. Copies
 * use memory.copy (bulk memory, built for both modules), so no memcpy is linked.
 */
#include <wasm_simd128.h>

typedef float f32;

/* rows x len floats from src (rows sstride apart) to dst (rows dstride apart). */
__attribute__((export_name("copy_rows"))) void copy_rows(f32 *dst, long dstride, const f32 *src, long sstride,
                                                         long len, long rows) {
  for (long r = 0; r < rows; r++) __builtin_memcpy(dst + r * dstride, src + r * sstride, sizeof(f32) * (unsigned long)len);
}

/* min(max(v, 0), cap) on 4 lanes: lanes above 0 keep v (capped), others +0; NaN lanes keep v. */
static inline v128_t relu4(v128_t v, v128_t zero, v128_t capv) {
  v128_t r = wasm_v128_and(v, wasm_f32x4_gt(v, zero));
  r = wasm_v128_bitselect(capv, r, wasm_f32x4_gt(r, capv));
  return wasm_v128_bitselect(v, r, wasm_f32x4_ne(v, v));
}
static inline f32 relu1(f32 v, f32 cap) { return v != v ? v : (v > 0 ? (v > cap ? cap : v) : 0.0f); }

/* y = min(max(x, 0), cap): NaN stays NaN, -0 becomes +0 (tfjs' relu / relu6). */
__attribute__((export_name("relu_cap"))) void relu_cap(const f32 *x, f32 *y, long n, f32 cap) {
  const v128_t zero = wasm_f32x4_splat(0.0f), capv = wasm_f32x4_splat(cap);
  long i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, relu4(wasm_v128_load(x + i), zero, capv));
  for (; i < n; i++) y[i] = relu1(x[i], cap);
}

/*
 * y = x a + b per channel (last axis, c values): ab holds a then b (computed by the caller);
 * with a cap (not NaN), then relu_cap's min(max(y, 0), cap) on each value while it is in a
 * register: the bits of the two passes in turn.
 */
static void bn_rows(const f32 *x, const f32 *ab, f32 *y, long n, long c, int act, f32 cap) {
  const f32 *a = ab, *b = ab + c;
  const v128_t zero = wasm_f32x4_splat(0.0f), capv = wasm_f32x4_splat(cap);
  for (long i = 0; i < n; i++) {
    const f32 *row = x + i * c;
    f32 *out = y + i * c;
    long j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(row + j), wasm_v128_load(a + j)), wasm_v128_load(b + j));
      wasm_v128_store(out + j, act ? relu4(v, zero, capv) : v);
    }
    for (; j < c; j++) {
      const f32 v = row[j] * a[j] + b[j];
      out[j] = act ? relu1(v, cap) : v;
    }
  }
}
__attribute__((export_name("bn_infer"))) void bn_infer(const f32 *x, const f32 *ab, f32 *y, long n, long c) {
  bn_rows(x, ab, y, n, c, 0, 0.0f);
}
__attribute__((export_name("bn_infer_relu"))) void bn_infer_relu(const f32 *x, const f32 *ab, f32 *y, long n, long c,
                                                                 f32 cap) {
  bn_rows(x, ab, y, n, c, 1, cap);
}

/*
 * dst[b] = src[b]^T for `batches` row-major rows x cols matrices: 4x4 blocks moved with
 * shuffles, in 32x32 tiles so the written columns stay in cache. Bits are moved, never
 * changed (the stock wasm Transpose walks the output value by value: 4.6-7 ns a value for
 * NHWC -> CNHW, this about 1).
 */
__attribute__((export_name("transpose_2d"))) void transpose_2d(const f32 *src, f32 *dst, long batches, long rows,
                                                               long cols) {
  for (long b = 0; b < batches; b++) {
    const f32 *s = src + b * rows * cols;
    f32 *d = dst + b * rows * cols;
    for (long r0 = 0; r0 < rows; r0 += 32) {
      const long r1 = r0 + 32 < rows ? r0 + 32 : rows;
      for (long c0 = 0; c0 < cols; c0 += 32) {
        const long c1 = c0 + 32 < cols ? c0 + 32 : cols;
        long r = r0;
        for (; r + 4 <= r1; r += 4) {
          const f32 *s0 = s + r * cols;
          long c = c0;
          for (; c + 4 <= c1; c += 4) {
            const v128_t a0 = wasm_v128_load(s0 + c), a1 = wasm_v128_load(s0 + cols + c);
            const v128_t a2 = wasm_v128_load(s0 + 2 * cols + c), a3 = wasm_v128_load(s0 + 3 * cols + c);
            const v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7);
            const v128_t t2 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
            wasm_v128_store(d + c * rows + r, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
            wasm_v128_store(d + (c + 1) * rows + r, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
            wasm_v128_store(d + (c + 2) * rows + r, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
            wasm_v128_store(d + (c + 3) * rows + r, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
          }
          for (; c < c1; c++)
            for (long k = 0; k < 4; k++) d[c * rows + r + k] = s0[k * cols + c];
        }
        for (; r < r1; r++)
          for (long c = c0; c < c1; c++) d[c * rows + r] = s[r * cols + c];
      }
    }
  }
}

/*
 * o[p][j] = scale * sum over i of x[p][i][j] (x as [pre][mid][inner]), each sum in float64 in
 * row order, then rounded once to float32: the JavaScript loop's bits (reduce.ts). acc holds
 * inner doubles of scratch. Sum / Mean over N, H, W (bias and batch-norm gradients) and H, W
 * (global average pooling).
 */
__attribute__((export_name("reduce_mid"))) void reduce_mid(const f32 *x, f32 *o, long pre, long mid, long inner,
                                                           double scale, double *acc) {
  for (long p = 0; p < pre; p++) {
    for (long j = 0; j < inner; j++) acc[j] = 0.0;
    for (long i = 0; i < mid; i++) {
      const f32 *row = x + (p * mid + i) * inner;
      long j = 0;
      for (; j + 4 <= inner; j += 4) {
        const v128_t v = wasm_v128_load(row + j);
        const v128_t hi = wasm_i32x4_shuffle(v, v, 2, 3, 2, 3);
        wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), wasm_f64x2_promote_low_f32x4(v)));
        wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2), wasm_f64x2_promote_low_f32x4(hi)));
      }
      for (; j < inner; j++) acc[j] += (double)row[j];
    }
    for (long j = 0; j < inner; j++) o[p * inner + j] = (f32)(acc[j] * scale);
  }
}
