import * as tf from '@tensorflow/tfjs-core';
import { addEntries, registerAnchors, resumeTrainingKernels } from './registry';
import { batchMatMulEntries } from './batch_matmul';
import { batchNormEntries, installFusedBatchNorm } from './batch_norm';
import { cpuBinaryEntries } from './cpu_binary';
import { cpuConvEntries } from './cpu_conv';
import { depthwiseGradEntries } from './depthwise_grad';
import { gatherEntries, gatherNdGradient } from './gather';
import { identityEntries } from './identity';
import { nativeEntries } from './native_kernels';
import { poolGradEntries } from './pool_grad';
import { reduceEntries } from './reduce';
import { resizeGradEntries } from './resize_grad';
import { tileEntries } from './tile';
import { wasmConvEntries } from './wasm_conv';

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
    ]);
    installFusedBatchNorm();
    // A gradient is backend-independent; it is added only where tfjs has none at all.
    if (tf.getGradient('GatherNd') == null) tf.registerGradient(gatherNdGradient);
    registerAnchors();
  }
  resumeTrainingKernels();
}

registerTrainingKernels();
