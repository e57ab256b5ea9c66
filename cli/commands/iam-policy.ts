import type { Command } from 'commander';
import { workerIamPolicy } from '../../activities/aws/policy';
import type { CliContext } from '../context';

/** `tourniquet iam-policy`: the least-privilege IAM policy the worker's AWS playbooks need. */
export function register(program: Command, ctx: () => CliContext): void {
  program
    .command('iam-policy')
    .description('print the IAM policy the worker needs for the AWS containment playbooks')
    .option('--account <id>', 'AWS account id to put in resource ARNs (default: *)')
    .action((opts: { account?: string }) => {
      console.log(JSON.stringify(workerIamPolicy(ctx().config.aws, opts.account ?? '*'), null, 2));
    });
}
