import type { Command } from 'commander';
import { workerIamPolicy } from '../../activities/aws/policy';
import type { CliContext } from '../context';

/** `tourniquet iam-policy`: the least-privilege IAM policy the worker's AWS playbooks need. */
export function register(program: Command, ctx: () => CliContext): void {
  program
    .command('iam-policy')
    .description('print the IAM policy the worker needs: playbooks, evidence, and what the configuration adds (S3 store, CloudTrail, KMS data keys, break-glass profiles)')
    .option('--account <id>', 'AWS account id to put in resource ARNs (default: *)')
    .action((opts: { account?: string }) => {
      const { aws, evidence, codec, access } = ctx().config;
      const extras = {
        evidenceBucket: evidence.s3?.bucket,
        cloudTrail: evidence.cloudTrail,
        codecKmsKeyId: codec.kms?.keyId,
        access: Object.values(access.profiles).map((p) => p.target),
      };
      console.log(JSON.stringify(workerIamPolicy(aws, opts.account ?? '*', extras), null, 2));
    });
}
