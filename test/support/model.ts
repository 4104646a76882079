// Which model the real-model tests run: the committed embedded model. GLINER_TEST_MODEL overrides
// it (e.g. a development model while the embedded one is being rebuilt).
import { EMBEDDED_MODEL } from './paths.js';

export const TEST_MODEL = process.env.GLINER_TEST_MODEL ?? EMBEDDED_MODEL;
