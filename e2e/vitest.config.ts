import { defineConfig, mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.ts';

// End-to-end tests run against the real environment, started once per test run.
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      globalSetup: ['@eddy/testkit/global-setup'],
      testTimeout: 120_000,
    },
  }),
);
