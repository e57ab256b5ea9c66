/**
 * A process that stores what an accepted webhook stores, once each, into folders that do not exist
 * yet (argv: evidence root, audit log path, delivery-id folder, a delivery id), and says on stdout
 * when each `put`, `append` and `bind` has returned: the durability test runs it under strace and
 * reads what reached the disk before that.
 */
import { chainLog } from '../../activities/audit';
import { localBlobStore } from '../../activities/evidence/local-store';
import { localDeliveryIds } from '../../ingress/delivery-ids';

async function main(): Promise<void> {
  const [root, ledgerPath, idsDir, deliveryId] = process.argv.slice(2);
  const blobs = localBlobStore(root!);
  // Several at once, as an ingress under load: every one must find its name on disk when it returns.
  await Promise.all(Array.from({ length: 8 }, (_, i) => blobs.create(`raw/generic/payload-${i}`, Buffer.from(`{"n":${i}}`))));
  process.stdout.write('stored\n');
  const ledger = chainLog({ path: ledgerPath! });
  await ledger.append({ id: 'durability/1', who: 'test', what: 'test.append', when: new Date().toISOString(), where: 'test', why: {}, correlationId: 'durability' });
  process.stdout.write('appended\n');
  await ledger.close();
  await localDeliveryIds(idsDir!).bind('generic', deliveryId!, 'digest-of-the-first-alert');
  process.stdout.write('bound\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
