import { defineConfig, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.ts';

// Unit tests need nothing; tests under test/cluster/ run against the real environment,
// started once per test run.
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      globalSetup: ['@eddy/testkit/global-setup'],
      testTimeout: 120_000,
    },
  }),
);
