/**
 * Test data: the first 33 bytes of a PNG (the signature and IHDR), all that the screen-update parser and the
 * panel's size checks read, and an image operation made of one. Bit depth 1: the size a decompression bomb is
 * made of, though nothing here is ever decoded.
 */

import type { UpdateOp } from '../../src/shared/screenUpdate';

export function pngHeader(width: number, height: number): Uint8Array {
  const out = new Uint8Array(33);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  out[24] = 1;
  return out;
}

/** An image operation at (x, y) whose PNG header says width x height. */
export const image = (x: number, y: number, width: number, height: number): UpdateOp => ({ kind: 'image', rect: { x, y, width, height }, png: pngHeader(width, height) });
