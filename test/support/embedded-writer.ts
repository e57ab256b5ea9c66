/**
 * A process that starts the embedded Temporal server as `npm start` does (argv: data directory,
 * its port, its UI's port), starts one incident the way the ingress does, and says on stdout when
 * the server is up and when `signalWithStart` has returned: the durability test runs it under
 * strace and reads what the server synced before that.
 */
import { startEmbeddedTemporal } from '../../worker/embedded-temporal';
import { testConfig } from './temporal';

async function main(): Promise<void> {
  const [dataDir, port, uiPort] = process.argv.slice(2);
  const config = testConfig({ dataDir, temporal: { embeddedPort: Number(port), embeddedUiPort: Number(uiPort) } });
  const embedded = await startEmbeddedTemporal(config);
  try {
    process.stdout.write('started\n');
    const workflowId = 'incident/durability';
    await embedded.env.client.workflow.signalWithStart('incidentWorkflow', {
      workflowId,
      // No worker polls it: only the server's acceptance is traced.
      taskQueue: 'durability-nobody-polls',
      args: [{ id: workflowId, requester: 'test' }],
      signal: 'alert',
      signalArgs: [{ deliveryId: 'durability-1' }],
    });
    process.stdout.write('accepted\n');
  } finally {
    await embedded.shutdown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
