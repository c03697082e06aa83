#!/usr/bin/env node
/** The `medinets` executable (package.json `bin`). */
// Every custom layer registers with tfjs serialization, so any saved model loads.
import '../layers';
import { run } from './run';

run(process.argv.slice(2), { out: (t) => console.log(t), err: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
