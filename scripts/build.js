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
/** The bundled CLI, beside the compiled one (cli/bin.js names the same file). */
const CLI_BUNDLE = join('cli', 'tourniquet.js');

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

  // The CLI a person runs, as one file (cli/bin.js loads it): resolving and reading the ~530 modules
  // `incidents list` needs (the Temporal client, its protobuf definitions, zod, yaml) cost a start
  // more than running them. Packages only some commands use stay in node_modules, loaded when used.
  await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile: join(DIST, CLI_BUNDLE),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    supported: { 'dynamic-import': false },
    external: ['@aws-sdk/*', '@smithy/*', '@slack/*', 'pg', 'pino'],
    // Whitespace and syntax only (names kept): V8 reads and compiles 3.1 MB instead of 5.4 MB at
    // every start; the linked source map still maps a stack trace back to the sources.
    minifyWhitespace: true,
    minifySyntax: true,
    // platform/data-converter.ts names the failure converter's file for Temporal to load at run
    // time, resolved from dist/ (the CLI itself passes its own entry module instead).
    logOverride: { 'require-resolve-not-external': 'silent' },
    logLevel: 'warning',
  });

  // The workflow sandbox's code, bundled here once instead of at every worker start.
  const { bundledWorkflowCode } = require(join(DIST, 'worker', 'workflow-bundle.js'));
  const code = await bundledWorkflowCode(DIST);
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
