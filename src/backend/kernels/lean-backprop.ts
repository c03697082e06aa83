import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';

/*
 * tfjs-core's Engine.gradients walks the tape backwards keeping every gradient it computes and
 * every tensor the tape saved until the whole backward pass ends: the memory of a training step
 * grows through the backward pass to the saved activations plus the gradient of every one of
 * them (DenseNet-121, batch 8, 128x128: 688 MB of tensors when the backward pass starts, 1293 MB
 * when it ends). PyTorch's autograd frees a gradient once the node that produced its tensor has
 * used it, and a node's saved tensors once the node's backward has run. This is the same walk
 * with those two releases; the arithmetic, its order and the tape are tfjs' own, so gradients
 * are bit for bit the same.
 *
 * Only the outermost gradient computation is replaced (a tape with no enclosing tape: what
 * optimizer.minimize, tf.grad and tf.grads start); a gradient taken while an outer tape records
 * (higher-order gradients) runs tfjs' own, which the outer tape may need whole.
 */

/*
 * The tape also keeps, for each operation, the tensors its gradient reads, each saved through
 * Engine.clone: an Identity kernel run through the whole kernel machinery plus a tape node for
 * the copy (DenseNet-121: 1,103 a training step). In the outermost gradient's forward pass
 * (gradient depth 1) a saved tensor is only ever read by its own gradient function, which no
 * tape records, so the copy's tape node is never on a path: there the save is a second tensor
 * on the same buffer, what the Identity kernels of cpu, webgl and medinets' wasm make, without
 * the machinery. Deeper (a gradient taken inside f) the copy's node links a higher-order
 * gradient to its input, and tfjs' own save runs.
 */

/** What this module reads of a tfjs-core 4.x tape node. */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: NamedTensorMap;
  outputs: Tensor[];
  gradient?: ((dys: (Tensor | null)[]) => Record<string, () => Tensor>) | null;
  saved?: Tensor[];
}

/** What this module reads and calls of tfjs-core's Engine (4.x). */
interface EngineInternals {
  state: {
    gradientDepth: number;
    activeTape: TapeNode[] | null;
    tensorInfo: { get(dataId: object): { backend: tf.KernelBackend } | undefined };
  };
  saveTensorsForBackwardMode(tensors: Tensor[]): Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): Tensor;
  keep<T extends Tensor>(t: T): T;
  gradients: GradientsFn;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}
type GradientsFn = (
  this: EngineInternals,
  f: () => Tensor,
  xs: Tensor[],
  dy?: Tensor,
  allowNoGradients?: boolean,
) => { value: Tensor; grads: Tensor[] };

const STOCK = Symbol.for('medinets.stockGradients');
const STOCK_SAVE = Symbol.for('medinets.stockSaveTensors');
type SaveFn = (this: EngineInternals, tensors: Tensor[]) => Tensor[];

/** The save of tensors for the backward pass: see above. */
function leanSave(this: EngineInternals, tensors: Tensor[]): Tensor[] {
  const stock = (leanSave as unknown as Record<symbol, SaveFn>)[STOCK_SAVE] as SaveFn;
  if (this.state.gradientDepth !== 1) return stock.call(this, tensors);
  return tensors.map((t) => {
    const backend = this.state.tensorInfo.get(t.dataId)?.backend;
    if (backend == null) return stock.call(this, [t])[0] as Tensor;
    backend.incRef(t.dataId);
    return this.keep(
      this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, backend),
    );
  });
}

/**
 * What of the tape comes from xs: the ids of xs and of the tensors computed from them, the ids of
 * the nodes that read one, and how far along the tape those were looked for.
 */
interface FromX {
  tensors: Set<number>;
  nodes: Set<number>;
  read: number;
}

const fromXs = (xs: Tensor[]): FromX => ({
  tensors: new Set(xs.map((x) => x.id)),
  nodes: new Set(),
  read: 0,
});

/** Extend `fx` over the tape's nodes it has not read yet. */
function spread(fx: FromX, tape: TapeNode[]): void {
  for (; fx.read < tape.length; fx.read++) {
    const node = tape[fx.read] as TapeNode;
    if (Object.values(node.inputs).some((t) => t != null && fx.tensors.has(t.id))) {
      for (const o of node.outputs) fx.tensors.add(o.id);
      fx.nodes.add(node.id);
    }
  }
}

/** The nodes on a path from xs to y, each with only the inputs that come from xs. */
function pathNodes(tape: TapeNode[], fx: FromX, y: Tensor): TapeNode[] {
  spread(fx, tape);
  const fromX = fx.tensors;
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const t of Object.values(node.inputs)) toY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  const path: TapeNode[] = [];
  for (const node of tape) {
    if (!fx.nodes.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: NamedTensorMap = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    path.push({ ...node, inputs });
  }
  return path;
}

/** What comes from the xs of the outermost gradient whose forward pass is being recorded. */
let recording: FromX | null = null;

/**
 * Whether the outermost gradient now being recorded can flow back to `t`: whether `t` is one
 * of its xs or was computed from them earlier in its forward pass (the tape read so far).
 * True whenever that cannot be known: outside such a forward pass, in a nested gradient, or
 * with tfjs' own gradients switched back on. A layer may then skip what only a gradient with
 * respect to `t` would need.
 */
export function gradientReaches(t: Tensor): boolean {
  const engine = tf.engine() as unknown as EngineInternals;
  const tape = engine.state.activeTape;
  const r = recording;
  if (r == null || tape == null || engine.state.gradientDepth !== 1) return true;
  spread(r, tape);
  return r.tensors.has(t.id);
}

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
}

function leanGradients(
  this: EngineInternals,
  f: () => Tensor,
  xs: Tensor[],
  dy?: Tensor,
  allowNoGradients = false,
): { value: Tensor; grads: Tensor[] } {
  const stock = (leanGradients as unknown as Record<symbol, GradientsFn>)[STOCK] as GradientsFn;
  if (this.state.gradientDepth > 0) return stock.call(this, f, xs, dy, allowNoGradients);
  if (xs.length === 0) throw new Error('gradients: xs is empty; expected at least one tensor');
  if (dy != null && dy.dtype !== 'float32')
    throw new Error(`gradients: dy has dtype '${dy.dtype}'; expected 'float32'`);
  // the walk from xs the forward pass' gradientReaches() calls begin, pathNodes() finishes
  const fx = fromXs(xs);
  recording = fx;
  let y: Tensor;
  try {
    y = this.scopedRun(
      () => this.startTape(),
      () => this.endTape(),
      () => this.tidy('forward', f),
    );
  } finally {
    recording = null;
  }
  if (!(y instanceof tf.Tensor)) throw new Error('gradients: f() returned no tensor; expected a tensor y');
  const tape = this.state.activeTape ?? [];
  const path = pathNodes(tape, fx, y);
  if (!allowNoGradients && path.length === 0)
    throw new Error(
      'gradients: no operation leads from xs to y = f(); expected f to compute y from xs inside the call',
    );
  const keep = new Set(xs.map((x) => x.id));
  keep.add(y.id);
  return this.tidy('backward', () => {
    // gradient per tensor id, and how many ids hold each gradient object (a gradient function
    // may hand back one object for two inputs): an object is disposed when no id holds it
    const acc = new Map<number, Tensor>();
    const holders = new Map<Tensor, number>();
    const set = (id: number, t: Tensor): void => {
      acc.set(id, t);
      holders.set(t, (holders.get(t) ?? 0) + 1);
    };
    const drop = (id: number): Tensor | undefined => {
      const t = acc.get(id);
      if (t == null) return undefined;
      acc.delete(id);
      holders.set(t, (holders.get(t) ?? 1) - 1);
      return t;
    };
    const release = (t: Tensor): void => {
      if ((holders.get(t) ?? 0) > 0) return;
      holders.delete(t);
      t.dispose();
    };
    set(y.id, dy ?? tf.ones(y.shape));
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i] as TapeNode;
      if (node.gradient == null)
        throw new Error(`gradients: no gradient function for kernel ${node.kernelName}`);
      const thunks = node.gradient(node.outputs.map((o) => acc.get(o.id) ?? null));
      for (const [name, x] of Object.entries(node.inputs)) {
        const thunk = thunks[name];
        if (thunk == null)
          throw new Error(
            `gradients: kernel ${node.kernelName} gives no gradient for its input '${name}'; it gives ${Object.keys(thunks).join(', ')}`,
          );
        const dx = this.tidy(thunk);
        if (dx.dtype !== 'float32')
          throw new Error(
            `gradients: the gradient of ${node.kernelName}'s input '${name}' has dtype '${dx.dtype}'; expected 'float32'`,
          );
        if (!tf.util.arraysEqual(dx.shape, x.shape))
          throw new Error(
            `gradients: the gradient of ${node.kernelName}'s input '${name}' has shape [${dx.shape.join(',')}]; expected [${x.shape.join(',')}]`,
          );
        const cur = drop(x.id);
        if (cur == null) {
          set(x.id, dx);
        } else {
          set(x.id, tf.add(cur, dx));
          release(cur);
          release(dx);
        }
      }
      // This node made its outputs: nothing before it on the tape reads their gradients.
      for (const o of node.outputs) {
        if (keep.has(o.id)) continue;
        const g = drop(o.id);
        if (g != null) release(g);
      }
      disposeSaved(node);
    }
    const grads = xs.map((x) => acc.get(x.id) as Tensor);
    for (const node of tape) disposeSaved(node);
    this.state.activeTape = null;
    return { value: y, grads };
  });
}

/**
 * Switch between this walk and save (`true`) and tfjs-core's own (`false`), for comparisons;
 * they must have been installed.
 */
export function useLeanBackprop(on: boolean): void {
  const proto = Object.getPrototypeOf(tf.engine()) as EngineInternals & Record<symbol, unknown>;
  const stock = proto[STOCK] as GradientsFn | undefined;
  const stockSave = proto[STOCK_SAVE] as SaveFn | undefined;
  if (stock == null || stockSave == null)
    throw new Error('useLeanBackprop: installLeanBackprop() has not run');
  proto.gradients = on ? leanGradients : stock;
  proto.saveTensorsForBackwardMode = on ? leanSave : stockSave;
}

/**
 * Replace tfjs-core's outermost gradient computation by one that frees each gradient and each
 * node's saved tensors as soon as the backward pass is past them, and its save of those tensors
 * in the outermost forward pass by a plain second reference (see above). Idempotent.
 */
export function installLeanBackprop(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const proto = Object.getPrototypeOf(engine) as EngineInternals & Record<symbol, unknown>;
  if (proto[STOCK] != null) return;
  const stock = proto.gradients;
  proto[STOCK] = stock;
  (leanGradients as unknown as Record<symbol, GradientsFn>)[STOCK] = stock;
  proto.gradients = leanGradients;
  const stockSave = proto.saveTensorsForBackwardMode;
  proto[STOCK_SAVE] = stockSave;
  (leanSave as unknown as Record<symbol, SaveFn>)[STOCK_SAVE] = stockSave;
  proto.saveTensorsForBackwardMode = leanSave;
}
