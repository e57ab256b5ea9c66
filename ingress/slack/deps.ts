import type { Client } from '@temporalio/client';
import type { AuditSink } from '../../activities/audit-sink';
import type { DisplayPolicy } from '../../domain/display';
import type { Decider } from '../decisions';
import type { UiLink } from '../../activities/slack/blocks';
import type { AccessSettings } from '../../platform/access-config';

/**
 * What the Slack listeners need: a Temporal client (their only way to act), the decider (the
 * authority table and the grants a workflow accepts; its directory maps Slack users to people) and
 * an audit sink.
 */
export interface SlackDeps {
  client: Client;
  taskQueue: string;
  /** the slash command's name, e.g. `/ir` */
  command: string;
  /** rejected approval attempts are audited here */
  audit: AuditSink;
  link: UiLink;
  /** whose free text replies may show (domain/display.ts); default: nobody's */
  display?: DisplayPolicy;
  decider: Decider;
  /** break-glass profiles (access.profiles); unset: `/ir access` says none are configured */
  access?: AccessSettings;
  /** where runbooks (and their scenarios) are: `/ir drill <scenario>` looks scenarios up there */
  runbooksDir?: string;
}
