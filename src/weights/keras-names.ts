/**
 * Keras auto-names across sessions. Keras names unnamed layers per class in creation order,
 * and the counter's start changed: Keras 2.2 (what tensorflowjs_converter saw when nsfwjs
 * and most TF.js ports were made) began at `conv2d_1`, TF 2 Keras at `conv2d`. A file's
 * auto-names therefore map onto a model's by rank within each class name, whenever the
 * file and the model have the same number of layers of that class. TF.js' own auto-names
 * (`conv2d_Conv2D1`, counted per process) are treated the same way.
 */

// Keras `conv2d_12` -> ['conv2d', 12], `conv2d` -> ['conv2d', 0]; TF.js' own auto-names
// `conv2d_Conv2D3` -> ['conv2d_Conv2D', 3].
function split(name: string): [string, number] {
  const tfjs = /^([a-z0-9_]+_[A-Z][A-Za-z0-9]*?)(\d+)$/.exec(name);
  if (tfjs) return [tfjs[1], Number(tfjs[2])];
  const m = /^(.*?)(?:_(\d+))?$/.exec(name) as RegExpExecArray;
  return [m[1], m[2] === undefined ? 0 : Number(m[2])];
}

function byBase(names: Iterable<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const [base] = split(n);
    out.set(base, [...(out.get(base) ?? []), n]);
  }
  for (const list of out.values()) list.sort((a, b) => split(a)[1] - split(b)[1]);
  return out;
}

/**
 * Maps the file's layer names to the model's: identity where the sequences agree, by rank
 * within each auto-name class otherwise. Layers of a class whose counts differ map to
 * themselves (and then match or not by name).
 * @param fileLayers Layer names with weights in the file.
 * @param modelLayers Layer names with weights in the model (prefix removed).
 */
export function mapKerasLayerNames(
  fileLayers: Iterable<string>,
  modelLayers: Iterable<string>,
): Map<string, string> {
  const file = byBase(fileLayers);
  const model = byBase(modelLayers);
  const out = new Map<string, string>();
  for (const [base, names] of file) {
    const ours = model.get(base);
    names.forEach((n, i) => out.set(n, ours !== undefined && ours.length === names.length ? ours[i] : n));
  }
  return out;
}
