// Issue 18 item 6 for the inception group of the registry (see registry-lifecycle.ts).
import { lifecycleSuite } from './registry-lifecycle';

lifecycleSuite('inception');
