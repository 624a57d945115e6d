/**
 * Passes over the pixels that native code makes faster, from dist/xshm.node (native/kernels.c, built by `npm run
 * build` on Linux, linked into the agent's one native binary beside its MIT-SHM grabs), each bit for bit its
 * JavaScript twin's: the scroll search's row prints (~2.4 times faster), the changed tiles of a region, and the
 * moved-window search's anchors. They need no X server: loaded whether or not MIT-SHM works. Where the binary is not
 * built (Windows, macOS, a Linux without a compiler), the JavaScript runs.
 *
 * Agent process only.
 */

import * as path from 'node:path';
import type { Rect } from '../shared/screenUpdate';
import { KEY_LENGTH, ROLL, anchors as anchorsInJs, type Anchors } from './moveSearch';
import type { HashRows } from './scrollSearch';
import { changedTiles as changedTilesWith, type MarkChangedTiles, type TileMap } from './tiles';

/** The passes the encoder takes from native code where it can (each undefined: the JavaScript's). */
export interface PixelKernels {
  readonly hashRows?: HashRows;
  readonly changedTiles?: (a: Uint8Array, b: Uint8Array, width: number, roi: Rect) => TileMap | undefined;
  readonly anchors?: Anchors;
}

/** What the binary exports (native/kernels.c). */
interface Binary {
  rowPrints?: HashRows;
  changedTiles?: MarkChangedTiles;
  anchors?: (pixels: Uint8Array, width: number, x: number, y: number, w: number, h: number, step: number, bits: number, only: Uint8Array | null, onlyCols: number, keyLength: number, roll: number, out: Uint32Array) => number;
}

/** Anchor pairs (key, index) one call may return; more, and that call is made in JavaScript (nothing is lost). */
const ANCHOR_CAPACITY = 64 * 1024;

/** The kernels in `file` (dist/xshm.node beside the agent's bundle); throws why not (not built, an older build). */
export function loadNativeKernels(file = path.join(__dirname, 'xshm.node')): Required<PixelKernels> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binary found beside the bundle
  const binary = require(file) as Binary;
  const { rowPrints, changedTiles: mark, anchors: native } = binary;
  if (typeof rowPrints !== 'function' || typeof mark !== 'function' || typeof native !== 'function') throw new Error(`${path.basename(file)} lacks the pixel kernels (an older build?)`);
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
  return { hashRows: rowPrints, changedTiles: (a, b, width, roi) => changedTilesWith(a, b, width, roi, mark), anchors };
}
