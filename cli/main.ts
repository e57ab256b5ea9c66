/** `tourniquet`: the command line. Each command group lives in cli/commands/ and registers itself. */
import { Command } from 'commander';
import { ConfigError } from '../platform/config';
import { cliContext, CliError, keySetupError, type CliContext } from './context';
import { register as evidence } from './commands/evidence';
import { register as audit } from './commands/audit';
import { register as incidents } from './commands/incidents';
import { register as runbook } from './commands/runbook';
import { register as approve } from './commands/approve';
import { register as clocks } from './commands/clocks';
import { register as iamPolicy } from './commands/iam-policy';
import { register as undo } from './commands/undo';
import { register as kms } from './commands/kms';
import { register as timers } from './commands/timers';
import { register as identity } from './commands/identity';
import { register as access } from './commands/access';
import { register as reviews } from './commands/reviews';
import { register as metrics } from './commands/metrics';
import { register as drill } from './commands/drill';

const COMMANDS: ((program: Command, ctx: () => CliContext) => void)[] = [incidents, runbook, approve, evidence, audit, iamPolicy, undo, timers, clocks, reviews, metrics, kms, identity, access, drill];

export function buildProgram(): Command {
  let context: CliContext | undefined;
  const ctx = () => (context ??= cliContext());
  const program = new Command('tourniquet').description('incident-response automation for healthcare APIs');
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

export function run(argv: string[] = process.argv): void {
  buildProgram()
    .parseAsync(argv)
    .then(() => process.exit(0))
    .catch((thrown: unknown) => {
      // Commands that open the stores (evidence, audit) meet the key file there, not in the client.
      const err = keySetupError(thrown);
      if (err instanceof CliError) {
        console.error(`tourniquet: ${err.message}`);
        process.exit(err.exitCode);
      }
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(`tourniquet: ${(err as Error).message}`);
      process.exit(1);
    });
}

if (require.main === module) run();
