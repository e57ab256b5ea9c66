export * from './severity';
export * from './alert';
export * from './incident';
export * from './runbook';
export * from './approval';
export * from './masking';
export * from './key-retirement';
export * from './severity-policy';
