// model.save('file://dir') and tf.loadLayersModel('file://dir/model.json') in Node without
// tfjs-node, through the router medinets registers on import (test/setup.ts imports it).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ECA } from '../../src/layers';
import { loadWeights } from '../../src/weights/load';

function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  let y = tfl.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      name: 'conv',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input) as tfl.SymbolicTensor;
  y = new ECA({}).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.globalAveragePooling2d({}).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers
    .dense({ units: 2, name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })
    .apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

describe('file:// IO router', () => {
  it('saves the standard layers format and loads it back with identical predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medinets-save-'));
    const m = model();
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    m.setUserDefinedMetadata({ source: 'medinets test' });
    await m.save(`file://${dir}`, { includeOptimizer: true });
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(json.format).toBe('layers-model');
    expect(json.trainingConfig).toMatchObject({ loss: 'categorical_crossentropy' });
    expect(json.userDefinedMetadata).toEqual({ source: 'medinets test' });
    expect(JSON.stringify(json.modelTopology)).toContain('"class_name":"ECA"');

    const back = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3);
    const a = m.predict(x) as tf.Tensor;
    const b = back.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);

    // The saved directory is also a loadWeights source.
    const fresh = model();
    const report = await loadWeights(fresh, dir);
    expect(report.format).toBe('tfjs-layers');
    expect(report.missing).toEqual([]);
  });

  it('a missing model.json names the path', async () => {
    await expect(tfl.loadLayersModel('file:///nonexistent/model.json')).rejects.toThrow(
      /loadLayersModel: \/nonexistent\/model\.json: expected a TF\.js model\.json/,
    );
  });
});
