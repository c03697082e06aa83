/*
 * A fixed pool of worker threads: the caller's thread takes share 0 of a job and workers
 * 1..n-1 take the rest. A job is a function of (context, share, shares): the GEMM's
 * (gemm_parallel, split on whole micro-tiles) and any other kernel's (pool_run).
 *
 * Callers may be several threads at once (Node worker_threads, each with its own backend,
 * share this one process-wide pool): `job_mu` admits one parallel job at a time, and a
 * job too small to split runs on its caller's thread without touching the pool. Each
 * output element is computed by one thread in the same order whatever the split, so a
 * caller gets the same bits however the calls interleave.
 *
 * Hand-off: a job is published by bumping an atomic ticket. A worker that has just finished a
 * job spins on the ticket for a while (MEDINETS_NATIVE_SPIN_US, default 300 us) before it
 * sleeps on a condition variable, and the caller spins on the count of unfinished shares
 * before it sleeps: a training step calls the pool hundreds of times with a little JavaScript
 * between calls, and a sleeping worker's futex wake-up cost 60-70 us a call (a 128k-value
 * ReLU took 89 us on two threads, 39 us on one). Between jobs the worker sleeps, as before.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#include "gemm.h"

#define MAX_THREADS 16

typedef struct {
  int (*run)(void *ctx, int part, int parts);
  void *ctx;
  int parts;
  int status[MAX_THREADS];
} job_t;

/* Held by a caller for the whole of a parallel job, and by pool_set_threads. */
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guards the sleeping side of the hand-off (sleepers, the condition variables). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;
/*
 * The published job: ticket = generation << 8 | parts (atomic). `current` is written before the
 * ticket is released and read only by the job's participants (share ids < parts), which the
 * caller waits for, so it is never read after the job's stack frame is gone.
 */
static job_t *current = NULL;
static unsigned long ticket = 0;
static int pending = 0;  /* shares not yet finished by workers (atomic) */
static int sleepers = 0; /* workers in cv_go's wait (under mu) */
static int waiting = 0;  /* the caller is in cv_done's wait (under mu) */
static int started = 0;  /* workers created (under job_mu) */
static int nthreads = 1; /* shares per job, including the caller (atomic) */
static long spin_ns = -1; /* how long to spin before sleeping (atomic; from the environment) */

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static long spin_budget(void) {
  long v = __atomic_load_n(&spin_ns, __ATOMIC_RELAXED);
  if (v < 0) {
    const char *e = getenv("MEDINETS_NATIVE_SPIN_US");
    long us = 300;
    if (e != NULL && *e != '\0') {
      char *end;
      long parsed = strtol(e, &end, 10);
      if (*end == '\0' && parsed >= 0 && parsed <= 1000000) us = parsed;
    }
    v = us * 1000L;
    __atomic_store_n(&spin_ns, v, __ATOMIC_RELAXED);
  }
  return v;
}

/* Spins until *word differs from `from` (returns 1) or the budget runs out (returns 0). */
static int spin_until_changed(const unsigned long *word, unsigned long from, long budget) {
  if (budget <= 0) return __atomic_load_n(word, __ATOMIC_ACQUIRE) != from;
  long deadline = now_ns() + budget;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != from) return 1;
      CPU_RELAX();
    }
    if (now_ns() > deadline) return 0;
  }
}

static void run_share(job_t *j, int part) { j->status[part] = j->run(j->ctx, part, j->parts); }

typedef struct {
  const gemm_args *g;
  int splitRows;
} gemm_job;

static int gemm_share(void *ctx, int part, int parts) {
  const gemm_job *gj = ctx;
  const gemm_args *g = gj->g;
  /* split on whole micro-tiles: 12x32 on AVX-512, 6x16 otherwise */
  const long th = cpu_isa() == ISA_AVX512 ? 2 * MR : MR, tw = cpu_isa() == ISA_AVX512 ? 2 * NR : NR;
  long m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
  if (gj->splitRows) {
    long tiles = (g->M + th - 1) / th;
    m0 = tiles * part / parts * th;
    m1 = tiles * (part + 1) / parts * th;
    if (m1 > g->M) m1 = g->M;
    if (m0 > g->M) m0 = g->M;
  } else {
    long tiles = (g->N + tw - 1) / tw;
    n0 = tiles * part / parts * tw;
    n1 = tiles * (part + 1) / parts * tw;
    if (n1 > g->N) n1 = g->N;
    if (n0 > g->N) n0 = g->N;
  }
  return gemm_range(g, m0, m1, n0, n1);
}
typedef struct {
  int id;
  unsigned long seen; /* the ticket current when the worker was made: earlier jobs are not its */
} worker_arg;

static void *worker(void *arg) {
  worker_arg wa = *(worker_arg *)arg;
  free(arg);
  unsigned long seen = wa.seen;
  for (;;) {
    if (!spin_until_changed(&ticket, seen, spin_budget())) {
      pthread_mutex_lock(&mu);
      sleepers++;
      while (__atomic_load_n(&ticket, __ATOMIC_ACQUIRE) == seen) pthread_cond_wait(&cv_go, &mu);
      sleepers--;
      pthread_mutex_unlock(&mu);
    }
    seen = __atomic_load_n(&ticket, __ATOMIC_ACQUIRE);
    if (wa.id >= (int)(seen & 0xff)) continue; /* not a share of this job */
    job_t *j = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    run_share(j, wa.id);
    if (__atomic_sub_fetch(&pending, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&mu);
      if (waiting) pthread_cond_signal(&cv_done);
      pthread_mutex_unlock(&mu);
    }
  }
  return NULL;
}

void pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&job_mu); /* no job is in flight while workers are added */
  while (started < n - 1) {
    worker_arg *wa = malloc(sizeof *wa);
    if (wa == NULL) break;
    *wa = (worker_arg){started + 1, __atomic_load_n(&ticket, __ATOMIC_ACQUIRE)};
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker, wa);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      free(wa);
      break;
    }
    started++;
  }
  __atomic_store_n(&nthreads, n <= started + 1 ? n : started + 1, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&job_mu);
}

int pool_threads(void) { return __atomic_load_n(&nthreads, __ATOMIC_RELAXED); }

/* The number of shares a GEMM is split into on `threads` threads, and how. */
static int plan(const gemm_args *g, int threads, int *splitRows) {
  int parts = threads;
  /* rows when each share gets at least 4 micro-tiles of rows, else columns */
  *splitRows = g->M >= (long)parts * 24 || g->N < (long)parts * 32;
  long units = *splitRows ? (g->M + 5) / 6 : (g->N + 15) / 16;
  if (parts > units) parts = (int)(units > 0 ? units : 1);
  /* tiny products are not worth a hand-off */
  if ((double)g->M * g->N * g->K < 2e5) parts = 1;
  return parts;
}

/* Runs job j (j->parts set, job_mu held) on the caller and j->parts - 1 workers. */
static int dispatch(job_t *j) {
  for (int i = 0; i < j->parts; i++) j->status[i] = 0;
  if (j->parts > 1) {
    __atomic_store_n(&pending, j->parts - 1, __ATOMIC_RELAXED);
    __atomic_store_n(&current, j, __ATOMIC_RELAXED);
    unsigned long next = ((__atomic_load_n(&ticket, __ATOMIC_RELAXED) >> 8) + 1) << 8 | (unsigned long)j->parts;
    __atomic_store_n(&ticket, next, __ATOMIC_RELEASE);
    pthread_mutex_lock(&mu); /* a worker past its spin is asleep, or about to see the ticket */
    if (sleepers > 0) pthread_cond_broadcast(&cv_go);
    pthread_mutex_unlock(&mu);
  }
  run_share(j, 0);
  if (j->parts > 1) {
    /* the workers are running their shares: spin a while, then sleep */
    long deadline = now_ns() + 2000000L;
    while (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) > 0 && now_ns() < deadline)
      for (int i = 0; i < 64; i++) CPU_RELAX();
    if (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) > 0) {
      pthread_mutex_lock(&mu);
      waiting = 1;
      while (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&cv_done, &mu);
      waiting = 0;
      pthread_mutex_unlock(&mu);
    }
  }
  for (int i = 0; i < j->parts; i++)
    if (j->status[i] != 0) return j->status[i];
  return 0;
}

int gemm_parallel(const gemm_args *g) {
  gemm_job gj = {g, 0};
  int parts = plan(g, pool_threads(), &gj.splitRows);
  if (parts == 1) return gemm_range(g, 0, g->M, 0, g->N);
  /* Waiting beats running on the caller alone when the pool is busy (measured with 4 workers
   * on 2 cores: 2.25-3.2 s against 2.6-3.2 s); per-thread pools would run 8 threads on 2 cores. */
  pthread_mutex_lock(&job_mu);
  /* the thread count may have dropped while this caller waited */
  job_t j = {gemm_share, &gj, plan(g, pool_threads(), &gj.splitRows), {0}};
  int rc = dispatch(&j);
  pthread_mutex_unlock(&job_mu);
  return rc;
}

int pool_run(int (*run)(void *ctx, int part, int parts), void *ctx, int maxParts) {
  int parts = pool_threads() < maxParts ? pool_threads() : maxParts;
  if (parts <= 1) return run(ctx, 0, 1);
  pthread_mutex_lock(&job_mu);
  parts = pool_threads() < maxParts ? pool_threads() : maxParts;
  job_t j = {run, ctx, parts, {0}};
  int rc = dispatch(&j);
  pthread_mutex_unlock(&job_mu);
  return rc;
}
