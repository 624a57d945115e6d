/**
 * The agent's native passes over the pixels (src/agent/native/kernels.c, in dist/xshm.node on Linux) are their
 * JavaScript twins', bit for bit: the row prints (the scroll search compares the prints of one picture with the
 * other's, and carries them from one search to the next), the changed tiles, the moved-window search's anchors, a
 * scroll's moves with the changed tiles after them; and an
 * encoder that uses them makes the same updates, byte for byte, as one that does not. Bad arguments are errors that
 * write nothing.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadNativeKernels } from '../../src/agent/nativeKernels';
import { anchors as anchorsInJs, type Anchors } from '../../src/agent/moveSearch';
import { ScreenEncoder } from '../../src/agent/screenEncoder';
import { hashRowsInJs, type HashRows } from '../../src/agent/scrollSearch';
import { TILE, changedTiles, moveRect, scrollTiles, words, type Scroll } from '../../src/agent/tiles';
import { encodeUpdate, type Rect } from '../../src/shared/screenUpdate';

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

  it('find the same changed tiles: regions at any place, rows alike and not, changes in one pixel, at tile edges, in the padding byte', linuxOnly, () => {
    const kernels = loadNativeKernels(BINARY);
    const W = 301;
    const H = 170;
    const a = picture(W, H, 11);
    const b = new Uint8Array(a);
    const flip = (at: number, bits: number) => {
      b[at] = b[at]! ^ bits;
    };
    // Single pixels at tile edges and corners, a block, a row's end, a padding byte only.
    for (const [x, y] of [[0, 0], [31, 31], [32, 32], [63, 5], [300, 169], [150, 64], [96, 100]] as const) flip((y * W + x) * 4 + 1, 0x55);
    for (let y = 120; y < 140; y++) for (let x = 200; x < 260; x++) flip((y * W + x) * 4, 1);
    flip((10 * W + 250) * 4 + 3, 0xff);
    const regions = [{ x: 0, y: 0, width: W, height: H }, { x: 31, y: 31, width: 2, height: 2 }, { x: 33, y: 7, width: 230, height: 150 }, { x: 299, y: 168, width: 2, height: 2 }, { x: 100, y: 100, width: 0, height: 5 }];
    for (const roi of regions) assert.deepEqual(kernels.changedTiles(a, b, W, roi), changedTiles(a, b, W, roi), JSON.stringify(roi));
    assert.equal(kernels.changedTiles(a, a, W, regions[0]!), undefined);
  });

  it('find the same anchors, in the same order, over all tiles or only changed ones, rows one or two apart', linuxOnly, () => {
    const kernels = loadNativeKernels(BINARY);
    const W = 400;
    const H = 260;
    const p32 = words(picture(W, H, 21));
    const cols = Math.ceil(W / TILE);
    const changed = new Uint8Array(cols * Math.ceil(H / TILE));
    for (let t = 0; t < changed.length; t++) changed[t] = t % 3 === 0 || t % 7 === 1 ? 1 : 0;
    const only = { cols, rows: Math.ceil(H / TILE), changed, bounds: { x: 0, y: 0, width: W, height: H } };
    const list = (anchors: Anchors, box: { x: number; y: number; width: number; height: number }, step: number, bits: number, map?: typeof only) => {
      const found: number[] = [];
      anchors(p32, W, box, step, bits, map, (key, at) => found.push(key, at));
      return found;
    };
    for (const [box, step, bits] of [[{ x: 0, y: 0, width: W, height: H }, 1, 3], [{ x: 13, y: 9, width: 371, height: 240 }, 2, 4], [{ x: 0, y: 0, width: 20, height: 10 }, 1, 3], [{ x: 390, y: 0, width: 10, height: H }, 1, 3]] as const) {
      for (const map of [undefined, only]) {
        const ours = list(kernels.anchors, box, step, bits, map);
        assert.deepEqual(ours, list(anchorsInJs, box, step, bits, map), `${JSON.stringify(box)} step ${step} bits ${bits} ${map ? 'changed tiles' : 'all'}`);
        if (box.width > 100) assert.ok(ours.length > 20, `${ours.length / 2} anchors`);
      }
    }
  });

  it('move a scroll\'s rectangles and find the changed tiles after them as moveRect and changedTiles do: moves up and down, at any place, several side by side, overlapping or past the picture (in JavaScript), none', linuxOnly, () => {
    const kernels = loadNativeKernels(BINARY);
    const W = 333;
    const H = 260;
    type Case = { roi: Rect; moves: Scroll[] };
    const cases: Case[] = [
      { roi: { x: 0, y: 0, width: W, height: H }, moves: [{ rect: { x: 0, y: 40, width: W, height: 200 }, dy: -37 }] },
      { roi: { x: 0, y: 0, width: W, height: H }, moves: [{ rect: { x: 0, y: 3, width: W, height: 200 }, dy: 45 }] },
      // The region narrower and shorter than the move: rows and columns of the move outside it are moved, not compared.
      { roi: { x: 17, y: 30, width: 250, height: 190 }, moves: [{ rect: { x: 5, y: 40, width: 300, height: 150 }, dy: -21 }] },
      { roi: { x: 31, y: 5, width: 290, height: 250 }, moves: [{ rect: { x: 40, y: 60, width: 61, height: 150 }, dy: 33 }, { rect: { x: 101, y: 20, width: 64, height: 170 }, dy: -9 }, { rect: { x: 200, y: 100, width: 90, height: 90 }, dy: 1 }] },
      // Overlapping moves: their order matters, and the JavaScript makes them.
      { roi: { x: 0, y: 0, width: W, height: H }, moves: [{ rect: { x: 10, y: 50, width: 100, height: 100 }, dy: 20 }, { rect: { x: 50, y: 60, width: 100, height: 100 }, dy: -30 }] },
      { roi: { x: 64, y: 64, width: 100, height: 100 }, moves: [] },
      // A move reaching past the picture's bottom: the JavaScript clips it (the binary would refuse it).
      { roi: { x: 0, y: 0, width: W, height: H }, moves: [{ rect: { x: 0, y: 150, width: W, height: 100 }, dy: 30 }] },
    ];
    let seed = 41;
    for (const c of cases) {
      const what = JSON.stringify(c);
      const a = picture(W, H, seed++);
      // The capture: the moved picture, changed in single pixels at tile edges, inside and outside the moves, and in
      // a padding byte.
      const b = new Uint8Array(a);
      for (const { rect, dy } of c.moves) moveRect(b, W, rect, 0, dy);
      const flip = (at: number, bits: number) => {
        b[at] = b[at]! ^ bits;
      };
      for (const [x, y] of [[0, 0], [31, 31], [32, 45], [100, 100], [150, 64], [332, 259], [64, 200], [250, 10], [205, 150]] as const) flip((y * W + x) * 4 + 1, 0x41);
      flip((120 * W + 40) * 4 + 3, 0xff);
      // And the first and last rows each move writes (the last is the last one a pass down the move compares).
      for (const { rect, dy } of c.moves) {
        flip(((rect.y + dy) * W + rect.x + 1) * 4, 0x10);
        flip(((rect.y + dy + rect.height - 1) * W + rect.x + rect.width - 2) * 4 + 2, 0x10);
      }
      const ours = new Uint8Array(a);
      const theirs = new Uint8Array(a);
      const map = kernels.scrollTiles(ours, b, W, c.roi, c.moves);
      assert.deepEqual(map, scrollTiles(theirs, b, W, c.roi, c.moves), what);
      assert.ok(Buffer.from(ours).equals(Buffer.from(theirs)), `${what}: the same picture after the moves`);
      assert.ok(map && map.changed.some((t) => t === 1), `${what}: changes found`);
    }
  });

  it('make an encoder send the same bytes: a window dragged over a desktop, a page scrolled, a keystroke', linuxOnly, () => {
    const kernels = loadNativeKernels(BINARY);
    const W = 640;
    const H = 400;
    const desk = picture(W, H, 31);
    const page = picture(W, H * 3, 32);
    const win = picture(260, 180, 33);
    const withWindow = (x: number, y: number) => {
      const data = new Uint8Array(desk);
      for (let r = 0; r < 180; r++) data.set(win.subarray(r * 260 * 4, (r + 1) * 260 * 4), ((y + r) * W + x) * 4);
      return { data, width: W, height: H };
    };
    const scrolled = (top: number) => ({ data: page.slice(top * W * 4, (top + H) * W * 4), width: W, height: H });
    const frames = [withWindow(40, 30), withWindow(46, 34), withWindow(52, 38), withWindow(300, 150), withWindow(290, 160), scrolled(0), scrolled(12), scrolled(40), scrolled(41)];
    const typed = { ...scrolled(41), data: new Uint8Array(scrolled(41).data) };
    typed.data[(200 * W + 300) * 4] = typed.data[(200 * W + 300) * 4]! ^ 0x80;
    frames.push(typed);
    const ours = new ScreenEncoder({ kernels });
    const theirs = new ScreenEncoder();
    let copies = 0;
    for (const [k, frame] of frames.entries()) {
      const a = ours.update(frame);
      const b = theirs.update(frame);
      assert.deepEqual(a && encodeUpdate(a), b && encodeUpdate(b), `frame ${k}`);
      copies += a?.ops.filter((o) => o.kind === 'copy').length ?? 0;
    }
    assert.ok(copies >= 4, `moves and scrolls found as copies (${copies})`);
  });

  it('refuse a region outside the pictures or a map too short, and anchors a too-short buffer (the caller then uses JavaScript)', linuxOnly, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the binary itself, its argument checks
    const binary = require(BINARY) as { changedTiles: (...a: unknown[]) => void; anchors: (...a: unknown[]) => number; scrollTiles: (...a: unknown[]) => void };
    const a = picture(64, 64, 5);
    const map = new Uint8Array(4);
    assert.throws(() => binary.changedTiles(a, a, 64, 0, 1, 64, 64, map, 2), /outside the pictures/);
    assert.throws(() => binary.changedTiles(a, a, 64, 0, 0, 64, 64, new Uint8Array(3), 2), /too short/);
    assert.throws(() => binary.changedTiles(a, a, 64, 10, 0, 60, 8, map, 2), /bad region/);
    assert.ok(map.every((v) => v === 0));
    const moves = (...m: number[]) => Int32Array.from(m);
    const before = new Uint8Array(a);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, moves(0, 10, 64, 60, -11), 1, map, 2), /move is outside/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, moves(0, 10, 64, 50, 5), 1, map, 2), /move is outside/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, moves(1, 0, 64, 10, 5), 1, map, 2), /move is outside/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, moves(0, 0, 64, 10, 5), 2, map, 2), /bad moves/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 1, 64, 64, moves(), 0, map, 2), /outside the pictures/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, [0, 0, 64, 10, 5], 1, map, 2), /Int32Array/);
    assert.throws(() => binary.scrollTiles(a, a, 64, 0, 0, 64, 64, moves(0, 0, 64, 10, 5), 1, new Uint8Array(3), 2), /too short/);
    assert.ok(map.every((v) => v === 0) && Buffer.from(a).equals(Buffer.from(before)), 'nothing written');
    assert.equal(binary.anchors(a, 64, 0, 0, 64, 64, 1, 1, null, 0, 24, 0x01000193, new Uint32Array(2)), -1);
    assert.throws(() => binary.anchors(a, 64, 0, 0, 64, 64, 1, 32, null, 0, 24, 0x01000193, new Uint32Array(2)), /bad box or parameters/);
  });
});
