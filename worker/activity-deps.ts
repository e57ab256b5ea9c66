import { logNotifier, type ActivityDeps } from '../activities';
import { createAwsClients, createAwsPlanners } from '../activities/aws';
import { auditLogFor } from '../activities/audit';
import { ledgerName } from '../activities/audit/from-config';
import { evidenceDeps } from '../activities/evidence';
import { slackNotifier, slackWebClient } from '../activities/slack-notifier';
import { uiLinkFor } from '../activities/slack/blocks';
import { boltLogger } from '../ingress/slack/bolt-logger';
import { resolve } from 'node:path';
import type { ChainLog } from '../activities/audit';
import type { Config } from '../platform/config';
import { displayPolicyFrom } from '../platform/display-policy';
import { severityPolicyFrom } from '../platform/severity-config';
import { workerDecisionKeys } from '../platform/decision-keys';
import type { Logger } from '../platform/logger';
import { STEP_TYPE_NAMES } from '../workflows/steps';
import { accessSettingsFrom, Directory } from '../ingress/identity/directory';
import type { AccessHolders } from '../activities/access';

/**
 * Who may hold break-glass access, as this worker's configuration says: a person removed from
 * `people` and every group, or from the profile's holder group (or the groups allowed to request
 * access), loses their open grants at the grant's next check.
 */
export function accessHoldersFrom(config: Config, directory = new Directory(accessSettingsFrom(config))): AccessHolders {
  return {
    known: (person) => directory.has(person) || directory.groupsOf(person).length > 0,
    groupsOf: (person) => directory.groupsOf(person),
    get requestGroups() {
      return directory.authority['access.request'];
    },
  };
}

const auditSinks = new Map<string, ChainLog>();

/** One audit sink per ledger in a process: the worker and the ingress append through the same one. */
export function auditSinkFor(config: Config): ChainLog {
  const path = ledgerName(config);
  let sink = auditSinks.get(path);
  if (!sink) auditSinks.set(path, (sink = auditLogFor(config)));
  return sink;
}

/** Real clients and settings for the activities, from configuration. */
/** `directory`: the one a configuration reload (SIGHUP) replaces, so offboarding reaches open grants. */
export function activityDeps(config: Config, log: Logger, directory?: Directory): ActivityDeps {
  const aws = createAwsClients(config.aws);
  const evidence = evidenceDeps(config);
  return {
    runbooksDir: resolve(config.runbooksDir),
    approverGroups: config.approverGroups,
    decisionKeys: workerDecisionKeys(config),
    severity: severityPolicyFrom(config.severity),
    pagerDuty: config.severity.pagerDuty,
    knownStepTypes: STEP_TYPE_NAMES,
    planners: { ...createAwsPlanners({ aws, awsSettings: config.aws, evidence }) },
    notifier: notifierFor(config, log),
    audit: auditSinkFor(config),
    fetch,
    aws,
    awsSettings: config.aws,
    clocks: config.clocks,
    followUps: config.followUps,
    reviews: config.reviews,
    // Due drills go to a channel, never to an incident's own channel (there is no incident).
    drills: { ...config.drills, ...(config.drills.complianceChannel ?? config.slack.channel ? { complianceChannel: config.drills.complianceChannel ?? config.slack.channel } : {}) },
    evidence,
    display: displayPolicyFrom(config),
    access: config.access,
    accessHolders: accessHoldersFrom(config, directory),
  };
}

/** Group members as Slack mentions: a person's Slack user where `people` maps one, else the id as listed. */
function slackMembers(config: Config): Record<string, string[]> {
  return Object.fromEntries(Object.entries(config.approverGroups).map(([group, members]) => [group, members.map((m) => config.people[m]?.slack ?? m)]));
}

/** Slack when a bot token is configured; otherwise the log (approvals then come from the CLI). */
function notifierFor(config: Config, log: Logger) {
  const { botToken, channel, apiUrl, incidentChannels } = config.slack;
  if (!botToken || !channel) return logNotifier(log);
  return slackNotifier({
    client: slackWebClient(botToken, apiUrl, boltLogger(log)),
    channel,
    incidentChannels,
    approverGroups: slackMembers(config),
    link: uiLinkFor(config.temporal),
  });
}
