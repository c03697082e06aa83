/*
 * A fixed pool of worker threads for the GEMM: the caller's thread takes share 0 and
 * workers 1..n-1 take the rest; one job at a time (calls come from the JS thread).
 */
#include <pthread.h>
#include <stdlib.h>

#include "gemm.h"

#define MAX_THREADS 16

typedef struct {
  const gemm_args *g;
  int parts;
  int splitRows;
  int status[MAX_THREADS];
} job_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;
static job_t *current = NULL;
static long generation = 0;
static int pending = 0;
static int started = 0;     /* workers created */
static int nthreads = 1;    /* shares per job, including the caller */

static void run_share(job_t *j, int part) {
  const gemm_args *g = j->g;
  long m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
  if (j->splitRows) {
    /* split on multiples of 6 rows (the micro-tile height) */
    long tiles = (g->M + 5) / 6;
    m0 = tiles * part / j->parts * 6;
    m1 = tiles * (part + 1) / j->parts * 6;
    if (m1 > g->M) m1 = g->M;
    if (m0 > g->M) m0 = g->M;
  } else {
    long tiles = (g->N + 15) / 16;
    n0 = tiles * part / j->parts * 16;
    n1 = tiles * (part + 1) / j->parts * 16;
    if (n1 > g->N) n1 = g->N;
    if (n0 > g->N) n0 = g->N;
  }
  j->status[part] = gemm_range(g, m0, m1, n0, n1);
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  long seen = 0;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&cv_go, &mu);
    seen = generation;
    job_t *j = current;
    if (j == NULL || id >= j->parts) continue;
    pthread_mutex_unlock(&mu);
    run_share(j, id);
    pthread_mutex_lock(&mu);
    if (--pending == 0) pthread_cond_signal(&cv_done);
  }
  return NULL;
}

void pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&mu);
  while (started < n - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, worker, (void *)(long)(started + 1)) != 0) {
      pthread_attr_destroy(&attr);
      break;
    }
    pthread_attr_destroy(&attr);
    started++;
  }
  nthreads = n <= started + 1 ? n : started + 1;
  pthread_mutex_unlock(&mu);
}

int pool_threads(void) { return nthreads; }

int gemm_parallel(const gemm_args *g) {
  job_t j;
  j.g = g;
  int parts = nthreads;
  /* rows when each share gets at least 4 micro-tiles of rows, else columns */
  j.splitRows = g->M >= (long)parts * 24 || g->N < (long)parts * 32;
  long units = j.splitRows ? (g->M + 5) / 6 : (g->N + 15) / 16;
  if (parts > units) parts = (int)(units > 0 ? units : 1);
  /* tiny products are not worth a hand-off */
  if ((double)g->M * g->N * g->K < 2e5) parts = 1;
  j.parts = parts;
  for (int i = 0; i < parts; i++) j.status[i] = 0;
  if (parts > 1) {
    pthread_mutex_lock(&mu);
    current = &j;
    pending = parts - 1;
    generation++;
    pthread_cond_broadcast(&cv_go);
    pthread_mutex_unlock(&mu);
  }
  run_share(&j, 0);
  if (parts > 1) {
    pthread_mutex_lock(&mu);
    while (pending > 0) pthread_cond_wait(&cv_done, &mu);
    current = NULL;
    pthread_mutex_unlock(&mu);
  }
  for (int i = 0; i < parts; i++)
    if (j.status[i] != 0) return j.status[i];
  return 0;
}
