/**
 * Passes over the pixels that native code makes faster, from dist/xshm.node (native/kernels.c, built by `npm run
 * build` on Linux, linked into the agent's one native binary beside its MIT-SHM grabs), each bit for bit its
 * JavaScript twin's: the scroll search's row prints (~2.4 times faster), the changed tiles of a region, the
 * moved-window search's anchors, and a scroll's moves with the changed tiles after them in one pass. They need no X
 * server: loaded whether or not MIT-SHM works. Where the binary is not built (Windows, macOS, a Linux without a
 * compiler), the JavaScript runs.
 *
 * Agent process only.
 */

import * as path from 'node:path';
import { bounds, type Rect } from '../shared/screenUpdate';
import { KEY_LENGTH, ROLL, anchors as anchorsInJs, type Anchors } from './moveSearch';
import type { HashRows } from './scrollSearch';
import { changedTiles as changedTilesWith, scrollTiles as scrollTilesWith, type MarkChangedTiles, type Scroll, type ScrollTiles, type TileMap } from './tiles';

/** The passes the encoder takes from native code where it can (each undefined: the JavaScript's). */
export interface PixelKernels {
  readonly hashRows?: HashRows;
  readonly changedTiles?: (a: Uint8Array, b: Uint8Array, width: number, roi: Rect) => TileMap | undefined;
  readonly anchors?: Anchors;
  readonly scrollTiles?: ScrollTiles;
}

/** What the binary exports (native/kernels.c). */
interface Binary {
  rowPrints?: HashRows;
  changedTiles?: MarkChangedTiles;
  anchors?: (pixels: Uint8Array, width: number, x: number, y: number, w: number, h: number, step: number, bits: number, only: Uint8Array | null, onlyCols: number, keyLength: number, roll: number, out: Uint32Array) => number;
  scrollTiles?: (a: Uint8Array, b: Uint8Array, width: number, x: number, y: number, w: number, h: number, moves: Int32Array, count: number, changed: Uint8Array, cols: number) => void;
}

/** Anchor pairs (key, index) one call may return; more, and that call is made in JavaScript (nothing is lost). */
const ANCHOR_CAPACITY = 64 * 1024;
/** The most moves one scrollTiles call takes (MAX_MOVES in native/kernels.c); more go through JavaScript. */
const MAX_SCROLLS = 256;

/**
 * Whether the moves are for the native pass: inside the picture (`width` x `height`, as the scroll search finds them;
 * the binary refuses others, which the JavaScript clips), and none's rectangle or destination overlapping another's
 * (then their order does not matter).
 */
function nativeMoves(moves: readonly Scroll[], width: number, height: number): boolean {
  const spans = moves.map(({ rect, dy }) => bounds([rect, { ...rect, y: rect.y + dy }]));
  const inside = spans.every((r) => r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= width && r.y + r.height <= height);
  return inside && spans.every((a, i) => spans.every((b, j) => j <= i || a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y));
}

/** The kernels in `file` (dist/xshm.node beside the agent's bundle); throws why not (not built, an older build). */
export function loadNativeKernels(file = path.join(__dirname, 'xshm.node')): Required<PixelKernels> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binary found beside the bundle
  const binary = require(file) as Binary;
  const { rowPrints, changedTiles: mark, anchors: native, scrollTiles: scrollNative } = binary;
  if (typeof rowPrints !== 'function' || typeof mark !== 'function' || typeof native !== 'function' || typeof scrollNative !== 'function') throw new Error(`${path.basename(file)} lacks the pixel kernels (an older build?)`);
  // One buffer for the pairs, kept: a call's pairs are read before the next call.
  const pairs = new Uint32Array(ANCHOR_CAPACITY * 2);
  const anchors: Anchors = (p32, width, box, step, bits, only, found) => {
    const pixels = new Uint8Array(p32.buffer, p32.byteOffset, p32.byteLength);
    const count = native(pixels, width, box.x, box.y, box.width, box.height, step, bits, only?.changed ?? null, only?.cols ?? 0, KEY_LENGTH, ROLL, pairs);
    if (count < 0) {
      anchorsInJs(p32, width, box, step, bits, only, found);
      return;
    }
    for (let k = 0; k < count; k++) found(pairs[2 * k]!, pairs[2 * k + 1]!);
  };
  const scrollTiles: ScrollTiles = (a, b, width, roi, moves) => {
    // An empty region marks nothing, but the moves are still made: through the JavaScript.
    if (roi.width <= 0 || roi.height <= 0 || moves.length > MAX_SCROLLS || !nativeMoves(moves, width, Math.floor(Math.min(a.length, b.length) / 4 / width))) return scrollTilesWith(a, b, width, roi, moves, mark);
    const list = new Int32Array(moves.length * 5);
    moves.forEach(({ rect, dy }, i) => list.set([rect.x, rect.y, rect.width, rect.height, dy], i * 5));
    // changedTiles' map, marked by the one pass that also makes the moves.
    return changedTilesWith(a, b, width, roi, (pa, pb, w, x, y, rw, rh, changed, cols) => scrollNative(pa, pb, w, x, y, rw, rh, list, moves.length, changed, cols));
  };
  return { hashRows: rowPrints, changedTiles: (a, b, width, roi) => changedTilesWith(a, b, width, roi, mark), anchors, scrollTiles };
}
