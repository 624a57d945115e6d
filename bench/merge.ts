/**
 * What a run writes to bench/results/latest.json, given what is there already. A loopback run and a `--link=` run
 * measure different figures of the same systems, and each used to write the other's as null: after a link run the
 * file had lost every loopback figure. Now each run replaces what it measured and keeps the rest, when the earlier
 * file is from the same machine; `date` stays the date of the loopback figures and each link profile carries its own.
 */

import type { LinkResults } from './links';
import type { Figures, Results } from './stats';

const SYSTEMS = ['product', 'baseline', 'peer'] as const;

/**
 * The file to write. `linkRun`: this run measured links only (its loopback figures are all null). `earlier`: the
 * parsed file as it was, or anything else (absent, unreadable, another shape), which is then ignored.
 */
export function mergeResults(run: Results, earlier: unknown, linkRun: boolean): Results {
  if (!sameMachine(run, earlier)) return run;
  const merged: Results = { ...run, date: linkRun ? earlier.date : run.date };
  for (const name of SYSTEMS) {
    const before = earlier[name];
    const now = run[name];
    if (linkRun) {
      const stamped = Object.fromEntries(Object.entries(now.links ?? {}).map(([profile, f]) => [profile, { ...f, date: run.date }]));
      const links: LinkResults = { ...before.links, ...stamped };
      merged[name] = withLinks({ ...before }, links, now.links === undefined ? before.resumeMs : undefined);
    } else {
      merged[name] = before.links ? withLinks({ ...now }, before.links, before.resumeMs) : now;
    }
  }
  return merged;
}

/** `links`, and `resumeMs` on `home` when measured (the link), else `fallback`, else the first profile's. */
function withLinks(figures: Figures, links: LinkResults, fallback: number | null | undefined): Figures {
  if (Object.keys(links).length === 0) return figures;
  const first = Object.values(links)[0];
  return { ...figures, links, resumeMs: links.home?.resumeMs ?? fallback ?? first?.resumeMs ?? null };
}

function sameMachine(run: Results, earlier: unknown): earlier is Results {
  if (typeof earlier !== 'object' || earlier === null) return false;
  const e = earlier as Partial<Results>;
  const systemsThere = SYSTEMS.every((n) => typeof e[n] === 'object' && e[n] !== null);
  return systemsThere && typeof e.date === 'string' && e.machine?.cores === run.machine.cores && e.machine?.cpuModel === run.machine.cpuModel;
}
