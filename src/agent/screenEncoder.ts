/**
 * Turns successive raw captures of the screen into screen updates (screenUpdate.ts): only what changed, as
 * VNC's Tight and TurboVNC encoders do, and a scrolled area as one copy plus the rows that scrolled in (VNC's
 * CopyRect, RDP's ScrBlt), all lossless.
 *
 * It keeps a copy of what the helper shows (`shown`) and compares each capture with it: in tiles first, then
 * to the exact changed pixels inside each group of changed tiles. Because updates are deltas against `shown`,
 * none may be lost: when the link is busy the caller simply asks later, and the next update holds everything
 * that changed meanwhile (nothing is queued, the newest picture wins).
 *
 * Pure: no capture, no I/O. Pixels are 4 bytes each, blue first (what nut-js grabs).
 */

import { bounds, clip, type Rect, type ScreenUpdate, type UpdateOp } from '../shared/screenUpdate';
import { sameBytes } from './bytes';
import { encodePng, type Pixels } from './png';

/** Tile edge for the first comparison, in pixels. */
const TILE = 32;
/** A change over at least this share of the screen is checked for a vertical scroll first. */
const SCROLL_MIN_SHARE = 1 / 16;
/** A scroll must explain at least this share of the changed rows, and this many, to be used. */
const SCROLL_MIN_VOTES_SHARE = 0.25;
const SCROLL_MIN_VOTES = 8;
/** Rectangles larger than this many pixels are deflated at zlib's fastest level. */
const LARGE_RECT = 256 * 1024;
/** Above this many rectangles, each band of tiles becomes one rectangle (fewer, larger images). */
const MAX_RECTS = 48;
/** A key update is cut in bands of this many rows, so that no image is huge and the helper decodes in parallel. */
const BAND = 128;

export interface EncoderStats {
  /** Rows the last scroll moved, or 0. */
  readonly scrolled: number;
  readonly rects: number;
  readonly bytes: number;
}

export class ScreenEncoder {
  private shown: Uint8Array | undefined;
  private width = 0;
  private height = 0;
  private keyNeeded = true;
  last: EncoderStats = { scrolled: 0, rects: 0, bytes: 0 };

  /** The next update paints the whole screen (a new helper, or one that lost its picture). */
  reset(): void {
    this.keyNeeded = true;
  }

  /**
   * The update that turns what the helper shows into `current`, or undefined when nothing changed. `dirty`:
   * where the screen may have changed since the last call (undefined: anywhere); pixels outside it are taken
   * to be unchanged.
   */
  update(current: Pixels, dirty?: readonly Rect[]): ScreenUpdate | undefined {
    const { width, height } = current;
    if (current.data.length < width * height * 4) throw new RangeError('capture smaller than its size');
    if (this.keyNeeded || !this.shown || width !== this.width || height !== this.height) return this.key(current);
    const roi = dirty === undefined ? { x: 0, y: 0, width, height } : clip(bounds(dirty), width, height);
    if (!roi) return undefined;
    const shown = this.shown;
    // A whole screen that did not change (polling, or the periodic check): one native comparison, ~1 ms for 1080p.
    if (dirty === undefined && sameBytes(shown, current.data.subarray(0, shown.length))) return undefined;
    // The rows that changed, found natively: a large enough band is looked at for a scroll before any tile is.
    const rows = changedRows(shown, current.data, width, roi);
    if (!rows) return undefined;
    const ops: UpdateOp[] = [];
    let scrolled = 0;
    const band = { x: roi.x, y: rows.top, width: roi.width, height: rows.bottom - rows.top + 1 };
    if (band.width * band.height >= width * height * SCROLL_MIN_SHARE) {
      for (const { rect, dy } of findScrolls(shown, current.data, width, band)) {
        ops.push({ kind: 'copy', rect, dx: 0, dy });
        moveRows(shown, width, rect, dy);
        scrolled = dy;
      }
    }
    const tiles = changedTiles(shown, current.data, width, band);
    let bytes = 0;
    const rects = tiles ? tileRects(tiles) : [];
    for (const r of rects) {
      const exact = exactBounds(shown, current.data, width, r);
      if (!exact) continue;
      const png = encodePng(current, exact.x, exact.y, exact.width, exact.height, exact.width * exact.height > LARGE_RECT ? 1 : 6);
      bytes += png.length;
      ops.push({ kind: 'image', rect: exact, png });
      copyRect(current.data, shown, width, exact);
    }
    this.last = { scrolled, rects: ops.length, bytes };
    return ops.length > 0 ? { full: false, ops } : undefined;
  }

  private key(current: Pixels): ScreenUpdate {
    const { width, height } = current;
    this.width = width;
    this.height = height;
    this.shown = new Uint8Array(current.data.subarray(0, width * height * 4));
    this.keyNeeded = false;
    const ops: UpdateOp[] = [];
    let bytes = 0;
    for (let y = 0; y < height; y += BAND) {
      const rect = { x: 0, y, width, height: Math.min(BAND, height - y) };
      const png = encodePng(current, rect.x, rect.y, rect.width, rect.height, 1);
      bytes += png.length;
      ops.push({ kind: 'image', rect, png });
    }
    this.last = { scrolled: 0, rects: ops.length, bytes };
    return { full: true, ops };
  }
}

// --- Comparing ---

interface TileMap {
  /** Tile columns and rows of the whole screen. */
  readonly cols: number;
  readonly rows: number;
  readonly changed: Uint8Array;
  /** The changed tiles' bounds, in pixels. */
  readonly bounds: Rect;
}

/** Which tiles inside `roi` differ between a and b; undefined when none does. */
function changedTiles(a: Uint8Array, b: Uint8Array, width: number, roi: Rect): TileMap | undefined {
  const height = Math.ceil((a.length / 4) / width);
  const cols = Math.ceil(width / TILE);
  const rows = Math.ceil(height / TILE);
  const changed = new Uint8Array(cols * rows);
  const a32 = words(a);
  const b32 = words(b);
  const c0 = Math.floor(roi.x / TILE);
  const c1 = Math.ceil((roi.x + roi.width) / TILE);
  const rowsDiffer = rowComparer(a, b, width, roi);
  let any = false;
  let minC = cols;
  let maxC = -1;
  let minR = rows;
  let maxR = -1;
  for (let y = roi.y; y < roi.y + roi.height; y++) {
    // One native comparison of the row first: after a scroll's copy, or around a small change, most rows are equal.
    if (!rowsDiffer(y)) continue;
    const tr = (y / TILE) | 0;
    const rowBase = y * width;
    for (let tc = c0; tc < c1; tc++) {
      const t = tr * cols + tc;
      if (changed[t]) continue;
      const x0 = Math.max(tc * TILE, roi.x);
      const x1 = Math.min(tc * TILE + TILE, roi.x + roi.width);
      for (let i = rowBase + x0, end = rowBase + x1; i < end; i++) {
        if (a32[i] !== b32[i]) {
          changed[t] = 1;
          any = true;
          if (tc < minC) minC = tc;
          if (tc > maxC) maxC = tc;
          if (tr < minR) minR = tr;
          if (tr > maxR) maxR = tr;
          break;
        }
      }
    }
  }
  if (!any) return undefined;
  const x = minC * TILE;
  const y = minR * TILE;
  return { cols, rows, changed, bounds: { x, y, width: Math.min(width, (maxC + 1) * TILE) - x, height: Math.min(height, (maxR + 1) * TILE) - y } };
}

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
function changedRows(a: Uint8Array, b: Uint8Array, width: number, roi: Rect): { top: number; bottom: number } | undefined {
  const differ = rowComparer(a, b, width, roi);
  let top = roi.y;
  while (top < roi.y + roi.height && !differ(top)) top++;
  if (top === roi.y + roi.height) return undefined;
  let bottom = roi.y + roi.height - 1;
  while (bottom > top && !differ(bottom)) bottom--;
  return { top, bottom };
}

/** Changed tiles as rectangles: runs along each band of tiles, then runs of equal span down the bands. */
function tileRects(map: TileMap): Rect[] {
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
function exactBounds(a: Uint8Array, b: Uint8Array, width: number, r: Rect): Rect | undefined {
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

// --- Scrolling ---

/** Columns of the changed box are searched for a scroll in strips this wide (editor, minimap and sidebar differ). */
const STRIP = 64;
/** Share of a sparse strip's changed rows that a borrowed distance must explain. */
const SPARSE_AGREEMENT = 0.9;

/**
 * The scrolls that explain a change of `box`: the box as a whole, else each strip of STRIP columns on its own
 * (an editor and its minimap scroll by different amounts, a sidebar not at all). A strip too sparse to vote on
 * its own (short lines, blank margins) takes a distance found elsewhere if nearly all its changed rows agree
 * with it. Neighbouring strips that moved alike become one copy, whose rectangle holds the rows that stay on
 * screen, in `before`'s coordinates.
 */
export function findScrolls(before: Uint8Array, after: Uint8Array, width: number, box: Rect): { rect: Rect; dy: number }[] {
  // The common case first, at a third of the cost: the whole box moved alike.
  const whole = findVerticalScroll(before, after, width, box);
  if (whole !== 0) return [{ dy: whole, rect: whole > 0 ? { ...box, height: box.height - whole } : { ...box, y: box.y - whole, height: box.height + whole } }];
  const strips: { x: number; width: number; old: Uint32Array; now: Uint32Array; dy: number }[] = [];
  for (let x = box.x; x < box.x + box.width; x += STRIP) {
    const strip = { x, y: box.y, width: Math.min(STRIP, box.x + box.width - x), height: box.height };
    const old = rowHashes(before, width, strip);
    const now = rowHashes(after, width, strip);
    strips.push({ x, width: strip.width, old, now, dy: voteScroll(old, now) });
  }
  const candidates = [...new Set(strips.map((s) => s.dy).filter((dy) => dy !== 0))];
  for (const strip of strips) {
    if (strip.dy !== 0) continue;
    for (const dy of candidates) {
      if (agrees(strip.old, strip.now, dy)) {
        strip.dy = dy;
        break;
      }
    }
  }
  const found: { x0: number; x1: number; dy: number }[] = [];
  for (const { x, width: w, dy } of strips) {
    if (dy === 0) continue;
    const last = found[found.length - 1];
    if (last && last.dy === dy && last.x1 === x) last.x1 = x + w;
    else found.push({ x0: x, x1: x + w, dy });
  }
  return found.map(({ x0, x1, dy }) => {
    const cols = { x: x0, width: x1 - x0 };
    return { dy, rect: dy > 0 ? { ...cols, y: box.y, height: box.height - dy } : { ...cols, y: box.y - dy, height: box.height + dy } };
  });
}

/** How far the content of `box` moved down (positive) or up (negative), or 0 when no vertical scroll explains it. */
export function findVerticalScroll(before: Uint8Array, after: Uint8Array, width: number, box: Rect): number {
  return voteScroll(rowHashes(before, width, box), rowHashes(after, width, box));
}

/**
 * Each changed row whose hash is unique among the old rows votes for the distance to its twin; the distance with
 * most votes wins if it has enough, else 0.
 */
function voteScroll(old: Uint32Array, now: Uint32Array): number {
  const seen = new Map<number, number>();
  for (let i = 0; i < old.length; i++) {
    const h = old[i]!;
    seen.set(h, seen.has(h) ? -1 : i);
  }
  const votes = new Map<number, number>();
  let voters = 0;
  for (let i = 0; i < now.length; i++) {
    if (now[i] === old[i]) continue;
    voters++;
    const j = seen.get(now[i]!);
    if (j === undefined || j < 0) continue;
    const dy = i - j;
    if (Math.abs(dy) * 2 >= now.length) continue;
    votes.set(dy, (votes.get(dy) ?? 0) + 1);
  }
  let best = 0;
  let bestVotes = 0;
  for (const [dy, n] of votes) {
    if (n > bestVotes) {
      best = dy;
      bestVotes = n;
    }
  }
  return bestVotes >= SCROLL_MIN_VOTES && bestVotes >= voters * SCROLL_MIN_VOTES_SHARE ? best : 0;
}

/** Whether moving the old rows by dy explains nearly every changed row (a strip too sparse to vote on its own). */
function agrees(old: Uint32Array, now: Uint32Array, dy: number): boolean {
  let changed = 0;
  let explained = 0;
  for (let i = Math.max(0, dy); i < now.length + Math.min(0, dy); i++) {
    if (now[i] === old[i]) continue;
    changed++;
    if (now[i] === old[i - dy]) explained++;
  }
  return changed > 0 && explained >= changed * SPARSE_AGREEMENT;
}

function rowHashes(pixels: Uint8Array, width: number, box: Rect): Uint32Array {
  const p32 = words(pixels);
  const out = new Uint32Array(box.height);
  for (let row = 0; row < box.height; row++) {
    const base = (box.y + row) * width;
    let h = 0x811c9dc5;
    for (let x = box.x; x < box.x + box.width; x += 2) h = Math.imul(h ^ (p32[base + x]! & 0xffffff), 16777619);
    out[row] = h >>> 0;
  }
  return out;
}

/** Moves the rows of `rect` by dy inside `pixels` (what the helper's copy does to its picture). */
function moveRows(pixels: Uint8Array, width: number, rect: Rect, dy: number): void {
  const stride = width * 4;
  const span = rect.width * 4;
  const order = dy > 0 ? [...Array(rect.height).keys()].reverse() : [...Array(rect.height).keys()];
  for (const row of order) {
    const from = (rect.y + row) * stride + rect.x * 4;
    pixels.copyWithin(from + dy * stride, from, from + span);
  }
}

function copyRect(from: Uint8Array, to: Uint8Array, width: number, r: Rect): void {
  const stride = width * 4;
  for (let y = r.y; y < r.y + r.height; y++) {
    const start = y * stride + r.x * 4;
    to.set(from.subarray(start, start + r.width * 4), start);
  }
}

// --- Pixels ---

function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}
