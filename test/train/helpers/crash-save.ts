// Child process of checkpoint.test.ts: starts a checkpoint write and dies by SIGKILL
// right after the weights file is written, as a real crash (power loss, OOM kill) would.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { saveCheckpoint } from '../../../src/train/checkpoint-io';
import { fillWeights, tinyModel } from './tiny-model';

await tf.setBackend('cpu');
const dir = process.argv[2] as string;
const model = tinyModel();
fillWeights(model, 42);
await saveCheckpoint(model, dir, {
  state: { epoch: 99 },
  onFileWritten: (file) => {
    if (file === 'weights.bin') process.kill(process.pid, 'SIGKILL');
  },
});
