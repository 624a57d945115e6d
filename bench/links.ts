/**
 * `npm run bench -- --link=lan,home,mobile`: the product (and, with the peer installed, x11vnc + noVNC) measured
 * over emulated links (test/support/linkEmulator.ts) instead of loopback. The product's two sides are relay-only
 * through coturn with the emulator in front of it as their TURN server; the peer's browser reaches websockify
 * through the emulator's TCP proxy, with the same delay, rate and (as late segments) loss. Per system and profile:
 * typing glass-to-glass latency, fps while scrolling, stalls over 500 ms, and bandwidth. See bench/README.md.
 *
 * Kept apart from bench/main.ts, which lends what starts a system and measures a phase (LinkBench).
 */

import type { IceServer } from '../src/shared/settings';
import { Stack } from '../test/support/env';
import { LINK_PROFILES, countersSince, isLinkProfileName, startLinkEmulator, type LinkCounters, type LinkProfileName } from '../test/support/linkEmulator';
import { percentiles, round, type Percentiles } from './stats';

/** One system's figures on one emulated link; null where not measured. */
export interface LinkFigures {
  glassToGlassTypingMs: Percentiles;
  glassToGlassScrollMs: Percentiles;
  fpsTyping: number | null;
  fpsScroll: number | null;
  /** Gaps of more than 500 ms between two new pictures of the barcode, typing and scrolling together. */
  stallsOver500ms: number | null;
  /** The longest such gap (ms), stall or not. */
  longestGapMs: number | null;
  kbpsStatic: number | null;
  kbpsTyping: number | null;
  kbpsScroll: number | null;
  /** Of what entered the link in both directions over the phases: per cent lost at random or dropped by its full queue. */
  linkDropPct: number | null;
  /** After a cut of RESUME_CUT_S while the screen changes: from the link's return to the first new picture (ms). */
  resumeMs: number | null;
  /** When this profile was measured (bench/merge.ts: a later run of other profiles keeps it). */
  date?: string;
}

/** The cut that `resumeMs` measures (issue 14: the picture back within 2 s of a 5 s cut's end). */
export const RESUME_CUT_S = 5;

/** `links` in a system's figures (bench/results/latest.json): the profiles measured. */
export type LinkResults = Partial<Record<LinkProfileName, LinkFigures>>;

export function emptyLinkFigures(): LinkFigures {
  return {
    glassToGlassTypingMs: { p50: null, p95: null },
    glassToGlassScrollMs: { p50: null, p95: null },
    fpsTyping: null,
    fpsScroll: null,
    stallsOver500ms: null,
    longestGapMs: null,
    kbpsStatic: null,
    kbpsTyping: null,
    kbpsScroll: null,
    linkDropPct: null,
    resumeMs: null,
  };
}

/** The profiles asked for with `--link=a,b` (or BENCH_LINK); an unknown name is an error. */
export function linkProfilesFrom(args: readonly string[], env: NodeJS.ProcessEnv): LinkProfileName[] {
  const raw = args.find((x) => x.startsWith('--link='))?.slice(7) ?? env['BENCH_LINK'] ?? '';
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isLinkProfileName(n));
  if (unknown.length > 0) throw new Error(`--link: no profile ${unknown.join(', ')} (${Object.keys(LINK_PROFILES).join(', ')})`);
  return [...new Set(names as LinkProfileName[])];
}

/** What a phase gives back (bench/main.ts `phase`). */
export interface LinkPhase {
  readonly latencies: readonly number[];
  /** When each new barcode value was painted (epoch ms), in order. */
  readonly seen: readonly number[];
  readonly fps: number;
  readonly kbps: number;
}

/** What bench/main.ts lends: a system started through a link, and its phases. */
export interface LinkBench<S extends { stop(): Promise<void> }> {
  readonly systems: readonly ('product' | 'peer')[];
  readonly phaseSeconds: number;
  startProduct(ice: { iceServers: IceServer[]; iceTransportPolicy: 'relay' }): Promise<S>;
  /** The peer, its browser reaching websockify at the port that `proxy` gives for websockify's. */
  startPeer(proxy: (port: number) => Promise<number>): Promise<S>;
  waitForPicture(sys: S): Promise<void>;
  phase(sys: S, mode: 'static' | 'typing' | 'scroll', seconds: number): Promise<LinkPhase>;
  /** While the screen changes, runs `cut` (which resolves when the link is back) and gives the ms from then to the next new picture, or null. */
  resume(sys: S, cut: () => Promise<void>): Promise<number | null>;
  say(message: string): void;
}

/** Gaps between successive new pictures, with the phase's edges: a view that froze at the end counts too. */
function gaps(seen: readonly number[], start: number, end: number): number[] {
  const times = [start, ...seen, end];
  return times.slice(1).map((t, i) => t - times[i]!);
}

function dropPct(c: LinkCounters): number {
  const dropped = c.up.lost + c.up.overflowed + c.down.lost + c.down.overflowed;
  const entered = c.up.packets + c.down.packets + c.up.dropped + c.down.dropped;
  return entered === 0 ? 0 : (dropped * 100) / entered;
}

/**
 * Measures each system on each profile: a link emulator of its own per run (and a coturn behind it), the
 * system started through it, a static, a typing and a scrolling phase. A run that fails leaves nulls and a note.
 */
export async function measureLinks<S extends { stop(): Promise<void> }>(
  bench: LinkBench<S>,
  profiles: readonly LinkProfileName[],
  into: Record<'product' | 'peer', { links?: LinkResults; resumeMs?: number | null }>,
  notes: string[],
): Promise<void> {
  for (const name of bench.systems) {
    const results: LinkResults = (into[name].links = {});
    for (const profile of profiles) {
      const f = (results[profile] = emptyLinkFigures());
      const stack = new Stack();
      let sys: S | undefined;
      try {
        bench.say(`${name} over ${profile}: starting`);
        const link = await startLinkEmulator(stack, { profile });
        sys = name === 'product'
          ? await bench.startProduct({ iceServers: link.iceServers, iceTransportPolicy: 'relay' })
          : await bench.startPeer((port) => link.proxyTcp(port));
        await bench.waitForPicture(sys);
        const before = link.counters;
        const run = async (mode: 'static' | 'typing' | 'scroll') => {
          bench.say(`  ${name} over ${profile}: ${mode} ${bench.phaseSeconds} s`);
          const start = Date.now();
          const p = await bench.phase(sys!, mode, bench.phaseSeconds);
          // The phase records from about a second after `start` (the mode's change settles) until it returns.
          return { ...p, gaps: gaps(p.seen, p.seen.length > 0 ? Math.min(p.seen[0]!, start + 1_000) : start + 1_000, Date.now()) };
        };
        const still = await run('static');
        f.kbpsStatic = round(still.kbps, 0);
        const typing = await run('typing');
        f.glassToGlassTypingMs = percentiles([...typing.latencies]);
        f.fpsTyping = round(typing.fps, 1);
        f.kbpsTyping = round(typing.kbps, 0);
        const scroll = await run('scroll');
        f.glassToGlassScrollMs = percentiles([...scroll.latencies]);
        f.fpsScroll = round(scroll.fps, 1);
        f.kbpsScroll = round(scroll.kbps, 0);
        const all = [...typing.gaps, ...scroll.gaps];
        f.stallsOver500ms = all.filter((g) => g > 500).length;
        f.longestGapMs = round(Math.max(...all), 0);
        const crossed = countersSince(before, link.counters);
        f.linkDropPct = round(dropPct(crossed), 2);
        bench.say(`  ${name} over ${profile}: a ${RESUME_CUT_S} s cut`);
        f.resumeMs = round(await bench.resume(sys, () => link.cut(RESUME_CUT_S)), 0);
        notes.push(`${name} over ${profile}: the link carried ${crossed.down.packets} packets down, ${crossed.up.packets} up; lost ${crossed.down.lost + crossed.up.lost}, queue drops ${crossed.down.overflowed + crossed.up.overflowed}, TCP segments late ${crossed.down.retransmitted + crossed.up.retransmitted}`);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        notes.push(`${name} over ${profile}: stopped early: ${text}`);
        bench.say(`${name} over ${profile}: ${text}`);
      } finally {
        await sys?.stop().catch(() => undefined);
        await stack.stop();
      }
    }
    // The system's own figure: on `home` when it ran (the issue's link), else on the first profile measured.
    into[name].resumeMs = (results.home ?? results[profiles[0]!])?.resumeMs ?? null;
  }
}

const ROWS: readonly { label: string; show: (f: LinkFigures) => string }[] = [
  { label: 'glass-to-glass, typing (ms) p50 / p95', show: (f) => pair(f.glassToGlassTypingMs) },
  { label: 'glass-to-glass, scrolling (ms) p50 / p95', show: (f) => pair(f.glassToGlassScrollMs) },
  { label: 'fps at the helper, typing', show: (f) => num(f.fpsTyping, 1) },
  { label: 'fps at the helper, scrolling', show: (f) => num(f.fpsScroll, 1) },
  { label: 'stalls over 500 ms (typing + scrolling)', show: (f) => num(f.stallsOver500ms, 0) },
  { label: 'longest gap between pictures (ms)', show: (f) => num(f.longestGapMs, 0) },
  { label: 'bandwidth, static (kbit/s)', show: (f) => num(f.kbpsStatic, 0) },
  { label: 'bandwidth, typing (kbit/s)', show: (f) => num(f.kbpsTyping, 0) },
  { label: 'bandwidth, scrolling (kbit/s)', show: (f) => num(f.kbpsScroll, 0) },
  { label: 'dropped by the link (%)', show: (f) => num(f.linkDropPct, 2) },
  { label: `picture back after a ${RESUME_CUT_S} s cut (ms)`, show: (f) => num(f.resumeMs, 0) },
];

function num(v: number | null, digits: number): string {
  return v === null ? '-' : v.toFixed(digits);
}

function pair(p: Percentiles): string {
  return p.p50 === null ? '-' : `${p.p50.toFixed(0)} / ${p.p95 === null ? '-' : p.p95.toFixed(0)}`;
}

/** The links' table: rows = figures, columns = system and profile. */
export function linksTable(into: Record<'product' | 'peer', { links?: LinkResults }>, profiles: readonly LinkProfileName[]): string {
  const columns = (['product', 'peer'] as const).flatMap((name) => profiles.filter((p) => into[name].links?.[p]).map((p) => ({ head: `${name} ${p}`, f: into[name].links![p]! })));
  const cells = ROWS.map((r) => [r.label, ...columns.map((c) => r.show(c.f))]);
  const head = ['', ...columns.map((c) => c.head)];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const describe = profiles.map((p) => {
    const l = LINK_PROFILES[p];
    return `${p}: ${l.rateKbps === null ? 'no cap' : `${l.rateKbps / 1000} Mbit/s`}, RTT ${l.rttMs} ms, jitter ±${l.jitterMs} ms, loss ${l.lossPct} %`;
  });
  return [`links (emulated): ${describe.join('; ')}`, '', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
