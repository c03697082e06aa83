import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND_ORDER, setupBackend } from '../../src/backend';

describe('setupBackend', () => {
  afterAll(async () => {
    await setupBackend({ prefer: 'cpu' });
  });

  it('forces cpu', async () => {
    const r = await setupBackend({ prefer: 'cpu' });
    expect(r.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
    expect(Array.from(await y.data())).toEqual([4, 6]);
    y.dispose();
  });

  it('forces wasm', async () => {
    const r = await setupBackend({ prefer: 'wasm' });
    expect(r.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });

  it('picks the fastest present and says why the others were skipped', async () => {
    const r = await setupBackend();
    // tfjs-node cannot install here; wasm is a dev dependency.
    const idx = DEFAULT_BACKEND_ORDER.indexOf(r.backend);
    expect(idx).toBeGreaterThanOrEqual(0);
    expect(r.skipped.map((s) => s.backend)).toEqual(DEFAULT_BACKEND_ORDER.slice(0, idx));
    for (const s of r.skipped) expect(s.reason.length).toBeGreaterThan(0);
  });

  it('errors clearly when the preferred backend is missing', async () => {
    await expect(setupBackend({ prefer: 'node-gpu' })).rejects.toThrow(
      /preferred backend 'node-gpu' is unavailable.*npm install @tensorflow\/tfjs-node-gpu/,
    );
    await expect(setupBackend({ prefer: 'webgpu' })).rejects.toThrow(/'webgpu' is unavailable/);
  });

  it('rejects an unknown backend name, naming the option', async () => {
    // @ts-expect-error deliberately wrong
    await expect(setupBackend({ prefer: 'tpu' })).rejects.toThrow(/option 'prefer' must be one of/);
  });

  it('leaks no tensors', async () => {
    await setupBackend({ prefer: 'cpu' });
    const before = tf.memory().numTensors;
    await setupBackend({ prefer: 'wasm' });
    await setupBackend({ prefer: 'cpu' });
    await setupBackend();
    await setupBackend({ prefer: 'cpu' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
