import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The outside services' SDKs: only adapters/ (and functions/, for the trigger bindings) use them. */
const SDKS = ['@azure/*', '@microsoft/*', 'firebase-admin', 'firebase-admin/*', '@parse/*'];

/** Forbids imports of the named folders and modules (SDKs belong in adapters/; core/ does no I/O). */
const layerRule = (folders, modules = [], why = 'outside services are reached through adapters/') => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...folders.map((f) => ({
          group: [`**/${f}/**`],
          message: `imports point down the folder table (docs/architecture.md): this folder may not import ${f}/`,
        })),
        ...(modules.length ? [{ group: modules, message: `${why} (docs/architecture.md)` }] : []),
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.azurite/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        crypto: 'readonly',
        globalThis: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The folder table of docs/architecture.md: imports only point down it.
  {
    files: ['core/**/*.ts'],
    rules: layerRule(
      ['adapters', 'workflows', 'jobs', 'functions', 'devhost'],
      ['@azure/*', 'durable-functions', 'node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:child_process'],
    ),
  },
  { files: ['adapters/**/*.ts'], rules: layerRule(['workflows', 'jobs', 'functions', 'devhost']) },
  { files: ['jobs/**/*.ts'], rules: layerRule(['workflows', 'functions', 'devhost'], SDKS) },
  { files: ['workflows/**/*.ts'], rules: layerRule(['functions', 'devhost'], SDKS) },
  { files: ['functions/**/*.ts'], rules: layerRule(['devhost']) },
  { files: ['devhost/**/*.ts'], rules: layerRule(['core', 'adapters', 'workflows', 'jobs', 'functions']) },
  {
    files: ['**/*.cjs', 'test/fixtures/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
  },
);
