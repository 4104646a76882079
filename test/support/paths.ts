// Paths tests share: the repo root, the in-repo fixtures folder and the model used for real-model tests.
// Everything a test reads lives inside this repository (nothing outside it, nothing that can be absent).
import path from 'node:path';
import { ROOT } from './server.js';

export { ROOT };
export const FIXTURES = path.join(ROOT, 'test/fixtures');
export const EMBEDDED_MODEL = path.join(ROOT, 'native-models/gliner-tiny');
