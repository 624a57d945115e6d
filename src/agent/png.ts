/**
 * A PNG encoder for rectangles of a captured screen: 8-bit RGB, one filter per row, deflated by Node's own
 * zlib (which copies into and out of its native memory, so it is safe in Electron's memory cage). Screens are
 * text and flat colour: a cheap filter and a fast zlib level compress them far better than JPEG would, with
 * no loss: what the helper paints is exactly what was captured.
 *
 * The helper decodes with the browser's own PNG decoder (`createImageBitmap`), off its main thread.
 */

import * as zlib from 'node:zlib';

/** Pixels as the capture gives them: 4 bytes a pixel, blue first (nut-js on every system: BGRA/BGRX). */
export interface Pixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * Encodes the rectangle (x, y, width, height) of `pixels` as PNG. `level` is zlib's (1 fastest; the default
 * suits small rectangles, where the time hardly counts and every byte crosses the link).
 */
export function encodePng(pixels: Pixels, x: number, y: number, width: number, height: number, level = 6): Uint8Array {
  const stride = pixels.width * 4;
  const rowBytes = 1 + width * 3;
  const raw = new Uint8Array(rowBytes * height);
  const src = pixels.data;
  for (let row = 0; row < height; row++) {
    let s = (y + row) * stride + x * 4;
    let d = row * rowBytes;
    // Filter 1 (Sub): each byte minus the same colour's byte one pixel to the left. Runs of one colour
    // (backgrounds, the inside of glyphs) become zeros.
    raw[d++] = 1;
    let pb = 0;
    let pg = 0;
    let pr = 0;
    for (let i = 0; i < width; i++, s += 4) {
      const b = src[s]!;
      const g = src[s + 1]!;
      const r = src[s + 2]!;
      raw[d++] = (r - pr) & 0xff;
      raw[d++] = (g - pg) & 0xff;
      raw[d++] = (b - pb) & 0xff;
      pr = r;
      pg = g;
      pb = b;
    }
  }
  return container(width, height, 2, zlib.deflateSync(raw, { level, memLevel: 9 }));
}

/**
 * Encodes straight (not premultiplied) RGBA pixels, `width * 4` bytes a row, as PNG with alpha: for the
 * pointer's shape, a few hundred pixels.
 */
export function encodeRgbaPng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = 1 + width * 4;
  const raw = new Uint8Array(rowBytes * height);
  for (let row = 0; row < height; row++) raw.set(rgba.subarray(row * width * 4, (row + 1) * width * 4), row * rowBytes + 1);
  return container(width, height, 6, zlib.deflateSync(raw));
}

/** colourType: 2 RGB, 6 RGBA; 8 bits a sample. */
function container(width: number, height: number, colourType: number, idat: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  // compression, filter method, interlace: 0
  const out = new Uint8Array(SIGNATURE.length + 12 * 3 + ihdr.length + idat.length);
  out.set(SIGNATURE, 0);
  let at = SIGNATURE.length;
  at = chunk(out, at, 'IHDR', ihdr);
  at = chunk(out, at, 'IDAT', idat);
  chunk(out, at, 'IEND', new Uint8Array(0));
  return out;
}

function chunk(out: Uint8Array, at: number, type: string, body: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, body.length);
  for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
  out.set(body, at + 8);
  view.setUint32(at + 8 + body.length, crc32(out.subarray(at + 4, at + 8 + body.length)));
  return at + 12 + body.length;
}

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 as PNG (and zlib) define it: zlib's own (Node 20.15 and later), about 20 times faster than the table below,
 * which stays for older runtimes. Every PNG's data is summed once: at ~5 ms a megabyte in JavaScript, it was a
 * large part of encoding a scroll or a moved window.
 */
export const crc32: (bytes: Uint8Array) => number = typeof zlib.crc32 === 'function' ? (bytes) => zlib.crc32(bytes) : crc32Table;

/** CRC-32 in JavaScript, a byte at a time through a table. */
export function crc32Table(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
