// Layer by layer comparison for the models whose whole-model gradient is chaotic in training
// mode (parity-cases.ts, CHAOTIC): every layer is fed the same inputs on both backends (the cpu's
// training-mode activations of the case's input) and its output and the gradients of
// sum(output * r) (r seeded) with respect to its weights and its inputs are compared. Each
// layer is a short chain of kernels, so float32 rounding stays at its own size instead of being
// amplified through ~50 training-mode batch norms: every kernel of every layer of the model is
// still run in training mode on the target, on the shapes the model gives it.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

interface SymbolicNode {
  inputTensors: tfl.SymbolicTensor[];
}

/** What the cpu's training forward fed every layer: arrays keyed by symbolic tensor id. */
export interface Feeds {
  values: Map<number, { data: Float32Array; shape: number[] }>;
}

/** Per layer: its output, then the gradients of its weights and of its inputs. */
export type LayerSides = Float32Array[][];

const readF = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

const nested = (l: tfl.layers.Layer): l is tfl.LayersModel => l instanceof tfl.LayersModel;

/** The model's layers, a nested model (ResDenseFusion's backbones) replaced by its own. */
function layersOf(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .flatMap((l) => (nested(l) ? layersOf(l) : [l]));
}

/** What the layer is called on in its model (a nested model: its call in the outer graph, the last node). */
function inputsOf(layer: tfl.layers.Layer): tfl.SymbolicTensor[] {
  const nodes = (layer as unknown as { inboundNodes: SymbolicNode[] }).inboundNodes;
  if (nodes.length !== 1 && !nested(layer))
    throw new Error(`layerwise: ${layer.name} is called ${nodes.length} times`);
  return (nodes[nodes.length - 1] as SymbolicNode).inputTensors;
}

/**
 * `data` moved by up to 1e-3 (a seeded uniform draw), in place. Activations after a ReLU hold
 * exact zeros, and a max-pool window of equal values may route its gradient to any of them
 * (cpu and webgl pick different ones: both are gradients of max, and in the whole model the
 * ReLU before drops them); distinct values make each layer's gradient unique.
 */
function jitter(data: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (data[i] as number) + 1e-3 * (s / 2 ** 31 - 1);
  }
  return data;
}

/** The cpu's training-mode activations at every layer's inputs (see `jitter`), for input `x`. */
export function feeds(model: tfl.LayersModel, x: tf.Tensor, into?: Feeds): Feeds {
  const modelInputs = new Set(model.inputs.map((t) => t.id));
  const wanted = new Map<number, tfl.SymbolicTensor>();
  const own = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  for (const l of own) for (const t of inputsOf(l)) if (!modelInputs.has(t.id)) wanted.set(t.id, t);
  const symbols = [...wanted.values()];
  // A second graph over the same layers (it owns no weights: never disposed, since that would
  // dispose the model's).
  const probe = tfl.model({ inputs: model.inputs, outputs: symbols });
  const values: Feeds['values'] = into?.values ?? new Map();
  values.set(model.inputs[0]?.id as number, { data: readF(x).slice(), shape: x.shape });
  tf.tidy(() => {
    const out = probe.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    symbols.forEach((s, i) => {
      const t = outs[i] as tf.Tensor;
      values.set(s.id, { data: jitter(readF(t).slice(), i + 1), shape: t.shape });
    });
  });
  // A nested model's layers are fed from its own graph, run on what the outer graph gives it.
  for (const l of own) {
    if (!nested(l)) continue;
    const v = values.get((inputsOf(l)[0] as tfl.SymbolicTensor).id);
    if (!v) throw new Error(`layerwise: no activation for ${l.name}'s input`);
    const xin = tf.tensor(v.data, v.shape);
    feeds(l, xin, { values });
    tf.dispose(xin);
  }
  return { values };
}

/** Every layer run alone in training mode on `feeds`: output and gradients (see the file's head). */
export function runLayers(model: tfl.LayersModel, fed: Feeds): LayerSides {
  const sides: LayerSides = [];
  for (const layer of layersOf(model)) {
    tf.tidy(() => {
      const inputs = inputsOf(layer).map((s) => {
        const v = fed.values.get(s.id);
        if (!v) throw new Error(`layerwise: no activation for ${layer.name}'s input`);
        return tf.variable(tf.tensor(v.data, v.shape), true, `in_${layer.name}_${s.id}`);
      });
      const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      let y: tf.Tensor | null = null;
      const { grads } = tf.variableGrads(() => {
        const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tf.Tensor;
        y = tf.keep(out);
        return tf.sum(tf.mul(out, tf.randomNormal(out.shape, 0, 1, 'float32', 5)));
      }, [...weights, ...inputs]);
      const side = [readF(y as unknown as tf.Tensor)];
      for (const v of [...weights, ...inputs]) side.push(readF(grads[v.name] as tf.Tensor));
      sides.push(side);
      tf.dispose(y as unknown as tf.Tensor);
      tf.dispose(inputs);
    });
  }
  return sides;
}

/** Names of the compared layers, in {@link runLayers}' order. */
export const layerNames = (model: tfl.LayersModel): string[] => layersOf(model).map((l) => l.name);

function maxAbs(a: Float32Array, b?: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs((a[i] as number) - (b ? (b[i] as number) : 0));
    m = Number.isNaN(v) ? Infinity : Math.max(m, v);
  }
  return m;
}

/**
 * The largest differences over the layers: `output`, max |a - b| / max(1, max |cpu|) of each
 * layer's output; `train`, max |a - b| over the largest |cpu| of all the layer's gradients
 * (weights and inputs), as the whole-model figure is per model; `worst`, the layer of the latter.
 */
export function compareLayers(
  target: LayerSides,
  cpu: LayerSides,
  names: string[],
): { output: number; train: number; worst: string } {
  let output = 0;
  let train = 0;
  let worst = '';
  cpu.forEach((c, k) => {
    const t = target[k] as Float32Array[];
    const [cOut, ...cGrads] = c as [Float32Array, ...Float32Array[]];
    output = Math.max(output, maxAbs(t[0] as Float32Array, cOut) / Math.max(1, maxAbs(cOut)));
    if (cGrads.length === 0) return;
    const scale = Math.max(1e-30, ...cGrads.map((g) => maxAbs(g)));
    const d = Math.max(...cGrads.map((g, i) => maxAbs(t[i + 1] as Float32Array, g))) / scale;
    if (d > train || Number.isNaN(d)) {
      train = Number.isNaN(d) ? Infinity : d;
      worst = names[k] ?? '';
    }
  });
  return { output, train, worst };
}
