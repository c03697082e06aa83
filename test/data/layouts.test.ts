import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FileDataset,
  classFolderDataset,
  covidCtDataset,
  csvDataset,
  ctSeriesDataset,
  encodePng,
} from '../../src/data';

const root = mkdtempSync(join(tmpdir(), 'medinets-layouts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A w x h gray PNG whose every pixel is `value` (so a batch can be traced back to its files). */
function png(path: string, value: number, w = 8, h = 6): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(
    path,
    encodePng({ width: w, height: h, channels: 1, data: new Uint8Array(w * h).fill(value) }),
  );
}

beforeAll(() => {
  for (let i = 0; i < 3; i++) png(join(root, 'xray/train/NORMAL', `n${i}.png`), 10 + i);
  for (let i = 0; i < 5; i++) png(join(root, 'xray/train/PNEUMONIA', `p${i}.jpeg.png`), 100 + i, 10, 7);
  png(join(root, 'xray/test/NORMAL', 'only.png'), 1);
  mkdirSync(join(root, 'xray/empty/NORMAL'), { recursive: true });
  writeFileSync(join(root, 'xray/train/NORMAL', 'notes.txt'), 'ignored');

  for (let i = 0; i < 3; i++) png(join(root, 'covid/Images-processed/CT_COVID', `c${i}.png`), 200 + i);
  for (let i = 0; i < 3; i++) png(join(root, 'covid/Images-processed/CT_NonCOVID', `h${i}.png`), 50 + i);
  mkdirSync(join(root, 'covid/Data-split/COVID'), { recursive: true });
  mkdirSync(join(root, 'covid/Data-split/NonCOVID'), { recursive: true });
  writeFileSync(join(root, 'covid/Data-split/COVID/trainCT_COVID.txt'), 'c0.png\nc2.png\n');
  writeFileSync(join(root, 'covid/Data-split/NonCOVID/trainCT_NonCOVID.txt'), 'h1.png\r\n');
  writeFileSync(join(root, 'covid/Data-split/COVID/valCT_COVID.txt'), 'c1.png\nmissing.png\n');
  writeFileSync(join(root, 'covid/Data-split/NonCOVID/valCT_NonCOVID.txt'), 'h0.png\n');

  for (const [cls, scans] of [
    ['covid', ['ct_scan_1', 'ct_scan_2']],
    ['non-covid', ['ct_scan_3', 'ct_scan_4', 'ct_scan_5']],
  ] as const) {
    for (const s of scans) for (const k of [10, 2, 0, 1]) png(join(root, 'series', cls, s, `${k}.png`), k);
  }

  png(join(root, 'csv/img/a b.png'), 5);
  png(join(root, 'csv/img/c.png'), 6);
  png(join(root, 'csv/img/d.png'), 7);
  writeFileSync(
    join(root, 'csv/list.csv'),
    'path,label\n"img/a b.png",PNEUMONIA\nimg/c.png,NORMAL\nimg/d.png,PNEUMONIA\n',
  );
  writeFileSync(join(root, 'csv/bad.csv'), 'file,y\nimg/c.png,1\n');
  // RFC 4180: a quoted field holding a newline, a comma and doubled quotes; CRLF line ends.
  png(join(root, 'csv/img/odd, "name".png'), 8);
  writeFileSync(
    join(root, 'csv/rfc.csv'),
    'path,label,note\r\n"img/odd, ""name"".png",PNEUMONIA,"two\r\nlines"\r\nimg/c.png,NORMAL,plain\r\n',
  );
  writeFileSync(join(root, 'csv/unclosed.csv'), 'path,label\n"img/c.png,NORMAL\n');
});

async function collect(
  ds: FileDataset,
  opts: Parameters<FileDataset['batches']>[0],
): Promise<{ values: number[][]; shapes: number[][] }> {
  const values: number[][] = [];
  const shapes: number[][] = [];
  for await (const b of ds.batches(opts)) {
    shapes.push(b.xs.shape);
    const x = b.xs.dataSync();
    const per = b.xs.size / (b.xs.shape[0] as number);
    values.push(b.items.map((_, i) => Math.round((x[i * per] as number) * 255)));
    expect(Array.from(b.ys.dataSync())).toEqual(b.items.map((it) => it.label));
    tf.dispose([b.xs, b.ys]);
  }
  return { values, shapes };
}

describe('classFolderDataset (Kermany layout)', () => {
  it('indexes class folders with sorted class names and streams resized batches deterministically', async () => {
    const ds = await classFolderDataset(join(root, 'xray'), { split: 'train' });
    expect(ds.classNames).toEqual(['NORMAL', 'PNEUMONIA']);
    expect(ds.counts()).toEqual([3, 5]);
    const before = tf.memory().numTensors;
    const a = await collect(ds, { size: 4, batchSize: 3, seed: 1 });
    expect(a.shapes).toEqual([
      [3, 4, 4, 1],
      [3, 4, 4, 1],
      [2, 4, 4, 1],
    ]);
    expect(a.values.flat().sort((x, y) => x - y)).toEqual([10, 11, 12, 100, 101, 102, 103, 104]);
    const b = await collect(ds, { size: 4, batchSize: 3, seed: 1 });
    expect(b.values).toEqual(a.values);
    const c = await collect(ds, { size: 4, batchSize: 3, seed: 1, epoch: 1 });
    expect(c.values).not.toEqual(a.values);
    const rgb = await collect(ds, { size: [5, 6], batchSize: 8, channels: 3, shuffle: false });
    expect(rgb.shapes).toEqual([[8, 5, 6, 3]]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports single-class and empty trees and size mismatches clearly', async () => {
    await expect(classFolderDataset(join(root, 'xray'), { split: 'test' })).rejects.toThrow(
      /only one class \('NORMAL'\)/,
    );
    const one = await classFolderDataset(join(root, 'xray'), { split: 'test', allowSingleClass: true });
    expect(one.size).toBe(1);
    await expect(classFolderDataset(join(root, 'xray'), { split: 'empty' })).rejects.toThrow(
      /no images found under .*empty/,
    );
    await expect(classFolderDataset(join(root, 'nowhere'))).rejects.toThrow(/nowhere does not exist/);
    const ds = await classFolderDataset(join(root, 'xray'), { split: 'train' });
    const before = tf.memory().numTensors;
    await expect(collect(ds, { batchSize: 8, shuffle: false })).rejects.toThrow(/pass 'size' to resize/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposes read-ahead batches when the consumer stops early', async () => {
    const ds = await classFolderDataset(join(root, 'xray'), { split: 'train' });
    const before = tf.memory().numTensors;
    for await (const b of ds.batches({ size: 4, batchSize: 2, prefetch: 2 })) {
      tf.dispose([b.xs, b.ys]);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names a corrupt file met while streaming', async () => {
    const dir = join(root, 'corrupt');
    png(join(dir, 'A', 'ok.png'), 1);
    mkdirSync(join(dir, 'B'), { recursive: true });
    writeFileSync(join(dir, 'B', 'broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const ds = await classFolderDataset(dir);
    await expect(collect(ds, { size: 4, batchSize: 2 })).rejects.toThrow(/broken\.png/);
  });

  it('reads DICOM slices in HU with scale none', async () => {
    const dir = join(root, 'dcm');
    mkdirSync(join(dir, 'ct'), { recursive: true });
    copyFileSync(join(__dirname, '../fixtures/data/dicom/CT_small.dcm'), join(dir, 'ct', 'a.dcm'));
    const ds = await classFolderDataset(dir, { allowSingleClass: true });
    for await (const b of ds.batches({ scale: 'none', batchSize: 1 })) {
      expect(b.xs.shape).toEqual([1, 128, 128, 1]);
      const x = b.xs.dataSync();
      expect(Math.min(...x)).toBe(-896);
      tf.dispose([b.xs, b.ys]);
    }
  });
});

describe('covidCtDataset', () => {
  it('finds CT_COVID / CT_NonCOVID and applies the published split lists', async () => {
    const all = await covidCtDataset(join(root, 'covid'));
    expect(all.classNames).toEqual(['NonCOVID', 'COVID']);
    expect(all.counts()).toEqual([3, 3]);
    const train = await covidCtDataset(join(root, 'covid'), { split: 'train' });
    expect(train.items.map((i) => i.path.split('/').pop())).toEqual(['h1.png', 'c0.png', 'c2.png']);
    expect(train.labels).toEqual([0, 1, 1]);
    await expect(covidCtDataset(join(root, 'covid'), { split: 'val' })).rejects.toThrow(/missing\.png/);
    await expect(covidCtDataset(join(root, 'covid'), { split: 'test' })).rejects.toThrow(
      /testCT_NonCOVID\.txt not found/,
    );
  });
});

describe('ctSeriesDataset', () => {
  it('labels slices by series, orders them naturally and splits whole series', async () => {
    const ds = await ctSeriesDataset(join(root, 'series'));
    expect(ds.classNames).toEqual(['covid', 'non-covid']);
    expect(ds.size).toBe(20);
    const first = ds.items
      .filter((i) => i.seriesId === 'covid/ct_scan_1')
      .map((i) => i.path.split('/').pop());
    expect(first).toEqual(['0.png', '1.png', '2.png', '10.png']);
    const { train, test } = ds.split([0.6, 0.4], 3);
    const ids = (d: FileDataset): Set<string> => new Set(d.items.map((i) => i.seriesId as string));
    for (const id of ids(train)) expect(ids(test).has(id)).toBe(false);
    expect(train.size + test.size).toBe(20);
    expect(train.size % 4).toBe(0);
    expect(new Set(train.labels).size).toBe(2);
  });
});

describe('csvDataset', () => {
  it('reads path,label rows with quoting and string labels', async () => {
    const ds = await csvDataset(join(root, 'csv/list.csv'));
    expect(ds.classNames).toEqual(['NORMAL', 'PNEUMONIA']);
    expect(ds.labels).toEqual([1, 0, 1]);
    expect(ds.items[0]?.path).toBe(join(root, 'csv/img/a b.png'));
    const { values } = await collect(ds, { batchSize: 3, shuffle: false });
    expect(values).toEqual([[5, 6, 7]]);
    await expect(csvDataset(join(root, 'csv/bad.csv'), { pathColumn: 'path' })).rejects.toThrow(
      /no column 'path'/,
    );
    await expect(csvDataset(join(root, 'csv/none.csv'))).rejects.toThrow(/none\.csv/);
  });

  it('follows RFC 4180: quoted newlines, commas and quotes (issue 18 item 8)', async () => {
    const ds = await csvDataset(join(root, 'csv/rfc.csv'));
    expect(ds.items.map((i) => i.path)).toEqual([
      join(root, 'csv/img/odd, "name".png'),
      join(root, 'csv/img/c.png'),
    ]);
    expect(ds.labels).toEqual([1, 0]);
    const { values } = await collect(ds, { batchSize: 2, shuffle: false });
    expect(values).toEqual([[8, 6]]);
    await expect(csvDataset(join(root, 'csv/unclosed.csv'))).rejects.toThrow(
      /csvDataset: .*unclosed\.csv is not valid CSV \(csv-parse: .*quote/i,
    );
  });
});
