import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/weights */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'weights');
