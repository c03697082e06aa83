/**
 * Deformable convolution v2 as three WebGL fragment programs (GLSL ES, one output element per
 * fragment), each over one tile of output rows `[oy0, oy0 + rows)` of one image `batch`, so
 * the sampled columns of a 256x256x64 input at batch 8 are never all materialised at once:
 *
 * - `im2colProgram`: `cols [rows*Wo, K*Cin]`, the bilinear gather of `deformIm2col`;
 * - `offsetMaskGradProgram`: `[1, rows, Wo, 2GK (+GK)]`, the offset (and mask) gradients of
 *   `deformCol2im`, a reduction over the group's channels per sampling point;
 * - `dxBandProgram`: `dx` for a band of input rows, the adjoint scatter of `deformCol2im`
 *   written as a gather. WebGL has no atomic adds, so each input pixel visits the sampling
 *   points whose bilinear cell can hold it: for tap (i, j) the cell row is
 *   `oy*sh - ph + i*dh + floor(dy)`, so with `floor(dy)` in `[fyMin, fyMax]` (read back for
 *   the tile) only `fyMax - fyMin + 2` output rows per tap can reach a pixel row, likewise for
 *   columns. Cost grows with the spread of the offsets, results never depend on it.
 *
 * Sampling and boundary rules are torchvision's, as in `deform-conv-math.ts`. The shader text
 * depends on the geometry only; tile position and offset range arrive as uniforms, so one
 * compiled program serves every tile of a layer.
 */
import type { DeformGeometry } from './deform-conv-math';

/** The part of tfjs-backend-webgl's GPGPUProgram these programs fill (structural, no import). */
export interface GlslProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: { name: string; type: 'int' }[];
}

/** Constants shared by the three programs, baked into the shader text. */
function defines(g: DeformGeometry): string {
  const K = g.kh * g.kw;
  const v: Record<string, number> = {
    H: g.h,
    W: g.w,
    CIN: g.cin,
    HO: g.ho,
    WO: g.wo,
    KH: g.kh,
    KW: g.kw,
    SH: g.sh,
    SW: g.sw,
    PH: g.ph,
    PW: g.pw,
    DH: g.dh,
    DW: g.dw,
    K,
    CG: g.cin / g.groups,
  };
  return Object.entries(v)
    .map(([k, n]) => `const int ${k} = ${n};`)
    .join('\n');
}

/**
 * Sample position and bilinear cell of tap k for output pixel (oy, ox) of image uBatch, offset
 * group g: sets py, px, y0, x0, ly, lx. GLSL integer division of negatives is undefined, so
 * only non-negative values are divided.
 */
const SAMPLE = `
  int oc = g * 2 * K + 2 * k;
  int ti = k / KW;
  int tj = k - ti * KW;
  float py = float(oy * SH - PH + ti * DH) + getOffset(uBatch, oy, ox, oc);
  float px = float(ox * SW - PW + tj * DW) + getOffset(uBatch, oy, ox, oc + 1);
`;

function maskRead(hasMask: boolean): string {
  return hasMask ? 'getMask(uBatch, oy, ox, g * K + k)' : '1.0';
}

const TILE_UNIFORMS: { name: string; type: 'int' }[] = [
  { name: 'uBatch', type: 'int' },
  { name: 'uOy0', type: 'int' },
];

/** `cols [rows*Wo, K*Cin]` for the tile; column k*Cin + c as the cpu kernel's. */
export function im2colProgram(g: DeformGeometry, rows: number, hasMask: boolean): GlslProgram {
  return {
    variableNames: hasMask ? ['x', 'offset', 'mask'] : ['x', 'offset'],
    outputShape: [rows * g.wo, g.kh * g.kw * g.cin],
    customUniforms: TILE_UNIFORMS,
    userCode: `
${defines(g)}
void main() {
  ivec2 rc = getOutputCoords();
  int oyl = rc.x / WO;
  int ox = rc.x - oyl * WO;
  int oy = uOy0 + oyl;
  int k = rc.y / CIN;
  int c = rc.y - k * CIN;
  int g = c / CG;
  ${SAMPLE}
  float v = 0.0;
  if (py > -1.0 && py < float(H) && px > -1.0 && px < float(W)) {
    float fy = floor(py);
    float fx = floor(px);
    int y0 = int(fy);
    int x0 = int(fx);
    float ly = py - fy;
    float lx = px - fx;
    float hy = 1.0 - ly;
    float hx = 1.0 - lx;
    if (y0 >= 0 && x0 >= 0) v += hy * hx * getX(uBatch, y0, x0, c);
    if (y0 >= 0 && x0 + 1 <= W - 1) v += hy * lx * getX(uBatch, y0, x0 + 1, c);
    if (y0 + 1 <= H - 1 && x0 >= 0) v += ly * hx * getX(uBatch, y0 + 1, x0, c);
    if (y0 + 1 <= H - 1 && x0 + 1 <= W - 1) v += ly * lx * getX(uBatch, y0 + 1, x0 + 1, c);
    v *= ${maskRead(hasMask)};
  }
  setOutput(v);
}`,
  };
}

/**
 * `[1, rows, Wo, 2GK (+GK)]`: channel g*2K + 2k (+1) the dy (dx) offset gradient of tap k,
 * channel 2GK + g*K + k the mask gradient. `dcols [rows*Wo, K*Cin]` is the tile's.
 */
export function offsetMaskGradProgram(g: DeformGeometry, rows: number, hasMask: boolean): GlslProgram {
  const K = g.kh * g.kw;
  const oc = 2 * g.groups * K + (hasMask ? g.groups * K : 0);
  return {
    variableNames: hasMask ? ['x', 'offset', 'dcols', 'mask'] : ['x', 'offset', 'dcols'],
    outputShape: [1, rows, g.wo, oc],
    customUniforms: TILE_UNIFORMS,
    userCode: `
${defines(g)}
void main() {
  ivec4 co = getOutputCoords();
  int oyl = co.y;
  int oy = uOy0 + oyl;
  int ox = co.z;
  int ch = co.w;
  bool isMask = ch >= 2 * ${g.groups} * K;
  int g;
  int k;
  int comp = 0;
  if (isMask) {
    int q = ch - 2 * ${g.groups} * K;
    g = q / K;
    k = q - g * K;
  } else {
    g = ch / (2 * K);
    int q = ch - g * 2 * K;
    k = q / 2;
    comp = q - 2 * k;
  }
  ${SAMPLE}
  float result = 0.0;
  // torchvision gives the offset a gradient on y = -1 or x = -1 too (no outer bound there).
  if (py >= -1.0 && py < float(H) && px >= -1.0 && px < float(W)) {
    float inside = (py > -1.0 && px > -1.0) ? 1.0 : 0.0;
    float m = ${maskRead(hasMask)};
    float fy = floor(py);
    float fx = floor(px);
    int y0 = int(fy);
    int x0 = int(fx);
    float ly = py - fy;
    float lx = px - fx;
    float hy = 1.0 - ly;
    float hx = 1.0 - lx;
    bool vy0 = y0 >= 0;
    bool vy1 = y0 + 1 <= H - 1;
    bool vx0 = x0 >= 0;
    bool vx1 = x0 + 1 <= W - 1;
    int r0 = vy0 ? y0 : 0;
    int r1 = vy1 ? y0 + 1 : 0;
    int c0 = vx0 ? x0 : 0;
    int c1 = vx1 ? x0 + 1 : 0;
    int row = oyl * WO + ox;
    int col = k * CIN + g * CG;
    float acc = 0.0;
    for (int c = 0; c < CG; c++) {
      float gc = getDcols(row, col + c);
      int ch2 = g * CG + c;
      float v00 = (vy0 && vx0) ? getX(uBatch, r0, c0, ch2) : 0.0;
      float v01 = (vy0 && vx1) ? getX(uBatch, r0, c1, ch2) : 0.0;
      float v10 = (vy1 && vx0) ? getX(uBatch, r1, c0, ch2) : 0.0;
      float v11 = (vy1 && vx1) ? getX(uBatch, r1, c1, ch2) : 0.0;
      if (isMask) acc += gc * (hy * hx * v00 + hy * lx * v01 + ly * hx * v10 + ly * lx * v11);
      else if (comp == 0) acc += gc * (hx * (v10 - v00) + lx * (v11 - v01));
      else acc += gc * (hy * (v01 - v00) + ly * (v11 - v10));
    }
    result = isMask ? inside * acc : acc * m;
  }
  setOutput(result);
}`,
  };
}

/**
 * `dx` rows `[uR0, uR0 + bandRows)` of image uBatch, `[1, bandRows, W, Cin]`, from the tile's
 * `dcols [rows*Wo, K*Cin]`; `uFy = (floor(min dy), floor(max dy))` over the tile, `uFx` alike.
 */
export function dxBandProgram(
  g: DeformGeometry,
  rows: number,
  bandRows: number,
  hasMask: boolean,
): GlslProgram {
  return {
    variableNames: hasMask ? ['offset', 'dcols', 'mask'] : ['offset', 'dcols'],
    outputShape: [1, bandRows, g.w, g.cin],
    customUniforms: [
      ...TILE_UNIFORMS,
      { name: 'uR0', type: 'int' },
      { name: 'uFyMin', type: 'int' },
      { name: 'uFyMax', type: 'int' },
      { name: 'uFxMin', type: 'int' },
      { name: 'uFxMax', type: 'int' },
    ],
    userCode: `
${defines(g)}
const int ROWS = ${rows};
int floorDiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int ceilDiv(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
void main() {
  ivec4 co = getOutputCoords();
  int y = uR0 + co.y;
  int xx = co.z;
  int c = co.w;
  int g = c / CG;
  float acc = 0.0;
  for (int ti = 0; ti < KH; ti++) {
    // Output rows whose tap-ti cell row (oy*SH - PH + ti*DH + floor(dy)) is y - 1 or y.
    int oyLo = max(ceilDiv(y - 1 - ti * DH + PH - uFyMax, SH), uOy0);
    int oyHi = min(floorDiv(y - ti * DH + PH - uFyMin, SH), uOy0 + ROWS - 1);
    for (int tj = 0; tj < KW; tj++) {
      int oxLo = max(ceilDiv(xx - 1 - tj * DW + PW - uFxMax, SW), 0);
      int oxHi = min(floorDiv(xx - tj * DW + PW - uFxMin, SW), WO - 1);
      int k = ti * KW + tj;
      int oc = g * 2 * K + 2 * k;
      // Constant loop bounds with a break: GLSL ES 1.00 (WebGL 1) needs them.
      for (int s = 0; s < ROWS; s++) {
        int oy = oyLo + s;
        if (oy > oyHi) break;
        for (int t = 0; t < WO; t++) {
          int ox = oxLo + t;
          if (ox > oxHi) break;
          float py = float(oy * SH - PH + ti * DH) + getOffset(uBatch, oy, ox, oc);
          if (!(py > -1.0 && py < float(H))) continue;
          float fy = floor(py);
          int y0 = int(fy);
          float wy = y0 == y ? 1.0 - (py - fy) : (y0 + 1 == y ? py - fy : 0.0);
          if (wy == 0.0) continue;
          float px = float(ox * SW - PW + tj * DW) + getOffset(uBatch, oy, ox, oc + 1);
          if (!(px > -1.0 && px < float(W))) continue;
          float fx = floor(px);
          int x0 = int(fx);
          float wx = x0 == xx ? 1.0 - (px - fx) : (x0 + 1 == xx ? px - fx : 0.0);
          if (wx == 0.0) continue;
          float m = ${maskRead(hasMask)};
          acc += wy * wx * m * getDcols((oy - uOy0) * WO + ox, k * CIN + c);
        }
      }
    }
  }
  setOutput(acc);
}`,
  };
}
