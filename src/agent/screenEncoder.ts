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
 * Pure: no capture, no I/O. Pixels are 4 bytes each, blue first (what nut-js grabs).
 */

import { bounds, clip, type Rect, type ScreenUpdate, type UpdateOp } from '../shared/screenUpdate';
import { sameBytes } from './bytes';
import { MOVE_MIN_TILES, countTiles, findMoves, stillChanged } from './moveSearch';
import { encodePng, type Pixels } from './png';
import { findScrolls } from './scrollSearch';
import { changedRows, changedTiles, copyRect, exactBounds, moveRect, tileRects } from './tiles';

/** A change over at least this share of the screen is checked for a vertical scroll first. */
const SCROLL_MIN_SHARE = 1 / 16;
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
}

export class ScreenEncoder {
  private shown: Uint8Array | undefined;
  private width = 0;
  private height = 0;
  private keyNeeded = true;
  last: EncoderStats = { scrolled: 0, moved: 0, rects: 0, bytes: 0 };

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
        moveRect(shown, width, rect, 0, dy);
        scrolled = dy;
      }
    }
    let tiles = changedTiles(shown, current.data, width, band);
    // What is left may be a rectangle moved in two dimensions (a window dragged): found from the tiles.
    let moved = 0;
    if (tiles && countTiles(tiles) >= MOVE_MIN_TILES) {
      const { moves, open } = findMoves(shown, current.data, width, height, tiles);
      for (const m of moves) ops.push({ kind: 'copy', rect: m.rect, dx: m.dx, dy: m.dy });
      moved = moves.length;
      if (moved > 0) tiles = stillChanged(shown, current.data, width, tiles, open);
    }
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
    this.last = { scrolled, moved, rects: ops.length, bytes };
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
    this.last = { scrolled: 0, moved: 0, rects: ops.length, bytes };
    return { full: true, ops };
  }
}

// --- Comparing ---
