/**
 * Finding moved rectangles in two dimensions (agent process, pure): a window dragged, copied or drawn again at
 * another place, found by anchors hashed from the pixels and checked tile by tile; sent as VNC's CopyRect is.
 */

import type { Rect } from '../shared/screenUpdate';
import { TILE, moveRect, words, type TileMap } from './tiles';


/** At least this many changed tiles are searched for a moved rectangle, and a move must cover as many whole tiles. */
export const MOVE_MIN_TILES = 8;
/** Pixels of a row hashed into the key of an anchor. */
export const KEY_LENGTH = 24;
/**
 * About this many anchors are wanted from the old picture's changed tiles at most (one where every pixel is an
 * edge, as in a photograph): the share of places picked is set from their area, so that the cost of the
 * tables stays bounded; a moved window of text still leaves hundreds.
 */
const ANCHORS_WANTED = 16384;
/** The rolling hash's multiplier (odd). */
export const ROLL = 0x01000193;
/** A key found at more old places than this (text that repeats) suggests nothing. */
const PLACES_PER_KEY = 16;
/** Distances tried, most suggested first, and the least suggestion that is tried. */
const MOVE_CANDIDATES = 4;
const MOVE_MIN_VOTES = 3;
/** Copies of moved rectangles per update. */
const MAX_MOVES = 4;
/** Row spans at least this many pixels wide are compared natively (a call costs about what 16 pixels do in a loop). */
const NATIVE_SPAN = 16;

export function countTiles(map: TileMap): number {
  let n = 0;
  for (const c of map.changed) n += c;
  return n;
}

/**
 * Rectangles of `before` that reappear elsewhere in `after` (a window dragged, whether the toolkit copied it or
 * drew it again), as copies by (dx, dy) that are applied to `before` as they are found (the helper applies them in
 * that order). VNC servers learn this from the window system (CopyRect); here it is found from the pixels.
 *
 * Anchors: in both pictures, within the changed tiles, some of the places where a row's colour changes are picked
 * by the hash of the KEY_LENGTH pixels from there, which is also their key, so that content picks the same places
 * wherever it is (see anchors()). Every anchor of `after` whose key is at few places in `before` votes for the
 * offsets to them. The most voted offsets are then checked tile by tile against the pixels: the largest rectangle
 * of changed tiles that the offset rebuilds exactly becomes a copy, widened pixel by pixel to where the moved
 * content ends. Cost: two passes over the changed tiles and a comparison per changed tile and candidate, whatever
 * the distance. Only changed tiles of `before` are looked at: a moved window's old place changed (what it uncovered,
 * or the window's own content shifted), and the changed box may be far larger than they are (a page scrolled under
 * a small change elsewhere leaves the rows that came in at the bottom and that change: the box was the screen).
 */
export function findMoves(before: Uint8Array, after: Uint8Array, width: number, height: number, tiles: TileMap, anchorsOf: Anchors = anchors): { moves: { rect: Rect; dx: number; dy: number }[]; open: Uint8Array } {
  const box = tiles.bounds;
  const a32 = words(before);
  const b32 = words(after);
  const bits = Math.max(3, Math.ceil(Math.log2((countTiles(tiles) * TILE * TILE) / ANCHORS_WANTED)));
  const places = new Map<number, number[]>();
  anchorsOf(a32, width, box, 1, bits, tiles, (key, at) => {
    const list = places.get(key);
    if (!list) places.set(key, [at]);
    else if (list.length <= PLACES_PER_KEY) list.push(at);
  });
  const votes = new Map<number, number>();
  // Every other row of the new picture is enough: a moved rectangle has hundreds of anchors.
  anchorsOf(b32, width, box, 2, bits, tiles, (key, at) => {
    const list = places.get(key);
    if (!list || list.length > PLACES_PER_KEY) return;
    const x = at % width;
    const y = (at - x) / width;
    for (const from of list) {
      if (from === at) continue;
      const fx = from % width;
      // (dx, dy) as one number: dx + 2 * width * (dy + height), dx within (-width, width).
      const offset = x - fx + 2 * width * (y - (from - fx) / width + height);
      votes.set(offset, (votes.get(offset) ?? 0) + 1 / list.length);
    }
  });
  const offsets = [...votes].filter(([, v]) => v >= MOVE_MIN_VOTES).sort((a, b) => b[1] - a[1]).slice(0, MOVE_CANDIDATES);
  const open = new Uint8Array(tiles.changed);
  let left = countTiles(tiles);
  const moves: { rect: Rect; dx: number; dy: number }[] = [];
  for (const [offset] of offsets) {
    const dy = Math.round(offset / (2 * width)) - height;
    const dx = offset - 2 * width * (dy + height);
    while (moves.length < MAX_MOVES && left >= MOVE_MIN_TILES) {
      const dest = movedRect(a32, b32, width, height, tiles, open, dx, dy);
      if (!dest) break;
      const rect = { x: dest.x - dx, y: dest.y - dy, width: dest.width, height: dest.height };
      moveRect(before, width, rect, dx, dy);
      moves.push({ rect, dx, dy });
      // The tiles it covers whole (up to the screen's edge) are done.
      for (let tr = Math.ceil(dest.y / TILE); Math.min(height, (tr + 1) * TILE) <= dest.y + dest.height && tr * TILE < height; tr++) {
        for (let tc = Math.ceil(dest.x / TILE); Math.min(width, (tc + 1) * TILE) <= dest.x + dest.width && tc * TILE < width; tc++) {
          left -= open[tr * tiles.cols + tc]!;
          open[tr * tiles.cols + tc] = 0;
        }
      }
    }
  }
  return { moves, open };
}

/**
 * The tiles of `map` that still differ after the moves: none of those a copy covered whole (its destination was
 * checked pixel by pixel), the others (`open`) compared again. Undefined when none does.
 */
export function stillChanged(a: Uint8Array, b: Uint8Array, width: number, map: TileMap, open: Uint8Array): TileMap | undefined {
  const a32 = words(a);
  const b32 = words(b);
  const height = Math.ceil(a.length / 4 / width);
  const changed = new Uint8Array(map.changed.length);
  let minC = map.cols;
  let maxC = -1;
  let minR = map.rows;
  let maxR = -1;
  for (let t = 0; t < open.length; t++) {
    if (!open[t]) continue;
    const tc = t % map.cols;
    const tr = (t - tc) / map.cols;
    const x1 = Math.min(width, tc * TILE + TILE);
    const y1 = Math.min(height, tr * TILE + TILE);
    let differs = false;
    for (let y = tr * TILE; y < y1 && !differs; y++) {
      for (let i = y * width + tc * TILE, end = y * width + x1; i < end; i++) {
        if (a32[i] !== b32[i]) {
          differs = true;
          break;
        }
      }
    }
    if (!differs) continue;
    changed[t] = 1;
    minC = Math.min(minC, tc);
    maxC = Math.max(maxC, tc);
    minR = Math.min(minR, tr);
    maxR = Math.max(maxR, tr);
  }
  if (maxC < 0) return undefined;
  const x = minC * TILE;
  const y = minR * TILE;
  return { cols: map.cols, rows: map.rows, changed, bounds: { x, y, width: Math.min(width, (maxC + 1) * TILE) - x, height: Math.min(height, (maxR + 1) * TILE) - y } };
}

/**
 * Calls `found(key, index)` for each anchor in `box` (rows `step` apart; only in changed tiles of `only`): the
 * places where a row's colour changes and the hash of the KEY_LENGTH pixels from there (the key) has its top
 * `bits` clear, so that the same content picks the same places wherever it is. The hash rolls along each run of
 * changed tiles of a row (two multiplications a pixel), which is what keeps a pass over a 1080p box to a few
 * milliseconds; unchanged tiles cost nothing. The agent has the same pass in native code, bit for bit (native/kernels.c,
 * nativeKernels.ts).
 */
export function anchors(p32: Uint32Array, width: number, box: Rect, step: number, bits: number, only: TileMap | undefined, found: (key: number, at: number) => void): void {
  if (box.width <= KEY_LENGTH) return;
  // ROLL^KEY_LENGTH, to take the pixel that leaves the window out of the hash.
  let out = 1;
  for (let k = 0; k < KEY_LENGTH; k++) out = Math.imul(out, ROLL);
  const shift = 32 - bits;
  const left = box.x;
  const right = box.x + box.width;
  const changed = (x: number, tileRow: number) => !only || only.changed[tileRow + ((x / TILE) | 0)] === 1;
  const nextTile = (x: number) => (((x / TILE) | 0) + 1) * TILE;
  for (let y = box.y; y < box.y + box.height; y += step) {
    const base = y * width;
    const tileRow = ((y / TILE) | 0) * (only?.cols ?? 0);
    for (let from = left; from < right; ) {
      while (from < right && !changed(from, tileRow)) from = nextTile(from);
      let to = from;
      while (to < right && changed(to, tileRow)) to = only ? nextTile(to) : right;
      to = Math.min(to, right);
      // Anchors start in [from, to); their keys may reach past `to`, never past the box.
      const last = Math.min(to - 1, right - KEY_LENGTH);
      if (from <= last) {
        // h: the hash of the KEY_LENGTH pixels from `start`.
        let h = 0;
        for (let i = base + from; i < base + from + KEY_LENGTH; i++) h = (Math.imul(h, ROLL) + (p32[i]! & 0xffffff)) | 0;
        for (let start = base + from; ; start++) {
          if (h >>> shift === 0 && start > base + left && ((p32[start]! ^ p32[start - 1]!) & 0xffffff) !== 0) found(h >>> 0, start);
          if (start >= base + last) break;
          h = (Math.imul(h, ROLL) + (p32[start + KEY_LENGTH]! & 0xffffff) - Math.imul(p32[start]! & 0xffffff, out)) | 0;
        }
      }
      from = to;
    }
  }
}

/** How `findMoves` finds anchors: `anchors`, or its native twin (nativeKernels.ts). */
export type Anchors = typeof anchors;

/**
 * The largest rectangle of `open` tiles that moving `a` by (dx, dy) makes equal to `b`, widened pixel by pixel
 * within the changed box as far as the move holds; in `b`'s coordinates. Undefined when it covers fewer than
 * MOVE_MIN_TILES tiles.
 */
function movedRect(a32: Uint32Array, b32: Uint32Array, width: number, height: number, tiles: TileMap, open: Uint8Array, dx: number, dy: number): Rect | undefined {
  const { cols, bounds } = tiles;
  const c0 = Math.floor(bounds.x / TILE);
  const c1 = Math.ceil((bounds.x + bounds.width) / TILE);
  const r0 = Math.floor(bounds.y / TILE);
  const r1 = Math.ceil((bounds.y + bounds.height) / TILE);
  // Rows of a tile or wider compared natively (memcmp), narrow columns pixel by pixel.
  const A = Buffer.from(a32.buffer, a32.byteOffset, a32.byteLength);
  const B = Buffer.from(b32.buffer, b32.byteOffset, b32.byteLength);
  const same = (x0: number, y0: number, x1: number, y1: number): boolean => {
    if (x0 - dx < 0 || y0 - dy < 0 || x1 - dx > width || y1 - dy > height) return false;
    const shift = dy * width + dx;
    if (x1 - x0 >= NATIVE_SPAN) {
      const span = (x1 - x0) * 4;
      for (let i = (y0 * width + x0) * 4, end = y1 * width * 4; i < end; i += width * 4) {
        if (B.compare(A, i - shift * 4, i - shift * 4 + span, i, i + span) !== 0) return false;
      }
      return true;
    }
    for (let y = y0; y < y1; y++) {
      for (let i = y * width + x0, end = y * width + x1; i < end; i++) if (b32[i] !== a32[i - shift]) return false;
    }
    return true;
  };
  // Largest rectangle of explained tiles: heights of columns of them, row by row, and a stack.
  const heights = new Int32Array(c1 - c0);
  let best = { area: 0, c: 0, r: 0, w: 0, h: 0 };
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const ok = open[r * cols + c] === 1 && same(c * TILE, r * TILE, Math.min(width, c * TILE + TILE), Math.min(height, r * TILE + TILE));
      heights[c - c0] = ok ? heights[c - c0]! + 1 : 0;
    }
    const stack: number[] = [];
    for (let k = 0; k <= c1 - c0; k++) {
      const h = k < c1 - c0 ? heights[k]! : 0;
      while (stack.length > 0 && heights[stack[stack.length - 1]!]! >= h) {
        const top = stack.pop()!;
        const left = stack.length > 0 ? stack[stack.length - 1]! + 1 : 0;
        const area = heights[top]! * (k - left);
        if (area > best.area) best = { area, c: c0 + left, r: r - heights[top]! + 1, w: k - left, h: heights[top]! };
      }
      stack.push(k);
    }
  }
  if (best.area < MOVE_MIN_TILES) return undefined;
  let x0 = best.c * TILE;
  let y0 = best.r * TILE;
  let x1 = Math.min(width, (best.c + best.w) * TILE);
  let y1 = Math.min(height, (best.r + best.h) * TILE);
  const bx1 = bounds.x + bounds.width;
  const by1 = bounds.y + bounds.height;
  // Each side as far as the move holds: blocks of 1, 2, 4... columns or rows, then halves of the block that failed.
  // A pixel at a time, each step was a pass over a whole column (a cache line a row), and sides often grow by tens of
  // pixels (a window's edge between tiles, flat background around it): that was most of this search's time while a
  // window was dragged. One pass is enough: a side that cannot grow cannot once the others have (they only add pixels
  // to check).
  const grow = (room: number, fits: (from: number, to: number) => boolean): number => {
    let good = 0;
    let step = 1;
    while (step <= room - good && fits(good, good + step)) {
      good += step;
      step *= 2;
    }
    for (step >>= 1; step >= 1; step >>= 1) if (step <= room - good && fits(good, good + step)) good += step;
    return good;
  };
  x0 -= grow(x0 - bounds.x, (from, to) => same(x0 - to, y0, x0 - from, y1));
  x1 += grow(bx1 - x1, (from, to) => same(x1 + from, y0, x1 + to, y1));
  y0 -= grow(y0 - bounds.y, (from, to) => same(x0, y0 - to, x1, y0 - from));
  y1 += grow(by1 - y1, (from, to) => same(x0, y1 + from, x1, y1 + to));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
