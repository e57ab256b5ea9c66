// The architecture's boundaries as lint rules, shared by eslint.config.mjs and the test that checks
// them: workflow code stays deterministic (Temporal's sandbox), domain/ stays pure.
const { builtinModules } = require('node:module');
const tseslint = require('typescript-eslint');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
  },
  {
    // Temporal's workflow sandbox: no Node, no I/O, no clients, nothing that is not replayable.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code runs in the deterministic sandbox: no Node APIs' })),
          patterns: [
            { group: ['@aws-sdk/*', '@smithy/*', '@slack/*', 'pg', 'hono', '@hono/*'], message: 'workflow code does no I/O: call an activity' },
            {
              group: ['../activities', '../activities/*', '../activities/**', '../../activities', '../../activities/*', '../../activities/**'],
              allowTypeImports: true,
              message: 'workflows import activity types only (`import type`); the implementations run on the worker',
            },
            {
              group: ['../platform/*', '../../platform/*', '../ingress/*', '../../ingress/*', '../cli/*', '../../cli/*'],
              message: 'workflow code imports only domain/, workflows/ and activity types',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'workflow code reads no environment: pass settings in through an activity' },
        { object: 'Math', property: 'random', message: 'not replayable: use workflow uuid4() or an activity' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() or condition() with a timeout' },
        { name: 'setInterval', message: 'use a loop of sleep()' },
        { name: 'require', message: 'import instead' },
      ],
    },
  },
  {
    // Pure rules and types, importable from workflow code.
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'domain/ is pure: no Node APIs' })),
          patterns: [
            { regex: '^(?!\\.|date-fns|@date-fns/|@noble/)', message: 'domain/ is pure: only date-fns and the @noble cryptography' },
            { regex: '^\\.\\./(platform|activities|ingress|workflows|cli|worker|runbooks)(/|$)', message: 'domain/ is the bottom layer: it imports only domain/' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'domain/ is pure' }],
      // The workflow sandbox shares domain/'s modules between workflows (worker/workflow-bundle.ts):
      // state kept in one would carry from one workflow into the next.
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(Program, ExportNamedDeclaration) > VariableDeclaration[kind!="const"]',
          message: 'domain/ keeps no module state: its modules are shared by every workflow on a worker thread',
        },
      ],
    },
  },
];
