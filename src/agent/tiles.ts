/**
 * The encoder's pixel work (agent process, pure): tiles that changed, rows that changed, the exact bounds of a
 * change, rectangles copied and moved. Pixels are 4 bytes each, blue first.
 */

import type { Rect } from '../shared/screenUpdate';

/** Tile edge for the first comparison, in pixels. */
export const TILE = 32;
/** Above this many rectangles, each band of tiles becomes one rectangle (fewer, larger images). */
const MAX_RECTS = 48;

export interface TileMap {
  /** Tile columns and rows of the whole screen. */
  readonly cols: number;
  readonly rows: number;
  readonly changed: Uint8Array;
  /** The changed tiles' bounds, in pixels. */
  readonly bounds: Rect;
}

/**
 * Which tiles inside `roi` differ between a and b; undefined when none does. `mark` does the pixel work (natively in
 * the agent where it is built, nativeKernels.ts).
 */
export function changedTiles(a: Uint8Array, b: Uint8Array, width: number, roi: Rect, mark: MarkChangedTiles = markChangedTilesInJs): TileMap | undefined {
  const height = Math.ceil((a.length / 4) / width);
  const cols = Math.ceil(width / TILE);
  const rows = Math.ceil(height / TILE);
  if (roi.width <= 0 || roi.height <= 0) return undefined;
  const changed = new Uint8Array(cols * rows);
  mark(a, b, width, roi.x, roi.y, roi.width, roi.height, changed, cols);
  return tileMap(changed, cols, rows, width, height);
}

/**
 * Sets changed[tr * cols + tc] to 1 for each tile of the region (x, y, w, h) where a and b (pictures `width` pixels
 * wide) differ, and nothing else. The agent has it in native code too (native/kernels.c), bit for bit.
 */
export type MarkChangedTiles = (a: Uint8Array, b: Uint8Array, width: number, x: number, y: number, w: number, h: number, changed: Uint8Array, cols: number) => void;

/** `MarkChangedTiles` in JavaScript: everywhere the native one is not built. */
export const markChangedTilesInJs: MarkChangedTiles = (a, b, width, x, y, w, h, changed, cols) => {
  const a32 = words(a);
  const b32 = words(b);
  const c0 = Math.floor(x / TILE);
  const c1 = Math.ceil((x + w) / TILE);
  const rowsDiffer = rowComparer(a, b, width, { x, width: w });
  for (let row = y; row < y + h; row++) {
    // One native comparison of the row first: after a scroll's copy, or around a small change, most rows are equal.
    if (!rowsDiffer(row)) continue;
    const tiles = ((row / TILE) | 0) * cols;
    const rowBase = row * width;
    for (let tc = c0; tc < c1; tc++) {
      if (changed[tiles + tc]) continue;
      const x0 = Math.max(tc * TILE, x);
      const x1 = Math.min(tc * TILE + TILE, x + w);
      for (let i = rowBase + x0, end = rowBase + x1; i < end; i++) {
        if (a32[i] !== b32[i]) {
          changed[tiles + tc] = 1;
          break;
        }
      }
    }
  }
};

/** Whether row y of a and b differ within the columns of `span` (memcmp, no copies). */
function rowComparer(a: Uint8Array, b: Uint8Array, width: number, span: { readonly x: number; readonly width: number }): (y: number) => boolean {
  const A = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const B = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return (y) => {
    const start = (y * width + span.x) * 4;
    const end = start + span.width * 4;
    return A.compare(B, start, end, start, end) !== 0;
  };
}

/** The first and last rows of `roi` that differ between a and b, or undefined when none does. */
export function changedRows(a: Uint8Array, b: Uint8Array, width: number, roi: Rect): { top: number; bottom: number } | undefined {
  const differ = rowComparer(a, b, width, roi);
  let top = roi.y;
  while (top < roi.y + roi.height && !differ(top)) top++;
  if (top === roi.y + roi.height) return undefined;
  let bottom = roi.y + roi.height - 1;
  while (bottom > top && !differ(bottom)) bottom--;
  return { top, bottom };
}

/** A tile map of `changed` (cols x rows tiles of a width x height screen), its bounds found; undefined when none is set. */
export function tileMap(changed: Uint8Array, cols: number, rows: number, width: number, height: number): TileMap | undefined {
  let minC = cols;
  let maxC = -1;
  let minR = rows;
  let maxR = -1;
  for (let t = 0; t < changed.length; t++) {
    if (!changed[t]) continue;
    const c = t % cols;
    const r = (t - c) / cols;
    if (c < minC) minC = c;
    if (c > maxC) maxC = c;
    if (r < minR) minR = r;
    if (r > maxR) maxR = r;
  }
  if (maxC < 0) return undefined;
  const x = minC * TILE;
  const y = minR * TILE;
  return { cols, rows, changed, bounds: { x, y, width: Math.min(width, (maxC + 1) * TILE) - x, height: Math.min(height, (maxR + 1) * TILE) - y } };
}

/** A tile map of every tile that `rects` touch on a width x height screen (clipped to it); undefined when none. */
export function tilesTouched(rects: readonly Rect[], width: number, height: number): TileMap | undefined {
  const cols = Math.ceil(width / TILE);
  const rows = Math.ceil(height / TILE);
  const touched = new Uint8Array(cols * rows);
  for (const r of rects) {
    const c0 = Math.max(0, Math.floor(r.x / TILE));
    const c1 = Math.min(cols, Math.ceil((r.x + r.width) / TILE));
    for (let row = Math.max(0, Math.floor(r.y / TILE)); row < Math.min(rows, Math.ceil((r.y + r.height) / TILE)); row++) {
      if (c1 > c0) touched.fill(1, row * cols + c0, row * cols + c1);
    }
  }
  return tileMap(touched, cols, rows, width, height);
}

/** Changed tiles as rectangles: runs along each band of tiles, then runs of equal span down the bands. */
export function tileRects(map: TileMap): Rect[] {
  const { cols, rows, changed, bounds } = map;
  const right = bounds.x + bounds.width;
  const bottom = bounds.y + bounds.height;
  let runs: { c0: number; c1: number; r: number }[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!changed[r * cols + c]) continue;
      const c0 = c;
      while (c + 1 < cols && changed[r * cols + c + 1]) c++;
      runs.push({ c0, c1: c + 1, r });
    }
  }
  if (runs.length > MAX_RECTS) {
    // Scattered changes: one run per band, from its first changed tile to its last.
    const byRow = new Map<number, { c0: number; c1: number; r: number }>();
    for (const run of runs) {
      const had = byRow.get(run.r);
      byRow.set(run.r, had ? { c0: Math.min(had.c0, run.c0), c1: Math.max(had.c1, run.c1), r: run.r } : run);
    }
    runs = [...byRow.values()];
  }
  const rects: { c0: number; c1: number; r0: number; r1: number }[] = [];
  const open = new Map<string, { c0: number; c1: number; r0: number; r1: number }>();
  for (const run of runs) {
    const key = `${run.c0}:${run.c1}`;
    const above = open.get(key);
    if (above && above.r1 === run.r) above.r1 = run.r + 1;
    else {
      const rect = { c0: run.c0, c1: run.c1, r0: run.r, r1: run.r + 1 };
      rects.push(rect);
      open.set(key, rect);
    }
  }
  return rects.map(({ c0, c1, r0, r1 }) => {
    const x = c0 * TILE;
    const y = r0 * TILE;
    return { x, y, width: Math.min(right, c1 * TILE) - x, height: Math.min(bottom, r1 * TILE) - y };
  });
}

/** The smallest rectangle inside `r` that holds every pixel that differs between a and b. */
export function exactBounds(a: Uint8Array, b: Uint8Array, width: number, r: Rect): Rect | undefined {
  const a32 = words(a);
  const b32 = words(b);
  let top = -1;
  let bottom = -1;
  let left = r.x + r.width;
  let right = r.x - 1;
  for (let y = r.y; y < r.y + r.height; y++) {
    const base = y * width;
    let first = -1;
    for (let x = r.x; x < r.x + r.width; x++) {
      if (a32[base + x] !== b32[base + x]) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    if (top < 0) top = y;
    bottom = y;
    if (first < left) left = first;
    for (let x = r.x + r.width - 1; x > right; x--) {
      if (a32[base + x] !== b32[base + x]) {
        right = x;
        break;
      }
    }
  }
  if (top < 0) return undefined;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** A rectangle moved vertically by `dy` rows: what the scroll search finds. */
export interface Scroll {
  readonly rect: Rect;
  readonly dy: number;
}

/**
 * Moves each of `moves` in `a` (moveRect, in their order), then which tiles of `roi` differ between `a` and `b`
 * (changedTiles): the encoder's step after a scroll search. The agent does both in one pass natively where it can
 * (nativeKernels.ts).
 */
export type ScrollTiles = (a: Uint8Array, b: Uint8Array, width: number, roi: Rect, moves: readonly Scroll[]) => TileMap | undefined;

/** `ScrollTiles` in JavaScript (the tiles compared by `mark`). */
export function scrollTiles(a: Uint8Array, b: Uint8Array, width: number, roi: Rect, moves: readonly Scroll[], mark: MarkChangedTiles = markChangedTilesInJs): TileMap | undefined {
  for (const { rect, dy } of moves) moveRect(a, width, rect, 0, dy);
  return changedTiles(a, b, width, roi, mark);
}

/**
 * Moves `rect` of `pixels` by (dx, dy), as if it were read whole before any of it is written (what the helper's
 * copy does to its picture: a canvas drawn onto itself).
 */
export function moveRect(pixels: Uint8Array, width: number, rect: Rect, dx: number, dy: number): void {
  const stride = width * 4;
  const span = rect.width * 4;
  // Rows in the order that never reads a row already written; within a row, copyWithin is a memmove.
  for (let k = 0; k < rect.height; k++) {
    const row = dy > 0 ? rect.height - 1 - k : k;
    const from = (rect.y + row) * stride + rect.x * 4;
    pixels.copyWithin(from + dy * stride + dx * 4, from, from + span);
  }
}

export function copyRect(from: Uint8Array, to: Uint8Array, width: number, r: Rect): void {
  const stride = width * 4;
  for (let y = r.y; y < r.y + r.height; y++) {
    const start = y * stride + r.x * 4;
    to.set(from.subarray(start, start + r.width * 4), start);
  }
}

// --- Pixels ---

export function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}
