/**
 * Scenario files (`<runbooksDir>/scenarios/*.yaml`): a tabletop drill of a runbook with timed
 * injects (domain/scenario.ts). Validated like runbooks: every problem with its file, line and
 * field, and a scenario must name a runbook that exists.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PRINCIPAL_TYPES } from '../domain/alert';
import { DURATION_HINT, DURATION_PATTERN, parseDurationMs } from '../domain/duration';
import type { PinnedScenario, Scenario, ScheduledInject } from '../domain/scenario';
import { SEVERITIES } from '../domain/severity';
import { lineOf, RunbookError, type RunbookProblem } from './loader';
import { schemaIssues } from './schema-issues';

/** What a drill's alert may name: the subject fields a real source sends, kept to a safe alphabet. */
const Name = z.string().trim().min(1).max(256).regex(/^[\w.:/@+=,-]+$/, 'letters, digits and . : / @ + = , - _ only');
export const DrillSubjectSchema = z
  .object({
    principal: Name,
    principalType: z.enum(PRINCIPAL_TYPES),
    accountId: Name,
    accessKeyId: Name,
    kmsKeyId: Name,
    ips: z.array(Name).max(50),
    service: Name,
    bucket: Name,
    securityGroupId: Name,
    cognitoUser: z.object({ userPoolId: Name, username: Name }).strict(),
  })
  .partial()
  .strict();

const duration = z.string().regex(DURATION_PATTERN, DURATION_HINT);
const Text = z.string().trim().min(1).max(1000);

const InjectSchema = z.discriminatedUnion('kind', [
  z.object({ after: duration, kind: z.literal('alert'), text: Text.optional(), subject: DrillSubjectSchema.default({}), severity: z.enum(SEVERITIES).optional() }).strict(),
  z.object({ after: duration, kind: z.literal('fact'), text: Text }).strict(),
  z.object({ after: duration, kind: z.literal('slack-outage'), for: duration, text: Text.optional() }).strict(),
  z.object({ after: duration, kind: z.literal('approver-unavailable'), person: Name, text: Text.optional() }).strict(),
]);

export const ScenarioSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    title: z.string().trim().min(1),
    runbook: z.string().min(1),
    severity: z.enum(SEVERITIES).default('high'),
    subject: DrillSubjectSchema.default({}),
    injects: z.array(InjectSchema).max(50).default([]),
  })
  .strict();

/** One scenario file's text; `runbookIds` are the runbooks that exist (a scenario names one, and no scenario takes a runbook's id). */
export function parseScenario(file: string, text: string, runbookIds: ReadonlySet<string>): PinnedScenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RunbookError(doc.errors.map((e) => ({ file, line: counter.linePos(e.pos[0]).line, field: '', message: e.message.split('\n')[0]! })));
  }
  const result = ScenarioSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new RunbookError(
      schemaIssues(result.error.issues, doc.toJS()).map((issue) => ({ file, line: lineOf(doc, counter, issue.path), field: issue.path.join('.'), message: issue.message })),
    );
  }
  const scenario: Scenario = result.data;
  const problems: RunbookProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push({ file, line: lineOf(doc, counter, path), field: path.join('.'), message });
  if (!runbookIds.has(scenario.runbook)) at(['runbook'], `no runbook "${scenario.runbook}" (known: ${[...runbookIds].sort().join(', ')})`);
  if (runbookIds.has(scenario.id)) at(['id'], `"${scenario.id}" is a runbook's id: a scenario needs its own, so \`drill start ${scenario.id}\` means one thing`);
  let previous = 0;
  scenario.injects.forEach((inject, i) => {
    const ms = parseDurationMs(inject.after)!;
    if (ms < previous) at(['injects', i, 'after'], `injects are listed in the order they happen: ${inject.after} comes before the one above it`);
    previous = ms;
  });
  if (problems.length > 0) throw new RunbookError(problems);
  return { scenario, contentHash: createHash('sha256').update(text).digest('hex'), file: basename(file) };
}

/** Where scenario files live: beside the runbooks they rehearse. */
export const scenariosDirOf = (runbooksDir: string): string => join(resolve(runbooksDir), 'scenarios');

/** Every scenario in the folder and the problems of the rest (a missing folder holds none). */
export function readScenarios(dir: string, runbookIds: ReadonlySet<string>): { scenarios: PinnedScenario[]; problems: RunbookProblem[] } {
  const scenarios: PinnedScenario[] = [];
  const problems: RunbookProblem[] = [];
  if (!existsSync(dir)) return { scenarios, problems };
  const ids = new Map<string, string>();
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, name);
    try {
      const pinned = parseScenario(file, readFileSync(file, 'utf8'), runbookIds);
      const other = ids.get(pinned.scenario.id);
      if (other) problems.push({ file: name, line: 1, field: 'id', message: `scenario id "${pinned.scenario.id}" is also used by ${other}` });
      else {
        scenarios.push(pinned);
        ids.set(pinned.scenario.id, name);
      }
    } catch (err) {
      if (err instanceof RunbookError) problems.push(...err.problems);
      else throw err;
    }
  }
  return { scenarios, problems };
}

/** The injects with their times in milliseconds from the drill's start, for the scenario workflow. */
export function scheduleOf(scenario: Scenario): ScheduledInject[] {
  return scenario.injects.map((inject) => ({ ...inject, atMs: parseDurationMs(inject.after)! }));
}
