/**
 * `npm run bench`: every benchmark in order, each printing its figures. Benchmarks start their own
 * servers (Temporal dev server, worker, ingress) on this machine and stop them when done.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((name) => f.includes(name)))
    .sort();
  for (const file of files) {
    console.log(`\n== ${file.replace(/\.bench\.ts$/, '')}`);
    const mod = (await import(join(__dirname, file))) as { default: () => Promise<void> };
    await mod.default();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
