/**
 * CPU time and memory of a set of processes, from /proc (Linux). A "set" is a few root pids and all their live
 * descendants, so that the agent and the short-lived tools it spawns (ImageMagick's `import`, `xrandr`) count
 * with the host: a child's time shows in its parent's cutime/cstime once reaped, in its own utime/stime while
 * it lives, so summing all four over the live tree at two moments gives the CPU used in between.
 */

import * as fs from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`): 100 on every Linux that matters. */
const TICKS_PER_SECOND = 100;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  readonly ticks: number;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14.
    const at = (n: number) => Number(fields[n - 3]);
    return { pid, ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** The roots and their live descendants. */
export function processTree(roots: readonly number[]): ProcInfo[] {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const out: ProcInfo[] = [];
  const queue = roots.map((pid) => byPid.get(pid)).filter((p): p is ProcInfo => p !== undefined);
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** Children of `pid` whose command name matches. */
export function childrenNamed(pid: number, name: RegExp): number[] {
  return allProcs()
    .filter((p) => p.ppid === pid)
    .filter((p) => {
      try {
        return name.test(fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

export interface CpuMark {
  readonly at: number;
  readonly ticks: number;
}

export function cpuMark(roots: readonly number[]): CpuMark {
  return { at: performance.now(), ticks: processTree(roots).reduce((s, p) => s + p.ticks, 0) };
}

/** Percent of one core used by the set between two marks. */
export function cpuPercent(from: CpuMark, to: CpuMark): number {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0) return 0;
  return (Math.max(0, to.ticks - from.ticks) / TICKS_PER_SECOND / seconds) * 100;
}

/** Resident memory (VmRSS) of each live process of the set, in MB (10^6 bytes), with its command name. */
export function rssByProcess(roots: readonly number[]): { pid: number; name: string; mb: number }[] {
  const out: { pid: number; name: string; mb: number }[] = [];
  for (const p of processTree(roots)) {
    try {
      const status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      const name = /Name:\s+(.*)/.exec(status)?.[1] ?? '?';
      if (rss) out.push({ pid: p.pid, name, mb: (Number(rss[1]) * 1024) / 1e6 });
    } catch {
      // gone
    }
  }
  return out;
}

/** Resident memory of the set (VmRSS summed over the live tree), in MB. Shared pages count once per process. */
export function rssMb(roots: readonly number[]): number {
  return rssByProcess(roots).reduce((s, p) => s + p.mb, 0);
}
