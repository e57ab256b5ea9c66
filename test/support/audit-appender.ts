/**
 * A separate process appending to one audit ledger (argv: a file path or a postgres:// URL,
 * label, count), for the concurrency tests.
 */
import { chainLog } from '../../activities/audit';
import { postgresLog } from '../../activities/audit/postgres-log';

async function main(): Promise<void> {
  const [where, label, count] = process.argv.slice(2);
  const log = where!.startsWith('postgres://') ? postgresLog({ url: where! }) : chainLog({ path: where! });
  await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      log.append({ id: `${label}/${i}`, who: label!, what: 'test.append', when: new Date().toISOString(), where: 'test', why: {}, correlationId: label! }),
    ),
  );
  await log.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
