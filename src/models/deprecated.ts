/**
 * Names of the builders' previous API (medinets 0.1), kept for one release: each is an alias
 * of its role-named replacement, or, for `ThesisVGG`, a thin wrapper that keeps its old
 * `pooling` meaning.
 */
import { checkOneOf } from '../util/checks';
import type { BuilderOptions, Built, ClassifierActivation, ModelHead } from './options';
import { type SmallVGGOptions, buildSmallVGG } from './small-cnns';

/** @deprecated Use {@link ClassifierActivation}; removed in the next release. */
export type TopActivation = ClassifierActivation;

/** @deprecated Use {@link BuilderOptions}; removed in the next release. */
export type BackboneOptions = BuilderOptions;

/** @deprecated Use {@link BuilderOptions} (plus the family's `filters`); removed in the next release. */
export type ThesisModelOptions = BuilderOptions & {
  /** Base width of the family. */
  filters?: number;
};

/** @deprecated Use {@link ModelHead}; removed in the next release. */
export type ThesisHead = ModelHead;

/**
 * @deprecated Use {@link SmallVGGOptions}: `pooling` here is the top's reduction, which
 * `SmallVGG` calls `topPooling` (its `pooling` is the shared option of a model without top).
 */
export type ThesisVGGOptions = Omit<SmallVGGOptions, 'pooling'> & {
  /** `'flatten'` (default) or `'avg'`: how the top reduces the last map. */
  pooling?: 'flatten' | 'avg';
};

/**
 * @deprecated Use {@link SmallVGG} (same network; `pooling` becomes `topPooling`); removed in
 * the next release. Builds the model under its old name, `'ThesisVGG'`.
 */
export function ThesisVGG<O extends ThesisVGGOptions>(options: O = {} as O): Built<O> {
  const { pooling, ...rest } = options;
  if (pooling !== undefined) checkOneOf(pooling, ['flatten', 'avg'] as const, 'pooling', 'ThesisVGG');
  return buildSmallVGG('ThesisVGG', { ...rest, topPooling: rest.topPooling ?? pooling }) as Built<O>;
}
