/*
 * Keeping freed tensor memory in the process (glibc's malloc tuned once, at load).
 *
 * The cpu backend's tensors are zeroed Float32Arrays, and glibc hands any block above its
 * mmap threshold (dynamic, at most 32 MB) to the OS on free and maps a new one on the next
 * allocation: every large output of a training step is then first written through page
 * faults, 12,500 of them for a [16, 112, 112, 64] activation, each 2-10 us on a virtual
 * machine. Measured on ResNet-50 at batch 16, 224x224x3 (native-cpu, one step): 270,000
 * faults and 2.6 s of system time in a 8.2 s step; with the threshold out of reach and the
 * heap never trimmed, 860 faults, 31 ms of system time, 4.8 s. The cost: calloc clears a
 * reused block itself (a memset, far cheaper than the faults), and the heap keeps its peak
 * size instead of shrinking between steps. MEDINETS_NATIVE_MALLOC=0 leaves malloc alone.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "kernels.h"

static int tuned = 0;

void tune_malloc(void) {
#ifdef __GLIBC__
  const char *e = getenv("MEDINETS_NATIVE_MALLOC");
  if (tuned || (e != NULL && strcmp(e, "0") == 0)) return;
  /* 1 GiB: no tensor below it is mapped afresh; none of the heap's top is returned below it */
  tuned = mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
#endif
}

int malloc_tuned(void) { return tuned; }
