import * as tfl from '@tensorflow/tfjs-layers';
import { appendFileText, writeFileAtomic } from '../util/files';
import { getLearningRate } from './learning-rate';
import { resolveLogs, type EpochLogs } from './monitor';

/** Options of {@link HistoryLogger}. */
export interface HistoryLoggerOptions {
  /** Output file; `.csv` writes comma-separated rows, `.json` a `{ epoch: [], key: [] }` object. */
  path: string;
  /** Format; default inferred from the extension (`json` if it ends in `.json`, else `csv`). */
  format?: 'csv' | 'json';
  /** Keep the existing CSV rows / JSON history (resumed runs). Default false. */
  append?: boolean;
  /** Record the optimizer's learning rate as column `lr`. Default true. */
  logLearningRate?: boolean;
}

/**
 * Write the training history to disk after every epoch (Keras `CSVLogger`, plus JSON).
 * The JSON file is replaced atomically (temp file + rename); CSV rows are appended, with
 * the header taken from the first epoch's keys. `history` holds the same data in memory.
 */
export class HistoryLogger extends tfl.Callback {
  /** `epoch` and every logged key, one entry per epoch. */
  readonly history: Record<string, number[]> = {};
  private readonly path: string;
  private readonly format: 'csv' | 'json';
  private readonly append: boolean;
  private readonly logLr: boolean;
  private columns: string[] | null = null;

  /** @param opts see {@link HistoryLoggerOptions} */
  constructor(opts: HistoryLoggerOptions) {
    super();
    if (!opts || typeof opts.path !== 'string' || opts.path === '')
      throw new Error(`HistoryLogger: 'path' must be a non-empty path`);
    this.path = opts.path;
    this.format = opts.format ?? (opts.path.toLowerCase().endsWith('.json') ? 'json' : 'csv');
    if (this.format !== 'csv' && this.format !== 'json')
      throw new Error(`HistoryLogger: 'format' must be 'csv' or 'json'`);
    this.append = opts.append ?? false;
    this.logLr = opts.logLearningRate ?? true;
  }

  /** Create or truncate the file. */
  override async onTrainBegin(): Promise<void> {
    if (!this.append) {
      this.columns = null;
      if (this.format === 'csv') await writeFileAtomic(this.path, '', 'HistoryLogger');
    }
  }

  /** Record and write one epoch. */
  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const row: Record<string, number> = { epoch, ...(await resolveLogs(logs)) };
    if (this.logLr && this.model?.optimizer) {
      try {
        row['lr'] = getLearningRate(this.model.optimizer);
      } catch {
        // An optimizer without a readable rate simply gets no lr column.
      }
    }
    for (const [k, v] of Object.entries(row)) (this.history[k] ??= []).push(v);
    if (this.format === 'json') {
      await writeFileAtomic(this.path, JSON.stringify(this.history), 'HistoryLogger');
      return;
    }
    let text = '';
    if (this.columns === null) {
      this.columns = Object.keys(row);
      if (!this.append) text += `${this.columns.join(',')}\n`;
    }
    text += `${this.columns.map((c) => (row[c] === undefined ? '' : String(row[c]))).join(',')}\n`;
    await appendFileText(this.path, text, 'HistoryLogger');
  }
}
