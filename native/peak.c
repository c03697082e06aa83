/*
 * fmaPeak(seconds): the machine's measured arithmetic limit for bench/, GFLOP/s of one thread
 * running only independent fused multiply-adds in the vector width the GEMM uses (AVX-512 or
 * AVX2, as cpu_isa() chose): 12 accumulator chains, enough to cover the FMA latency on two
 * pipes. The kernels' GFLOP/s are printed beside it, so the distance to the limit is visible.
 */
#include <immintrin.h>
#include <node_api.h>
#include <time.h>

#include "gemm.h"
#include "napi-args.h"

#define CHAINS 12
#define ITERS 100000L

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Returns the FLOPs done (2 per lane per FMA); the sum keeps the work observable. */
__attribute__((target("avx512f"))) static double run512(float *sink) {
  __m512 acc[CHAINS], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long k = 0; k < ITERS; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
  *sink += _mm512_reduce_add_ps(s);
  return 2.0 * 16 * CHAINS * (double)ITERS;
}

__attribute__((target("avx2,fma"))) static double run256(float *sink) {
  __m256 acc[CHAINS], a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long k = 0; k < ITERS; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, acc[i]);
  float t[8];
  _mm256_storeu_ps(t, s);
  for (int i = 0; i < 8; i++) *sink += t[i];
  return 2.0 * 8 * CHAINS * (double)ITERS;
}

napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  call_t c;
  double seconds;
  if (!call_init(&c, env, info, "fmaPeak", 1) || !arg_number(&c, 0, "seconds", &seconds)) return NULL;
  if (seconds <= 0 || seconds > 10) return arg_fail(&c, 0, "seconds: expected (0, 10], got %g", seconds), NULL;
  const int isa = cpu_isa();
  double best = 0, flops = 0, t0 = now(), end = t0 + seconds;
  float sink = 0;
  if (isa >= ISA_AVX2) {
    /* the best of short runs: a run preempted by another process on a shared machine is not the limit */
    while (now() < end) {
      double t = now();
      flops = isa == ISA_AVX512 ? run512(&sink) : run256(&sink);
      double dt = now() - t;
      if (dt > 0 && flops / dt > best) best = flops / dt;
    }
  }
  napi_value r;
  CHECK(napi_create_double(env, sink == 12345.0f ? 0 : best / 1e9, &r));
  return r;
}
