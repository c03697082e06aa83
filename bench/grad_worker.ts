// A replica of bench/data_parallel.ts: builds the model, computes gradients of its share of
// each batch and applies the averaged gradients it is sent.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { parentPort } from 'node:worker_threads';
import '../src/backend';
import { applyGrads, checksum, replicaGrads } from './data_parallel';
import { densenet121, resnet18, unet } from './models';

const builders: Record<string, () => tfl.LayersModel> = {
  resnet18: () => resnet18(128, 1, 2),
  unet: () => unet(128, 1, 32),
  densenet121: () => densenet121(128, 1, 2),
};

let model: tfl.LayersModel | null = null;
let opt: tf.Optimizer | null = null;
let seg = false;

interface Msg {
  type: 'init' | 'grads' | 'apply' | 'checksum';
  modelName?: string;
  weights?: Float32Array[];
  lr?: number;
  seg?: boolean;
  x?: Float32Array;
  xShape?: number[];
  y?: Float32Array;
  yShape?: number[];
  grads?: Float32Array[];
}

const port = parentPort;
if (port == null) throw new Error('grad_worker must run in a worker thread');

port.on('message', async (m: Msg) => {
  try {
    if (m.type === 'init') {
      await tf.setBackend('wasm');
      await tf.ready();
      const build = builders[m.modelName ?? ''];
      if (build == null) throw new Error(`unknown model ${m.modelName}`);
      model = build();
      const ws = model.getWeights();
      model.setWeights(ws.map((w, i) => tf.tensor(m.weights?.[i] as Float32Array, w.shape)));
      opt = tf.train.adam(m.lr ?? 1e-3);
      seg = m.seg ?? false;
      port.postMessage({ type: 'ready' });
    } else if (m.type === 'grads' && model != null) {
      const mdl = model;
      const x = tf.tensor(m.x as Float32Array, m.xShape);
      const y = tf.tensor(m.y as Float32Array, m.yShape);
      const r = tf.tidy(() => replicaGrads(mdl, x, y, seg));
      const grads = r.grads.map((g) => g.dataSync() as Float32Array);
      tf.dispose([x, y, ...r.grads]);
      port.postMessage(
        { type: 'grads', loss: r.loss, grads },
        grads.map((g) => g.buffer as ArrayBuffer),
      );
    } else if (m.type === 'checksum' && model != null) {
      port.postMessage({ type: 'checksum', loss: checksum(model) });
    } else if (m.type === 'apply' && model != null && opt != null) {
      const mdl = model;
      const o = opt;
      tf.tidy(() =>
        applyGrads(
          mdl,
          o,
          (m.grads ?? []).map((g, i) => tf.tensor(g, mdl.trainableWeights[i]?.shape as number[])),
        ),
      );
    }
  } catch (e) {
    port.postMessage({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
