/**
 * Data-parallel training over worker_threads: every replica (the main thread and each
 * worker, each with its own single-threaded wasm backend) computes the gradients of its
 * share of the batch, the main thread averages them, and every replica applies the same
 * averaged gradients with its own identical Adam, so the weights stay in lock-step without
 * being re-sent. Batch-norm statistics are per replica (as PyTorch DDP without SyncBN).
 *
 * This is the way to use both cores from Node: tfjs-backend-wasm hard-codes one thread
 * there, and its threaded binary caps threads at cores / 2.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Worker } from 'node:worker_threads';

/** A replica's loss: mean cross-entropy for classifiers, binary cross-entropy for masks. */
export function replicaLoss(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, seg: boolean): tf.Scalar {
  const p = model.apply(x, { training: true }) as tf.Tensor;
  return seg
    ? tf.losses.sigmoidCrossEntropy(y, tf.log(tf.div(p, tf.sub(1 + 1e-7, p))))
    : tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(p, 1e-7)));
}

/** Gradients of the replica loss with respect to the trainable weights, in their order. */
export function replicaGrads(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  seg: boolean,
): { loss: number; grads: tf.Tensor[] } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => replicaLoss(model, x, y, seg), vars);
  const loss = value.dataSync()[0] as number;
  value.dispose();
  return { loss, grads: vars.map((v) => grads[v.name] as tf.Tensor) };
}

/** Apply gradients given in trainable-weight order. */
export function applyGrads(model: tfl.LayersModel, opt: tf.Optimizer, grads: tf.Tensor[]): void {
  const named: tf.NamedTensorMap = {};
  model.trainableWeights.forEach((w, i) => {
    named[(w.read() as tf.Variable).name] = grads[i] as tf.Tensor;
  });
  opt.applyGradients(named);
}

/** Sum of |w| over the trainable weights: equal on replicas that stayed in lock-step. */
export function checksum(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce(
    (s, w) => s + (tf.tidy(() => tf.sum(tf.abs(w.read())).dataSync()[0]) as number),
    0,
  );
}

interface Pending {
  resolve: (m: { loss: number; grads: Float32Array[] }) => void;
  reject: (e: Error) => void;
}

/** Trains `model` with `workers` extra replicas; `modelName` rebuilds it in each worker. */
export class DataParallelTrainer {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<Worker, Pending>();
  private readonly opt: tf.Optimizer;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly seg: boolean,
    lr: number,
  ) {
    this.opt = tf.train.adam(lr);
  }

  /** Start `workers` replicas holding a copy of `model`'s current weights. */
  static async create(
    model: tfl.LayersModel,
    modelName: string,
    seg: boolean,
    workers: number,
    lr = 1e-3,
  ): Promise<DataParallelTrainer> {
    const t = new DataParallelTrainer(model, seg, lr);
    const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const shim = new URL('./worker_shim.mjs', import.meta.url);
    const entry = new URL('./grad_worker.ts', import.meta.url).href;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const w = new Worker(shim, { workerData: { entry } });
        t.workers.push(w);
        w.on('message', (m: { type: string; loss?: number; grads?: Float32Array[]; error?: string }) => {
          const p = t.pending.get(w);
          if (p == null) return;
          t.pending.delete(w);
          if (m.type === 'error') p.reject(new Error(m.error));
          else p.resolve({ loss: m.loss ?? 0, grads: m.grads ?? [] });
        });
        w.on('error', (e) => t.pending.get(w)?.reject(e));
        await t.call(w, { type: 'init', modelName, weights, lr, seg });
      }),
    );
    return t;
  }

  private call(
    w: Worker,
    msg: object,
    transfer: ArrayBuffer[] = [],
  ): Promise<{ loss: number; grads: Float32Array[] }> {
    return new Promise((resolve, reject) => {
      this.pending.set(w, { resolve, reject });
      w.postMessage(msg, transfer);
    });
  }

  /** One step on batch (x, y) split evenly over the replicas; returns the mean loss. */
  async step(x: tf.Tensor, y: tf.Tensor): Promise<number> {
    const n = x.shape[0] as number;
    const parts = this.workers.length + 1;
    const share = Math.ceil(n / parts);
    const asks = this.workers.map((w, i) => {
      const b = (i + 1) * share;
      const size = Math.min(share, n - b);
      const xs = tf.slice(x, b, size);
      const ys = tf.slice(y, b, size);
      const msg = {
        type: 'grads',
        x: xs.dataSync() as Float32Array,
        xShape: xs.shape,
        y: ys.dataSync() as Float32Array,
        yShape: ys.shape,
      };
      tf.dispose([xs, ys]);
      return this.call(w, msg, [msg.x.buffer as ArrayBuffer, msg.y.buffer as ArrayBuffer]);
    });
    const mine = tf.tidy(() => {
      const r = replicaGrads(this.model, tf.slice(x, 0, share), tf.slice(y, 0, share), this.seg);
      return r;
    });
    const theirs = await Promise.all(asks);
    const avg = mine.grads.map((g, i) =>
      tf.tidy(() => {
        let s = g;
        for (const t of theirs) s = tf.add(s, tf.tensor(t.grads[i] as Float32Array, g.shape));
        return tf.div(s, parts);
      }),
    );
    tf.dispose(mine.grads);
    const arrays = avg.map((g) => g.dataSync() as Float32Array);
    // Workers apply the same update while the main thread applies its own.
    for (const w of this.workers) w.postMessage({ type: 'apply', grads: arrays });
    applyGrads(this.model, this.opt, avg);
    tf.dispose(avg);
    return (mine.loss + theirs.reduce((s, t) => s + t.loss, 0)) / parts;
  }

  /** The weight checksum of the main replica and of each worker (see {@link checksum}). */
  async checksums(): Promise<number[]> {
    const theirs = await Promise.all(this.workers.map((w) => this.call(w, { type: 'checksum' })));
    return [checksum(this.model), ...theirs.map((t) => t.loss)];
  }

  /** Stop the workers. */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.opt.dispose();
  }
}
