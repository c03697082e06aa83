import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Which layers to act on: a name, a `RegExp` on names, an index, a list of names /
 * indices, or a predicate `(layer, index) => boolean` (e.g. a stage:
 * `(l) => l.name.startsWith('conv5_')`, or 002's `/^(denseblock[34]|classifier)/`).
 */
export type LayerSelector =
  string | RegExp | number | (string | number)[] | ((layer: tfl.layers.Layer, index: number) => boolean);

/** Options of {@link setTrainable}. */
export interface SetTrainableOptions {
  /** Also walk into nested models (a backbone used as one layer). Default false. */
  deep?: boolean;
}

function walk(layers: tfl.layers.Layer[], deep: boolean, out: tfl.layers.Layer[]): void {
  for (const l of layers) {
    out.push(l);
    if (deep && l instanceof tfl.LayersModel) walk(l.layers, deep, out);
  }
}

/** The layers `selector` picks, in model order (nested models flattened when `deep`). */
export function selectLayers(
  model: tfl.LayersModel,
  selector: LayerSelector,
  opts: SetTrainableOptions = {},
): tfl.layers.Layer[] {
  const all: tfl.layers.Layer[] = [];
  walk(model.layers, opts.deep ?? false, all);
  const fn = 'selectLayers';
  if (typeof selector === 'function') return all.filter((l, i) => selector(l, i));
  if (selector instanceof RegExp) return all.filter((l) => selector.test(l.name));
  const wanted = Array.isArray(selector) ? selector : [selector];
  return wanted.map((w) => {
    if (typeof w === 'number') {
      const l = all[w < 0 ? all.length + w : w];
      if (!Number.isInteger(w) || !l)
        throw new Error(`${fn}: layer index ${w} out of range (model has ${all.length} layers)`);
      return l;
    }
    const l = all.find((x) => x.name === w);
    if (!l) throw new Error(`${fn}: no layer named '${w}'`);
    return l;
  });
}

/**
 * Set `trainable` on the selected layers; returns how many were changed. tfjs-layers
 * gathers trainable weights at `compile`: compile again before training. Pairs with
 * `freezeUpTo` / `unfreezeFrom` in `models` for position-based recipes (000: freeze all,
 * train, then unfreeze with the first 100 layers frozen).
 */
export function setTrainable(
  model: tfl.LayersModel,
  selector: LayerSelector,
  trainable: boolean,
  opts: SetTrainableOptions = {},
): number {
  const picked = selectLayers(model, selector, opts);
  let changed = 0;
  for (const l of picked) {
    if (l.trainable !== trainable) changed++;
    l.trainable = trainable;
  }
  return changed;
}

/** Freeze the selected layers (`trainable = false`). See {@link setTrainable}. */
export function freezeLayers(
  model: tfl.LayersModel,
  selector: LayerSelector,
  opts: SetTrainableOptions = {},
): number {
  return setTrainable(model, selector, false, opts);
}

/** Unfreeze the selected layers (`trainable = true`). See {@link setTrainable}. */
export function unfreezeLayers(
  model: tfl.LayersModel,
  selector: LayerSelector,
  opts: SetTrainableOptions = {},
): number {
  return setTrainable(model, selector, true, opts);
}

/**
 * Freeze everything except the selected layers — 002's "fine-tune the classifier,
 * denseblock4 and denseblock3". Returns the number of trainable layers left.
 */
export function trainOnly(
  model: tfl.LayersModel,
  selector: LayerSelector,
  opts: SetTrainableOptions = {},
): number {
  const deep = opts.deep ?? false;
  const keep = new Set(selectLayers(model, selector, opts));
  const all: tfl.layers.Layer[] = [];
  walk(model.layers, deep, all);
  // A kept nested model keeps all of its layers.
  for (const l of [...keep]) {
    if (l instanceof tfl.LayersModel) {
      const inner: tfl.layers.Layer[] = [];
      walk(l.layers, true, inner);
      inner.forEach((c) => keep.add(c));
    }
  }
  // A nested model holding a kept layer must stay trainable, or its children freeze with it.
  const holds = (m: tfl.LayersModel): boolean =>
    m.layers.some((c) => keep.has(c) || (c instanceof tfl.LayersModel && holds(c)));
  // Walk order puts a container before its children, so its setter cannot undo theirs.
  for (const l of all) l.trainable = keep.has(l) || (l instanceof tfl.LayersModel && holds(l));
  return keep.size;
}
