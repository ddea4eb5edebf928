// Lint: correctness rules from ESLint and typescript-eslint (no type-aware rules, so it stays
// fast enough to run on every test run). Formatting is Prettier's (prettier.config.js): `pnpm lint`
// runs `pnpm format:check` after ESLint, and none of the rules below is about layout.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.test-results/**', '**/coverage/**', '**/.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The packages adapt to user-supplied generic types (a Drizzle database of any schema and
      // driver, any Nest request): `any` in those generic positions is the idiom, not a shortcut.
      '@typescript-eslint/no-explicit-any': 'off',
      // Deep imports into Nest internals break when two Nest copies nest (see STYLE.md).
      'no-restricted-imports': ['error', { patterns: [{ group: ['@nestjs/*/*'], message: 'Import from the package root only.' }] }],
    },
  },
);
