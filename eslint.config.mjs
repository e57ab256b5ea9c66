// Lint: the TypeScript rules, promises that are never left floating, no import cycles, and the
// boundaries the architecture depends on (lint-boundaries.cjs).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import boundaries from './lint-boundaries.cjs';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.dist-*/**', 'ingress/dashboard/assets/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // The sandbox and purity boundaries (shared with test/unit/workflow-boundary.test.ts).
  ...boundaries.slice(1),
  // The CLI's CommonJS launcher.
  { files: ['**/*.js', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
