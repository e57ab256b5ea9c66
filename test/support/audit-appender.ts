/** A separate process appending to one audit log (argv: path, label, count), for the concurrency test. */
import { chainLog } from '../../activities/audit';

async function main(): Promise<void> {
  const [path, label, count] = process.argv.slice(2);
  const log = chainLog({ path: path! });
  await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      log.append({ id: `${label}/${i}`, who: label!, what: 'test.append', when: new Date().toISOString(), where: 'test', why: {}, correlationId: label! }),
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
