import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  classificationReport,
  cohenKappa,
  confusionMatrix,
  dice,
  f1,
  fbeta,
  iou,
  matthewsCorrcoef,
  precision,
  precisionRecallCurve,
  recall,
  rocAuc,
  rocAucPerClass,
  rocCurve,
  specificity,
  youdenThreshold,
  type Average,
  type MetricWarning,
} from '../../src/metrics';

interface Ref {
  value?: number | number[] | null;
  error?: string;
  warned?: boolean;
}
interface LabelCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  beta: number;
  posLabel: number;
  expected: Record<string, Ref | number[][] | number[] | string | number>;
}
interface ScoreCase {
  name: string;
  yTrue: number[];
  scores: number[];
  expected: {
    roc_drop: { fpr: (number | null)[]; tpr: (number | null)[]; thresholds: number[] };
    roc_full: { fpr: (number | null)[]; tpr: (number | null)[]; thresholds: number[] };
    auc: Ref;
    ap: number;
    pr: { precision: number[]; recall: number[]; thresholds: number[] };
    youden?: { threshold: number; j: number; tpr: number; fpr: number };
  };
}
interface McCase {
  name: string;
  yTrue: number[];
  probs: number[][];
  expected: Record<string, Ref>;
}
const revive = (_k: string, v: unknown): unknown =>
  v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v;
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/metrics/metrics.json', import.meta.url), 'utf8'),
  revive,
) as {
  labelCases: LabelCase[];
  scoreCases: ScoreCase[];
  multiclassCases: McCase[];
  segmentation: {
    yTrue: number[];
    yPred: number[];
    numClasses: number;
    dice: number[];
    iou: number[];
    confusion: number[][];
  };
};

const TOL = 1e-9;
function close(actual: number | number[], expected: number | number[] | null | undefined): void {
  if (expected === null || expected === undefined) throw new Error('no expected value');
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    const a = actual as number[];
    expect(a.length).toBe(expected.length);
    a.forEach((v, i) => expect(Math.abs(v - (expected[i] as number))).toBeLessThanOrEqual(TOL));
  } else if (!Number.isFinite(expected)) {
    expect(actual).toBe(expected);
  } else {
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(TOL);
  }
}
function nullableClose(actual: number[], expected: (number | null)[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i];
    if (e === null) expect(Number.isNaN(v)).toBe(true);
    else expect(Math.abs(v - (e as number))).toBeLessThanOrEqual(TOL);
  });
}

/** Run a metric with a warning collector; compare value, thrown errors and the warning flag. */
function check(ref: Ref, run: (onWarning: (w: MetricWarning) => void) => number | number[]): void {
  const warnings: MetricWarning[] = [];
  if (ref.error !== undefined) {
    expect(() => run((w) => warnings.push(w))).toThrow();
    return;
  }
  const v = run((w) => warnings.push(w));
  if (ref.value === null) expect(v).toBeNaN();
  else close(v, ref.value);
  if (ref.warned) expect(warnings.length).toBeGreaterThan(0);
}

const AVGS: Array<[string, Average]> = [
  ['binary', 'binary'],
  ['macro', 'macro'],
  ['micro', 'micro'],
  ['weighted', 'weighted'],
  ['none', 'none'],
];

describe('label metrics vs scikit-learn', () => {
  for (const c of fx.labelCases) {
    describe(c.name, () => {
      const e = c.expected;
      it('confusion matrix, accuracy, balanced accuracy, MCC, kappa', () => {
        expect(confusionMatrix(c.yTrue, c.yPred)).toEqual(e.confusion);
        check(e.accuracy as Ref, () => accuracy(c.yTrue, c.yPred));
        check(e.balancedAccuracy as Ref, (onWarning) => balancedAccuracy(c.yTrue, c.yPred, { onWarning }));
        check(e.balancedAccuracyAdjusted as Ref, () =>
          balancedAccuracy(c.yTrue, c.yPred, { adjusted: true }),
        );
        check(e.mcc as Ref, (onWarning) => matthewsCorrcoef(c.yTrue, c.yPred, { onWarning }));
        for (const [key, weights] of [
          ['kappa', undefined],
          ['kappaLinear', 'linear'],
          ['kappaQuadratic', 'quadratic'],
        ] as const) {
          const ref = e[key] as Ref;
          const warnings: MetricWarning[] = [];
          const k = cohenKappa(c.yTrue, c.yPred, { weights, onWarning: (w) => warnings.push(w) });
          if (ref.value === null) {
            // sklearn 1.2 returns NaN for 0/0; medinets documents 0 and a warning instead.
            expect(k).toBe(0);
            expect(warnings.length).toBe(1);
          } else close(k, ref.value);
        }
      });
      it('precision / recall / F1 / F-beta / specificity for every average', () => {
        for (const [key, average] of AVGS) {
          const o = { average, posLabel: c.posLabel };
          check(e[`precision_${key}`] as Ref, (onWarning) =>
            precision(c.yTrue, c.yPred, { ...o, onWarning }),
          );
          check(e[`recall_${key}`] as Ref, (onWarning) => recall(c.yTrue, c.yPred, { ...o, onWarning }));
          check(e[`f1_${key}`] as Ref, (onWarning) => f1(c.yTrue, c.yPred, { ...o, onWarning }));
          check(e[`fbeta_${key}`] as Ref, (onWarning) =>
            fbeta(c.yTrue, c.yPred, c.beta, { ...o, onWarning }),
          );
          check(e[`precision1_${key}`] as Ref, () => precision(c.yTrue, c.yPred, { ...o, zeroDivision: 1 }));
          if (key !== 'binary')
            close(specificity(c.yTrue, c.yPred, o), e[`specificity_${key}`] as number | number[]);
        }
        if (e.specificity_binary)
          check(e.specificity_binary as Ref, () => specificity(c.yTrue, c.yPred, { posLabel: c.posLabel }));
      });
      it('classification report text is identical', () => {
        expect(classificationReport(c.yTrue, c.yPred)).toBe(e.report);
        const labels = e.labels as number[];
        expect(
          classificationReport(c.yTrue, c.yPred, { digits: 4, targetNames: labels.map((l) => `class_${l}`) }),
        ).toBe(e.report4);
      });
    });
  }
});

describe('score metrics vs scikit-learn', () => {
  for (const c of fx.scoreCases) {
    it(c.name, () => {
      const e = c.expected;
      for (const [key, drop] of [
        ['roc_drop', true],
        ['roc_full', false],
      ] as const) {
        const r = rocCurve(c.yTrue, c.scores, { dropIntermediate: drop });
        nullableClose(r.fpr, e[key].fpr);
        nullableClose(r.tpr, e[key].tpr);
        close(r.thresholds, e[key].thresholds);
      }
      check(e.auc, () => rocAuc(c.yTrue, c.scores));
      const pr = precisionRecallCurve(c.yTrue, c.scores);
      close(pr.precision, e.pr.precision);
      close(pr.recall, e.pr.recall);
      close(pr.thresholds, e.pr.thresholds);
      close(averagePrecision(c.yTrue, c.scores), e.ap);
      if (e.youden) {
        const y = youdenThreshold(c.yTrue, c.scores);
        close([y.threshold, y.j, y.tpr, y.fpr], [e.youden.threshold, e.youden.j, e.youden.tpr, e.youden.fpr]);
      }
    });
  }
});

describe('multi-class scores vs scikit-learn', () => {
  for (const c of fx.multiclassCases) {
    it(c.name, () => {
      const e = c.expected;
      check(e.auc_macro as Ref, () => rocAuc(c.yTrue, c.probs, { multiClass: 'ovr', average: 'macro' }));
      check(e.auc_weighted as Ref, () =>
        rocAuc(c.yTrue, c.probs, { multiClass: 'ovr', average: 'weighted' }),
      );
      check(e.auc_none as Ref, () => rocAucPerClass(c.yTrue, c.probs));
      check(e.ap_macro as Ref, () => averagePrecision(c.yTrue, c.probs));
      check(e.ap_weighted as Ref, () => averagePrecision(c.yTrue, c.probs, { average: 'weighted' }));
    });
  }
});

describe('segmentation overlap vs scikit-learn', () => {
  it('dice = f1(average=None), iou = jaccard(average=None), absent class -> 0 with a warning', () => {
    const s = fx.segmentation;
    const warnings: MetricWarning[] = [];
    close(dice(s.yTrue, s.yPred, { numClasses: s.numClasses, onWarning: (w) => warnings.push(w) }), s.dice);
    close(iou(s.yTrue, s.yPred, { numClasses: s.numClasses }), s.iou);
    expect(confusionMatrix(s.yTrue, s.yPred, { numClasses: s.numClasses })).toEqual(s.confusion);
    expect(warnings.length).toBe(1);
    expect(dice(s.yTrue, s.yPred, { numClasses: 4, zeroDivision: 1 })[3]).toBe(1);
  });
});
