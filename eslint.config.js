import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** no-restricted-imports patterns (regex over the import string, relative or not). */
const restrict = {
  dbLedgerConfig: {
    regex: '(^|/)src/(db|ledger|config)(/|\\.js$|$)',
    message: 'Connectors never touch the database, the ledger or the config loader (DESIGN §3).',
  },
  anySrc: {
    regex: '(^|/)src/',
    message: 'A vendor connector imports only ../types.js and ../shared/*: add what it needs to connectors/shared.',
  },
  srcExceptDoor: {
    regex: '(^|/)src/(?!errors\\.js$|http/(client|paging|retry)\\.js$)',
    message: 'connectors/shared may import src/errors and src/http/{client,paging,retry} only.',
  },
  api: {
    regex: '(^|/)src/api(/|$)|^(\\.\\./)+api(/|$)',
    message: 'The ledger and the reconciler do not depend on the HTTP API; the API depends on them.',
  },
  vendorConnector: {
    regex: '(^|/)connectors/(?!(types|registry)(\\.js)?$)',
    message: 'The API talks to connectors through connectors/types and connectors/registry only.',
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'migrations/', 'bench/results/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', {
        object: 'process', property: 'env',
        message: 'Only src/config reads the environment: pass values in.',
      }],
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'vitest.config.ts', 'drizzle.config.ts', 'config/demo/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // Dependency boundaries (DESIGN §3: a connector never touches the database). In flat config the last matching
  // block's options replace earlier ones for a rule, so the file groups below do not overlap.
  {
    // connectors/shared is the one door into the product: error classes, the HTTP client type and its paging helpers.
    files: ['connectors/shared/**/*.ts'],
    ignores: ['connectors/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [restrict.dbLedgerConfig, restrict.srcExceptDoor] }] },
  },
  {
    // Vendor folders: ../types.js and ../shared/* only, nothing from src/ at all.
    files: ['connectors/*/**/*.ts'],
    ignores: ['connectors/shared/**', 'connectors/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [restrict.dbLedgerConfig, restrict.anySrc] }] },
  },
  {
    // The contract, the registry and connector tests may use src/ helpers, but never the database side.
    files: ['connectors/*.ts', 'connectors/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [restrict.dbLedgerConfig] }] },
  },
  {
    files: ['src/ledger/**/*.ts', 'src/reconcile/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [restrict.api] }] },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [restrict.vendorConnector] }] },
  },
  {
    files: ['bin/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
