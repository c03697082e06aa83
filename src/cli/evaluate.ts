/** `medinets evaluate runs/NAME --data DIR`: the metric table, ROC and confusion matrix of a run's best checkpoint. */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CliIO, type FlagTable, UsageError, oneOf, parseFlags, required, str } from './args';
import { assess } from './assess';
import { LAYOUTS, loadSplit, openSplits } from './data';
import { loadRunModel, readRunConfig } from './run-dir';

const FLAGS: FlagTable = {
  data: { type: 'string' },
  layout: { type: 'string' },
  split: { type: 'string' },
  out: { type: 'string' },
};

/** `medinets evaluate --help`. */
export const EVALUATE_HELP = `usage: medinets evaluate RUN --data DIR [--layout LAYOUT] [--split test|val|all] [--out DIR]

Score a run's best checkpoint on a dataset: prints the metric table (accuracy, macro F1;
with two classes precision, recall, specificity, F1 and ROC AUC) and writes evaluation.md,
metrics.json, roc.png and confusion_matrix.png to --out (default RUN/eval).

  RUN               a folder written by medinets train
  --data DIR        the dataset folder
  --layout LAYOUT   ${LAYOUTS.join(' | ')} (default: the run's)
  --split PART      test (default: the held-out part, split as in training), val, or all
                    (every image: for a separate test set)
  --out DIR         where figures and tables go (default RUN/eval)
  -h, --help        this text`;

/** Run `medinets evaluate`; returns the exit code. */
export async function evaluate(argv: string[], io: CliIO): Promise<number> {
  const p = parseFlags('evaluate', argv, FLAGS, true);
  if (p.values.help) {
    io.out(EVALUATE_HELP);
    return 0;
  }
  if (p.positionals.length !== 1) {
    throw new UsageError(`medinets evaluate: expected one run folder; got ${p.positionals.length} arguments`);
  }
  const run = resolve(p.positionals[0] as string);
  const cfg = readRunConfig(run, 'evaluate');
  const data = resolve(required('evaluate', p, 'data'));
  const layout = oneOf('evaluate', p, 'layout', LAYOUTS, cfg.layout);
  const part = oneOf('evaluate', p, 'split', ['test', 'val', 'all'] as const, 'test');
  const out = resolve(str(p, 'out', join(run, 'eval')));
  const splits = await openSplits(layout, data, cfg.seed);
  if (splits.classNames.join('\n') !== cfg.classes.join('\n')) {
    throw new UsageError(
      `medinets evaluate: ${data} has classes ${splits.classNames.join(', ')}; the run was trained on ${cfg.classes.join(', ')}`,
    );
  }
  const items = part === 'all' ? [splits.train, splits.val, splits.test] : [splits[part]];
  const model = await loadRunModel(run, 'evaluate');
  const parts = await Promise.all(items.map((d) => loadSplit(d, cfg.size, cfg.channels)));
  const x =
    parts.length === 1
      ? parts[0]!.x
      : (tf.concat(
          parts.map((s) => s.x),
          0,
        ) as tf.Tensor4D);
  const labels = Int32Array.from(parts.flatMap((s) => Array.from(s.labels)));
  try {
    mkdirSync(out, { recursive: true });
    const a = await assess(model, x, labels, cfg.classes, out, cfg.model);
    const md = [
      `# ${cfg.model}: evaluation on ${data} (${part})`,
      '',
      a.markdown,
      '',
      ...a.figures.map((f) => `![${f.split('/').pop()}](${f.split('/').pop()})`),
      '',
    ].join('\n');
    const write = (name: string, text: string): void => {
      writeFileSync(join(out, `${name}.tmp-${process.pid}`), text);
      renameSync(join(out, `${name}.tmp-${process.pid}`), join(out, name));
    };
    write('evaluation.md', md);
    write(
      'metrics.json',
      `${JSON.stringify({ n: labels.length, ...a.metrics, confusion: a.confusion }, null, 2)}\n`,
    );
    io.out(a.markdown);
    io.out(`\nwrote ${join(out, 'evaluation.md')}, ${a.figures.map((f) => f.split('/').pop()).join(', ')}`);
    return 0;
  } finally {
    tf.dispose([...parts.map((s) => s.x), ...(parts.length > 1 ? [x] : [])]);
    model.dispose();
  }
}
