import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** What every workflow bundle is built from: `npm run build`, the benchmarks, a worker bundling at start. */
export interface WorkflowBundleSources {
  workflowsPath: string;
  failureConverterPath: string;
  /** modules the sandbox evaluates once per worker thread instead of once per workflow */
  preloadModules: string[];
}

/**
 * The bundle's sources under `root` (the project, or its compiled copy in dist/). The workflow
 * sandbox evaluates the bundle's modules again for every workflow it creates or replays: an
 * evicted clock answering a query, or each new incident, paid for all of domain/ (date-fns's
 * time-zone tables, the hashes) before running a line of its own. domain/ is pure (no I/O, no
 * module state; lint-boundaries.cjs), so its modules are shared by every workflow on a thread
 * instead, as Temporal's `preloadModules` allows. The sandbox freezes what they export, so a
 * workflow writing to a shared export fails loudly; state inside a module is not frozen, which is
 * why the lint rule keeps domain/ free of it.
 */
export function workflowBundleSources(root: string): WorkflowBundleSources {
  const domain = join(root, 'domain');
  const modules = readdirSync(domain, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => join(domain, file));
  return {
    workflowsPath: require.resolve(join(root, 'workflows')),
    failureConverterPath: require.resolve(join(root, 'platform', 'failure-converter')),
    preloadModules: modules,
  };
}

/** The bundle's code from the sources under `root`, printing only the bundler's errors. */
export async function bundledWorkflowCode(root: string): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    ...workflowBundleSources(root),
    logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet },
  });
  return code;
}
