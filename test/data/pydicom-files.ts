// Where Debian's python3-pydicom keeps its test files (CI installs it with apt). Under CI the
// tests that read them fail when they are missing instead of skipping.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

function find(): string | null {
  const fixed = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
  if (existsSync(`${fixed}/dicomdirtests`)) return fixed;
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', "import pydicom.data; print(pydicom.data.get_testdata_file('DICOMDIR'))"],
    { encoding: 'utf8' },
  );
  const p = r.status === 0 ? r.stdout.trim() : '';
  return p && existsSync(p) ? dirname(dirname(p)) : null;
}

/** pydicom's `test_files` folder, or null. */
export const PYDICOM_FILES = find();
/** Run the suite when the files are present or under CI (where their absence must fail). */
export const RUN_PYDICOM = PYDICOM_FILES !== null || process.env.CI === 'true';
