#!/usr/bin/env node
/**
 * `npm run build`: the TypeScript sources compiled once to JavaScript in dist/ (same layout), so
 * the CLI and the processes start without transpiling, plus the worker's workflow bundle, so a
 * worker starts without bundling. Type checking is `npm run typecheck`'s job, not this one's.
 * Run by `npm ci` / `npm install` (prepare), before `npm start` and before `npm test`.
 */
const { build } = require('esbuild');
const { cpSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const FINAL = join(ROOT, 'dist');
// Built aside and moved into place whole: a CLI or worker starting meanwhile sees the old build or the new one.
const DIST = join(ROOT, `.dist-${process.pid}`);
/** What runs in production; test/ and bench/ stay TypeScript, run by jest and tsx. */
const SOURCES = ['domain', 'platform', 'runbooks', 'workflows', 'activities', 'worker', 'ingress', 'cli'];
/** Files read at run time next to the code that reads them. */
const ASSETS = ['ingress/dashboard/assets'];

function typeScriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

async function main() {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const entryPoints = SOURCES.flatMap((dir) => typeScriptFiles(join(ROOT, dir)));
  await build({
    entryPoints,
    outdir: DIST,
    outbase: ROOT,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // import() of a sibling module becomes require(), as tsc's CommonJS output does (the CLI loads its command groups so).
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  for (const asset of ASSETS) cpSync(join(ROOT, asset), join(DIST, asset), { recursive: true });

  // The workflow sandbox's code, bundled here once instead of at every worker start.
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(DIST, 'workflows', 'index.js'),
    failureConverterPath: join(DIST, 'platform', 'failure-converter.js'),
    logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet },
  });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, 'workflow-bundle.js'), code);
  rmSync(FINAL, { recursive: true, force: true });
  renameSync(DIST, FINAL);
  console.log(`built ${entryPoints.length} files and the workflow bundle into ${relative(process.cwd(), FINAL) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  rmSync(DIST, { recursive: true, force: true });
  console.error(err);
  process.exit(1);
});
