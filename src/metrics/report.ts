/**
 * The per-class precision / recall / F1 / support table of `sklearn.metrics.classification_report`.
 */
import { checkPositiveInt } from '../util/checks';
import { precisionRecallFscoreSupport } from './classification';
import { readLabelPair, resolveLabels } from './confusion';
import { type ArrayLike1D, type ZeroDivisionOptions, uniqueLabels } from './input';

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions extends ZeroDivisionOptions {
  /** Classes to report, in order. Default: the sorted labels present. */
  labels?: number[];
  /** Alternative to `labels`: report classes 0..numClasses-1. */
  numClasses?: number;
  /** Display names, one per class (e.g. `['NORMAL', 'PNEUMONIA']`). Default: the labels. */
  targetNames?: string[];
  /** Decimal places in the text table. Default 2. */
  digits?: number;
}

/** One row of the report. */
export interface ReportRow {
  /** Precision of the class (or the average). */
  precision: number;
  /** Recall of the class (or the average). */
  recall: number;
  /** F1 of the class (or the average). */
  f1: number;
  /** Number of true samples. */
  support: number;
}

/** The numbers behind the text table. */
export interface ClassificationReportData {
  /** One row per class, keyed by target name. */
  classes: Record<string, ReportRow>;
  /** Accuracy, present when micro averaging equals accuracy (all present labels reported). */
  accuracy?: number;
  /** Micro average, present only when it is not the accuracy. */
  microAvg?: ReportRow;
  /** Unweighted mean over classes. */
  macroAvg: ReportRow;
  /** Support-weighted mean over classes. */
  weightedAvg: ReportRow;
}

interface Prepared {
  t: Float64Array;
  p: Float64Array;
  labels: number[];
  names: string[];
  microIsAccuracy: boolean;
}

function prepare(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: ClassificationReportOptions,
  fn: string,
): Prepared {
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const labels = resolveLabels(t, p, options, fn);
  const present = uniqueLabels(t, p);
  const given = options.labels !== undefined || options.numClasses !== undefined;
  const microIsAccuracy =
    !given || (labels.length === present.length && present.every((l) => labels.includes(l)));
  const names = options.targetNames ?? labels.map(String);
  if (names.length !== labels.length) {
    throw new Error(`${fn}: 'targetNames' has ${names.length} names for ${labels.length} classes`);
  }
  return { t, p, labels, names, microIsAccuracy };
}

function row(
  t: Float64Array,
  p: Float64Array,
  labels: number[],
  average: 'micro' | 'macro' | 'weighted',
  o: ZeroDivisionOptions,
): ReportRow {
  const r = precisionRecallFscoreSupport(t, p, {
    labels,
    average,
    zeroDivision: o.zeroDivision,
    onWarning: o.onWarning,
  });
  let support = 0;
  for (const v of t) if (labels.includes(v)) support++;
  return {
    precision: r.precision[0] as number,
    recall: r.recall[0] as number,
    f1: r.fbeta[0] as number,
    support,
  };
}

/** The report as numbers (scikit-learn's `output_dict=True`). */
export function classificationReportData(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: ClassificationReportOptions = {},
): ClassificationReportData {
  const { t, p, labels, names, microIsAccuracy } = prepare(yTrue, yPred, options, 'classificationReportData');
  const per = precisionRecallFscoreSupport(t, p, {
    labels,
    average: 'none',
    zeroDivision: options.zeroDivision,
    onWarning: options.onWarning,
  });
  const classes: Record<string, ReportRow> = {};
  names.forEach((name, i) => {
    classes[name] = {
      precision: per.precision[i] as number,
      recall: per.recall[i] as number,
      f1: per.fbeta[i] as number,
      support: per.support[i] as number,
    };
  });
  const micro = row(t, p, labels, 'micro', options);
  const out: ClassificationReportData = {
    classes,
    macroAvg: row(t, p, labels, 'macro', options),
    weightedAvg: row(t, p, labels, 'weighted', options),
  };
  if (microIsAccuracy) out.accuracy = micro.f1;
  else out.microAvg = micro;
  return out;
}

/** Python's `format(x, '.Nf')`: round half to even on the exact binary value. */
function fixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled) && Math.abs(scaled) < 2 ** 50) {
    const lo = Math.floor(scaled);
    const even = lo % 2 === 0 ? lo : lo + 1;
    return (even / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

/**
 * Text table of precision, recall, F1 and support per class with accuracy, macro and weighted
 * averages, laid out character for character like `sklearn.metrics.classification_report`.
 * @example console.log(classificationReport(yTrue, yPred, { targetNames: ['NORMAL', 'PNEUMONIA'] }))
 */
export function classificationReport(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: ClassificationReportOptions = {},
): string {
  const digits = options.digits ?? 2;
  checkPositiveInt(digits + 1, 'digits + 1', 'classificationReport');
  const d = classificationReportData(yTrue, yPred, options);
  const names = Object.keys(d.classes);
  const width = Math.max(...names.map((n) => n.length), 'weighted avg'.length, digits);
  const pad = (s: string, w: number): string => s.padStart(w);
  const num = (x: number): string => ` ${pad(fixed(x, digits), 9)}`;
  const line = (name: string, r: ReportRow): string =>
    `${pad(name, width)} ${num(r.precision)}${num(r.recall)}${num(r.f1)} ${pad(String(r.support), 9)}\n`;
  let out = `${pad('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${pad(h, 9)}`).join('')}\n\n`;
  for (const n of names) out += line(n, d.classes[n] as ReportRow);
  out += '\n';
  if (d.accuracy !== undefined) {
    out += `${pad('accuracy', width)} ${' '.repeat(10)}${' '.repeat(10)}${num(d.accuracy)} ${pad(String(d.macroAvg.support), 9)}\n`;
  } else if (d.microAvg) {
    out += line('micro avg', d.microAvg);
  }
  out += line('macro avg', d.macroAvg);
  out += line('weighted avg', d.weightedAvg);
  return out;
}
