import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/*
 * Which tfjs-layers model is running, for the layer fusion of bn-activation.ts: a
 * layer sees only its own inputs, so a fusion asks here whether the graph of the model being
 * run makes it invisible. fit / trainOnBatch / evaluate (the train and test functions),
 * predict (predictLoop) and apply (Container.call, also a nested model's) push the model;
 * LayersModel.execute, which fetches any tensor by name, pushes null (nothing fuses under it).
 */

/** The models running now, innermost last (null: a call that fetches arbitrary tensors). */
const running: (object | null)[] = [];
const modelInfo = new WeakMap<object, { layers: Set<object>; outputs: Set<object> }>();
/** Tensors a layer passed on for one consumer to finish (the fused part already done). */
const marks = new WeakMap<tf.Tensor, { consumer: object; data: unknown }>();

/** What the fusions read of a tfjs-layers node. */
export interface NodeLike {
  outboundLayer: LayerLike;
  inputTensors: object[];
  outputTensors: object[];
}
/** What the fusions read of a tfjs-layers layer (4.x). */
export interface LayerLike {
  inboundNodes: NodeLike[];
  outboundNodes: NodeLike[];
  getClassName(): string;
}
interface ContainerLike {
  layers: object[];
  outputs: object[];
}

function infoOf(model: object): { layers: Set<object>; outputs: Set<object> } {
  let info = modelInfo.get(model);
  if (info == null) {
    const m = model as ContainerLike;
    info = { layers: new Set(m.layers ?? []), outputs: new Set(m.outputs ?? []) };
    modelInfo.set(model, info);
  }
  return info;
}

/**
 * The one layer that consumes `layer`'s output in the running model, when a fusion of the two
 * is invisible: `layer` applied once and feeding one node with that one input, the consumer
 * applied once, both in the running model, `layer`'s output not one of its outputs. Else null.
 */
export function soleConsumer(layer: object): LayerLike | null {
  const model = running[running.length - 1];
  if (model == null) return null;
  const l = layer as LayerLike;
  if (l.inboundNodes?.length !== 1 || l.outboundNodes?.length !== 1) return null;
  const node = l.outboundNodes[0] as NodeLike;
  const consumer = node.outboundLayer;
  if (node.inputTensors.length !== 1 || consumer.inboundNodes?.length !== 1) return null;
  const info = infoOf(model);
  const out = (l.inboundNodes[0] as NodeLike).outputTensors[0];
  if (!info.layers.has(layer) || !info.layers.has(consumer) || out == null || info.outputs.has(out))
    return null;
  return consumer;
}

/** Hand `t` to `consumer` only, with what it needs to finish the fused work. */
export function mark(t: tf.Tensor, consumer: object, data: unknown = null): tf.Tensor {
  marks.set(t, { consumer, data });
  return t;
}

/** The data `self` was handed with `x` by {@link mark} (taken once), else undefined. */
export function takeMark(x: tf.Tensor | tf.Tensor[], self: object): { data: unknown } | undefined {
  const t = Array.isArray(x) ? (x.length === 1 ? x[0] : undefined) : x;
  const m = t == null ? undefined : marks.get(t);
  if (m == null || m.consumer !== self) return undefined;
  marks.delete(t as tf.Tensor);
  return { data: m.data };
}

type Proto = Record<symbol, unknown> & Record<string, unknown>;

function wrap(proto: Proto, method: string, model: (self: object) => object | null): void {
  const stock = proto[method] as ((...args: unknown[]) => unknown) | undefined;
  const done = Symbol.for(`medinets.runningModel.${method}`);
  if (stock == null || proto[done] != null) return;
  proto[done] = stock;
  proto[method] = function runningModel(this: object, ...args: unknown[]): unknown {
    running.push(model(this));
    try {
      return stock.apply(this, args);
    } finally {
      running.pop();
    }
  };
}

const TRACKED = Symbol.for('medinets.runningModel');

/** Install the tracking (idempotent). */
export function installModelTracking(): void {
  const lm = tfl.LayersModel.prototype as unknown as Proto;
  if (lm[TRACKED] != null) return;
  lm[TRACKED] = true;
  const self = (m: object): object => m;
  wrap(Object.getPrototypeOf(lm) as Proto, 'call', self);
  wrap(lm, 'predictLoop', self);
  // the functions fit / trainOnBatch / evaluate run: wrapped as they are made
  for (const maker of ['makeTrainFunction', 'makeTestFunction']) {
    const stock = lm[maker] as ((this: object) => (...a: unknown[]) => unknown) | undefined;
    if (stock == null) continue;
    lm[maker] = function madeFor(this: object): (...a: unknown[]) => unknown {
      const fn = stock.call(this);
      return (...a: unknown[]): unknown => {
        running.push(this);
        try {
          return fn(...a);
        } finally {
          running.pop();
        }
      };
    };
  }
  wrap(lm, 'execute', () => null);
}
