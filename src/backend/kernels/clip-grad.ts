import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { replaceMaskGradient } from './mask-gradient';
import { allocFloat, viewFloat } from './util';

/**
 * The gradient of ClipByValue as one pass: dx = dy where lo <= x <= hi, else +0 (+0 where x
 * is NaN). tfjs computes it as where(logicalAnd(greaterEqual(x, lo), lessEqual(x, hi)), dy,
 * zerosLike(dy)): five full passes over the activation (GreaterEqual, LessEqual, LogicalAnd,
 * Fill, Select), 40 % of a MobileNetV2 training step on wasm, whose Keras ReLU(max_value=6)
 * layers clip (tfjs-layers' ReLU layer: relu then clipByValue). A select, as tfjs': the same
 * bits.
 */
export const CLIP_GRAD_KERNEL = 'MedinetsClipGrad';

/** The kernel (wasm and cpu): the addon's loop when it is active, else the same loop in JS. */
export function clipGrad(args: {
  inputs: { dy?: TensorInfo; x?: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as TensorInfo;
  const x = args.inputs.x as TensorInfo;
  // tfjs compares with float32 scalars made from the numbers
  const lo = Math.fround(attrs.clipValueMin as number);
  const hi = Math.fround(attrs.clipValueMax as number);
  const out = allocFloat(backend, x.shape);
  const addon = activeAddon();
  const d = viewFloat(backend, dy);
  const v = viewFloat(backend, x);
  if (addon?.clipGrad != null) {
    addon.clipGrad(d, v, out.data, lo, hi);
  } else {
    for (let i = 0; i < v.length; i++) {
      const xi = v[i] as number;
      out.data[i] = xi >= lo && xi <= hi ? (d[i] as number) : 0;
    }
  }
  return out.info;
}

/**
 * Replace tfjs' ClipByValue gradient by one that runs {@link CLIP_GRAD_KERNEL} where it is
 * registered (wasm and cpu, unless suspended) and tfjs' own gradient elsewhere (webgl, webgpu,
 * tfjs-node, int tensors). Idempotent.
 */
export function installClipGradient(): void {
  replaceMaskGradient('ClipByValue', CLIP_GRAD_KERNEL, (attrs) => {
    const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
    return { clipValueMin, clipValueMax };
  });
}
