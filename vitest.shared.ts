// The one test runner configuration every project extends (see docs/decisions/0001-test-runner.md).
import { defineConfig } from 'vitest/config';

/** Options shared by every project's vitest.config.ts. */
export const shared = defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    // api and runtime get their code (and tests) in later issues.
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
