// Every test file starts on the plain cpu backend; a test that needs another switches itself.
import '../src/index';
import { setupBackend } from '../src/backend';

await setupBackend({ prefer: 'cpu' });
