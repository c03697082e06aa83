import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { type DatasetItem, FileDataset } from './dataset';

/** File extensions read as images by the layout readers. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.dcm'] as const;

/** Options shared by the layout readers. */
export interface LayoutOptions {
  /** Extensions (lower case, with the dot) to include. Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
  /** Accept a dataset with a single class (e.g. a test folder). Default false: it is an error. */
  allowSingleClass?: boolean;
}

const collator = new Intl.Collator('en', { numeric: true });

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function listDir(dir: string, fn: string): Promise<{ files: string[]; dirs: string[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(`${fn}: cannot read folder ${dir} (${(e as Error).message})`);
  }
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(collator.compare);
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(collator.compare);
  return { files, dirs };
}

function hasExt(name: string, ext: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return ext.some((e) => lower.endsWith(e));
}

function checkClasses(
  items: DatasetItem[],
  classNames: string[],
  where: string,
  fn: string,
  allowSingle: boolean,
): void {
  if (!items.length) throw new Error(`${fn}: no images found under ${where}`);
  const present = new Set(items.map((i) => i.label));
  if (present.size < 2 && !allowSingle) {
    const only = classNames[[...present][0] as number];
    throw new Error(
      `${fn}: only one class ('${only}') has images under ${where}; a classifier needs at least two (pass allowSingleClass: true for a one-class test set)`,
    );
  }
}

/** Options of {@link classFolderDataset}. */
export interface ClassFolderOptions extends LayoutOptions {
  /** Sub-folder holding the class folders, e.g. 'train', 'val' or 'test' in Kermany's chest_xray. */
  split?: string;
  /** Class folder names in label order. Default: the folders found, sorted (as Keras does). */
  classes?: string[];
}

/**
 * A class-per-folder image tree (Kermany chest_xray: `train/NORMAL`, `train/PNEUMONIA`,
 * `test/...`): every image below `root/<split>/<class>/` (recursively) gets that class's
 * label. Empty trees and single-class trees are reported with an error naming the folder.
 */
export async function classFolderDataset(
  root: string,
  options: ClassFolderOptions = {},
): Promise<FileDataset> {
  const fn = 'classFolderDataset';
  const ext = options.extensions ?? IMAGE_EXTENSIONS;
  const base = options.split ? join(root, options.split) : root;
  if (!(await isDir(base))) throw new Error(`${fn}: folder ${base} does not exist`);
  const classes = options.classes ?? (await listDir(base, fn)).dirs;
  if (!classes.length) throw new Error(`${fn}: no class folders under ${base}`);
  const items: DatasetItem[] = [];
  const walk = async (dir: string, label: number): Promise<void> => {
    const { files, dirs } = await listDir(dir, fn);
    for (const f of files) if (hasExt(f, ext)) items.push({ path: join(dir, f), label });
    for (const d of dirs) await walk(join(dir, d), label);
  };
  for (const [label, c] of classes.entries()) {
    const dir = join(base, c);
    if (!(await isDir(dir))) throw new Error(`${fn}: class folder ${dir} does not exist`);
    await walk(dir, label);
  }
  checkClasses(items, classes, base, fn, options.allowSingleClass ?? false);
  return new FileDataset(items, classes, base);
}

/** Options of {@link covidCtDataset}. */
export interface CovidCtOptions extends LayoutOptions {
  /**
   * Use the published split: read `<split>CT_COVID.txt` and `<split>CT_NonCOVID.txt` (found
   * anywhere below `root`, as in the repository's `Data-split/`). Default: every image.
   */
  split?: 'train' | 'val' | 'test';
}

async function findBelow(
  root: string,
  match: (name: string, isDirectory: boolean) => boolean,
  depth: number,
): Promise<string | null> {
  const queue: Array<[string, number]> = [[root, 0]];
  while (queue.length) {
    const [dir, d] = queue.shift() as [string, number];
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => collator.compare(a.name, b.name));
    for (const e of entries) if (match(e.name, e.isDirectory())) return join(dir, e.name);
    if (d < depth)
      for (const e of entries)
        if (e.isDirectory() && !e.name.startsWith('.')) queue.push([join(dir, e.name), d + 1]);
  }
  return null;
}

/**
 * The COVID-CT dataset (UCSD-AI4H): image folders `CT_COVID/` (label 1) and `CT_NonCOVID/`
 * (label 0), found up to three levels below `root` (e.g. `Images-processed/CT_COVID`), and
 * optionally the published split lists `Data-split/COVID/trainCT_COVID.txt`, ... (one file
 * name per line). Class names: ['NonCOVID', 'COVID'].
 */
export async function covidCtDataset(root: string, options: CovidCtOptions = {}): Promise<FileDataset> {
  const fn = 'covidCtDataset';
  const ext = options.extensions ?? IMAGE_EXTENSIONS;
  if (!(await isDir(root))) throw new Error(`${fn}: folder ${root} does not exist`);
  const classes = ['NonCOVID', 'COVID'];
  const folders = ['CT_NonCOVID', 'CT_COVID'];
  const items: DatasetItem[] = [];
  for (const [label, name] of folders.entries()) {
    const dir = await findBelow(root, (n, d) => d && n === name, 3);
    if (!dir) throw new Error(`${fn}: no ${name}/ folder under ${root}`);
    let files = (await listDir(dir, fn)).files.filter((f) => hasExt(f, ext));
    if (options.split) {
      const listName = `${options.split}${name}.txt`;
      const list = await findBelow(root, (n, d) => !d && n === listName, 3);
      if (!list) throw new Error(`${fn}: split file ${listName} not found under ${root}`);
      const wanted = (await readFile(list, 'utf8'))
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean);
      const have = new Set(files);
      const missing = wanted.filter((w) => !have.has(w));
      if (missing.length)
        throw new Error(
          `${fn}: ${list} lists ${missing.length} file(s) missing from ${dir}, e.g. '${missing[0]}'`,
        );
      files = wanted;
    }
    for (const f of files) items.push({ path: join(dir, f), label });
  }
  checkClasses(items, classes, root, fn, options.allowSingleClass ?? false);
  return new FileDataset(items, classes, root);
}

/** Options of {@link ctSeriesDataset}. */
export interface CtSeriesOptions extends LayoutOptions {
  /** Class folder names in label order. Default: the folders found, sorted. */
  classes?: string[];
}

/**
 * CT series in MIA-COV19D style: `root/<class>/<series>/<slice files>` (e.g.
 * `train/covid/ct_scan_12/0.jpg`). Every slice carries its series' label and a `seriesId`
 * (`<class>/<series>`), slices ordered by natural file-name order (2 before 10), so slice
 * scores can be averaged per series and splits keep whole series together.
 */
export async function ctSeriesDataset(root: string, options: CtSeriesOptions = {}): Promise<FileDataset> {
  const fn = 'ctSeriesDataset';
  const ext = options.extensions ?? IMAGE_EXTENSIONS;
  if (!(await isDir(root))) throw new Error(`${fn}: folder ${root} does not exist`);
  const classes = options.classes ?? (await listDir(root, fn)).dirs;
  if (!classes.length) throw new Error(`${fn}: no class folders under ${root}`);
  const items: DatasetItem[] = [];
  for (const [label, c] of classes.entries()) {
    const cdir = join(root, c);
    if (!(await isDir(cdir))) throw new Error(`${fn}: class folder ${cdir} does not exist`);
    for (const s of (await listDir(cdir, fn)).dirs) {
      const sdir = join(cdir, s);
      for (const f of (await listDir(sdir, fn)).files)
        if (hasExt(f, ext)) items.push({ path: join(sdir, f), label, seriesId: `${c}/${s}` });
    }
  }
  checkClasses(items, classes, root, fn, options.allowSingleClass ?? false);
  return new FileDataset(items, classes, root);
}

/** Options of {@link csvDataset}. */
export interface CsvOptions extends LayoutOptions {
  /** Column holding the image path. Default 'path' (else the first column). */
  pathColumn?: string;
  /** Column holding the label. Default 'label' (else the second column). */
  labelColumn?: string;
  /** Optional column holding a series id. */
  seriesColumn?: string;
  /** Folder relative paths resolve against. Default: the CSV's folder. */
  baseDir?: string;
  /** Class names in label order; integer labels index them, string labels are looked up. Default: integers as they are, strings sorted. */
  classes?: string[];
}

/** RFC 4180 records (quoted commas, quotes and newlines) with the line each starts on. */
function parseCsv(text: string, where: string, fn: string): Array<{ cells: string[]; line: number }> {
  try {
    const rows = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    return rows
      .filter((r) => r.record.some((c) => c !== ''))
      .map((r) => ({ cells: r.record, line: r.info.lines }));
  } catch (e) {
    throw new Error(`${fn}: ${where} is not valid CSV (csv-parse: ${(e as Error).message})`);
  }
}

/**
 * A CSV of `path,label` rows (header row required; RFC 4180: quoted fields may hold commas,
 * doubled quotes and newlines; parsed with csv-parse). Labels may be class
 * indices or class names. Relative paths resolve against the CSV's folder.
 */
export async function csvDataset(csvPath: string, options: CsvOptions = {}): Promise<FileDataset> {
  const fn = 'csvDataset';
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (e) {
    throw new Error(`${fn}: cannot read ${csvPath} (${(e as Error).message})`);
  }
  const records = parseCsv(text, csvPath, fn);
  if (records.length < 2) throw new Error(`${fn}: ${csvPath} has no data rows`);
  const header = (records[0] as { cells: string[] }).cells;
  const col = (name: string | undefined, fallback: number, opt: string): number => {
    if (name === undefined) return fallback;
    const k = header.indexOf(name);
    if (k < 0)
      throw new Error(
        `${fn}: ${csvPath} has no column '${name}' (option '${opt}'); columns: ${header.join(', ')}`,
      );
    return k;
  };
  const pc =
    header.includes('path') && options.pathColumn === undefined
      ? header.indexOf('path')
      : col(options.pathColumn, 0, 'pathColumn');
  const lc =
    header.includes('label') && options.labelColumn === undefined
      ? header.indexOf('label')
      : col(options.labelColumn, 1, 'labelColumn');
  const sc = options.seriesColumn === undefined ? -1 : col(options.seriesColumn, -1, 'seriesColumn');
  const base = options.baseDir ?? dirname(resolve(csvPath));
  const rows = records.slice(1).map(({ cells, line }) => {
    const p = cells[pc];
    const lab = cells[lc];
    if (!p || lab === undefined || lab === '')
      throw new Error(`${fn}: ${csvPath} line ${line} lacks a path or label: '${cells.join(',')}'`);
    return { path: isAbsolute(p) ? p : join(base, p), label: lab, series: sc >= 0 ? cells[sc] : undefined };
  });
  const numeric = rows.every((r) => /^\d+$/.test(r.label));
  let classes: string[];
  let labelOf: (s: string) => number;
  if (options.classes) {
    classes = options.classes;
    labelOf = (s) => {
      const k = numeric ? Number(s) : classes.indexOf(s);
      if (!(k >= 0 && k < classes.length))
        throw new Error(`${fn}: ${csvPath}: label '${s}' is not one of ${classes.join(', ')}`);
      return k;
    };
  } else if (numeric) {
    const max = Math.max(...rows.map((r) => Number(r.label)));
    classes = Array.from({ length: max + 1 }, (_, k) => String(k));
    labelOf = Number;
  } else {
    classes = [...new Set(rows.map((r) => r.label))].sort(collator.compare);
    labelOf = (s) => classes.indexOf(s);
  }
  const ext = options.extensions ?? IMAGE_EXTENSIONS;
  const items: DatasetItem[] = rows
    .filter((r) => hasExt(r.path, ext))
    .map((r) =>
      r.series !== undefined
        ? { path: r.path, label: labelOf(r.label), seriesId: r.series }
        : { path: r.path, label: labelOf(r.label) },
    );
  checkClasses(items, classes, basename(csvPath), fn, options.allowSingleClass ?? false);
  return new FileDataset(items, classes, csvPath);
}
