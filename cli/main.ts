/** `tourniquet`: the command line. Each command group lives in cli/commands/ and registers itself. */
import { Command } from 'commander';
import { ConfigError } from '../platform/config';
import { cliContext, CliError, keySetupError, type CliContext } from './context';

type Register = (program: Command, ctx: () => CliContext) => void;

/**
 * The CLI runs bundled into one file (scripts/build.js), the Temporal SDK inside it. Temporal loads
 * the failure converter by path; pointing it at platform/failure-converter would load a second copy
 * of the SDK beside the bundled one (and parse its protobuf definitions again), so the client is
 * pointed at this module, which exports the converter, whichever way it is run.
 */
export { failureConverter } from '../platform/failure-converter';

/**
 * Each command group, loaded only when its command is run: `incidents list` must not load the AWS
 * SDK, Bolt and the evidence store to start (README "Performance": CLI start-up). `commands`: the
 * top-level commands the group registers.
 */
const COMMANDS: { commands: string[]; load: () => Promise<{ register: Register }> }[] = [
  { commands: ['incidents'], load: () => import('./commands/incidents') },
  { commands: ['runbook'], load: () => import('./commands/runbook') },
  { commands: ['approve', 'deny'], load: () => import('./commands/approve') },
  { commands: ['evidence'], load: () => import('./commands/evidence') },
  { commands: ['audit'], load: () => import('./commands/audit') },
  { commands: ['iam-policy'], load: () => import('./commands/iam-policy') },
  { commands: ['undo'], load: () => import('./commands/undo') },
  { commands: ['block', 'key-deletion'], load: () => import('./commands/timers') },
  { commands: ['clocks'], load: () => import('./commands/clocks') },
  { commands: ['kms'], load: () => import('./commands/kms') },
  { commands: ['token', 'decision-key', 'whoami'], load: () => import('./commands/identity') },
  { commands: ['access'], load: () => import('./commands/access') },
  { commands: ['reviews', 'follow-ups'], load: () => import('./commands/reviews') },
  { commands: ['metrics'], load: () => import('./commands/metrics') },
  { commands: ['drill'], load: () => import('./commands/drill') },
];

/** The program with the group `argv` names, or with every group (help, an unknown command). */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  let context: CliContext | undefined;
  const ctx = () => (context ??= cliContext({ failureConverterPath: __filename }));
  const program = new Command('tourniquet').description('incident-response automation for healthcare APIs');
  const named = COMMANDS.find((group) => group.commands.includes(argv[2] ?? ''));
  for (const group of named ? [named] : COMMANDS) (await group.load()).register(program, ctx);
  return program;
}

export function run(argv: string[] = process.argv): void {
  buildProgram(argv)
    .then((program) => program.parseAsync(argv))
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
