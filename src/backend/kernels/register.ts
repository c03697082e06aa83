import * as tf from '@tensorflow/tfjs-core';
import { installFusedOptimizers } from '../fused-optimizers';
import { avgPoolGradWasmEntry } from './avg-pool-grad-wasm';
import { batchMatMulWasmEntry } from './batch-matmul-wasm';
import { installFusedBatchNorm } from './batch-norm';
import { bnInferReluEntries, installBnActivation } from './bn-activation';
import { convBnEntries } from './conv-bn-fusion';
import { installLayerPaths } from './layer-paths';
import { installPadFusion } from './pad-fusion';
import { batchNormTrainCpuEntry } from './batch-norm-train-cpu';
import { batchNormTrainGradCpuEntry } from './batch-norm-train-grad-cpu';
import { batchNormTrainGradWasmEntry } from './batch-norm-train-grad-wasm';
import { batchNormTrainWasmEntry } from './batch-norm-train-wasm';
import { conv2DBackpropFilterCpuEntry } from './conv2d-backprop-filter-cpu';
import { conv2DBackpropFilterWasmEntry } from './conv2d-backprop-filter-wasm';
import { conv2DBackpropInputCpuEntry } from './conv2d-backprop-input-cpu';
import { conv2DBackpropInputWasmEntry } from './conv2d-backprop-input-wasm';
import { conv2DCpuEntry } from './conv2d-cpu';
import { cpuBinaryEntry } from './cpu-binary';
import { deformCol2imCpuEntry } from './deform-col2im-cpu';
import { deformCol2imWasmEntry } from './deform-col2im-wasm';
import { deformDxBandWebglEntry } from './deform-dx-band-webgl';
import { deformGemmCpuEntry } from './deform-gemm-cpu';
import { deformIm2colCpuEntry } from './deform-im2col-cpu';
import { deformIm2colTileWebglEntry } from './deform-im2col-tile-webgl';
import { deformIm2colWasmEntry } from './deform-im2col-wasm';
import { deformOffsetGradTileWebglEntry } from './deform-offset-grad-tile-webgl';
import { depthwiseConv2dBackpropFilterWasmEntry } from './depthwise-conv2d-backprop-filter-wasm';
import { depthwiseConv2dBackpropInputWasmEntry } from './depthwise-conv2d-backprop-input-wasm';
import { fusedConv2DCpuEntry } from './fused-conv2d-cpu';
import { gatherNdGradient } from './gather';
import { gatherV2WasmEntry } from './gather-v2-wasm';
import { identityWasmEntry } from './identity-wasm';
import { batchMatMulGradient } from './matmul-broadcast';
import { maxPoolCpuEntry, maxPoolWasmEntry } from './max-pool-cpu';
import { maxPoolGradCpuEntry } from './max-pool-grad-cpu';
import { maxPoolGradWasmEntry } from './max-pool-grad-wasm';
import { maxPoolWithArgmaxWasmEntry } from './max-pool-with-argmax-wasm';
import { nativeEntry } from './native-kernels';
import { padV2CpuEntry } from './pad-v2-cpu';
import { reduceEntry } from './reduce';
import { installReluGradients } from './relu-grad';
import { installLeanBackprop } from './lean-backprop';
import { clipGradCpuEntry } from './clip-grad-cpu';
import { clipGradWasmEntry } from './clip-grad-wasm';
import { installClipGradient } from './clip-grad';
import { reluGradCpuEntry } from './relu-grad-cpu';
import { reluGradWasmEntry } from './relu-grad-wasm';
import { addEntries, registerAnchors, resumeTrainingKernels } from './registry';
import { resizeBilinearGradCpuEntry } from './resize-bilinear-grad-cpu';
import { resizeBilinearGradWasmEntry } from './resize-bilinear-grad-wasm';
import { resizeNearestNeighborGradCpuEntry } from './resize-nearest-neighbor-grad-cpu';
import { sliceCpuEntry } from './slice-cpu';
import { padV2WasmEntry, sliceWasmEntry } from './slice-wasm';
import { tileCpuEntry } from './tile-cpu';
import { tileWasmEntry } from './tile-wasm';
import { conv2DWasmEntry, fusedConv2DWasmEntry } from './conv2d-wasm';
import { transposeWasmEntry } from './transpose-wasm';
import { unsortedSegmentSumWasmEntry } from './unsorted-segment-sum-wasm';
/*
 * The registration list: every training kernel medinets installs, one entry per kernel name
 * and backend, listed explicitly below. Each kernel with an implementation of its own has a
 * file of its own (`<kernel>-<backend>.ts`, one KernelEntry, as tfjs-backend-wasm's
 * kernels/Conv2D.ts) and its math in a helper module named for what it holds (gemm.ts,
 * wasm-conv.ts, cpu-conv.ts, pool-grad.ts, deform-conv-math.ts, util.ts for the conv geometry).
 * Three families are instead one generic implementation serving several kernel names, and a
 * file per name would repeat the same five lines with only the name changed, so each keeps a
 * per-name entry function in one file and the names are spelled out here:
 * - cpu-binary.ts `cpuBinaryEntry(name)`: Multiply / Add / Sub / RealDiv share one broadcast
 *   dispatcher (a flat loop table keyed by name);
 * - reduce.ts `reduceEntry(name, backend)`: Sum and Mean are one leading-axis pass (Mean scales);
 * - native-kernels.ts `nativeEntry(name, backend)`: stock kernels that only gain the native
 *   addon's path in front of the stock kernel (the addon's function table is keyed by name).
 */

let done = false;

/**
 * Register medinets' training kernels for the wasm and cpu backends, and the deformable
 * convolution's tile kernels for webgl (idempotent; runs on import of medinets). Stock kernels
 * of other backends (tfjs-node, webgl, webgpu) are never touched.
 * Calling it again after loading a backend package re-installs any replacement the
 * package's own registration overwrote, and ends a `suspendTrainingKernels()`. It also gives
 * tfjs' Adam, Momentum, RMSprop and SGD optimizers the native addon's one-pass update (the
 * same bits as their own; used on wasm and cpu while the addon is active).
 */
export function registerTrainingKernels(): void {
  if (!done) {
    done = true;
    addEntries([
      conv2DBackpropFilterWasmEntry,
      conv2DBackpropInputWasmEntry,
      depthwiseConv2dBackpropFilterWasmEntry,
      depthwiseConv2dBackpropInputWasmEntry,
      maxPoolGradWasmEntry,
      avgPoolGradWasmEntry,
      sliceWasmEntry,
      padV2WasmEntry,
      maxPoolWithArgmaxWasmEntry,
      maxPoolCpuEntry,
      maxPoolWasmEntry,
      maxPoolGradCpuEntry,
      resizeBilinearGradWasmEntry,
      resizeBilinearGradCpuEntry,
      resizeNearestNeighborGradCpuEntry,
      unsortedSegmentSumWasmEntry,
      gatherV2WasmEntry,
      tileWasmEntry,
      transposeWasmEntry,
      tileCpuEntry,
      batchMatMulWasmEntry,
      reduceEntry('Sum', 'wasm'),
      reduceEntry('Mean', 'wasm'),
      reduceEntry('Sum', 'cpu'),
      reduceEntry('Mean', 'cpu'),
      conv2DCpuEntry,
      fusedConv2DCpuEntry,
      conv2DBackpropInputCpuEntry,
      conv2DBackpropFilterCpuEntry,
      cpuBinaryEntry('Multiply'),
      cpuBinaryEntry('Add'),
      cpuBinaryEntry('Sub'),
      cpuBinaryEntry('RealDiv'),
      identityWasmEntry,
      batchNormTrainWasmEntry,
      batchNormTrainGradWasmEntry,
      batchNormTrainCpuEntry,
      batchNormTrainGradCpuEntry,
      ...bnInferReluEntries,
      ...convBnEntries,
      nativeEntry('_FusedMatMul', 'wasm'),
      nativeEntry('BatchMatMul', 'cpu'),
      nativeEntry('_FusedMatMul', 'cpu'),
      nativeEntry('Concat', 'wasm'),
      nativeEntry('Concat', 'cpu'),
      nativeEntry('SplitV', 'wasm'),
      nativeEntry('SplitV', 'cpu'),
      nativeEntry('Add', 'wasm'),
      nativeEntry('Sub', 'wasm'),
      nativeEntry('Multiply', 'wasm'),
      nativeEntry('RealDiv', 'wasm'),
      conv2DWasmEntry,
      fusedConv2DWasmEntry,
      nativeEntry('FusedBatchNorm', 'wasm'),
      nativeEntry('Relu', 'wasm'),
      nativeEntry('FusedBatchNorm', 'cpu'),
      nativeEntry('Relu', 'cpu'),
      sliceCpuEntry,
      padV2CpuEntry,
      nativeEntry('Relu6', 'wasm'),
      nativeEntry('DepthwiseConv2dNative', 'wasm'),
      nativeEntry('FusedDepthwiseConv2D', 'wasm'),
      nativeEntry('DepthwiseConv2dNative', 'cpu'),
      nativeEntry('FusedDepthwiseConv2D', 'cpu'),
      nativeEntry('DepthwiseConv2dNativeBackpropInput', 'cpu'),
      nativeEntry('DepthwiseConv2dNativeBackpropFilter', 'cpu'),
      deformIm2colWasmEntry,
      deformIm2colCpuEntry,
      deformCol2imWasmEntry,
      deformCol2imCpuEntry,
      deformGemmCpuEntry,
      deformIm2colTileWebglEntry,
      deformOffsetGradTileWebglEntry,
      deformDxBandWebglEntry,
      reluGradWasmEntry,
      reluGradCpuEntry,
      clipGradWasmEntry,
      clipGradCpuEntry,
    ]);
    installFusedBatchNorm();
    installLayerPaths();
    installBnActivation();
    installPadFusion();
    installReluGradients();
    installClipGradient();
    // A gradient is backend-independent; it is added only where tfjs has none at all.
    if (tf.getGradient('GatherNd') == null) tf.registerGradient(gatherNdGradient);
    // tfjs' own BatchMatMul gradient keeps broadcast batch axes (the engine rejects its shapes).
    tf.registerGradient(batchMatMulGradient);
    registerAnchors();
    // Not a kernel: tfjs' optimizers' applyGradients gains the addon's one-pass update.
    installFusedOptimizers();
    // Not a kernel: the backward pass frees gradients and saved tensors as it goes.
    installLeanBackprop();
  }
  resumeTrainingKernels();
}

registerTrainingKernels();
