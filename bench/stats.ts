/** The figures' shape (bench/results/latest.json), and the little arithmetic behind them. */

import type { LinkResults } from './links';

export interface Percentiles {
  readonly p50: number | null;
  readonly p95: number | null;
}

/** One system's figures; null where a figure does not apply or was not measured. */
export interface Figures {
  clickToPhotonMs: Percentiles;
  glassToGlassTypingMs: Percentiles;
  glassToGlassScrollMs: Percentiles;
  /** A 900x600 window dragged 6 px a frame (bench/window.c `drag`). */
  glassToGlassDragMs: Percentiles;
  /** A 640x360 region whose every pixel changes 30 times a second, the barcode inside it (bench/window.c `video`). */
  glassToGlassVideoMs: Percentiles;
  fpsScroll: number | null;
  fpsTyping: number | null;
  fpsDrag: number | null;
  fpsVideo: number | null;
  kbpsStatic: number | null;
  kbpsTyping: number | null;
  kbpsScroll: number | null;
  kbpsDrag: number | null;
  kbpsVideo: number | null;
  hostCpuStaticPct: number | null;
  hostCpuTypingPct: number | null;
  hostCpuStreamingPct: number | null;
  hostRssMb: number | null;
  rssGrowthMb10min: number | null;
  textPsnrDb: number | null;
  /** The same system with the helper's panel inside a real VS Code (`--editor`, product only); absent when not run. */
  editor?: Figures;
  /** Only with `--link=…` (bench/links.ts): the figures over each emulated link measured. */
  links?: LinkResults;
  /** Only with `--link=…`: ms from the end of a 5 s cut to the helper's next new picture (on `home` when measured). */
  resumeMs?: number | null;
}

export interface Results {
  date: string;
  machine: { cores: number; cpuModel: string };
  product: Figures;
  baseline: Figures;
  peer: Figures;
}

export function emptyFigures(): Figures {
  return {
    clickToPhotonMs: { p50: null, p95: null },
    glassToGlassTypingMs: { p50: null, p95: null },
    glassToGlassScrollMs: { p50: null, p95: null },
    glassToGlassDragMs: { p50: null, p95: null },
    glassToGlassVideoMs: { p50: null, p95: null },
    fpsScroll: null,
    fpsTyping: null,
    fpsDrag: null,
    fpsVideo: null,
    kbpsStatic: null,
    kbpsTyping: null,
    kbpsScroll: null,
    kbpsDrag: null,
    kbpsVideo: null,
    hostCpuStaticPct: null,
    hostCpuTypingPct: null,
    hostCpuStreamingPct: null,
    hostRssMb: null,
    rssGrowthMb10min: null,
    textPsnrDb: null,
  };
}

/** Nearest-rank percentile; null for no samples. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function percentiles(values: readonly number[]): Percentiles {
  return { p50: round(percentile(values, 50), 1), p95: round(percentile(values, 95), 1) };
}

export function round(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** PSNR (dB) of two RGB images of the same size; 100 stands for identical. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  const mse = sum / n;
  return mse === 0 ? 100 : Math.min(100, 10 * Math.log10((255 * 255) / mse));
}

/** The rows of the printed table: label, unit, and how to read the figure. */
export const ROWS: readonly { label: string; show: (f: Figures) => string }[] = [
  { label: 'click-to-photon (ms) p50 / p95', show: (f) => pair(f.clickToPhotonMs) },
  { label: 'glass-to-glass, typing (ms) p50 / p95', show: (f) => pair(f.glassToGlassTypingMs) },
  { label: 'glass-to-glass, scrolling (ms) p50 / p95', show: (f) => pair(f.glassToGlassScrollMs) },
  { label: 'glass-to-glass, dragging (ms) p50 / p95', show: (f) => pair(f.glassToGlassDragMs) },
  { label: 'glass-to-glass, video (ms) p50 / p95', show: (f) => pair(f.glassToGlassVideoMs) },
  { label: 'fps at the helper, scrolling', show: (f) => num(f.fpsScroll, 1) },
  { label: 'fps at the helper, typing', show: (f) => num(f.fpsTyping, 1) },
  { label: 'fps at the helper, dragging', show: (f) => num(f.fpsDrag, 1) },
  { label: 'fps at the helper, video', show: (f) => num(f.fpsVideo, 1) },
  { label: 'bandwidth, static (kbit/s)', show: (f) => num(f.kbpsStatic, 0) },
  { label: 'bandwidth, typing (kbit/s)', show: (f) => num(f.kbpsTyping, 0) },
  { label: 'bandwidth, scrolling (kbit/s)', show: (f) => num(f.kbpsScroll, 0) },
  { label: 'bandwidth, dragging (kbit/s)', show: (f) => num(f.kbpsDrag, 0) },
  { label: 'bandwidth, video (kbit/s)', show: (f) => num(f.kbpsVideo, 0) },
  { label: 'host CPU, static (% of a core)', show: (f) => num(f.hostCpuStaticPct, 1) },
  { label: 'host CPU, typing (% of a core)', show: (f) => num(f.hostCpuTypingPct, 1) },
  { label: 'host CPU, scrolling (% of a core)', show: (f) => num(f.hostCpuStreamingPct, 1) },
  { label: 'host RSS, scrolling (MB)', show: (f) => num(f.hostRssMb, 1) },
  { label: 'RSS growth over 10 min (MB)', show: (f) => num(f.rssGrowthMb10min, 1) },
  { label: 'text PSNR (dB)', show: (f) => num(f.textPsnrDb, 1) },
];

function num(v: number | null, digits: number): string {
  return v === null ? '-' : v.toFixed(digits);
}

function pair(p: Percentiles): string {
  return p.p50 === null ? '-' : `${p.p50.toFixed(0)} / ${p.p95 === null ? '-' : p.p95.toFixed(0)}`;
}

export function table(results: Results, headers: readonly string[]): string {
  const systems = [results.product, ...(results.product.editor ? [results.product.editor] : []), results.baseline, results.peer];
  const cells = ROWS.map((r) => [r.label, ...systems.map((s) => r.show(s))]);
  const head = ['', ...headers];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
