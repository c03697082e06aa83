const KB = 256;
let packBuf = new Float32Array(0);

/**
 * Single-precision C[M, N] += A[M, K] * B[K, N] on row-major Float32Arrays (leading
 * dimensions lda, ldb, ldc). B is packed per K-block into 4-column panels so a 4 x 4 block
 * of C accumulates in locals with contiguous loads (8 loads per 32 flops).
 */
export function sgemmAcc(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const panels = Math.ceil(n / 4);
  if (packBuf.length < panels * KB * 4) packBuf = new Float32Array(panels * KB * 4);
  const bp = packBuf;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const kb = Math.min(KB, k - k0);
    // Pack B[k0:k0+kb, :] as panels [panel][p][4], zero beyond n.
    for (let jp = 0; jp < panels; jp++) {
      const j = jp * 4;
      const dst = jp * kb * 4;
      const w = Math.min(4, n - j);
      for (let p = 0; p < kb; p++) {
        const src = bOff + (k0 + p) * ldb + j;
        const d = dst + p * 4;
        bp[d] = b[src] as number;
        bp[d + 1] = w > 1 ? (b[src + 1] as number) : 0;
        bp[d + 2] = w > 2 ? (b[src + 2] as number) : 0;
        bp[d + 3] = w > 3 ? (b[src + 3] as number) : 0;
      }
    }
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = aOff + i * lda + k0;
      const a1 = a0 + lda;
      const a2 = a1 + lda;
      const a3 = a2 + lda;
      for (let jp = 0; jp < panels; jp++) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0;
        let c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        let q = jp * kb * 4;
        for (let p = 0; p < kb; p++, q += 4) {
          const b0 = bp[q] as number;
          const b1 = bp[q + 1] as number;
          const b2 = bp[q + 2] as number;
          const b3 = bp[q + 3] as number;
          const x0 = a[a0 + p] as number;
          const x1 = a[a1 + p] as number;
          const x2 = a[a2 + p] as number;
          const x3 = a[a3 + p] as number;
          c00 += x0 * b0;
          c01 += x0 * b1;
          c02 += x0 * b2;
          c03 += x0 * b3;
          c10 += x1 * b0;
          c11 += x1 * b1;
          c12 += x1 * b2;
          c13 += x1 * b3;
          c20 += x2 * b0;
          c21 += x2 * b1;
          c22 += x2 * b2;
          c23 += x2 * b3;
          c30 += x3 * b0;
          c31 += x3 * b1;
          c32 += x3 * b2;
          c33 += x3 * b3;
        }
        const j = jp * 4;
        const w = Math.min(4, n - j);
        let r = cOff + i * ldc + j;
        c[r] += c00;
        if (w > 1) c[r + 1] += c01;
        if (w > 2) c[r + 2] += c02;
        if (w > 3) c[r + 3] += c03;
        r += ldc;
        c[r] += c10;
        if (w > 1) c[r + 1] += c11;
        if (w > 2) c[r + 2] += c12;
        if (w > 3) c[r + 3] += c13;
        r += ldc;
        c[r] += c20;
        if (w > 1) c[r + 1] += c21;
        if (w > 2) c[r + 2] += c22;
        if (w > 3) c[r + 3] += c23;
        r += ldc;
        c[r] += c30;
        if (w > 1) c[r + 1] += c31;
        if (w > 2) c[r + 2] += c32;
        if (w > 3) c[r + 3] += c33;
      }
    }
    for (; i < m; i++) {
      const a0 = aOff + i * lda + k0;
      for (let jp = 0; jp < panels; jp++) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let q = jp * kb * 4;
        for (let p = 0; p < kb; p++, q += 4) {
          const x0 = a[a0 + p] as number;
          c00 += x0 * (bp[q] as number);
          c01 += x0 * (bp[q + 1] as number);
          c02 += x0 * (bp[q + 2] as number);
          c03 += x0 * (bp[q + 3] as number);
        }
        const j = jp * 4;
        const w = Math.min(4, n - j);
        const r = cOff + i * ldc + j;
        c[r] += c00;
        if (w > 1) c[r + 1] += c01;
        if (w > 2) c[r + 2] += c02;
        if (w > 3) c[r + 3] += c03;
      }
    }
  }
}
