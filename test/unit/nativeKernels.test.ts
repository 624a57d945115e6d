/**
 * The agent's native row prints (src/agent/native/prints.c, in dist/xshm.node on Linux) are the JavaScript's, bit for
 * bit: the scroll search takes the prints of one picture from one and compares them with the other's only through the
 * carried prints, so any difference would lose scrolls. Bad arguments are errors that write nothing.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadNativeKernels } from '../../src/agent/nativeKernels';
import { hashRowsInJs, type HashRows } from '../../src/agent/scrollSearch';

const BINARY = path.resolve(__dirname, '../../../dist/xshm.node');
const linuxOnly = { skip: process.platform !== 'linux' ? 'dist/xshm.node is built on Linux only' : false };

/** A picture `width` x `height` of 4-byte pixels: `kind` of each row decides its content. */
function picture(width: number, height: number, seed: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const kind = y % 5;
    const colour = [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)];
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      // 0: random; 1: one colour; 2: one colour but one pixel; 3: one colour whose padding byte varies; 4: stripes.
      const c = kind === 0 ? [rnd() * 256, rnd() * 256, rnd() * 256] : kind === 2 && x === (y * 7) % width ? [1, 2, 3] : kind === 4 && (x >> 6) % 2 ? [9, 9, 9] : colour;
      data[i] = c[0]!;
      data[i + 1] = c[1]!;
      data[i + 2] = c[2]!;
      data[i + 3] = kind === 3 ? Math.floor(rnd() * 256) : 255;
    }
  }
  return data;
}

/** Both hashers' prints of rows [from, to) of a box, over outputs filled with a mark (rows outside must keep it). */
function prints(hashRows: HashRows, pixels: Uint8Array, width: number, box: { x: number; y: number; w: number; h: number }, from: number, to: number, strip = 64, sample = 3) {
  const count = Math.ceil(box.w / strip);
  const out = { wholeHash: new Uint32Array(box.h).fill(7), wholePlain: new Uint8Array(box.h).fill(7), stripHash: new Uint32Array(count * box.h).fill(7), stripPlain: new Uint8Array(count * box.h).fill(7) };
  hashRows(pixels, width, box.x, box.y, box.w, box.h, from, to, strip, sample, out.wholeHash, out.wholePlain, out.stripHash, out.stripPlain);
  return out;
}

describe('native row prints (dist/xshm.node)', () => {
  it('are the JavaScript\'s, bit for bit: boxes at any place and width, rows of one colour, padding bytes, parts of the rows, unaligned pixels', linuxOnly, () => {
    const { hashRows } = loadNativeKernels(BINARY);
    const cases: { width: number; height: number; box: { x: number; y: number; w: number; h: number }; from?: number; to?: number; strip?: number; sample?: number }[] = [
      { width: 640, height: 200, box: { x: 0, y: 0, w: 640, h: 200 } },
      { width: 643, height: 180, box: { x: 37, y: 11, w: 501, h: 150 } },
      { width: 640, height: 200, box: { x: 600, y: 190, w: 40, h: 10 } },
      { width: 300, height: 120, box: { x: 5, y: 7, w: 290, h: 100 }, from: 20, to: 61 },
      { width: 300, height: 120, box: { x: 5, y: 7, w: 290, h: 100 }, strip: 7, sample: 1 },
      { width: 97, height: 40, box: { x: 0, y: 0, w: 97, h: 40 }, strip: 97, sample: 5 },
    ];
    let seed = 1;
    for (const c of cases) {
      const pixels = picture(c.width, c.height, seed++);
      const from = c.from ?? 0;
      const to = c.to ?? c.box.h;
      const what = JSON.stringify(c);
      const ours = prints(hashRows, pixels, c.width, c.box, from, to, c.strip, c.sample);
      const theirs = prints(hashRowsInJs, pixels, c.width, c.box, from, to, c.strip, c.sample);
      assert.deepEqual(ours, theirs, what);
      assert.ok(ours.wholePlain.some((p) => p === 1) && ours.wholePlain.some((p) => p === 0), `${what}: rows of one colour and others`);
      if (from > 0) assert.equal(ours.wholeHash[from - 1], 7, `${what}: rows before \`from\` untouched`);
    }
    // Pixels that start at an odd byte of their buffer (a view of a larger one).
    const big = new Uint8Array(640 * 100 * 4 + 1);
    big.set(picture(640, 100, 99), 1);
    const view = big.subarray(1);
    const box = { x: 3, y: 2, w: 600, h: 90 };
    assert.deepEqual(prints(hashRows, view, 640, box, 0, 90), prints(hashRowsInJs, view, 640, box, 0, 90), 'unaligned');
  });

  it('refuses a box outside the pixels, outputs too short and arguments of the wrong kind, and writes nothing', linuxOnly, () => {
    const { hashRows } = loadNativeKernels(BINARY);
    const pixels = picture(100, 50, 3);
    const wholeHash = new Uint32Array(50);
    const wholePlain = new Uint8Array(50);
    const stripHash = new Uint32Array(2 * 50);
    const stripPlain = new Uint8Array(2 * 50);
    const call = (...args: unknown[]) => () => (hashRows as (...a: unknown[]) => void)(...args);
    assert.throws(call(pixels, 100, 0, 1, 100, 50, 0, 50, 64, 3, wholeHash, wholePlain, stripHash, stripPlain), /outside the pixels/);
    assert.throws(call(pixels, 100, 50, 0, 51, 50, 0, 50, 64, 3, wholeHash, wholePlain, stripHash, stripPlain), /bad box/);
    assert.throws(call(pixels, 100, 0, 0, 100, 50, 0, 51, 64, 3, wholeHash, wholePlain, stripHash, stripPlain), /bad box or rows/);
    assert.throws(call(pixels, 100, 0, 0, 100, 50, 0, 50, 64, 3, wholeHash, wholePlain, stripHash.subarray(1), stripPlain), /too short/);
    assert.throws(call(pixels, 100, 0, 0, 100, 50, 0, 50, 64, 0, wholeHash, wholePlain, stripHash, stripPlain), /bad sample/);
    assert.throws(call(pixels, 100, 0, 0, 100, 50, 0, 50, 64, 3, new Uint8Array(50), wholePlain, stripHash, stripPlain), /Uint32Array/);
    assert.throws(call([1, 2, 3], 100, 0, 0, 100, 50, 0, 50, 64, 3, wholeHash, wholePlain, stripHash, stripPlain), /not a Uint8Array/);
    assert.throws(call(pixels, 100, 0, 0), /14 arguments/);
    for (const out of [wholeHash, wholePlain, stripHash, stripPlain]) assert.ok(out.every((v) => v === 0), 'nothing written');
  });
});
