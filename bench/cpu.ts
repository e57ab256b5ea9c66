import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/** CPU ms (user + system, every thread) a process has used, from /proc; undefined where there is no /proc. */
function procCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** The Temporal dev server this process started (a child process named temporal*), if there is one. */
function devServerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && name.startsWith('temporal')) return Number(entry);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * CPU spent from now until the returned function is called, per operation: this process (all its
 * threads: the event loop, libuv's pool, the SDK's) and the Temporal dev server. On two cores the
 * sum is what bounds a rate: whatever CPU this process spends per alert, the server cannot.
 */
export function cpuMeter(): (ops: number) => { self: number; server: number | undefined } {
  const pid = devServerPid();
  const self = process.cpuUsage();
  const server = pid === undefined ? undefined : procCpuMs(pid);
  return (ops) => {
    const used = process.cpuUsage(self);
    const serverNow = pid === undefined ? undefined : procCpuMs(pid);
    return {
      self: (used.user + used.system) / 1000 / ops,
      server: server === undefined || serverNow === undefined ? undefined : (serverNow - server) / ops,
    };
  };
}

/** "6.2 ms here + 7.0 ms in the server" */
export function cpuText(cost: { self: number; server: number | undefined }): string {
  return `${cost.self.toFixed(2)} ms here + ${cost.server === undefined ? 'n/a' : `${cost.server.toFixed(2)} ms`} in the server`;
}

/** Every thread of `pid` (and the threads it starts later) on these CPUs, e.g. "0" or "1-3". */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Runs `work` with the Temporal dev server on CPU 0 and this process on the others, as where the
 * ingress and Temporal have hosts of their own (production), so neither's CPU is the other's.
 * Undefined where that cannot be arranged here (one CPU, no dev server child, no taskset); both
 * go back to every CPU afterwards.
 */
export async function onSeparateCores<T>(work: () => Promise<T>): Promise<{ result: T; cpus: string } | undefined> {
  const cpus = availableParallelism();
  const server = devServerPid();
  if (cpus < 2 || server === undefined) return undefined;
  const rest = cpus === 2 ? '1' : `1-${cpus - 1}`;
  const restore = () => {
    for (const pid of [server, process.pid]) {
      try {
        pin(pid, `0-${cpus - 1}`);
      } catch {
        // a process that has gone needs no restoring
      }
    }
  };
  try {
    pin(server, '0');
    pin(process.pid, rest);
  } catch {
    restore();
    return undefined;
  }
  try {
    return { result: await work(), cpus: rest };
  } finally {
    restore();
  }
}
