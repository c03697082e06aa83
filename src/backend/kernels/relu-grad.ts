import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { allocFloat, viewFloat } from './util';

/**
 * The gradient of ReLU and ReLU6 as one pass: dx = dy * s, s = 1 where 0 < x <= cap, else 0,
 * NaN where x is NaN. tfjs computes it as mul(dy, cast(step(x))) (ReLU6: times lessEqual(x, 6)),
 * three or four full passes over the activation (Step, Cast, Multiply), a few percent of a
 * training step of the big segmentation nets. The same multiply, so the same bits as tfjs'
 * cpu kernels give (tfjs' wasm Step maps NaN to 0 instead; here NaN stays NaN as on cpu).
 */
export const RELU_GRAD_KERNEL = 'MedinetsReluGrad';

/** The kernel (wasm and cpu): the addon's loop when it is active, else the same loop in JS. */
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
  const addon = activeAddon();
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

const MINE = Symbol('medinets relu gradient');

/**
 * Replace tfjs' Relu and Relu6 gradients by ones that run {@link RELU_GRAD_KERNEL} where it is
 * registered (wasm and cpu, unless suspended) and tfjs' own gradient elsewhere (webgl, webgpu,
 * tfjs-node, int tensors). Idempotent.
 */
export function installReluGradients(): void {
  for (const [name, cap] of [
    ['Relu', Infinity],
    ['Relu6', 6],
  ] as const) {
    const stock = tf.getGradient(name);
    if (stock == null || (stock as unknown as Record<symbol, unknown>)[MINE] != null) continue;
    const config: GradConfig = {
      kernelName: name,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0] as tf.Tensor;
        const g = dy as tf.Tensor;
        if (
          tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) == null ||
          x.dtype !== 'float32' ||
          g.dtype !== 'float32'
        )
          return stock.gradFunc(dy, saved, attrs);
        return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x }, { cap }) as tf.Tensor };
      },
    };
    (config as unknown as Record<symbol, unknown>)[MINE] = true;
    tf.registerGradient(config);
  }
  // second order (a gradient penalty through a ReLU): linear in dy, zero almost everywhere in x
  if (tf.getGradient(RELU_GRAD_KERNEL) == null) {
    tf.registerGradient({
      kernelName: RELU_GRAD_KERNEL,
      inputsToSave: ['x'],
      gradFunc: (ddx, saved, attrs) => {
        const x = saved[0] as tf.Tensor;
        return {
          dy: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: ddx as tf.Tensor, x }, attrs) as tf.Tensor,
          x: () => tf.zerosLike(x),
        };
      },
    });
  }
}
