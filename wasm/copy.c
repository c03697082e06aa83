/*
 * Data movement and inference passes in WebAssembly SIMD on tfjs-backend-wasm's heap (see
 * kernels.c for the memory rules): strided row copies (Concat / SplitV along any axis, the
 * stock wasm kernels copy value by value), batch norm at inference and ReLU / ReLU6. Copies
 * use memory.copy (bulk memory, built for both modules), so no memcpy is linked.
 */
#include <wasm_simd128.h>

typedef float f32;

/* rows x len floats from src (rows sstride apart) to dst (rows dstride apart). */
__attribute__((export_name("copy_rows"))) void copy_rows(f32 *dst, long dstride, const f32 *src, long sstride,
                                                         long len, long rows) {
  for (long r = 0; r < rows; r++) __builtin_memcpy(dst + r * dstride, src + r * sstride, sizeof(f32) * (unsigned long)len);
}

/* y = x a + b per channel (last axis, c values): ab holds a then b (computed by the caller). */
__attribute__((export_name("bn_infer"))) void bn_infer(const f32 *x, const f32 *ab, f32 *y, long n, long c) {
  const f32 *a = ab, *b = ab + c;
  for (long i = 0; i < n; i++) {
    const f32 *row = x + i * c;
    f32 *out = y + i * c;
    long j = 0;
    for (; j + 4 <= c; j += 4)
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(row + j), wasm_v128_load(a + j)),
                                              wasm_v128_load(b + j)));
    for (; j < c; j++) out[j] = row[j] * a[j] + b[j];
  }
}

/* y = min(max(x, 0), cap): NaN stays NaN, -0 becomes +0 (tfjs' relu / relu6). */
__attribute__((export_name("relu_cap"))) void relu_cap(const f32 *x, f32 *y, long n, f32 cap) {
  const v128_t zero = wasm_f32x4_splat(0.0f), capv = wasm_f32x4_splat(cap);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    // lanes above 0 keep v (capped), others +0; NaN lanes keep v
    v128_t r = wasm_v128_and(v, wasm_f32x4_gt(v, zero));
    r = wasm_v128_bitselect(capv, r, wasm_f32x4_gt(r, capv));
    wasm_v128_store(y + i, wasm_v128_bitselect(v, r, wasm_f32x4_ne(v, v)));
  }
  for (; i < n; i++) {
    const f32 v = x[i];
    y[i] = v != v ? v : (v > 0 ? (v > cap ? cap : v) : 0.0f);
  }
}
