// Lets a worker_threads Worker run a TypeScript entry under tsx (the bench runs on tsx).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
