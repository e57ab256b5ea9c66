/**
 * Workflow code runs in Temporal's deterministic sandbox: it may import only @temporalio/workflow
 * (and @temporalio/common), domain/, other workflow modules and activity *types*. This guard reads
 * every file under workflows/ and domain/ and fails on anything else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
const FORBIDDEN_CODE: [RegExp, string][] = [
  [/process\.env/, 'process.env'],
  [/Math\.random/, 'Math.random'],
  [/\bsetTimeout\(/, 'setTimeout (use sleep / condition)'],
  [/\brequire\(/, 'require'],
];

function violations(file: string, allowed: (spec: string, typeOnly: boolean, file: string) => boolean): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const typeOnly = Boolean(m[1]);
    const spec = m[2]!;
    if (!allowed(spec, typeOnly, file)) found.push(`${relative(ROOT, file)} imports ${typeOnly ? 'type ' : ''}${spec}`);
  }
  for (const [pattern, what] of FORBIDDEN_CODE) if (pattern.test(text)) found.push(`${relative(ROOT, file)} uses ${what}`);
  return found;
}

test('workflow files import only the workflow API, domain/, workflows/ and activity types', () => {
  const bad = files(join(ROOT, 'workflows')).flatMap((file) =>
    violations(file, (spec, typeOnly, from) => {
      if (spec === '@temporalio/workflow' || spec === '@temporalio/common') return true;
      const target = spec.startsWith('.') ? relative(ROOT, join(from, '..', spec)) : spec;
      if (target.startsWith('domain') || target.startsWith('workflows')) return true;
      return typeOnly && (target.startsWith('activities') || spec.startsWith('@temporalio/'));
    }),
  );
  expect(bad).toEqual([]);
});

test('domain/ stays pure: no Node APIs and no packages but date-fns and the pure-JS @noble cryptography', () => {
  const bad = files(join(ROOT, 'domain')).flatMap((file) =>
    violations(file, (spec) => spec.startsWith('.') || spec.startsWith('date-fns') || spec.startsWith('@date-fns/') || spec.startsWith('@noble/')),
  );
  expect(bad).toEqual([]);
});
