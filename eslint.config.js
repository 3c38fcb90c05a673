import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'docs/**',
      'coverage/**',
      '.ci/**',
      'node_modules/**',
      '*.config.js',
      'scripts/**/*.mjs',
    ],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          checkThenables: true,
          // A spawned task is owned by its group, and a created one is tracked by its
          // loop, which reports its error if nobody retrieves it: neither floats.
          // corio's users can add the same entries with `from: 'package', package: 'corio'`.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
            { from: 'file', path: 'src/group/task-group.ts', name: ['spawn'] },
            { from: 'file', path: 'src/core/nursery.ts', name: ['spawn'] },
            { from: 'file', path: 'src/core/task.ts', name: ['createTask'] },
          ],
        },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Type tests bind values only to look at their types.
    files: ['test/types/**'],
    rules: {
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-meaningless-void-operator': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
);
