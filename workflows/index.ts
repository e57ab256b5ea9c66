/** Every workflow the worker runs; this module is what the worker bundles. */
export { incidentWorkflow } from './incident';
export { breachClockWorkflow } from './breach-clock';
export { snapshotEvidenceWorkflow } from './playbooks/snapshot-evidence';
