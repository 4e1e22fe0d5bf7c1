// The one test runner configuration every project extends (see docs/decisions/0001-test-runner.md).
import { defineConfig, mergeConfig } from 'vitest/config';

/** Options shared by every project's vitest.config.ts. */
export const shared = defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    // A new package may have no tests yet.
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

/**
 * For projects whose tests run against the real environment: it is started (or reused) once
 * per test run by @eddy/testkit's global setup. Unit tests in such projects need nothing.
 */
export const withCluster = mergeConfig(
  shared,
  defineConfig({
    test: {
      globalSetup: ['@eddy/testkit/global-setup'],
      testTimeout: 120_000,
    },
  }),
);
