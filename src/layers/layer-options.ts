/**
 * Options every medinets layer accepts besides its own, and the shape checks they share.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** The base options of a tfjs-layers layer that medinets layers pass through unchanged. */
export interface LayerBaseOptions {
  /** Layer name; unique within a model. Default: derived from the class name. */
  name?: string;
  /** Whether the layer's weights are updated by training. Default `true`. */
  trainable?: boolean;
  /** Input shape without the batch dimension, for the first layer of a `tf.sequential` model. */
  inputShape?: (number | null)[];
  /** Input shape with the batch dimension, the alternative to `inputShape`. */
  batchInputShape?: (number | null)[];
  /** Fixed batch size used with `inputShape`. */
  batchSize?: number;
  /** Weight and computation dtype. Only `'float32'` is supported. */
  dtype?: tf.DataType;
}

/** The tfjs-layers `LayerArgs` type, which its package does not export by name. */
export type BaseLayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];

/** Keyword arguments of `Layer.call`. */
export type CallKwargs = Record<string, unknown>;

/** The base options only, to hand to `super()`. */
export function baseArgs(opts: LayerBaseOptions): BaseLayerArgs {
  const out: BaseLayerArgs = {};
  if (opts.name !== undefined) out.name = opts.name;
  if (opts.trainable !== undefined) out.trainable = opts.trainable;
  if (opts.inputShape !== undefined) out.inputShape = opts.inputShape;
  if (opts.batchInputShape !== undefined) out.batchInputShape = opts.batchInputShape;
  if (opts.batchSize !== undefined) out.batchSize = opts.batchSize;
  if (opts.dtype !== undefined) out.dtype = opts.dtype;
  return out;
}

/** Reads the channel count of a 4-D NHWC shape, or throws naming the layer. */
export function channelsOf(inputShape: tfl.Shape | tfl.Shape[], cls: string): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  if (shape.length !== 4) {
    throw new Error(
      `${cls}: input must be 4-D [batch, height, width, channels]; got shape [${shape.join(', ')}]`,
    );
  }
  const c = shape[3];
  if (c == null || c <= 0)
    throw new Error(`${cls}: the channel dimension of the input must be known; got ${c}`);
  return c;
}

/** The single input of a layer called with one tensor, checked to be 4-D with `channels` channels. */
export function singleInput(
  inputs: tf.Tensor | tf.Tensor[],
  channels: number | null,
  cls: string,
): tf.Tensor4D {
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  if (Array.isArray(inputs) && inputs.length !== 1) {
    throw new Error(`${cls}: expects one input tensor; got ${inputs.length}`);
  }
  if (x.rank !== 4) {
    throw new Error(
      `${cls}: input must be 4-D [batch, height, width, channels]; got shape [${x.shape.join(', ')}]`,
    );
  }
  if (channels !== null && x.shape[3] !== channels) {
    throw new Error(
      `${cls}: input must have ${channels} channels (the count it was built with); got ${x.shape[3]}`,
    );
  }
  return x as tf.Tensor4D;
}

/** Hidden width of a squeeze-excite bottleneck: `max(minChannels, floor(C / reduction))`. */
export function hiddenChannels(channels: number, reduction: number, minChannels: number): number {
  return Math.max(minChannels, Math.floor(channels / reduction));
}

/** A Glorot-uniform initializer, seeded from `seed + offset` when a seed is given. */
export function glorot(
  seed: number | undefined,
  offset: number,
): ReturnType<typeof tfl.initializers.glorotUniform> {
  return tfl.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + offset });
}

/** Throws unless `value` is a positive number, naming the layer and option. */
export function checkPositive(value: number, arg: string, cls: string): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${cls}: '${arg}' must be a positive number; got ${value}`);
  }
}
