/** `bash scripts/production-topology`: the production topology run once, saying what happens (see production-topology.ts). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProductionTopology } from './production-topology';
import { bundledWorkflowCode } from '../../worker/workflow-bundle';

async function run() {
  // One workflow bundle for both workers, built once (as the test suite's global setup does).
  if (!process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE) {
    const code = await bundledWorkflowCode(join(__dirname, '..', '..'));
    const path = join(mkdtempSync(join(tmpdir(), 'tq-topology-bundle-')), 'workflow-bundle.js');
    writeFileSync(path, code);
    process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE = path;
  }
  return runProductionTopology((line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`));
}

run().then(
  (result) => {
    console.log(JSON.stringify(result, null, 2));
    const ok =
      result.incidents.every((i) => i.status === 'contained' && i.keyStatus === 'Inactive') &&
      result.ledger.gapFree &&
      result.ledger.duplicateIds === 0 &&
      result.ledger.duplicateAwsWrites === 0 &&
      result.auditVerify.code === 0 &&
      result.evidenceVerify.every((e) => e.code === 0);
    console.log(ok ? 'production topology: every check passed' : 'production topology: a check FAILED (above)');
    process.exit(ok ? 0 : 1);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
