import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { replaceMaskGradient } from './mask-gradient';
import { allocFloat, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/**
 * The gradient of ReLU and ReLU6 as one pass: dx = dy * s, s = 1 where 0 < x <= cap, else 0,
 * NaN where x is NaN. tfjs computes it as mul(dy, cast(step(x))) (ReLU6: times lessEqual(x, 6)),
 * three or four full passes over the activation (Step, Cast, Multiply), a few percent of a
 * training step of the big segmentation nets. The same multiply, so the same bits as tfjs'
 * cpu kernels give (tfjs' wasm Step maps NaN to 0 instead; here NaN stays NaN as on cpu).
 */
export const RELU_GRAD_KERNEL = 'MedinetsReluGrad';

/**
 * The kernel (wasm and cpu): the addon's loop when it is active, else on wasm medinets' SIMD
 * module's, else the same loop in JS.
 */
export function reluGrad(args: {
  inputs: { dy?: TensorInfo; x?: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as TensorInfo;
  const x = args.inputs.x as TensorInfo;
  const cap = attrs.cap as number;
  const out = allocFloat(backend, x.shape);
  const addon = activeAddon() ?? wasmSimd(backend);
  const d = viewFloat(backend, dy);
  const v = viewFloat(backend, x);
  if (addon != null) {
    addon.reluGrad(d, v, out.data, cap);
  } else {
    for (let i = 0; i < v.length; i++) {
      const xi = v[i] as number;
      const s = Number.isNaN(xi) ? NaN : xi > 0 && xi <= cap ? 1 : 0;
      out.data[i] = (d[i] as number) * s;
    }
  }
  return out.info;
}

/**
 * Replace tfjs' Relu and Relu6 gradients by ones that run {@link RELU_GRAD_KERNEL} where it is
 * registered (wasm and cpu, unless suspended) and tfjs' own gradient elsewhere (webgl, webgpu,
 * tfjs-node, int tensors). ReLU's mask is read from its output (see `replaceMaskGradient`);
 * ReLU6's from its input, since an output of 6 does not tell x = 6 (mask 1) from x > 6 (0).
 * Idempotent.
 */
export function installReluGradients(): void {
  replaceMaskGradient('Relu', RELU_GRAD_KERNEL, () => ({ cap: Infinity }), true);
  replaceMaskGradient('Relu6', RELU_GRAD_KERNEL, () => ({ cap: 6 }));
}
