/**
 * What every builder does around its graph: make the build's {@link KernelInit} from `seed`
 * and `zeroInit`, build, then load `weights` (`'imagenet'`, a file, bytes or tensors; see
 * builder-weights.ts); and the tops they share (Keras' `avg_pool` +
 * `predictions`, the `avg_pool` / `max_pool` of a model without its top).
 *
 * A new builder follows the same three steps (see `resnet.ts`):
 * ```ts
 * export function Net<O extends NetOptions>(options: O = {} as O): Built<O> {
 *   const r = resolveOptions('Net', options, { inputShape: [224, 224, 3], minSize: 32, classes: 1000, name: 'net' });
 *   // ...validate the family's own options, naming 'Net' and the option in each error...
 *   return buildWith(
 *     options,
 *     (init) => {
 *       const input = tfl.input({ shape: r.inputShape, name: 'input' });
 *       const features = netTrunk(input, init); // every block gets `init`
 *       return tfl.model({ inputs: input, outputs: kerasTop(features, r, init), name: r.name });
 *     },
 *     { fn: 'Net', published: [{ builder: 'Net', variant: 'keras' }] }, // its row of the ImageNet table, if any
 *   );
 * }
 * ```
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply, dense } from '../blocks/graph';
import { KernelInit } from '../blocks/init';
import { applyWeights, type PublishedTrunk } from './builder-weights';
import type { BuilderOptions, Built, ClassifierActivation, Pooling, ResolvedOptions } from './options';

/** What a builder tells {@link buildWith} about itself. */
export interface BuilderIdentity {
  /** The builder's name, for errors. Default: the model's name. */
  fn?: string;
  /** The trunks `weights: 'imagenet'` loads (its rows of the ImageNet table); none by default. */
  published?: readonly PublishedTrunk[];
}

/**
 * Runs `build` with the kernel initialisation the options ask for (`seed`, `zeroInit`), then
 * loads `options.weights` if given.
 */
export function buildWith<O extends BuilderOptions>(
  options: O,
  build: (init: KernelInit) => tfl.LayersModel,
  identity: BuilderIdentity = {},
): Built<O> {
  const zeros = options.zeroInit ?? options.weights !== undefined;
  const model = build(new KernelInit({ seed: options.seed, zeros }));
  const includeTop = options.includeTop ?? true;
  const out = model.outputs[0].shape;
  return applyWeights(model, options.weights, {
    fn: identity.fn ?? model.name,
    includeTop,
    classes: out[out.length - 1] ?? 0,
    rows: model.inputs[0].shape[1] ?? 0,
    published: identity.published ?? [],
    // Zero kernels were only a shortcut: whatever the weights did not cover gets a random start.
    reinitMissing: zeros && options.zeroInit === undefined,
    seed: options.seed,
  }) as Built<O>;
}

/** `'avg'` / `'max'` global pooling named `avg_pool` / `max_pool`, or `x` unchanged. */
export function globalPool(x: Sym, pooling: Pooling | undefined, prefix = ''): Sym {
  if (pooling === 'avg') return apply(tfl.layers.globalAveragePooling2d({ name: `${prefix}avg_pool` }), x);
  if (pooling === 'max') return apply(tfl.layers.globalMaxPooling2d({ name: `${prefix}max_pool` }), x);
  return x;
}

/**
 * Keras applications' top: with `includeTop`, global average pooling (`avg_pool`) then a
 * dense `predictions` layer; otherwise the optional `avg_pool` / `max_pool` global pooling.
 * `prefix` is prepended to the layer names.
 */
export function kerasTop(x: Sym, r: ResolvedOptions, init: KernelInit, prefix = ''): Sym {
  if (!r.includeTop) return globalPool(x, r.pooling, prefix);
  const pooled = apply(tfl.layers.globalAveragePooling2d({ name: `${prefix}avg_pool` }), x);
  return dense(pooled, {
    units: r.classes,
    activation: r.classifierActivation,
    name: `${prefix}predictions`,
    init,
  });
}

/** The output activation as its own layer `predictions` (over the last axis). */
export function predictions(x: Sym, activation: ClassifierActivation): Sym {
  return apply(tfl.layers.activation({ activation, name: 'predictions' }), x);
}
