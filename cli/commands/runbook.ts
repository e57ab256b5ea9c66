import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Alert } from '../../domain/alert';
import { ALERT_SOURCES, PRINCIPAL_TYPES } from '../../domain/alert';
import { withPrincipalType } from '../../domain/principal';
import { SEVERITIES } from '../../domain/severity';
import { createLogger } from '../../platform/logger';
import { claimRunbookId, describeDryRun, dryRun, loadRunbooks, parseRunbook, readRunbooks, readScenarios, RunbookError, runbookFiles, scenariosDirOf, selectRunbook, type RunbookNames, type RunbookProblem } from '../../runbooks';
import { runbookNamesOf } from '../../worker/runbook-names';
import { activityDeps } from '../../worker/activity-deps';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import { type CliContext, CliError } from '../context';

/** Validate runbook files; every problem of every file, each with file, line and field. */
export function validateRunbookFiles(files: string[], knownStepTypes: ReadonlySet<string> = STEP_TYPE_NAMES, known?: RunbookNames) {
  const problems: RunbookProblem[] = [];
  const valid: string[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    if (!existsSync(file)) {
      problems.push({ file, line: 0, field: '', message: 'no such file' });
      continue;
    }
    try {
      const { runbook } = parseRunbook(file, readFileSync(file, 'utf8'), knownStepTypes, known);
      const taken = claimRunbookId(ids, runbook.id, file);
      if (taken) problems.push(taken);
      else valid.push(file);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      problems.push(...err.problems);
    }
  }
  return { valid, problems };
}

/** The alert a dry run plans against: the normalised alert's fields a runbook can see. */
const PlanAlert = z
  .object({
    source: z.enum(ALERT_SOURCES).default('generic'),
    kind: z.string().min(1),
    severity: z.enum(SEVERITIES),
    status: z.enum(['firing', 'resolved']).default('firing'),
    title: z.string().default('dry run'),
    subject: z
      .object({
        principal: z.string().optional(),
        principalType: z.enum(PRINCIPAL_TYPES).optional(),
        principalArn: z.string().optional(),
        sessionName: z.string().optional(),
        sessionIssuer: z.string().optional(),
        accountId: z.string().optional(),
        accessKeyId: z.string().optional(),
        kmsKeyId: z.string().optional(),
        ips: z.array(z.string()).optional(),
        service: z.string().optional(),
        bucket: z.string().optional(),
        securityGroupId: z.string().optional(),
      })
      .strict()
      .default({}),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** Read `--alert`: a file or inline JSON. */
export function alertForPlan(arg: string): Alert {
  const text = existsSync(arg) ? readFileSync(arg, 'utf8') : arg;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`--alert: neither a file nor valid JSON: ${arg.slice(0, 80)}`, 2);
  }
  const parsed = PlanAlert.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CliError(`--alert: ${first.path.join('.') || 'alert'}: ${first.message}`, 2);
  }
  // As the ingress would: a principal always has a type, so runbooks can pass it on.
  const subject = withPrincipalType(parsed.data.subject);
  return { ...parsed.data, subject, observedAt: new Date().toISOString(), fingerprint: 'dry-run', deliveryId: 'dry-run', rawRef: 'raw/dry-run' };
}

function printProblems(problems: RunbookProblem[]): void {
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.field || '(runbook)'}: ${p.message}`);
}

export function register(program: Command, ctx: () => CliContext): void {
  const runbook = program.command('runbook').description('validate, list and dry-run runbooks');
  runbook
    .command('validate [files...]')
    .description('check runbook files (default: every file in the runbooks directory, and its scenarios/)')
    .action((files: string[]) => {
      const { config } = ctx();
      const dir = config.runbooksDir;
      const targets = files.length > 0 ? files.map((f) => resolve(f)) : runbookFiles(resolve(dir));
      // A RACI is checked against this configuration's approver groups and roles.
      const { valid, problems } = validateRunbookFiles(targets, STEP_TYPE_NAMES, runbookNamesOf(config));
      if (files.length === 0) {
        const scenarios = readScenarios(scenariosDirOf(dir), new Set(readRunbooks(dir).runbooks.map((r) => r.runbook.id)));
        valid.push(...scenarios.scenarios.map((s) => join(scenariosDirOf(dir), s.file)));
        problems.push(...scenarios.problems);
      }
      for (const file of valid) console.log(`ok  ${file}`);
      if (problems.length > 0) {
        printProblems(problems);
        throw new CliError(`${new Set(problems.map((p) => p.file)).size} runbook file(s) invalid`, 1);
      }
    });
  runbook
    .command('list')
    .description('installed runbooks, highest priority first')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const pinned = loadInstalled(ctx());
      const rows = pinned
        .map(({ runbook: r, contentHash, file }) => ({ id: r.id, title: r.title, priority: r.priority, phi: r.phi, file, contentHash }))
        .sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      for (const r of rows) {
        console.log(`${r.id.padEnd(28)} ${String(r.priority).padStart(6)}  ${r.phi ? 'PHI' : '   '}  ${r.contentHash.slice(0, 12)}  ${r.title}`);
      }
    });
  runbook
    .command('plan [file]')
    .description('dry run: the steps, approvals and plans for an alert; changes nothing')
    .requiredOption('--alert <json>', 'alert JSON or a file holding it: {source?, kind, severity, subject?, labels?}')
    .option('--json', 'machine-readable output')
    .action(async (file: string | undefined, opts: { alert: string; json?: boolean }) => {
      const alert = alertForPlan(opts.alert);
      const context = ctx();
      const pinned = file ? parseOne(resolve(file)) : selectRunbook(loadInstalled(context), alert);
      const log = createLogger('warn', 'tourniquet-cli');
      const run = await dryRun(pinned, alert, activityDeps(context.config, log).planners);
      if (opts.json) return console.log(JSON.stringify(run, null, 2));
      console.log(describeDryRun(run));
    });
}

function parseOne(file: string) {
  const { problems } = validateRunbookFiles([file]);
  if (problems.length > 0) {
    printProblems(problems);
    throw new CliError(`${file} is invalid`, 1);
  }
  return parseRunbook(file, readFileSync(file, 'utf8'), STEP_TYPE_NAMES);
}

function loadInstalled(context: CliContext) {
  try {
    return loadRunbooks(context.config.runbooksDir, STEP_TYPE_NAMES);
  } catch (err) {
    if (err instanceof RunbookError) {
      printProblems(err.problems);
      throw new CliError('the runbooks directory has invalid runbooks', 1);
    }
    throw err;
  }
}
