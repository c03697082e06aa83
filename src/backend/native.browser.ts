// Browser twin of native.ts (see tsup.config.ts): the native addon is a Node-API module and
// exists only in Node, so here the kernels always take their wasm / JavaScript paths.
import type * as node from './native';

export type { NativeAddon, NativeKernelsOptions, NativeKernelsReport } from './native';

const reason = 'the native addon runs only in Node';

function inactive(): node.NativeKernelsReport {
  return { active: false, path: '', simd: '', threads: 0, reason };
}

/** Where the addon is looked for: nowhere in the browser (an empty string). */
export const nativeAddonPath: typeof node.nativeAddonPath = () => '';

/** In the browser the addon never loads: reports it inactive, with the reason. */
export const enableNativeKernels: typeof node.enableNativeKernels = () => inactive();

/** Nothing to stop in the browser. */
export const disableNativeKernels: typeof node.disableNativeKernels = () => undefined;

/** Always inactive in the browser. */
export const nativeKernelsInUse: typeof node.nativeKernelsInUse = () => inactive();

/** No addon in the browser. @internal */
export const activeAddon: typeof node.activeAddon = () => null;
