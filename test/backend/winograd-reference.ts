// The float64 reference of the Winograd convolution test (wasm-winograd.test.ts): a 3x3
// stride-1 convolution, NHWC / HWIO, summed directly.

/** A 3x3 stride-1 convolution's geometry. */
export interface Conv3x3 {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  ho: number;
  wo: number;
  /** Padding at the top and the left. */
  top: number;
  left: number;
}

/** y = x * w (+ bias) in float64, rounded once to float32. */
export function conv3x3Reference(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  g: Conv3x3,
): Float32Array {
  const { n, h: H, w: W, cin, cout, ho, wo, top, left } = g;
  const y = new Float32Array(n * ho * wo * cout);
  const acc = new Float64Array(cout);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        for (let co = 0; co < cout; co++) acc[co] = bias?.[co] ?? 0;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy - top + ky;
            const ix = ox - left + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[((b * H + iy) * W + ix) * cin + ci] as number;
              const wr = ((ky * 3 + kx) * cin + ci) * cout;
              for (let co = 0; co < cout; co++) acc[co] = (acc[co] as number) + v * (w[wr + co] as number);
            }
          }
        y.set(acc, ((b * ho + oy) * wo + ox) * cout);
      }
  return y;
}
