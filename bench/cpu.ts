import { readdirSync, readFileSync } from 'node:fs';

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
