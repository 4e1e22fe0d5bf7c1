// One lint configuration for the whole repository. The module-boundary rule turns the
// architecture's dependency rule into a build failure: api depends on nothing; runtime and ssa
// on api; render (@eddy/kustomize) on api and runtime; controllers and the cli on api, runtime,
// ssa and render; no controller imports another controller or the cli. testkit is for tests
// only: allowed by the tags, refused in src/ below. testkit builds on runtime (test managers)
// while runtime's own tests use testkit: that one cycle is allowed, through tests only, and
// runtime's build depends on api alone (packages/runtime/package.json) so builds stay ordered.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.eddy/**', '**/.nx/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    // Tool configuration files may reach the shared root config; the rule is about code.
    ignores: ['**/vitest.config.ts', 'eslint.config.js', 'vitest.shared.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          ignoredCircularDependencies: [['@eddy/runtime', '@eddy/testkit']],
          depConstraints: [
            { sourceTag: 'type:api', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:api', 'type:testkit'] },
            { sourceTag: 'type:ssa', onlyDependOnLibsWithTags: ['type:api', 'type:runtime', 'type:testkit'] },
            { sourceTag: 'type:render', onlyDependOnLibsWithTags: ['type:api', 'type:runtime', 'type:testkit'] },
            { sourceTag: 'type:controller', onlyDependOnLibsWithTags: ['type:api', 'type:runtime', 'type:ssa', 'type:render', 'type:testkit'] },
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:api', 'type:runtime', 'type:ssa', 'type:render', 'type:testkit'] },
            { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:api', 'type:runtime', 'type:ssa'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Production code never reaches for the test kit; tests do.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/testkit/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@eddy/testkit', '@eddy/testkit/*'], message: '@eddy/testkit is for tests only.' }] }],
    },
  },
);
