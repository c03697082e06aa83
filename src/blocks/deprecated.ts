/**
 * Names of the blocks' previous API, kept for one release.
 */
import { apply } from './graph';

/**
 * @deprecated Use {@link apply}; `applyLayer` is removed in the next release.
 */
export const applyLayer = apply;
