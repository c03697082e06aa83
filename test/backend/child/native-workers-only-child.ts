// Run by test/backend/native-threads.test.ts: only worker_threads load the addon (the main
// thread never does), compute on its pool, and end. Node then closes the addon; its pool
// threads used to be left in unmapped code and crashed the process. Exits 0 when all is well.
import { Worker } from 'node:worker_threads';
import { nativeAddonPath } from '../../../src/backend/native';

const code = `
const { workerData, parentPort } = require('node:worker_threads');
const addon = require(workerData.path);
addon.setThreads(2);
const p = Int32Array.from([4, 24, 24, 16, 24, 24, 32, 3, 3, 1, 1, 1, 1, 1, 1, 0]);
const x = new Float32Array(4 * 24 * 24 * 16).fill(0.5);
const w = new Float32Array(9 * 16 * 32).fill(0.25);
const out = new Float32Array(4 * 24 * 24 * 32);
for (let i = 0; i < 4; i++) addon.conv2d(x, w, null, out, p, 0);
parentPort.postMessage(out[out.length >> 1]);
`;
for (let round = 0; round < 3; round++) {
  const values = await Promise.all(
    Array.from(
      { length: 3 },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { path: nativeAddonPath() } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  // let the workers' environments close the addon before the next round
  await new Promise((r) => setTimeout(r, 200));
  console.log(JSON.stringify({ round, values }));
}
