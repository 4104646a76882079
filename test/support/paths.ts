// Paths tests share: the repo root, ../shared (fixtures and datasets, absent outside this workplace),
// and the model used for real-model tests.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './server.js';

export { ROOT };
export const SHARED = path.resolve(ROOT, '../shared');
export const HAS_SHARED = existsSync(path.join(SHARED, 'fixtures'));
export const EMBEDDED_MODEL = path.join(ROOT, 'native-models/gliner-tiny');
