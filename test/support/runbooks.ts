import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNBOOKS_DIR } from './temporal';

/**
 * A runbook directory for lifecycle tests: `triage` plus runbooks whose webhook steps call a local
 * HTTP endpoint (`<url>/ok`, `/reject` answering 4xx, `/risky` behind a two-person approval).
 */
export function lifecycleRunbooks(url: string): string {
  const dir = join(tmpdir(), `tq-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'notify-ok.yaml'),
    `id: notify-ok
title: Tell the SOAR
match: [{ kinds: ["Ok*"] }]
steps:
  - id: call-soar
    type: webhook
    with: { url: "${url}/ok", payload: { principal: "\${alert.subject.principal}" } }
`,
  );
  writeFileSync(
    join(dir, 'failing.yaml'),
    `id: failing
title: A step that fails
escalationGroup: security-leads
match: [{ kinds: ["Broken*"] }]
steps:
  - id: call-broken
    type: webhook
    with: { url: "${url}/reject" }
    retry: { maximumAttempts: 2, initialInterval: 100ms }
  - id: never-reached
    type: notify
    with: { text: "unreachable" }
`,
  );
  writeFileSync(
    join(dir, 'gated.yaml'),
    `id: gated
title: A gated step
match: [{ kinds: ["Gated*"] }]
steps:
  - id: risky
    type: webhook
    with: { url: "${url}/risky" }
    approval: { group: responders, approvers: 2, timeout: 1h, finalTimeout: 1h }
`,
  );
  return dir;
}

/** Poll until `ok`; fails after `timeoutMs` (30 s unless a test waits on something slower). */
export async function waitFor<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what = 'condition', timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
