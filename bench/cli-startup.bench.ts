/**
 * CLI start-up: `tourniquet incidents list` against a server holding a few incidents, as a user
 * runs it (`cli/bin.js`, the compiled CLI `npm run build` made), beside the same command through
 * tsx (the TypeScript transpiled at start, as before) and beside `node` itself starting and doing
 * nothing, the floor no CLI goes below. Medians of a few runs each, interleaved.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deliverAlert } from '../ingress';
import { anAlert } from '../test/support/alerts';
import { startDevServer, startWorker, testConfig } from '../test/support/temporal';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 5);
const ROOT = join(__dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  await promisify(execFile)(file, args, { cwd: ROOT, env });
  return performance.now() - t;
}

export default async function cliStartup(): Promise<void> {
  // What `npm install` / `npm start` do: the compiled CLI is this checkout's.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const config = testConfig();
  const env = await startDevServer(config);
  const worker = await startWorker(env, config);
  try {
    for (let i = 0; i < 5; i++) await deliverAlert(env.client, config.temporal.taskQueue, anAlert());
    const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_LOG_LEVEL: 'error' };
    const floor: number[] = [];
    const compiled: number[] = [];
    const transpiled: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      floor.push(await timed(process.execPath, ['-e', ''], cliEnv));
      compiled.push(await timed(process.execPath, [join(ROOT, 'cli', 'bin.js'), 'incidents', 'list'], cliEnv));
      transpiled.push(await timed(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'main.ts'), 'incidents', 'list'], cliEnv));
    }
    const f = median(floor);
    const c = median(compiled);
    const t = median(transpiled);
    console.log(`node itself (no script)            ${f.toFixed(0)} ms  (the floor)`);
    console.log(`incidents list, compiled (bin.js)  ${c.toFixed(0)} ms  = ${(c / f).toFixed(1)}× the floor (target < 500 ms)`);
    console.log(`incidents list, through tsx        ${t.toFixed(0)} ms  = ${(t / f).toFixed(1)}× the floor; compiled takes ${((c / t) * 100).toFixed(0)}% of it`);
    console.log(`(medians of ${RUNS} runs each, interleaved)`);
  } finally {
    await worker.stop();
    await env.teardown();
  }
}
