/**
 * `npm run bench -- --profile`: where the host's time goes. The host's process and its agent (which inherits the
 * environment) run with V8's sampling profiler (`--cpu-prof`, or its preload cpuProfile.cjs where NODE_OPTIONS refuses it); each writes a V8 CPU profile into out/bench/profiles/ when it exits.
 * Summarised here: self time by function, per process, over the whole run of that system (every phase). Open the
 * .cpuprofile files in Chrome's DevTools (Performance) or VS Code for the call trees.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * The environment that makes a Node process (and the children that inherit it) write a CPU profile into `dir`:
 * a preload (cpuProfile.cjs) rather than `--cpu-prof`, which Node 20 refuses in NODE_OPTIONS.
 */
export function profilingEnv(dir: string, root: string): NodeJS.ProcessEnv {
  fs.mkdirSync(dir, { recursive: true });
  const preload = path.join(root, 'bench', 'cpuProfile.cjs');
  return { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require=${JSON.stringify(preload)}`.trim(), BENCH_CPU_PROF_DIR: dir };
}

/** Which of our processes wrote a profile: the agent's bundle, the host session's, or the helper's page. */
function processOf(profile: CpuProfile): string {
  const urls = profile.nodes.map((n) => n.callFrame.url);
  if (urls.some((u) => u.endsWith('/dist/agent.js'))) return 'agent';
  if (urls.some((u) => u.endsWith('/bundle/host.js'))) return 'host session';
  if (urls.some((u) => u.endsWith('/webview.js'))) return "the helper's panel (JavaScript only)";
  return 'other';
}

/** The top `count` functions by self time in each profile of `dir` written since `since` (ms), as lines to print. */
export function summariseProfiles(dir: string, since: number, count = 12): string[] {
  if (!fs.existsSync(dir)) return [];
  const lines: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const full = path.join(dir, file);
    if (fs.statSync(full).mtimeMs < since) continue;
    const profile = JSON.parse(fs.readFileSync(full, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)?.callFrame;
      if (!frame) return;
      const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
      const key = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const totalUs = profile.endTime - profile.startTime;
    const busyUs = [...self.entries()].filter(([k]) => !/^\((idle|program)\)/.test(k)).reduce((s, [, v]) => s + v, 0);
    lines.push(`${processOf(profile)} (${file}): ${(totalUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e3).toFixed(0)} ms busy (${((100 * busyUs) / totalUs).toFixed(1)} % of a core)`);
    for (const [key, us] of [...self.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, count)) {
      lines.push(`  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${((100 * us) / totalUs).toFixed(2).padStart(6)} %  ${key}`);
    }
  }
  return lines;
}
