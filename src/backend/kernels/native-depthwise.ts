/**
 * Depthwise convolution in the native addon (native/depthwise.c): DepthwiseConv2dNative,
 * FusedDepthwiseConv2D (bias + relu / relu6 / leakyrelu) and the two gradients, NHWC float32.
 * Each returns null where the addon does not handle the case (another layout, dtype or
 * activation, or an addon built before these entry points), and the caller runs the fallback.
 */
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { activeAddon, type NativeAddon } from '../native';
import { allocFloat, conv2DInfoNHWC, isNHWC, viewFloat } from './util';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };

/** The addon's activation codes (gemm.h's act_kind). */
const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

function usable(...ts: (TensorInfo | undefined)[]): NativeAddon | null {
  const addon = activeAddon();
  // a prebuilt addon older than these entry points keeps the fallback
  if (addon == null || typeof addon.depthwiseConv2d !== 'function') return null;
  return ts.every((t) => t == null || t.dtype === 'float32') ? addon : null;
}

/** The 16 parameters of native/bindings-depthwise.c. */
function params(c: tf.backend_util.Conv2DInfo, act: number): Int32Array {
  const mult = c.inChannels === 0 ? 0 : c.outChannels / c.inChannels;
  return new Int32Array([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    mult,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    act,
  ]);
}

/**
 * DepthwiseConv2dNative, or FusedDepthwiseConv2D when `fused`; with `affine` ([2, channels *
 * multiplier], a batch norm's scale and shift) after the bias, before the activation.
 */
export function nativeDepthwise(
  args: Args,
  fused: boolean,
  affine: Float32Array | null = null,
): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = fused ? inputs.bias : undefined;
  const act = ACT[(fused ? (attrs.activation as string | undefined) : undefined) ?? 'linear'];
  const addon = usable(x, filter, bias);
  if (
    addon == null ||
    act === undefined ||
    !isNHWC(attrs) ||
    x.shape.length !== 4 ||
    filter.shape.length !== 4
  )
    return null;
  if (filter.shape[2] !== x.shape[3]) return null; // the stock kernel names the mismatch
  const c = conv2DInfoNHWC(x.shape, filter.shape, attrs, attrs.dilations, true);
  const biasSize = bias == null ? 0 : tf.util.sizeFromShape(bias.shape);
  if (bias != null && biasSize !== c.outChannels && biasSize !== 1) return null;
  if (affine != null && affine.length !== 2 * c.outChannels) return null;
  const out = allocFloat(backend, c.outShape);
  // views after the allocation: on wasm an allocation may move the heap
  let b: Float32Array | null = null;
  if (bias != null) {
    const v = viewFloat(backend, bias);
    b = v.length === c.outChannels ? v : new Float32Array(c.outChannels).fill(v[0] as number);
  }
  const alpha = (attrs.leakyreluAlpha as number | undefined) ?? 0.2;
  addon.depthwiseConv2d(
    viewFloat(backend, x),
    viewFloat(backend, filter),
    b,
    out.data,
    params(c, act),
    alpha,
    affine,
  );
  return out.info;
}

/** DepthwiseConv2dNativeBackpropInput. */
export function nativeDepthwiseBackpropInput(args: Args): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const addon = usable(dy, filter);
  const inShape = attrs.inputShape as number[];
  if (addon == null || !isNHWC(attrs) || inShape.length !== 4 || filter.shape.length !== 4) return null;
  const c = conv2DInfoNHWC(inShape, filter.shape, attrs, attrs.dilations, true);
  const out = allocFloat(backend, inShape);
  addon.depthwiseConv2dBackpropInput(
    viewFloat(backend, dy),
    viewFloat(backend, filter),
    out.data,
    params(c, 0),
  );
  return out.info;
}

/** DepthwiseConv2dNativeBackpropFilter. */
export function nativeDepthwiseBackpropFilter(args: Args): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const addon = usable(x, dy);
  const fShape = attrs.filterShape as number[];
  if (addon == null || !isNHWC(attrs) || x.shape.length !== 4 || fShape.length !== 4) return null;
  const c = conv2DInfoNHWC(x.shape, fShape, attrs, attrs.dilations, true);
  const out = allocFloat(backend, fShape);
  addon.depthwiseConv2dBackpropFilter(viewFloat(backend, x), viewFloat(backend, dy), out.data, params(c, 0));
  return out.info;
}
