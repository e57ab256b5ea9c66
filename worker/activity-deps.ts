import { logNotifier, type ActivityDeps } from '../activities';
import { fileAuditSink } from '../activities/file-audit-sink';
import { join, resolve } from 'node:path';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { STEP_TYPE_NAMES } from '../workflows/steps';

/** Real clients and settings for the activities, from configuration. */
export function activityDeps(config: Config, log: Logger): ActivityDeps {
  return {
    runbooksDir: resolve(config.runbooksDir),
    approverGroups: config.approverGroups,
    knownStepTypes: STEP_TYPE_NAMES,
    planners: {},
    notifier: logNotifier(log),
    audit: fileAuditSink(join(resolve(config.dataDir), 'audit.log')),
    fetch,
  };
}
