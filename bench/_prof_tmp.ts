import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { deformConv2d } from '../src/layers';
await tf.setBackend('cpu');
const x = tf.randomNormal([4,64,64,32]); const off = tf.randomNormal([4,64,64,18]); const m = tf.randomUniform([4,64,64,9]);
const k = tf.randomNormal([3,3,32,32]); const b = tf.zeros([32]);
for (let r=0;r<3;r++){
  const t0=performance.now();
  const gs = tf.grads((a: tf.Tensor,o: tf.Tensor,mm: tf.Tensor,kk: tf.Tensor,bb: tf.Tensor)=>tf.sum(deformConv2d(a as tf.Tensor4D,o as tf.Tensor4D,mm as tf.Tensor4D,kk as tf.Tensor4D,bb as tf.Tensor1D,{padding:1})))([x,off,m,k,b]);
  gs.forEach(g=>g.dataSync()); console.log('fwd+bwd', (performance.now()-t0).toFixed(0)); tf.dispose(gs);
}
