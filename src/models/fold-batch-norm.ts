/**
 * An inference copy of a model with every batch norm folded into the convolution before it:
 *
 *   conv -> BatchNormalization [-> ReLU | ReLU6]   becomes   conv' (+ bias, activation)
 *   W' = W * s,  b' = (b - mean) * s + beta,  s = gamma / sqrt(movingVariance + epsilon)
 *
 * (per output channel; for a depthwise convolution per input channel), the standard
 * inference-time folding (as `torch.ao.quantization.fuse_modules` does for conv-bn-relu). Each
 * fused layer is one convolution with its bias and activation in the GEMM's epilogue: two full
 * passes over every activation (BN, then ReLU) are saved; tfjs-layers' DepthwiseConv2D and its
 * Conv2D with ReLU6 get a fused kernel call (see fuseCall). Predictions equal the original
 * model's to float32 rounding; the copy is for predict only (batch statistics are gone), and
 * its weights are a snapshot: fold again after training.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Cfg = tf.serialization.ConfigDict;
/** One layer entry of a functional model's config. */
interface LayerCfg {
  name: string;
  className: string;
  config: Cfg;
  inboundNodes: [string, number, number, Cfg][][];
}

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);

/** The fused activation of a ReLU-like layer after the batch norm, or null when it is not one. */
function reluOf(l: LayerCfg): string | null {
  const c = l.config;
  if (l.className === 'ReLU' && (c.negativeSlope ?? 0) === 0 && (c.threshold ?? 0) === 0) {
    if (c.maxValue == null) return 'relu';
    if (c.maxValue === 6) return 'relu6';
  }
  if (l.className === 'Activation' && (c.activation === 'relu' || c.activation === 'relu6'))
    return c.activation;
  return null;
}

/**
 * Fold each batch norm that is the only consumer of a `Conv2D` / `DepthwiseConv2D` output
 * (channels last, the conv without an activation of its own), and a ReLU / ReLU6 that is the
 * only consumer of that batch norm, into the convolution. Returns a new model (same inputs,
 * outputs and remaining layer names; the original is untouched); layers that are not such
 * pairs are copied with their weights.
 *
 * @param model a functional (`tf.model`) or sequential LayersModel, as the builders return
 * @returns the folded inference model
 * @throws Error naming `model` when it is not a functional or sequential LayersModel with one
 *   node per layer (shared layers are not folded)
 */
export function foldBatchNorm(model: tfl.LayersModel): tfl.LayersModel {
  const config = model.getConfig() as unknown as { layers?: LayerCfg[] };
  const seq = model instanceof tfl.Sequential;
  const layers = seq
    ? config.layers?.map((l) => ({ ...l, name: l.config.name as string, inboundNodes: [] }))
    : config.layers;
  if (!Array.isArray(layers) || (!seq && layers.some((l) => l.inboundNodes.length > 1))) {
    throw new Error(
      'foldBatchNorm: model: expected a functional or sequential LayersModel with one node per layer',
    );
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  // consumers of each layer's output (functional); in a sequential model, the next layer
  const consumers = new Map<string, string[]>();
  layers.forEach((l, i) => {
    const ins = seq
      ? i > 0
        ? [(layers[i - 1] as LayerCfg).name]
        : []
      : (l.inboundNodes[0] ?? []).map((n) => n[0]);
    for (const src of ins) consumers.set(src, [...(consumers.get(src) ?? []), l.name]);
  });
  const outputs = new Set(
    seq
      ? [(layers[layers.length - 1] as LayerCfg).name]
      : ((config as { outputLayers?: [string][] }).outputLayers ?? []).map((o) => o[0]),
  );
  const only = (name: string): LayerCfg | null => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && !outputs.has(name) ? (byName.get(c[0] as string) ?? null) : null;
  };
  /** conv name -> the batch norm and the relu (if any) folded into it. */
  const folds = new Map<string, { bn: string; act: string | null; dropped: string[] }>();
  for (const l of layers) {
    if (!CONVS.has(l.className) || (l.config.activation ?? 'linear') !== 'linear') continue;
    if (l.config.dataFormat != null && l.config.dataFormat !== 'channelsLast') continue;
    const bn = only(l.name);
    if (bn == null || bn.className !== 'BatchNormalization') continue;
    const axis = bn.config.axis as number | number[];
    if (!(
      axis === -1 ||
      axis === 3 ||
      (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
    ))
      continue;
    const next = only(bn.name);
    const act = next != null ? reluOf(next) : null;
    folds.set(l.name, {
      bn: bn.name,
      act,
      dropped: act != null ? [bn.name, (next as LayerCfg).name] : [bn.name],
    });
  }
  const rename = new Map<string, string>(); // dropped layer -> the conv now producing its output
  for (const [conv, f] of folds) for (const d of f.dropped) rename.set(d, conv);
  const kept: LayerCfg[] = [];
  for (const l of layers) {
    if (rename.has(l.name)) continue;
    const f = folds.get(l.name);
    const cfg: Cfg = f
      ? {
          ...l.config,
          useBias: true,
          activation: f.act ?? 'linear',
          biasInitializer: { className: 'Zeros', config: {} },
        }
      : l.config;
    const inbound = seq
      ? l.inboundNodes
      : l.inboundNodes.map((node) =>
          node.map(([n, ni, ti, kw]) => [rename.get(n) ?? n, ni, ti, kw] as [string, number, number, Cfg]),
        );
    kept.push({ ...l, config: cfg, inboundNodes: inbound });
  }
  const newConfig = { ...(config as unknown as Cfg), layers: kept } as unknown as Cfg;
  if (!seq) {
    const outs = (config as { outputLayers: [string, number, number][] }).outputLayers;
    newConfig.outputLayers = outs.map(([n, ni, ti]) => [rename.get(n) ?? n, ni, ti]);
  }
  const cls = model.constructor as unknown as tf.serialization.SerializableConstructor<tfl.LayersModel> & {
    fromConfig: (c: unknown, cfg: Cfg) => tfl.LayersModel;
  };
  const folded = cls.fromConfig(
    cls,
    seq
      ? ({
          ...newConfig,
          layers: kept.map((l) => ({ className: l.className, config: l.config })),
        } as unknown as Cfg)
      : newConfig,
  );
  tf.tidy(() => {
    for (const layer of folded.layers) {
      const src = model.getLayer(layer.name);
      const f = folds.get(layer.name);
      if (f == null) {
        layer.setWeights(src.getWeights());
        continue;
      }
      layer.setWeights(foldWeights(src, model.getLayer(f.bn)));
      fuseCall(layer, f.act ?? 'linear');
    }
  });
  return folded;
}

/** The fields of tfjs-layers' Conv2D / DepthwiseConv2D that their `call` reads. */
interface ConvFields {
  kernel?: tfl.LayerVariable;
  depthwiseKernel?: tfl.LayerVariable;
  bias: tfl.LayerVariable;
  strides: [number, number];
  padding: string;
  dilationRate: [number, number];
}

/**
 * Make a folded conv's `call` one fused kernel (convolution + bias + activation). tfjs-layers
 * fuses only 'relu' and 'linear' into Conv2D, and never fuses DepthwiseConv2D: its bias and a
 * ReLU6 run as Add (broadcast), Relu and Minimum, three more passes over the map, which made
 * the folded MobileNetV2 slower than the unfolded one. The layer's class, config and weights
 * stay tfjs-layers' own (a saved copy loads anywhere and computes the same); only this
 * instance's forward pass changes, to the kernel tfjs itself defines for it.
 */
function fuseCall(layer: tfl.layers.Layer, activation: string): void {
  const depthwise = layer.getClassName() === 'DepthwiseConv2D';
  if (!depthwise && activation !== 'relu6') return; // tfjs-layers fuses these itself
  const l = layer as unknown as ConvFields;
  const act = activation as tf.fused.Activation;
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const pad = l.padding === 'same' ? 'same' : 'valid';
      const bias = l.bias.read();
      return depthwise
        ? // tfjs-layers' DepthwiseConv2D ignores dilationRate (undilated): so does this
          tf.fused.depthwiseConv2d({
            x,
            filter: (l.depthwiseKernel as tfl.LayerVariable).read() as tf.Tensor4D,
            strides: l.strides,
            pad,
            bias,
            activation: act,
          })
        : tf.fused.conv2d({
            x,
            filter: (l.kernel as tfl.LayerVariable).read() as tf.Tensor4D,
            strides: l.strides,
            pad,
            dilations: l.dilationRate,
            bias,
            activation: act,
          });
    });
}

/** The conv's [kernel, bias] with the batch norm folded in (see the formula at the top). */
function foldWeights(conv: tfl.layers.Layer, bn: tfl.layers.Layer): tf.Tensor[] {
  const cw = conv.getWeights();
  const kernel = cw[0] as tf.Tensor;
  const c = bn.getConfig();
  const w = bn.getWeights();
  let i = 0;
  const gamma = c.scale === false ? null : (w[i++] as tf.Tensor);
  const beta = c.center === false ? null : (w[i++] as tf.Tensor);
  const mean = w[i++] as tf.Tensor;
  const variance = w[i++] as tf.Tensor;
  const inv = tf.rsqrt(tf.add(variance, c.epsilon as number));
  const s = gamma == null ? inv : tf.mul(gamma, inv);
  // Conv2D kernel [kh, kw, cin, cout]: s over the last axis; depthwise [kh, kw, cin, mult]: over cin x mult
  const k = kernel.shape;
  const scaled =
    conv.getClassName() === 'DepthwiseConv2D'
      ? tf.reshape(tf.mul(tf.reshape(kernel, [k[0] as number, k[1] as number, -1]), s), k)
      : tf.mul(kernel, s);
  const bias0 = cw.length > 1 ? (cw[1] as tf.Tensor) : tf.zeros(s.shape);
  const bias = tf.add(tf.mul(tf.sub(bias0, mean), s), beta ?? 0);
  return [scaled, bias];
}
