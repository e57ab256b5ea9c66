/**
 * The sandbox boundary is a lint rule (lint-boundaries.cjs, in eslint.config.mjs), run by `npm test`
 * over the whole tree.
 * This checks the rule itself: code that would break determinism in workflows/, or purity in
 * domain/, is flagged, and what they may import passes.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');
// The boundary rules alone (no typed linting), loaded as the lint run loads them.
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require('../../lint-boundaries.cjs') });

/** The boundary rules' messages for `code` as if it were the file at `path`. */
async function boundaryProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages
    .filter((m) => ['@typescript-eslint/no-restricted-imports', 'no-restricted-properties', 'no-restricted-globals', 'no-restricted-syntax'].includes(m.ruleId ?? ''))
    .map((m) => m.message);
}

jest.setTimeout(60_000);

test.each([
  ['a Node built-in', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", /no Node APIs/],
  ['a bare Node built-in', "import { createHash } from 'crypto';\nexport const f = createHash;\n", /no Node APIs/],
  ['an AWS client', "import { IAMClient } from '@aws-sdk/client-iam';\nexport const c = IAMClient;\n", /no I\/O: call an activity/],
  ['Slack', "import { WebClient } from '@slack/web-api';\nexport const c = WebClient;\n", /no I\/O/],
  ['an activity implementation', "import { createIamActivities } from '../activities/aws/iam';\nexport const c = createIamActivities;\n", /activity types only/],
  ['platform code', "import { loadConfig } from '../platform/config';\nexport const c = loadConfig;\n", /only domain\/, workflows\/ and activity types/],
  ['the environment', 'export const e = () => process.env.HOME;\n', /reads no environment/],
  ['Math.random', 'export const r = () => Math.random();\n', /not replayable/],
  ['setTimeout', 'export const t = () => setTimeout(() => undefined, 1);\n', /sleep\(\)/],
])('workflow code may not use %s', async (_what, code, why) => {
  expect(await boundaryProblems('workflows/steps.ts', code)).toEqual([expect.stringMatching(why)]);
});

test('workflow code may import the workflow API, domain/, other workflow modules and activity types', async () => {
  const code = [
    "import { proxyActivities } from '@temporalio/workflow';",
    "import type { Activities } from '../activities';",
    "import type { AwsActivities } from '../activities/aws';",
    "import { isTerminal } from '../domain/incident';",
    "import { STEP_TYPES } from './steps';",
    'export const all = [proxyActivities, isTerminal, STEP_TYPES] as const;',
    'export type A = Activities | AwsActivities;',
  ].join('\n');
  expect(await boundaryProblems('workflows/incident.ts', code)).toEqual([]);
});

test.each([
  ['a Node built-in', "import { createHash } from 'node:crypto';\nexport const f = createHash;\n"],
  ['a package', "import { z } from 'zod';\nexport const s = z;\n"],
  ['platform code', "import { loadConfig } from '../platform/config';\nexport const c = loadConfig;\n"],
])('domain/ may not import %s', async (_what, code) => {
  expect((await boundaryProblems('domain/incident.ts', code)).length).toBeGreaterThan(0);
});

test.each([
  ['a module-level let', 'let cache: string | undefined;\nexport const f = () => (cache ??= "x");\n'],
  ['an exported let', 'export let count = 0;\n'],
  ['a var', 'var seen = 0;\nexport const f = () => seen++;\n'],
])('domain/ may not keep module state: %s', async (_what, code) => {
  expect(await boundaryProblems('domain/incident.ts', code)).toEqual([expect.stringMatching(/keeps no module state/)]);
});

test('domain/ may keep state inside its functions', async () => {
  const code = 'export function count(xs: number[]): number {\n  let n = 0;\n  for (const x of xs) n += x;\n  return n;\n}\n';
  expect(await boundaryProblems('domain/incident.ts', code)).toEqual([]);
});

test('domain/ may import date-fns and the pure-JS @noble cryptography', async () => {
  const code = "import { addDays } from 'date-fns';\nimport { ed25519 } from '@noble/curves/ed25519';\nimport { isTerminal } from './incident';\nexport const all = [addDays, ed25519, isTerminal] as const;\n";
  expect(await boundaryProblems('domain/approval.ts', code)).toEqual([]);
});
