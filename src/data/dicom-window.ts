/** One VOI window of a DICOM header (Window Center / Width, PS3.3 C.11.2.1.2). */
export interface DicomWindow {
  /** Window centre, in the units of {@link DicomImage.pixels} (reflected for inverted MONOCHROME1). */
  center: number;
  /** Window width (>= 1 for LINEAR). */
  width: number;
  /** WindowCenterWidthExplanation for this window ('' when absent), e.g. 'LUNG'. */
  explanation: string;
  /** VOILUTFunction: 'LINEAR' (default), 'LINEAR_EXACT' or 'SIGMOID'. */
  fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
}

/** A VOI lookup table (VOI LUT Sequence, PS3.3 C.11.2.1.1): input value -> display value. */
export interface DicomVoiLut {
  /** Input value mapped to the first entry (LUT Descriptor value 2). */
  firstMapped: number;
  /** Bits of each entry (LUT Descriptor value 3): output range 0..2^bits - 1. */
  bits: number;
  /** The entries. */
  data: Uint16Array;
  /** LUTExplanation ('' when absent). */
  explanation: string;
}

/** The image fields {@link applyDicomWindow} needs. */
export interface WindowableImage {
  /** Values in modality units. */
  pixels: Float32Array;
  /** The header's default window, or null. */
  window: DicomWindow | null;
  /** The header's VOI LUT, or null. */
  voiLut: DicomVoiLut | null;
  /** Whether MONOCHROME1 pixels were reflected (a VOI LUT then reads them reflected back). */
  inverted: boolean;
  /** The reflection constant used when `inverted` (value' = invertConstant - value). */
  invertConstant: number;
}

/**
 * Map pixels to display values 0..1 through a VOI window (DICOM PS3.3 C.11.2.1.2.1: the
 * LINEAR function with its half-unit offsets, LINEAR_EXACT, SIGMOID) or the header's VOI LUT.
 * This is pydicom's `apply_voi_lut` rescaled to 0..1.
 * @param image a decoded DICOM image ({@link DicomImage}).
 * @param window the window to apply; default the image's `window`, else its `voiLut`.
 * @returns a new Float32Array of the same length as `image.pixels`, each value in [0, 1].
 * @throws Error when there is no window to apply or its width is not positive.
 */
export function applyDicomWindow(image: WindowableImage, window?: DicomWindow | DicomVoiLut): Float32Array {
  const w = window ?? image.window ?? image.voiLut;
  if (w == null)
    throw new Error(
      `applyDicomWindow: the image has no window or VOI LUT; pass 'window' ({ center, width })`,
    );
  const px = image.pixels;
  const out = new Float32Array(px.length);
  if ('data' in w) {
    const n = w.data.length;
    if (n === 0) throw new Error(`applyDicomWindow: the VOI LUT has no entries`);
    const top = 2 ** w.bits - 1;
    for (let i = 0; i < px.length; i++) {
      // The LUT maps stored-sense values; undo a MONOCHROME1 reflection before looking up,
      // then reflect the output so brighter stays brighter.
      const v = image.inverted ? image.invertConstant - (px[i] as number) : (px[i] as number);
      const k = Math.min(n - 1, Math.max(0, Math.round(v - w.firstMapped)));
      const y = (w.data[k] as number) / top;
      out[i] = image.inverted ? 1 - y : y;
    }
    return out;
  }
  const { center: c, width } = w;
  const fn = w.fn ?? 'LINEAR';
  if (!(Number.isFinite(c) && Number.isFinite(width) && width > 0) || (fn === 'LINEAR' && width < 1))
    throw new Error(
      `applyDicomWindow: window width must be >= 1 (> 0 for LINEAR_EXACT/SIGMOID); got ${width}`,
    );
  for (let i = 0; i < px.length; i++) {
    const x = px[i] as number;
    let y: number;
    if (fn === 'SIGMOID') y = 1 / (1 + Math.exp((-4 * (x - c)) / width));
    else if (fn === 'LINEAR_EXACT')
      y = x <= c - width / 2 ? 0 : x > c + width / 2 ? 1 : (x - c) / width + 0.5;
    else {
      const cc = c - 0.5;
      const ww = width - 1;
      y = x <= cc - ww / 2 ? 0 : x > cc + ww / 2 ? 1 : (x - cc) / ww + 0.5;
    }
    out[i] = y;
  }
  return out;
}
