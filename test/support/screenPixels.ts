/**
 * The helper's side of screen updates, in Node, for tests: inflate each PNG (checking its CRCs), undo the
 * filters, paint it; copies move rows. What the panel does with a canvas, written out so that tests can
 * compare pixels exactly.
 */

import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32 } from '../../src/agent/png';
import { parseUpdate, type ScreenUpdate } from '../../src/shared/screenUpdate';
import type { EncodedFrame } from '../../src/shared/frames';

/**
 * What a lossy picture paints here: not its decoded pixels but this colour (BGRA), so that a test comparing the
 * picture with the screen sees every approximate pixel that no exact paint replaced later.
 */
export const LOSSY_MARK = [255, 0, 255, 255] as const;

/**
 * What the helper does, in Node: inflate each PNG, undo its filters, paint; copies move rows. Lossy pictures paint
 * LOSSY_MARK over their rectangle (their decoding is tested apart, with a real WebP decoder).
 */
export function apply(update: ScreenUpdate, picture: Uint8Array, width: number): void {
  for (const op of update.ops) {
    if (op.kind === 'pointer') continue; // drawn over the picture, not in it
    const { x, y, width: w, height: h } = op.rect;
    if (op.kind === 'lossy') {
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) picture.set(LOSSY_MARK, ((y + r) * width + x + c) * 4);
      continue;
    }
    if (op.kind === 'copy') {
      const rows = [...Array(h).keys()];
      if (op.dy > 0) rows.reverse();
      for (const r of rows) {
        const from = ((y + r) * width + x) * 4;
        picture.copyWithin(from + (op.dy * width + op.dx) * 4, from, from + w * 4);
      }
      continue;
    }
    const raw = inflatePng(op.png, w, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const s = r * (1 + w * 3) + 1 + c * 3;
        const d = ((y + r) * width + x + c) * 4;
        picture[d] = raw[s + 2]!;
        picture[d + 1] = raw[s + 1]!;
        picture[d + 2] = raw[s]!;
        picture[d + 3] = 255;
      }
    }
  }
}

export function inflatePng(png: Uint8Array, w: number, h: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(view.getUint32(16), w);
  assert.equal(view.getUint32(20), h);
  let at = 8;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    assert.equal(view.getUint32(at + 8 + len), crc32(png.subarray(at + 4, at + 8 + len)), `${type} CRC`);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = new Uint8Array(zlib.inflateSync(Buffer.concat(idat)));
  const rowBytes = 1 + w * 3;
  for (let r = 0; r < h; r++) {
    const filter = raw[r * rowBytes];
    assert.equal(filter, 1, 'filter Sub');
    for (let i = 4; i < rowBytes; i++) raw[r * rowBytes + i] = (raw[r * rowBytes + i]! + raw[r * rowBytes + i - 3]!) & 0xff;
  }
  return raw;
}


/** Applies a frame of format `update` to `picture` (BGRA, the frame's size); returns the parsed update. */
export function applyFrame(frame: EncodedFrame, picture: Uint8Array): ScreenUpdate {
  assert.equal(frame.format, 'update');
  const update = parseUpdate(frame.data, frame.width, frame.height);
  assert.ok(update, 'a well-formed update');
  apply(update, picture, frame.width);
  return update;
}

/** The colour at (x, y) of a BGRA picture, as [r, g, b]. */
export function rgbAt(picture: Uint8Array, width: number, x: number, y: number): [number, number, number] {
  const i = (y * width + x) * 4;
  return [picture[i + 2]!, picture[i + 1]!, picture[i]!];
}
