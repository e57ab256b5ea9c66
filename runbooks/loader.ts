import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { PinnedRunbook, Runbook } from '../domain/runbook';
import { stepsOf } from '../domain/runbook';
import { accountableRole, approvalWithRaci, raciGroups, type OpenApprovalPolicy } from '../domain/raci';
import { RunbookSchema } from './schema';
import { schemaIssues } from './schema-issues';
import { staticParamProblems } from './static-params';

export interface RunbookProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export class RunbookError extends Error {
  override name = 'RunbookError';
  constructor(readonly problems: RunbookProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.field || '(runbook)'}: ${p.message}`).join('\n'));
  }
}

/** The line of the node at `path`, or of its nearest ancestor that has one. */
export function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number {
  // Walk up the path until a node with a source range is found.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

/**
 * What the configuration knows, for what a runbook names: its `raci`'s approver groups and incident
 * role. Unset: only the form is checked (the workflow, and a caller without configuration).
 */
export interface RunbookNames {
  groups?: ReadonlySet<string>;
  roles?: readonly string[];
}

/**
 * Parse one runbook file's text; `knownStepTypes` rejects a step type nobody registered, `known`
 * a RACI group or role the configuration does not have.
 */
export function parseRunbook(file: string, text: string, knownStepTypes?: ReadonlySet<string>, known: RunbookNames = {}): PinnedRunbook {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RunbookError(
      doc.errors.map((e) => ({ file, line: counter.linePos(e.pos[0]).line, field: '', message: e.message.split('\n')[0]! })),
    );
  }
  const result = RunbookSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new RunbookError(
      schemaIssues(result.error.issues, doc.toJS()).map((issue) => ({
        file,
        line: lineOf(doc, counter, issue.path),
        field: issue.path.join('.'),
        message: issue.message,
      })),
    );
  }
  const parsed = result.data;
  const problems: RunbookProblem[] = [];
  const problemAt = (path: (string | number)[], message: string) => problems.push({ file, line: lineOf(doc, counter, path), field: path.join('.'), message });
  const { raci } = parsed;
  if (raci) {
    for (const { field, group } of raciGroups(raci)) {
      if (known.groups && !known.groups.has(group)) problemAt(['raci', ...field], `no approver group "${group}" in approverGroups (groups: ${[...known.groups].sort().join(', ') || 'none'})`);
    }
    const role = accountableRole(raci);
    if (role && known.roles && !known.roles.includes(role)) problemAt(['raci', 'accountable', 'role'], `no incident role "${role}" (roles: ${known.roles.join(', ')})`);
  }
  // A gated step without its own group asks the RACI's responsible group, escalating to accountable.
  for (const [section, entries] of [['steps', parsed.steps], ['eradicate', parsed.eradicate ?? []], ['recover', parsed.recover ?? []]] as const) entries.forEach((entry, index) => {
    const steps = 'step' in entry ? [entry.step] : entry.parallel;
    steps.forEach((step, inner) => {
      if (!step.approval) return;
      const filled = approvalWithRaci(step.approval as OpenApprovalPolicy, raci);
      const path = 'step' in entry ? [section, index] : [section, index, 'parallel', inner];
      if (filled) step.approval = filled;
      else problemAt([...path, 'approval', 'group'], 'an approval needs a group (or the runbook a raci with a responsible group)');
    });
  });
  if (problems.length > 0) throw new RunbookError(problems);
  const runbook = parsed as Runbook;
  const seen = new Set<string>();
  const sections = [['steps', runbook.steps], ['eradicate', runbook.eradicate ?? []], ['recover', runbook.recover ?? []]] as const;
  for (const [section, entries] of sections) entries.forEach((entry, index) => {
    const steps = 'step' in entry ? [entry.step] : entry.parallel;
    steps.forEach((step, inner) => {
      const path = 'step' in entry ? [section, index] : [section, index, 'parallel', inner];
      if (seen.has(step.id)) {
        problems.push({ file, line: lineOf(doc, counter, [...path, 'id']), field: `${path.join('.')}.id`, message: `duplicate step id "${step.id}"` });
      }
      seen.add(step.id);
      if (knownStepTypes && !knownStepTypes.has(step.type)) {
        problems.push({
          file,
          line: lineOf(doc, counter, [...path, 'type']),
          field: `${path.join('.')}.type`,
          message: `unknown step type "${step.type}" (known: ${[...knownStepTypes].sort().join(', ')})`,
        });
      }
      for (const { param, message } of staticParamProblems(step.type, step.with)) {
        problems.push({ file, line: lineOf(doc, counter, [...path, 'with', param]), field: `${path.join('.')}.with.${param}`, message });
      }
    });
  });
  const items = new Set<string>();
  (runbook.checklist ?? []).forEach((item, index) => {
    if (items.has(item.id)) problems.push({ file, line: lineOf(doc, counter, ['checklist', index, 'id']), field: `checklist.${index}.id`, message: `duplicate checklist item "${item.id}"` });
    items.add(item.id);
  });
  if (problems.length > 0) throw new RunbookError(problems);
  const contentHash = createHash('sha256').update(text).digest('hex');
  return { runbook, contentHash, file: basename(file) };
}

export function runbookFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Record the runbook's id as used by its file; a problem if another file already uses it (the
 * worker keeps the first by name).
 */
export function claimRunbookId(ids: Map<string, string>, id: string, file: string): RunbookProblem | undefined {
  const other = ids.get(id);
  if (other) return { file, line: 1, field: 'id', message: `runbook id "${id}" is also used by ${other}` };
  ids.set(id, file);
  return undefined;
}

/** Every runbook in the directory, all valid or a RunbookError listing every problem (validate, start). */
export function loadRunbooks(dir: string, knownStepTypes?: ReadonlySet<string>, known?: RunbookNames): PinnedRunbook[] {
  const { runbooks, problems } = readRunbooks(dir, knownStepTypes, known);
  if (problems.length > 0) throw new RunbookError(problems);
  return runbooks;
}

/**
 * Each file's parse, by its name and content: a worker reads every runbook file for each incident
 * it opens (so an edited file counts from the next one) but parses only what changed since.
 * Pinned runbooks are plain data, shared read-only by whoever asks.
 */
const parsedFiles = new WeakMap<ReadonlySet<string>, Map<string, PinnedRunbook | RunbookError>>();
const ANY_STEP_TYPE: ReadonlySet<string> = new Set();
const PARSED_FILES_KEPT = 256;

function parseUnchanged(file: string, text: string, knownStepTypes?: ReadonlySet<string>): PinnedRunbook {
  const types = knownStepTypes ?? ANY_STEP_TYPE;
  let cache = parsedFiles.get(types);
  if (!cache) parsedFiles.set(types, (cache = new Map()));
  const key = `${file}\u0000${createHash('sha256').update(text).digest('hex')}`;
  let parsed = cache.get(key);
  if (!parsed) {
    try {
      parsed = parseRunbook(file, text, knownStepTypes);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      parsed = err;
    }
    // Edited files leave their old parses behind: start over rather than grow without end.
    if (cache.size >= PARSED_FILES_KEPT) cache.clear();
    cache.set(key, parsed);
  }
  if (parsed instanceof RunbookError) throw parsed;
  return parsed;
}

/**
 * The valid runbooks and the problems of the rest: a file broken while the worker runs must not
 * stop incidents from opening, so they go on with the others (and triage). Of two files with one
 * id, the first by name is kept.
 */
export function readRunbooks(dir: string, knownStepTypes?: ReadonlySet<string>, known?: RunbookNames): { runbooks: PinnedRunbook[]; problems: RunbookProblem[] } {
  const runbooks: PinnedRunbook[] = [];
  const problems: RunbookProblem[] = [];
  const ids = new Map<string, string>();
  for (const file of runbookFiles(resolve(dir))) {
    let pinned: PinnedRunbook;
    try {
      const text = readFileSync(file, 'utf8');
      pinned = known ? parseRunbook(file, text, knownStepTypes, known) : parseUnchanged(file, text, knownStepTypes);
    } catch (err) {
      if (err instanceof RunbookError) problems.push(...err.problems);
      else throw err;
      continue;
    }
    const taken = claimRunbookId(ids, pinned.runbook.id, pinned.file);
    if (taken) problems.push(taken);
    else runbooks.push(pinned);
  }
  return { runbooks, problems };
}

export { stepsOf };
