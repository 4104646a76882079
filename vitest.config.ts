import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real servers with real ONNX sessions; on a 2-core CI box running
    // them side by side only makes each slower, so files run one at a time.
    fileParallelism: false,
    pool: 'forks',
    // Fails the run if a test left a process behind (test/support/leak-check.ts).
    globalSetup: ['test/support/leak-check.ts'],
  },
});
