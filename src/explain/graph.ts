/**
 * A small re-executor for tfjs-layers functional graphs. It evaluates a model's symbolic graph
 * node by node (depth-first from the outputs), recursing into nested models, so an explainer can
 * read any intermediate activation or replace it with a tensor it differentiates against.
 * This is what makes Grad-CAM work on residual / concat / multi-input / multi-output graphs and
 * on backbones used as layers, where splitting the model into two sequential halves cannot.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.layers.Layer;
type Kwargs = NonNullable<Parameters<Layer['apply']>[1]>;

/** A layer inside (possibly nested) models: the names from the outer model inward. */
export type LayerPath = string[];

/** A layer found by name, and its path from the outer model. */
export interface ResolvedLayer {
  /** Layer names from the outer model inward. */
  path: LayerPath;
  /** The layer itself. */
  layer: Layer;
}

/** A layer output replaced by a given tensor during a run. */
export interface LayerOverride {
  /** The layer whose output is replaced. */
  path: LayerPath;
  /** The replacement, shaped like the layer's output. */
  value: tf.Tensor;
}

/** True when a layer is itself a model (a Container with its own graph). */
export function isModel(layer: Layer): layer is tfl.LayersModel {
  return layer instanceof tfl.LayersModel;
}

/** The layer's single output shape, or null when it has several outputs or none is known. */
function outputShapeOf(layer: Layer): Array<number | null> | null {
  try {
    const s = layer.outputShape;
    return Array.isArray(s[0]) || s[0] === undefined ? null : (s as Array<number | null>);
  } catch {
    return null;
  }
}

/**
 * A `[batch, height, width, channels]` output with more than one position. A `[N, 1, 1, C]` map
 * (a 1x1 conv after global pooling, as the residual UNets' `head_conv`) has a gradient that is
 * the same at its only position, so Grad-CAM on it is a constant, i.e. blank, map. Unknown
 * (`null`) sizes count as spatial.
 */
function isSpatialMap(layer: Layer): boolean {
  const s = outputShapeOf(layer);
  if (s === null || s.length !== 4) return false;
  const [, h, w] = s;
  return h === null || w === null || (h as number) > 1 || (w as number) > 1;
}

/**
 * Resolve a layer name to a path. `'outer/inner'` walks nested models explicitly; a plain name
 * is looked up among the top-level layers first, then inside nested models (an error lists the
 * candidates when the name is ambiguous or absent).
 */
export function resolveLayer(model: tfl.LayersModel, name: string, fn: string): ResolvedLayer {
  if (name.includes('/')) {
    const parts = name.split('/');
    let m: tfl.LayersModel = model;
    let layer: Layer | undefined;
    parts.forEach((p, i) => {
      layer = m.layers.find((l) => l.name === p);
      if (!layer) throw new Error(`${fn}: no layer '${p}' in model '${m.name}' (resolving '${name}')`);
      if (i < parts.length - 1) {
        if (!isModel(layer))
          throw new Error(`${fn}: layer '${p}' is not a nested model (resolving '${name}')`);
        m = layer;
      }
    });
    return { path: parts, layer: layer as Layer };
  }
  const top = model.layers.find((l) => l.name === name);
  if (top) return { path: [name], layer: top };
  const found: ResolvedLayer[] = [];
  const search = (m: tfl.LayersModel, prefix: string[]): void => {
    for (const l of m.layers) {
      if (l.name === name) found.push({ path: [...prefix, name], layer: l });
      if (isModel(l)) search(l, [...prefix, l.name]);
    }
  };
  search(model, []);
  if (found.length === 1) return found[0] as ResolvedLayer;
  if (found.length > 1) {
    throw new Error(
      `${fn}: layer name '${name}' is ambiguous; use one of ${found.map((f) => `'${f.path.join('/')}'`).join(', ')}`,
    );
  }
  throw new Error(`${fn}: no layer named '${name}' in model '${model.name}' or its nested models`);
}

// The layer a builder names for explanations (`userDefinedMetadata.medinets.camLayer`, kept
// by model.save and loadLayersModel), when the model has it as a top-level spatial map.
function builderCamLayer(model: tfl.LayersModel): ResolvedLayer | undefined {
  const meta = model.getUserDefinedMetadata() as { medinets?: { camLayer?: unknown } } | undefined;
  const name = meta?.medinets?.camLayer;
  if (typeof name !== 'string') return undefined;
  const l = model.layers.find((x) => x.name === name) as Layer | undefined;
  return l !== undefined && isSpatialMap(l) ? { path: [l.name], layer: l } : undefined;
}

/**
 * The default layer of the CAM family: the layer the model's builder names for explanations
 * (the residual UNets name the decoder map x22, whose classifier head pools it down to 2x2
 * before its last convolution), else the last top-level layer whose output is a 4-D map with
 * spatial extent > 1 (`[batch, height, width, channels]`, height or width above 1).
 */
export function lastConvLayer(model: tfl.LayersModel, fn: string): ResolvedLayer {
  const named = builderCamLayer(model);
  if (named !== undefined) return named;
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i] as Layer;
    if (l.getClassName() !== 'InputLayer' && isSpatialMap(l)) return { path: [l.name], layer: l };
  }
  throw new Error(
    `${fn}: the model has no layer with a 4-D output larger than 1x1 ([batch, height, width, channels]); pass 'layer'`,
  );
}

/** What to read or replace while running the graph. */
export interface RunPlan {
  /** Layers whose outputs to return, in order. */
  capture?: LayerPath[];
  /** A layer whose output is replaced by `value` (the tensor gradients are taken against). */
  override?: LayerOverride;
  /** Replace a final softmax / sigmoid by the identity so scores are logits. Default false. */
  logits?: boolean;
}

/** Outputs of one run. */
export interface RunResult {
  /** The model outputs, in order. */
  outputs: tf.Tensor[];
  /** The captured activations, aligned with `plan.capture` (undefined if not reached). */
  captured: Array<tf.Tensor | undefined>;
}

const SQUASHING = new Set(['softmax', 'sigmoid']);

/** Logits of an output layer whose activation is softmax/sigmoid, or null when not recognised. */
function linearOutput(layer: Layer, inputs: tf.Tensor[]): tf.Tensor | null {
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  if (cls === 'Activation' && SQUASHING.has(String(cfg.activation))) return inputs[0] as tf.Tensor;
  if (cls === 'Dense' && SQUASHING.has(String(cfg.activation))) {
    const x = inputs[0] as tf.Tensor;
    const [kernel, bias] = layer.weights.map((w) => w.read());
    const units = (kernel as tf.Tensor).shape[1] as number;
    const flat = tf.reshape(x, [-1, x.shape[x.rank - 1] as number]);
    let y = tf.matMul(flat, kernel as tf.Tensor2D);
    if (cfg.useBias !== false && bias) y = tf.add(y, bias);
    return tf.reshape(y, [...x.shape.slice(0, -1), units]);
  }
  return null;
}

/**
 * Run `model` on concrete `inputs` (one per model input), following `plan`. Inference mode
 * (`training: false`): dropout off, batch norm on moving statistics. Call inside `tf.tidy` or a
 * gradient function; intermediate tensors are not disposed here.
 */
export function runGraph(model: tfl.LayersModel, inputs: tf.Tensor[], plan: RunPlan = {}): RunResult {
  if (inputs.length !== model.inputs.length) {
    throw new Error(`explain: the model has ${model.inputs.length} inputs; got ${inputs.length} tensors`);
  }
  const capture = plan.capture ?? [];
  const captured: Array<tf.Tensor | undefined> = capture.map(() => undefined);
  const values = new Map<number, tf.Tensor>();
  model.inputs.forEach((s, i) => values.set(s.id, inputs[i] as tf.Tensor));
  const outputLayers = new Set(model.outputs.map((o) => o.sourceLayer));
  const ov = plan.override;

  const record = (layer: Layer, outs: tf.Tensor[]): void => {
    capture.forEach((p, k) => {
      if (p.length === 1 && p[0] === layer.name) captured[k] = outs[0];
    });
  };

  const evalSym = (st: tfl.SymbolicTensor): tf.Tensor => {
    const hit = values.get(st.id);
    if (hit) return hit;
    const layer = st.sourceLayer;
    const node = layer.inboundNodes[st.nodeIndex];
    if (!node) throw new Error(`explain: layer '${layer.name}' has no node ${st.nodeIndex}`);
    let outs: tf.Tensor[];
    if (ov && ov.path.length === 1 && ov.path[0] === layer.name) {
      outs = [ov.value];
    } else {
      const ins = node.inputTensors.map(evalSym);
      const inner = (paths: LayerPath[]): LayerPath[] =>
        paths.filter((p) => p.length > 1 && p[0] === layer.name).map((p) => p.slice(1));
      const innerCapture = inner(capture);
      const innerOverride =
        ov && ov.path.length > 1 && ov.path[0] === layer.name
          ? { path: ov.path.slice(1), value: ov.value }
          : undefined;
      if (isModel(layer) && (innerCapture.length > 0 || innerOverride)) {
        const r = runGraph(layer, ins, { capture: innerCapture, override: innerOverride });
        outs = r.outputs;
        let j = 0;
        capture.forEach((p, k) => {
          if (p.length > 1 && p[0] === layer.name) captured[k] = r.captured[j++];
        });
      } else {
        const lin = plan.logits && outputLayers.has(layer) ? linearOutput(layer, ins) : null;
        if (lin) outs = [lin];
        else {
          const kwargs: Kwargs = { ...(node.callArgs ?? {}), training: false };
          const y = layer.apply(ins.length === 1 ? (ins[0] as tf.Tensor) : ins, kwargs);
          outs = (Array.isArray(y) ? y : [y]) as tf.Tensor[];
        }
      }
    }
    node.outputTensors.forEach((o, i) => values.set(o.id, outs[i] as tf.Tensor));
    record(layer, outs);
    const v = values.get(st.id);
    if (!v) throw new Error(`explain: layer '${layer.name}' did not produce output ${st.tensorIndex}`);
    return v;
  };

  const outputs = model.outputs.map(evalSym);
  // Captures off the path to the outputs (e.g. a side branch) are evaluated explicitly.
  capture.forEach((p, k) => {
    if (captured[k] !== undefined) return;
    const layer = model.layers.find((l) => l.name === p[0]);
    const node = layer?.inboundNodes[0];
    if (layer && node && p.length === 1) captured[k] = evalSym(node.outputTensors[0] as tfl.SymbolicTensor);
  });
  return { outputs, captured };
}
