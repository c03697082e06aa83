import * as tfl from '@tensorflow/tfjs-layers';
import { resolveLogs, type EpochLogs } from './monitor';

/** Where the progress bar writes: a stream with `write`, and `isTTY` when it is a terminal. */
export interface ProgressStream {
  /** Write text. */
  write(text: string): unknown;
  /** True for an interactive terminal: the bar redraws in place. */
  isTTY?: boolean;
  /** Terminal width in columns, when known. */
  columns?: number;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Output stream. Default `process.stderr` in Node; in a browser, one console line per write. */
  stream?: ProgressStream;
  /** Bar width in characters. Default 30. */
  width?: number;
  /** Log keys shown (default every key, minus `batch` and `size`). */
  keys?: string[];
  /** Minimum milliseconds between redraws on a terminal. Default 100. */
  throttleMs?: number;
}

// Read through globalThis: a bundle for the web has no `process` binding at all.
function defaultStream(): ProgressStream {
  const stderr = (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
  return stderr ?? { write: (text: string) => console.log(text.replace(/\n$/, '')), isTTY: false };
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Training progress in the style of `cli-progress`: on a TTY a bar redrawn in place per
 * batch (`Epoch 3/20 [=========>------] 12/40 ETA 8s loss 0.4213`); otherwise (CI logs,
 * files) one plain line per epoch, no control characters.
 */
export class ProgressBar extends tfl.Callback {
  private readonly stream: ProgressStream;
  private readonly width: number;
  private readonly keys: string[] | undefined;
  private readonly throttleMs: number;
  private epochStart = 0;
  private lastDraw = 0;
  private epoch = 0;
  private batchLogs: Record<string, number> = {};

  /** @param opts see {@link ProgressBarOptions} */
  constructor(opts: ProgressBarOptions = {}) {
    super();
    this.stream = opts.stream ?? defaultStream();
    this.width = opts.width ?? 30;
    this.keys = opts.keys;
    this.throttleMs = opts.throttleMs ?? 100;
  }

  private get epochs(): number {
    return Number(this.params?.['epochs'] ?? 0);
  }

  private get steps(): number {
    const n = Number(this.params?.['samples'] ?? 0);
    const b = Number(this.params?.['batchSize'] ?? 0);
    const s = Number(this.params?.['steps'] ?? 0);
    return s > 0 ? s : n > 0 && b > 0 ? Math.ceil(n / b) : 0;
  }

  private metrics(values: Record<string, number>): string {
    const keys = this.keys ?? Object.keys(values).filter((k) => k !== 'batch' && k !== 'size');
    return keys
      .filter((k) => values[k] !== undefined)
      .map((k) => `${k} ${fmt(values[k] as number)}`)
      .join(' ');
  }

  /** Render the bar line for `done` of `total` steps (exposed for tests). */
  renderBar(done: number, total: number, elapsedMs: number, values: Record<string, number>): string {
    const frac = total > 0 ? Math.min(done / total, 1) : 0;
    const filled = Math.round(frac * this.width);
    const bar =
      '='.repeat(Math.max(filled - 1, 0)) +
      (filled > 0 ? (frac >= 1 ? '=' : '>') : '') +
      '-'.repeat(this.width - filled);
    const eta = done > 0 && total > 0 ? duration((elapsedMs / done) * (total - done)) : '?';
    const head = `Epoch ${this.epoch + 1}/${this.epochs || '?'} [${bar}] ${done}/${total || '?'} ETA ${eta}`;
    const m = this.metrics(values);
    return m ? `${head} ${m}` : head;
  }

  /** Start timing an epoch. */
  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    this.epochStart = Date.now();
    this.lastDraw = 0;
    this.batchLogs = {};
  }

  /** Redraw the bar (TTY only). */
  override async onBatchEnd(batch: number, logs?: EpochLogs): Promise<void> {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    const total = this.steps;
    if (now - this.lastDraw < this.throttleMs && batch + 1 < total) return;
    this.lastDraw = now;
    this.batchLogs = await resolveLogs(logs);
    let line = this.renderBar(batch + 1, total, now - this.epochStart, this.batchLogs);
    const cols = this.stream.columns;
    if (cols && line.length >= cols) line = line.slice(0, cols - 1);
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Finish the epoch's line. */
  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const values = await resolveLogs(logs);
    const took = duration(Date.now() - this.epochStart);
    const m = this.metrics(values);
    const line = `Epoch ${epoch + 1}/${this.epochs || '?'} ${took}${m ? ` ${m}` : ''}`;
    this.stream.write(this.stream.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
