/** Every workflow the worker runs; this module is what the worker bundles. */
export { incidentWorkflow } from './incident';
export { breachClockWorkflow } from './breach-clock';
export { followUpWorkflow } from './follow-up';
export { reviewWorkflow } from './review';
export { revokeCredentialsWorkflow, keyDeletionWorkflow } from './playbooks/revoke-credentials';
export { rotateKeyWorkflow } from './playbooks/rotate-key';
export { keyRetirementWorkflow } from './playbooks/key-retirement';
export { revokeKeyAccessWorkflow } from './playbooks/revoke-key-access';
export { closePublicAccessWorkflow } from './playbooks/close-public-access';
export { protectDataStoreWorkflow } from './playbooks/protect-data-store';
export { rotateAccessKeyWorkflow } from './playbooks/rotate-access-key';
export { rotateSecretWorkflow } from './playbooks/rotate-secret';
export { blockTrafficWorkflow, blockExpiryWorkflow } from './playbooks/block-traffic';
export { undoContainmentWorkflow } from './playbooks/undo';
export { snapshotEvidenceWorkflow } from './playbooks/snapshot-evidence';
export { accessGrantWorkflow } from './access/grant';
export { accessReconciliationWorkflow } from './access/reconcile';
