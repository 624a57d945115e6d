/**
 * Turns successive raw captures of the screen into screen updates (screenUpdate.ts): only what changed, as
 * VNC's Tight and TurboVNC encoders do, and a scrolled area or a moved window as one copy plus what the move
 * uncovered or changed (VNC's CopyRect, RDP's ScrBlt), all lossless. Motion is found from the pixels alone,
 * whatever the window system told or the toolkit did (copied the pixels, or drew them again).
 *
 * It keeps a copy of what the helper shows (`shown`) and compares each capture with it: in tiles first, then
 * to the exact changed pixels inside each group of changed tiles. Because updates are deltas against `shown`,
 * none may be lost: when the link is busy the caller simply asks later, and the next update holds everything
 * that changed meanwhile (nothing is queued, the newest picture wins).
 *
 * On a slow link an update's lossless part has a byte budget (`losslessBudget`): it paints the changed parts up to
 * it, what changed since the last capture before what waited, the small ones first (freshFirst, paintOrder.ts), and
 * leaves the others pending: `shown` keeps the helper's old pixels there, so that copies stay right, and the next
 * updates paint them even if nothing changes meanwhile. A keystroke then waits behind one budget's worth, not behind
 * a whole large update.
 *
 * Pure: no capture, no I/O. Pixels are 4 bytes each, blue first (what nut-js grabs).
 */

import { bounds, clip, type Rect, type ScreenUpdate, type UpdateOp } from '../shared/screenUpdate';
import { sameBytes } from './bytes';
import type { DamageReport } from './damage';
import { MOVE_MIN_TILES, countTiles, findMoves, stillChanged } from './moveSearch';
import { paintOrder } from './paintOrder';
import { encodePng, type Pixels } from './png';
import type { PixelKernels } from './nativeKernels';
import { PrintCarry, findScrolls } from './scrollSearch';
import { TILE, changedRows, changedTiles, copyRect, exactBounds, moveRect, scrollTiles, tileMap, tileRects, tilesTouched, type Scroll, type TileMap } from './tiles';
import { SETTLE_MS, VideoQuality, VideoRegions } from './video';
import type { LossyEncoder } from './webp';

/** A change over at least this share of the screen is checked for a vertical scroll first. */
const SCROLL_MIN_SHARE = 1 / 16;
/** Changes waiting over the budget are compared with the last capture (`seen`) once they cover this share of the screen. */
const SEEN_MIN_SHARE = 1 / 16;
/** Rectangles larger than this many pixels are deflated at zlib's fastest level. */
const LARGE_RECT = 256 * 1024;
/** A key update is cut in bands of this many rows, so that no image is huge and the helper decodes in parallel. */
const BAND = 128;

export interface EncoderStats {
  /** Rows the last scroll moved, or 0. */
  readonly scrolled: number;
  /** Rectangles the last update moved in two dimensions (windows dragged). */
  readonly moved: number;
  readonly rects: number;
  readonly bytes: number;
  /** Of those, the bytes of lossy pictures (content that changes every frame). */
  readonly lossyBytes: number;
  /** Of those, the bytes that painted settled pixels exactly again (after lossy pictures). */
  readonly settledBytes: number;
  /** Changed rectangles left for the next updates (over the budget). */
  readonly pending: number;
}

export interface EncoderOptions {
  /** Encodes content that changes every frame lossily (webp.ts, video.ts); without it every pixel goes lossless. */
  readonly lossy?: LossyEncoder;
  /** Tests: the row prints carried between scroll searches are checked against the pictures (an error if stale). */
  readonly checkPrints?: boolean;
  /** Passes over the pixels in native code (nativeKernels.ts); the JavaScript's without them. */
  readonly kernels?: PixelKernels;
}

export class ScreenEncoder {
  private shown: Uint8Array | undefined;
  private width = 0;
  private height = 0;
  private keyNeeded = true;
  /** Parts to paint again exactly from `shown` before the next changes (see `repaint`). */
  private repaints: Rect[] = [];
  /** Where content changes every frame, and which pixels the helper has only approximately (with `lossy` only). */
  private video: VideoRegions | undefined;
  private readonly quality = new VideoQuality();
  /** Bytes the lossless part of an update may take (the last rectangle may cross it). */
  private budget = Infinity;
  /** Where `shown` still differs from the last capture: changes that were over the budget. */
  private pending: Rect[] = [];
  /**
   * The last capture, kept while changes are pending (else it is `shown`, but for lossy pictures): scrolls are looked
   * for between it and the next, what the screen did, not between what the helper shows and the screen. Compared with
   * `shown`, the pending parts' old pixels match nothing and cut the copy short (in a simulated scroll of 96 rows a
   * capture at a 4 KiB budget, 0.64 of the scrolled area was copied, the rest sent again as pixels or left pending).
   * The copy still moves what the helper shows, stale parts and all; what lands wrong is found changed and painted.
   */
  private seen: Uint8Array | undefined;
  /**
   * Whether `seen` holds the last capture (its buffer is kept: pending parts come and go with every keystroke). Only
   * while at least SEEN_MIN_SHARE of the screen waits: a few tiles left by a probe's small budget (linkEstimate.ts)
   * on a fast link cut a scroll by their rows at most, and are not worth a copy of the whole screen (8 MB at 1080p).
   */
  private seenValid = false;
  /**
   * The last scroll search's prints of its capture, for the next search's old picture (`seen ?? shown`), which equals
   * that capture over the band searched once the update is made (what waits over the budget is in `seen`, not in
   * `shown`). Forgotten when the next update is not a search's, or `shown` changes before it (a repaint, a key).
   */
  private readonly carry: PrintCarry;
  last: EncoderStats = { scrolled: 0, moved: 0, rects: 0, bytes: 0, lossyBytes: 0, settledBytes: 0, pending: 0 };

  constructor(private readonly options: EncoderOptions = {}) {
    this.carry = new PrintCarry(options.checkPrints);
  }

  /** The next update paints the whole screen (a new helper, or one that lost its picture). */
  reset(): void {
    this.keyNeeded = true;
  }

  /**
   * The helper may not have these parts as they were sent (updates lost in a network cut, whose copies it may or may
   * not have applied): the next update first paints them exactly, then what else changed.
   */
  repaint(rects: readonly Rect[]): void {
    this.repaints.push(...rects);
  }

  /**
   * The update that turns what the helper shows into `current`, or undefined when nothing changed. `dirty`:
   * where the screen may have changed since the last call (undefined: anywhere); pixels outside it are taken
   * to be unchanged, except what earlier updates left pending. At `now` (ms), pixels painted lossily that have
   * settled are painted again exactly. `reports`: what the X server reported changing since the last call, with
   * the times (in area pixels), to judge how often content changes between captures.
   */
  update(current: Pixels, dirty?: readonly Rect[], now = Date.now(), reports?: readonly DamageReport[]): ScreenUpdate | undefined {
    const { width, height } = current;
    if (current.data.length < width * height * 4) throw new RangeError('capture smaller than its size');
    if (this.keyNeeded || !this.shown || width !== this.width || height !== this.height) return this.key(current);
    const ops: UpdateOp[] = [];
    const repainted = this.repainted(current, ops);
    const stale = this.pending;
    const looked = dirty && [...dirty, ...stale];
    const { scrolled, moved, bytes, lossyBytes } = this.changes(current, looked, now, ops, { reports, stale });
    this.remember(current, looked, ops);
    const refreshed = this.settle(now, ops, this.budget - (bytes - lossyBytes));
    this.last = { scrolled, moved, rects: ops.length, bytes: bytes + refreshed + repainted, lossyBytes, settledBytes: refreshed, pending: this.pending.length };
    return ops.length > 0 ? { full: false, ops } : undefined;
  }

  /** The lossy pictures' bit budget from now on (what the link leaves room for). */
  lossyBudget(bps: number): void {
    this.quality.budgetBps = bps;
  }

  /** The bytes each update's lossless part may take from now on (what the link carries in a moment); Infinity: all. */
  losslessBudget(bytes: number): void {
    this.budget = bytes;
  }

  /** Whether changes wait to be painted (over the budget): the next update paints them, whether or not anything else changes. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Milliseconds from `now` until pixels painted lossily may settle (ask again then); undefined when there are none. */
  settleDueIn(now = Date.now()): number | undefined {
    return this.video?.settleDueIn(now);
  }

  /**
   * Adds to `ops` what changed inside `dirty`, up to the budget, and makes `shown` what the helper will then show;
   * what is over the budget becomes `pending`. `heard`: for the video regions, the X server's reports, and the
   * changes left pending by the update before (whose pixels differ without having changed again).
   */
  private changes(current: Pixels, dirty: readonly Rect[] | undefined, now: number, ops: UpdateOp[], heard: { reports: readonly DamageReport[] | undefined; stale: readonly Rect[] }): { scrolled: number; moved: number; bytes: number; lossyBytes: number } {
    // With no scroll search, the prints carried are not those of the next old picture (see `carry`).
    const unsearched = () => {
      this.carry.forget();
      return { scrolled: 0, moved: 0, bytes: 0, lossyBytes: 0 };
    };
    this.pending = [];
    const { width, height } = current;
    const roi = dirty === undefined ? { x: 0, y: 0, width, height } : clip(bounds(dirty), width, height);
    if (!roi) return unsearched();
    const shown = this.shown!;
    const seen = this.seenValid ? this.seen : undefined;
    // A whole screen that did not change (polling, or the periodic check): one native comparison, ~1 ms for 1080p.
    if (dirty === undefined && sameBytes(shown, current.data.subarray(0, shown.length))) return unsearched();
    // The rows that changed, found natively: a large enough band is looked at for a scroll before any tile is.
    const rows = changedRows(shown, current.data, width, roi);
    if (!rows) return unsearched();
    const video = this.video;
    // Video regions as the captures before this one found them: no scroll or moved window is looked for there.
    const regions = video?.regionsAt(now) ?? [];
    const motion: Rect[] = [];
    let scrolled = 0;
    let scrolledArea = 0;
    let searched = false;
    const scrolls: Scroll[] = [];
    const band = { x: roi.x, y: rows.top, width: roi.width, height: rows.bottom - rows.top + 1 };
    if (band.width * band.height >= width * height * SCROLL_MIN_SHARE && !regions.some((r) => contains(r, band))) {
      searched = true;
      for (const { rect, dy } of findScrolls(seen ?? shown, current.data, width, band, this.carry, this.options.kernels?.hashRows)) {
        ops.push({ kind: 'copy', rect, dx: 0, dy });
        video?.copied(rect, 0, dy, now);
        motion.push(bounds([rect, { ...rect, y: rect.y + dy }]));
        if (seen) moveRect(seen, width, rect, 0, dy);
        scrolls.push({ rect, dy });
        scrolled = dy;
        scrolledArea += rect.width * rect.height;
      }
    }
    if (!searched) this.carry.forget();
    // `shown` moved as the helper's picture will be, and compared with the capture. Changed tiles inside video regions
    // are played (lossy); the others go on as before.
    const tilesOf = this.options.kernels?.changedTiles ?? changedTiles;
    const scrollTilesOf = this.options.kernels?.scrollTiles ?? scrollTiles;
    const { inside: playing, outside } = splitTiles(scrollTilesOf(shown, current.data, width, band, scrolls), regions, width, height);
    let tiles = outside;
    // What is left may be a rectangle moved in two dimensions (a window dragged): found from the tiles. Not after a
    // scroll over most of the band: what is left then is what scrolled in, new content, and the search for it was
    // ~10 % of the agent's time while a page scrolled (a window dragged over a page that scrolls at the same moment
    // goes as pixels). A dragged window's strips can look scrolled by its vertical step (a title bar, blank lines):
    // those copies are small, and the search still runs.
    let moved = 0;
    if (tiles && scrolledArea < (band.width * band.height) / 2 && countTiles(tiles) >= MOVE_MIN_TILES) {
      const { moves, open } = findMoves(shown, current.data, width, height, tiles, this.options.kernels?.anchors);
      for (const m of moves) {
        // findMoves moved `shown`; the last capture moves alike, in the same order.
        if (seen) moveRect(seen, width, m.rect, m.dx, m.dy);
        ops.push({ kind: 'copy', rect: m.rect, dx: m.dx, dy: m.dy });
        video?.copied(m.rect, m.dx, m.dy, now);
        motion.push(bounds([m.rect, { ...m.rect, x: m.rect.x + m.dx, y: m.rect.y + m.dy }]));
      }
      moved = moves.length;
      if (moved > 0) tiles = stillChanged(shown, current.data, width, tiles, open);
    }
    if (video) {
      // What changed in place, played or not, is what makes tiles hot.
      const inPlace = tiles ? new Uint8Array(tiles.changed) : playing ? new Uint8Array(playing.changed.length) : undefined;
      playing?.changed.forEach((c, t) => {
        if (c) inPlace![t] = 1;
      });
      video.observe(inPlace, motion, now, regions, heard);
      if (tiles) video.touched(tiles, now);
    }
    let bytes = 0;
    let lossyBytes = 0;
    if (playing && video && this.options.lossy) {
      for (const region of regions) {
        const exact = exactBounds(shown, current.data, width, region);
        if (!exact) continue;
        const webp = this.options.lossy(current, exact, this.quality.quality);
        this.quality.record(webp.length, now);
        lossyBytes += webp.length;
        ops.push({ kind: 'lossy', rect: exact, webp });
        copyRect(current.data, shown, width, exact);
        video.paintedLossy(exact, now);
      }
    }
    for (const r of freshFirst(tiles, seen, current.data, width, height, this.budget, tilesOf)) {
      if (bytes >= this.budget) {
        this.pending.push(r);
        continue;
      }
      const exact = exactBounds(shown, current.data, width, r);
      if (!exact) continue;
      const png = encodePng(current, exact.x, exact.y, exact.width, exact.height, exact.width * exact.height > LARGE_RECT ? 1 : 6);
      bytes += png.length;
      ops.push({ kind: 'image', rect: exact, png });
      copyRect(current.data, shown, width, exact);
      video?.paintedExact(exact);
    }
    return { scrolled, moved, bytes: bytes + lossyBytes, lossyBytes };
  }

  /**
   * Keeps `current` as `seen` while changes are pending. It can differ from `seen` only where the screen changed
   * (`looked`; undefined: anywhere) and where this update's copies (`ops`) moved `seen` as they moved the helper's
   * picture. (The whole screen was copied after any copy before: 8 MB a frame at 1080p while a window is dragged over
   * a slow link.)
   */
  private remember(current: Pixels, looked: readonly Rect[] | undefined, ops: readonly UpdateOp[]): void {
    const { width, height } = current;
    const waiting = this.pending.reduce((n, r) => n + r.width * r.height, 0);
    if (waiting < width * height * SEEN_MIN_SHARE && (!this.seenValid || this.pending.length === 0)) {
      this.seenValid = false;
      // The next search's old picture is `shown`, which differs from this capture where changes wait.
      if (this.pending.length > 0) this.carry.forget();
    } else if (!this.seen || !this.seenValid) {
      this.seen ??= new Uint8Array(width * height * 4);
      this.seen.set(current.data.subarray(0, width * height * 4));
      this.seenValid = true;
    } else {
      const copied = ops.flatMap((o) => (o.kind === 'copy' ? [{ ...o.rect, x: o.rect.x + o.dx, y: o.rect.y + o.dy }] : []));
      const roi = looked === undefined ? { x: 0, y: 0, width, height } : clip(bounds([...looked, ...copied]), width, height);
      if (roi) copyRect(current.data, this.seen, width, roi);
    }
  }

  /**
   * Adds to `ops` the exact pixels of `current` over the parts to repaint, in whole tiles, and makes `shown` so there
   * (what changed there is then sent once, not painted as it was and again as it is); returns their bytes.
   */
  private repainted(current: Pixels, ops: UpdateOp[]): number {
    const rects = this.repaints.splice(0);
    if (rects.length === 0) return 0;
    this.carry.forget();
    const map = tilesTouched(rects, this.width, this.height);
    let bytes = 0;
    for (const r of map ? tileRects(map) : []) {
      const png = encodePng(current, r.x, r.y, r.width, r.height, r.width * r.height > LARGE_RECT ? 1 : 6);
      bytes += png.length;
      ops.push({ kind: 'image', rect: r, png });
      copyRect(current.data, this.shown!, this.width, r);
      this.video?.paintedExact(r);
    }
    return bytes;
  }

  /**
   * Adds to `ops` the exact pixels of what was painted lossily and has settled, up to `budget` bytes (what is
   * over it settles at the next update); returns their bytes.
   */
  private settle(now: number, ops: UpdateOp[], budget: number): number {
    const settled = this.video?.settled(now);
    if (!settled) return 0;
    const shown: Pixels = { data: this.shown!, width: this.width, height: this.height };
    let bytes = 0;
    for (const r of paintOrder(tileRects(settled), budget)) {
      if (bytes >= budget) {
        this.video!.paintedLossy(r, now - SETTLE_MS);
        continue;
      }
      const png = encodePng(shown, r.x, r.y, r.width, r.height, r.width * r.height > LARGE_RECT ? 1 : 6);
      bytes += png.length;
      ops.push({ kind: 'image', rect: r, png });
    }
    return bytes;
  }

  private key(current: Pixels): ScreenUpdate {
    const { width, height } = current;
    this.width = width;
    this.height = height;
    this.shown = new Uint8Array(current.data.subarray(0, width * height * 4));
    this.keyNeeded = false;
    this.carry.forget();
    this.repaints = [];
    this.pending = [];
    // Of another size, perhaps.
    this.seen = undefined;
    this.seenValid = false;
    // Every pixel is exact again; what played keeps playing, and is found again within a second.
    this.video = this.options.lossy ? new VideoRegions(width, height) : undefined;
    const ops: UpdateOp[] = [];
    let bytes = 0;
    for (let y = 0; y < height; y += BAND) {
      const rect = { x: 0, y, width, height: Math.min(BAND, height - y) };
      const png = encodePng(current, rect.x, rect.y, rect.width, rect.height, 1);
      bytes += png.length;
      ops.push({ kind: 'image', rect, png });
    }
    this.last = { scrolled: 0, moved: 0, rects: ops.length, bytes, lossyBytes: 0, settledBytes: 0, pending: 0 };
    return { full: true, ops };
  }
}

/**
 * The changed tiles' rectangles in the order to paint them within `budget` (paintOrder.ts): with the last capture
 * (`seen`, moved as the helper's picture was), first what changed on the screen since then, then what only the
 * helper still lacks (pending, over the budget before). In one order, the backlog's pieces, cut as small as the fresh
 * ones, went before them where they lay higher: simulated (1920x1080, a barcode drawn over a page scrolling 32 rows a
 * capture, a 4 KiB budget), the barcode was shown after 5 of 40 updates; with this (and paintOrder's pieces keeping
 * their rectangle's place), after 23.
 */
function freshFirst(tiles: TileMap | undefined, seen: Uint8Array | undefined, current: Uint8Array, width: number, height: number, budget: number, tilesOf: typeof changedTiles): Rect[] {
  if (!tiles) return [];
  const changed = seen && tilesOf(seen, current, width, tiles.bounds);
  if (!changed) return paintOrder(tileRects(tiles), budget);
  const fresh = new Uint8Array(tiles.changed.length);
  const stale = new Uint8Array(tiles.changed.length);
  tiles.changed.forEach((c, t) => {
    if (c && changed.changed[t]) fresh[t] = 1;
    else if (c) stale[t] = 1;
  });
  const rects = (map: TileMap | undefined) => (map ? tileRects(map) : []);
  return [...paintOrder(rects(tileMap(fresh, tiles.cols, tiles.rows, width, height)), budget), ...paintOrder(rects(tileMap(stale, tiles.cols, tiles.rows, width, height)), budget)];
}

/** Whether `outer` holds all of `inner`. */
function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

/** The changed tiles inside the video regions (whole tiles: regions are made of tiles), and the others. */
function splitTiles(map: TileMap | undefined, regions: readonly Rect[], width: number, height: number): { inside: TileMap | undefined; outside: TileMap | undefined } {
  if (!map || regions.length === 0) return { inside: undefined, outside: map };
  const inside = new Uint8Array(map.changed.length);
  const outside = new Uint8Array(map.changed);
  for (const r of regions) {
    for (let row = r.y / TILE; row < Math.ceil((r.y + r.height) / TILE); row++) {
      for (let col = r.x / TILE; col < Math.ceil((r.x + r.width) / TILE); col++) {
        const t = row * map.cols + col;
        if (!outside[t]) continue;
        inside[t] = 1;
        outside[t] = 0;
      }
    }
  }
  return { inside: tileMap(inside, map.cols, map.rows, width, height), outside: tileMap(outside, map.cols, map.rows, width, height) };
}
