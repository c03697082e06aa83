import * as tf from '@tensorflow/tfjs-core';
import { addEntries, registerAnchors, resumeTrainingKernels } from './registry';
import { batchMatMulEntries } from './batch-matmul';
import { batchNormEntries, installFusedBatchNorm } from './batch-norm';
import { cpuBinaryEntries } from './cpu-binary';
import { cpuConvEntries } from './cpu-conv';
import { deformCol2imEntries } from './deform-col2im';
import { deformGemmEntries } from './deform-gemm';
import { deformIm2colEntries } from './deform-im2col';
import { depthwiseGradEntries } from './depthwise-grad';
import { gatherEntries, gatherNdGradient } from './gather';
import { identityEntries } from './identity';
import { batchMatMulGradient } from './matmul-broadcast';
import { nativeEntries } from './native-kernels';
import { poolGradEntries } from './pool-grad';
import { reduceEntries } from './reduce';
import { resizeGradEntries } from './resize-grad';
import { tileEntries } from './tile';
import { wasmConvEntries } from './wasm-conv';

let done = false;

/**
 * Register medinets' training kernels for the wasm and cpu backends (idempotent; runs on
 * import of medinets). Kernels of other backends (tfjs-node, webgl, webgpu) are never touched.
 * Calling it again after loading a backend package re-installs any replacement the
 * package's own registration overwrote, and ends a `suspendTrainingKernels()`.
 */
export function registerTrainingKernels(): void {
  if (!done) {
    done = true;
    addEntries([
      ...wasmConvEntries,
      ...depthwiseGradEntries,
      ...poolGradEntries,
      ...resizeGradEntries,
      ...gatherEntries,
      ...tileEntries,
      ...batchMatMulEntries,
      ...reduceEntries,
      ...cpuConvEntries,
      ...cpuBinaryEntries,
      ...identityEntries,
      ...batchNormEntries,
      ...nativeEntries,
      ...deformIm2colEntries,
      ...deformCol2imEntries,
      ...deformGemmEntries,
    ]);
    installFusedBatchNorm();
    // A gradient is backend-independent; it is added only where tfjs has none at all.
    if (tf.getGradient('GatherNd') == null) tf.registerGradient(gatherNdGradient);
    // tfjs' own BatchMatMul gradient keeps broadcast batch axes (the engine rejects its shapes).
    tf.registerGradient(batchMatMulGradient);
    registerAnchors();
  }
  resumeTrainingKernels();
}

registerTrainingKernels();
