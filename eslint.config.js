// ESLint with type information (typescript-eslint's project service reads tsconfig.json, which covers src, test,
// bench and migrations). Formatting is Prettier's job (`npm run format`); max-len only catches what Prettier
// cannot wrap: comments, strings and template literals.
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // schema.d.ts is generated from the OpenAPI document (npm run api:schema).
    ignores: [
      'dist/',
      'web/dist/',
      'web/src/api/schema.d.ts',
      'coverage/',
      '.data/',
      '.test-runtime/',
      'node_modules/',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignorePattern: '^import\\s.+\\sfrom\\s.+;$' },
      ],
    },
  },
  {
    // Migrations are frozen once shipped: one must never import another (editing the earlier one would change it).
    files: ['migrations/**/*.ts'],
    // Their SQL is left as it shipped (rewrapping a function body changes the stored definition).
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['./*', '../*'], message: 'Copy what you need.' }] }],
      'max-len': ['error', { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true }],
    },
  },
  {
    // Specs read supertest's `response.body`, which is `any` by design: the expectation on it is the check, and
    // typing every body belongs to the generated API client, not to casts in each spec. Their fakes implement async
    // interfaces with async functions that need no await.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The console (web/) is a Vite React app: browser code, type-checked with its own web/tsconfig.json (the project
    // service takes the nearest tsconfig.json of each file). Its scripts and vite.config.mjs run on Node.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
