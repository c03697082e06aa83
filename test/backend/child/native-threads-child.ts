// Run by test/backend/native-threads.test.ts in a child process (a crash or hang fails the
// test): the work alone on one thread, then on 4 worker_threads at once with a 2-thread
// pool; prints how many results differ in any bit. Usage: native-threads-child.ts [workers] [iterations]
import { Worker } from 'node:worker_threads';
import { setup, work } from './native-threads-work';

const workers = Number(process.argv[2] ?? '4');
const iterations = Number(process.argv[3] ?? '3');
await setup(1);
const ref = work();
const tsxApi = import.meta.resolve('tsx/esm/api');
const entry = new URL('./native-threads-worker.ts', import.meta.url).href;
const t0 = Date.now();
const runs = await Promise.all(
  Array.from(
    { length: workers },
    () =>
      new Promise<Uint32Array[][]>((resolve, reject) => {
        // a worker's entry is not seen by tsx's loader: register it inside, then import the TS file
        const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
        const w = new Worker(boot, { eval: true, workerData: { threads: 2, iterations } });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => {
          if (code !== 0) reject(new Error(`worker exited with ${code}`));
        });
      }),
  ),
);
let differing = 0;
let compared = 0;
for (const run of runs)
  for (const result of run)
    result.forEach((bits, k) => {
      compared++;
      const want = ref[k] as Uint32Array;
      if (bits.length !== want.length || bits.some((v, i) => v !== want[i])) differing++;
    });
console.log(JSON.stringify({ workers, iterations, compared, differing, ms: Date.now() - t0 }));
