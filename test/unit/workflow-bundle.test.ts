/**
 * The workflow bundle shares domain/ between workflows (worker/workflow-bundle.ts): every domain
 * module is preloaded once per worker thread, and nothing else is (workflow modules hold each
 * workflow's own state and must stay per workflow).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { workflowBundleSources } from '../../worker/workflow-bundle';

const ROOT = join(__dirname, '..', '..');

const domainModules = (root: string, ext: string) =>
  readdirSync(join(root, 'domain'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts'))
    .map((f) => `domain/${f}`)
    .sort();

test('the sources preload every domain module and nothing else', () => {
  const sources = workflowBundleSources(ROOT);
  const preloaded = sources.preloadModules.map((path) => relative(ROOT, path)).sort();
  expect(preloaded).toEqual(domainModules(ROOT, '.ts'));
  expect(preloaded).toContain('domain/hipaa/calendar.ts');
  expect(preloaded.filter((p) => !p.startsWith('domain/'))).toEqual([]);
  expect(sources.workflowsPath).toBe(join(ROOT, 'workflows', 'index.ts'));
  expect(sources.failureConverterPath).toBe(join(ROOT, 'platform', 'failure-converter.ts'));
});

test('the bundle the worker loads (npm run build) preloads them', () => {
  // The copy of dist/workflow-bundle.js this run's workers use (test/setup/global-setup.ts).
  const code = readFileSync(process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE!, 'utf8');
  const body = code.slice(code.indexOf('exports.preloadModules = function'), code.indexOf('exports.importWorkflows = function'));
  const preloaded = [...body.matchAll(/__webpack_require__\([^)]*"\.\/\.?[\w-]*\/?(domain\/[^"]+)\.js"\)/g)].map((m) => `${m[1]}.ts`).sort();
  expect(preloaded).toEqual(domainModules(ROOT, '.ts'));
  expect(body).not.toMatch(/workflows\//);
});
