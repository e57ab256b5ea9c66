/**
 * What an accepted webhook stores must outlive a power cut, names included: an object's fsync keeps
 * its bytes, but the name linked into its folder (and a folder made for it, and a ledger file the
 * first append creates) is on disk only once the folder holding it is fsynced. A crash cannot be
 * staged here, so this reads the system calls (strace) of a process that stores raw payloads, a
 * ledger record and a delivery-id binding into new folders, and checks each folder was synced
 * after the names went in and before the call returned. Likewise the embedded Temporal server's
 * database, which holds the incident an accepted alert starts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/moto';

interface Call {
  name: string;
  args: string;
  result: number;
  /** line numbers in the trace where the call began and where it returned */
  began: number;
  ended: number;
}

/** strace -f -y output as calls, split calls (`<unfinished ...>` … `resumed>`) joined. */
function parseTrace(text: string): { calls: Call[]; output: (marker: string) => number } {
  const calls: Call[] = [];
  const pending = new Map<string, Omit<Call, 'result' | 'ended'>>();
  const lines = text.split('\n');
  lines.forEach((line, n) => {
    const [, pid, rest] = /^(\d+)\s+(.*)$/.exec(line) ?? [];
    if (!pid || !rest) return;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)\)\s+= (-?\d+)/.exec(rest);
    if (resumed) {
      const start = pending.get(pid);
      pending.delete(pid);
      if (start) calls.push({ ...start, args: start.args + resumed[2], result: Number(resumed[3]), ended: n });
      return;
    }
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(rest);
    if (unfinished) {
      pending.set(pid, { name: unfinished[1]!, args: unfinished[2]!, began: n });
      return;
    }
    const whole = /^(\w+)\((.*)\)\s+= (-?\d+)/.exec(rest);
    if (whole) calls.push({ name: whole[1]!, args: whole[2]!, result: Number(whole[3]), began: n, ended: n });
  });
  const output = (marker: string) => calls.find((c) => c.name === 'write' && c.args.startsWith('1') && c.args.includes(`"${marker}\\n"`))?.began ?? -1;
  return { calls, output };
}

/** a sender-given delivery id as the ingress names it (a hash) */
const DELIVERY_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** fsyncs of the folder `dir` (strace -y names an fd by its path: `fsync(21</tmp/x/raw>)`). */
const syncsOf = (calls: Call[], dir: string) => calls.filter((c) => c.name === 'fsync' && c.result === 0 && c.args.endsWith(`<${dir}>`));

test('payloads, the folders made for them, a new ledger file and a delivery-id binding are synced into their folders before the call returns', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tq-durable-'));
  const root = join(base, 'evidence');
  const ledgerPath = join(base, 'audit', 'audit.log');
  const idsDir = join(base, 'delivery-ids');
  const tracePath = join(base, 'trace.txt');
  const script = join(__dirname, '..', 'support', 'durable-writer.ts');
  const { stdout } = await promisify(execFile)(
    'strace',
    ['-f', '-y', '-s', '256', '-e', 'trace=link,linkat,mkdir,mkdirat,fsync,fdatasync,openat,write', '-o', tracePath, process.execPath, '--require', 'tsx/cjs', script, root, ledgerPath, idsDir, DELIVERY_ID],
    { cwd: join(__dirname, '..', '..') },
  );
  expect(stdout).toBe('stored\nappended\nbound\n');
  const { calls, output } = parseTrace(readFileSync(tracePath, 'utf8'));
  const stored = output('stored');
  const appended = output('appended');
  expect(stored).toBeGreaterThan(0);

  // Every payload's name: linked, then its folder synced after that link and before `create` returned.
  const folder = join(root, 'raw', 'generic');
  const links = calls.filter((c) => c.name.startsWith('link') && c.result === 0 && c.args.includes(`"${folder}/payload-`));
  expect(links).toHaveLength(8);
  const syncs = syncsOf(calls, folder);
  for (const link of links) expect(syncs.some((s) => s.began > link.ended && s.ended < stored)).toBe(true);
  // Shared by the payloads stored at once, not one per payload.
  expect(syncs.length).toBeLessThan(links.length);

  // Each folder made for them (raw/generic, raw, the root): synced into its parent before the payloads returned.
  for (const made of [folder, join(root, 'raw'), root]) {
    const mkdir = calls.find((c) => c.name.startsWith('mkdir') && c.result === 0 && c.args.includes(`"${made}"`));
    expect(mkdir).toBeDefined();
    expect(syncsOf(calls, dirname(made)).some((s) => s.began > mkdir!.ended && s.ended < stored)).toBe(true);
  }

  // The ledger file the append created: its folder synced after it was created, before the append returned.
  const created = calls.find((c) => c.name === 'openat' && c.result >= 0 && c.args.includes(`"${ledgerPath}"`) && c.args.includes('O_CREAT'));
  expect(created).toBeDefined();
  expect(syncsOf(calls, dirname(ledgerPath)).some((s) => s.began > created!.ended && s.ended < appended)).toBe(true);
  // And its records: the file itself synced before the append returned.
  expect(calls.some((c) => c.name === 'fsync' && c.args.endsWith(`<${ledgerPath}>`) && c.began > created!.ended && c.ended < appended)).toBe(true);

  // A delivery id's binding: never created under its own name (so never found empty), but written
  // elsewhere, fsynced and linked in, its folder synced before `bind` returned.
  const bound = output('bound');
  const binding = join(idsDir, 'generic', DELIVERY_ID);
  expect(calls.some((c) => c.name === 'openat' && c.args.includes(`"${binding}"`) && c.args.includes('O_CREAT'))).toBe(false);
  const linked = calls.find((c) => c.name.startsWith('link') && c.result === 0 && c.args.includes(`"${binding}"`));
  expect(linked).toBeDefined();
  expect(syncsOf(calls, dirname(binding)).some((s) => s.began > linked!.ended && s.ended < bound)).toBe(true);
}, 60_000);

test('the embedded server has an accepted alert\'s incident on disk before signalWithStart returns', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tq-durable-temporal-'));
  const tracePath = join(base, 'trace.txt');
  const [port, uiPort] = [await freePort(), await freePort()];
  const script = join(__dirname, '..', 'support', 'embedded-writer.ts');
  // --seccomp-bpf stops the traced processes only at these calls, so the server starts at speed.
  const { stdout } = await promisify(execFile)(
    'strace',
    ['-f', '--seccomp-bpf', '-y', '-e', 'trace=fsync,fdatasync,write', '-o', tracePath, process.execPath, '--require', 'tsx/cjs', script, base, String(port), String(uiPort)],
    { cwd: join(__dirname, '..', '..'), timeout: 90_000 },
  );
  expect(stdout).toBe('started\naccepted\n');
  const { calls, output } = parseTrace(readFileSync(tracePath, 'utf8'));
  const [started, accepted] = [output('started'), output('accepted')];
  expect(started).toBeGreaterThan(0);
  // SQLite's write-ahead log, synced after the call was made and before it returned: the commit
  // that holds the new incident is durable when the ingress answers 202.
  const wal = join(base, 'temporal.sqlite-wal');
  const synced = calls.filter((c) => ['fsync', 'fdatasync'].includes(c.name) && c.result === 0 && c.args.endsWith(`<${wal}>`));
  expect(synced.some((c) => c.began > started && c.ended < accepted)).toBe(true);
}, 120_000);
