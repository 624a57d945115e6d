import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkFrame, FrameAssembler } from '../../src/shared/frames';
import { encodeUpdate, parseUpdate, type UpdateOp } from '../../src/shared/screenUpdate';
import { encodePng, encodeRgbaPng, type Pixels } from '../../src/agent/png';
import { apply } from '../support/screenPixels';
import { ScreenEncoder } from '../../src/agent/screenEncoder';
import { findVerticalScroll } from '../../src/agent/scrollSearch';

const W = 320;
const H = 200;

/** A deterministic "screen of code": coloured runs on a dark background, a different pattern on every row. */
function codeScreen(seed: number, width = W, height = H): Pixels {
  const data = new Uint8Array(width * height * 4);
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = 30;
      data[i + 1] = 30;
      data[i + 2] = 30;
      data[i + 3] = 255;
    }
    if (y % 16 < 4) continue; // a gap between lines
    let x = 4;
    while (x < width - 8) {
      const len = 2 + Math.floor(rnd() * 10);
      const colour = [Math.floor(rnd() * 255), Math.floor(rnd() * 255), Math.floor(rnd() * 255)];
      for (let k = 0; k < len && x < width; k++, x++) {
        if (rnd() < 0.5) continue;
        const i = (y * width + x) * 4;
        data[i] = colour[0]!;
        data[i + 1] = colour[1]!;
        data[i + 2] = colour[2]!;
      }
      x += 3;
    }
  }
  return { data, width, height };
}

/** Moves the content of rows [y0, y1) up by `by` rows and fills the rows that scroll in from `fresh`. */
function scrolled(before: Pixels, by: number, fresh: Pixels): Pixels {
  const data = new Uint8Array(before.data);
  const stride = before.width * 4;
  data.copyWithin(0, by * stride);
  data.set(fresh.data.subarray(0, by * stride), (before.height - by) * stride);
  return { ...before, data };
}

const rectOf = (op: UpdateOp | undefined) => (op && op.kind !== 'pointer' ? op.rect : undefined);
const opaque = (p: Uint8Array) => p.map((v, i) => (i % 4 === 3 ? 255 : v));

describe('screen updates', () => {
  it('a key update, then only the changed pixels, rebuild the screen exactly (lossless)', () => {
    const enc = new ScreenEncoder();
    const first = codeScreen(1);
    const key = enc.update(first)!;
    assert.equal(key.full, true);
    const picture = new Uint8Array(W * H * 4);
    apply(key, picture, W);
    assert.deepEqual(picture, opaque(first.data));

    // One "character" typed: a 7x13 block changes.
    const typed = { ...first, data: new Uint8Array(first.data) };
    for (let y = 50; y < 63; y++) for (let x = 100; x < 107; x++) typed.data[(y * W + x) * 4 + 1] = 250;
    const delta = enc.update(typed)!;
    assert.equal(delta.full, false);
    assert.equal(delta.ops.length, 1);
    assert.deepEqual(rectOf(delta.ops[0]), { x: 100, y: 50, width: 7, height: 13 }, 'exactly the changed pixels');
    apply(delta, picture, W);
    assert.deepEqual(picture, opaque(typed.data));
    assert.equal(enc.update(typed), undefined, 'nothing changed: no update');
  });

  it('after updates lost in a cut, repaint() paints their parts exactly again first, then what changed: the picture is exact, not the whole screen', () => {
    const enc = new ScreenEncoder();
    const first = codeScreen(7);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(first)!, picture, W);
    // Two updates the helper never got: a scroll (a copy) and a typed block.
    const scroll = scrolled(first, 16, codeScreen(8));
    const lost1 = enc.update(scroll)!;
    const typed = { ...scroll, data: new Uint8Array(scroll.data) };
    for (let y = 120; y < 133; y++) for (let x = 40; x < 47; x++) typed.data[(y * W + x) * 4] = 250;
    const lost2 = enc.update(typed)!;
    const painted = [...lost1.ops, ...lost2.ops].flatMap((op) => (op.kind === 'copy' ? [{ ...op.rect, x: op.rect.x + op.dx, y: op.rect.y + op.dy }] : op.kind === 'pointer' ? [] : [op.rect]));
    // Meanwhile, something else changed.
    const later = { ...typed, data: new Uint8Array(typed.data) };
    for (let y = 180; y < 190; y++) for (let x = 200; x < 230; x++) later.data[(y * W + x) * 4 + 2] = 200;
    enc.repaint(painted);
    const resumed = enc.update(later)!;
    assert.equal(resumed.full, false);
    apply(resumed, picture, W);
    assert.deepEqual(picture, opaque(later.data), 'the picture the helper had, plus the update, is the screen');
    // Nothing more to repaint: the next update is only what changes.
    assert.equal(enc.update(later), undefined);
  });

  it('a scroll is one copy plus the rows that scrolled in, far smaller than the screen', () => {
    const enc = new ScreenEncoder();
    const first = codeScreen(2);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(first)!, picture, W);
    const keyBytes = encodeUpdate(enc.update(codeScreen(3)) ?? { full: false, ops: [] }).length;
    apply(enc.update(first)!, picture, W); // back to the first picture
    const next = scrolled(first, 12, codeScreen(4));
    assert.equal(findVerticalScroll(first.data, next.data, W, { x: 0, y: 0, width: W, height: H }), -12);
    const delta = enc.update(next)!;
    const copy = delta.ops.find((o) => o.kind === 'copy');
    assert.ok(copy && copy.kind === 'copy' && copy.dy === -12 && copy.dx === 0, JSON.stringify(delta.ops.map((o) => o.kind)));
    assert.ok(encodeUpdate(delta).length * 5 < keyBytes, `scroll ${encodeUpdate(delta).length} B against a repaint of ${keyBytes} B`);
    apply(delta, picture, W);
    assert.deepEqual(picture, opaque(next.data));
  });

  it('a scroll under a fixed overlay (a toolbar that does not scroll) still rebuilds exactly', () => {
    const enc = new ScreenEncoder();
    const base = codeScreen(5);
    const overlay = (p: Pixels) => {
      const d = new Uint8Array(p.data);
      for (let y = 20; y < 60; y++) for (let x = 200; x < 300; x++) d.set([0, 0, 200, 255], (y * W + x) * 4);
      return { ...p, data: d };
    };
    const picture = new Uint8Array(W * H * 4);
    let screen = overlay(base);
    apply(enc.update(screen)!, picture, W);
    let content = base;
    for (let step = 0; step < 5; step++) {
      content = scrolled(content, 4, codeScreen(10 + step));
      screen = overlay(content);
      const u = enc.update(screen)!;
      apply(u, picture, W);
      assert.deepEqual(picture, opaque(screen.data), `step ${step}`);
    }
  });

  it('an editor, its minimap and a sidebar: each part that scrolled is one copy, by its own distance, and the rest stays', () => {
    const enc = new ScreenEncoder();
    const sidebar = codeScreen(20);
    let editor = codeScreen(21);
    let minimap = codeScreen(22);
    // Columns 0-63 the sidebar, 64-255 the editor, 256-319 the minimap.
    const compose = () => {
      const data = new Uint8Array(W * H * 4);
      for (let y = 0; y < H; y++) {
        const row = y * W * 4;
        data.set(sidebar.data.subarray(row, row + 64 * 4), row);
        data.set(editor.data.subarray(row + 64 * 4, row + 256 * 4), row + 64 * 4);
        data.set(minimap.data.subarray(row + 256 * 4, row + W * 4), row + 256 * 4);
      }
      return { data, width: W, height: H };
    };
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(compose())!, picture, W);
    editor = scrolled(editor, 16, codeScreen(23));
    minimap = scrolled(minimap, 4, codeScreen(24));
    const next = compose();
    const u = enc.update(next)!;
    const copies = u.ops.filter((o) => o.kind === 'copy').map((o) => (o.kind === 'copy' ? [o.rect.x, o.rect.width, o.dy] : []));
    assert.deepEqual(copies, [[64, 192, -16], [256, 64, -4]]);
    apply(u, picture, W);
    assert.deepEqual(picture, opaque(next.data));
  });

  it('dirty rectangles bound the search: a change outside them is not seen until it is reported', () => {
    const enc = new ScreenEncoder();
    const first = codeScreen(6);
    enc.update(first);
    const changed = { ...first, data: new Uint8Array(first.data) };
    changed.data[(150 * W + 300) * 4] = 255 - changed.data[(150 * W + 300) * 4]!;
    assert.equal(enc.update(changed, [{ x: 0, y: 0, width: 50, height: 50 }]), undefined);
    const u = enc.update(changed, [{ x: 290, y: 140, width: 30, height: 30 }])!;
    assert.deepEqual(rectOf(u.ops[0]), { x: 300, y: 150, width: 1, height: 1 });
  });

  it('reset() and a new screen size give a key update', () => {
    const enc = new ScreenEncoder();
    const first = codeScreen(7);
    enc.update(first);
    enc.reset();
    assert.equal(enc.update(first)!.full, true);
    assert.equal(enc.update(codeScreen(7, 160, 100))!.full, true);
  });

  it('the wire format round-trips through chunks, and refuses what lies outside the screen or is cut short', () => {
    const enc = new ScreenEncoder();
    const u = enc.update(codeScreen(8))!;
    const data = encodeUpdate(u);
    const assembler = new FrameAssembler();
    let got;
    for (const c of chunkFrame(9, { format: 'update', width: W, height: H, data })) got = assembler.push(c);
    assert.equal(got?.format, 'update');
    const parsed = parseUpdate(got!.data, W, H)!;
    assert.equal(parsed.full, true);
    assert.equal(parsed.ops.length, u.ops.length);
    assert.equal(parseUpdate(data, W - 1, H), undefined, 'a band wider than the screen');
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'pointer', at: undefined }] }), 65535, 65535), undefined, 'a screen too large to draw');
    assert.equal(parseUpdate(data.subarray(0, data.length - 1), W, H), undefined, 'cut short');
    assert.equal(parseUpdate(Uint8Array.of(...data, 0), W, H), undefined, 'trailing bytes');
    const copy = encodeUpdate({ full: false, ops: [{ kind: 'copy', rect: { x: 0, y: 0, width: W, height: 10 }, dx: 0, dy: H - 5 }] });
    assert.equal(parseUpdate(copy, W, H), undefined, 'a copy off the screen');
    // The pointer: a place and a shape, or off the screen; refused outside the screen or with a hot spot off its shape.
    const shapePng = encodeRgbaPng(new Uint8Array(16 * 16 * 4).fill(200), 16, 16);
    const withPointer = encodeUpdate({ full: false, ops: [{ kind: 'pointer', at: { x: 10, y: 20 }, shape: { width: 16, height: 16, hotX: 1, hotY: 2, png: shapePng } }, { kind: 'pointer', at: undefined }] });
    const back = parseUpdate(withPointer, W, H)!;
    assert.deepEqual(back.ops.map((o) => (o.kind === 'pointer' ? [o.at, o.shape?.hotX, o.shape?.hotY, o.shape?.png.length] : o.kind)), [[{ x: 10, y: 20 }, 1, 2, shapePng.length], [undefined, undefined, undefined, undefined]]);
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'pointer', at: { x: W, y: 0 } }] }), W, H), undefined, 'a pointer off the screen that is not marked so');
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'pointer', at: { x: 1, y: 1 }, shape: { width: 16, height: 16, hotX: 16, hotY: 0, png: shapePng } }] }), W, H), undefined, 'a hot spot off the shape');
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'pointer', at: { x: 1, y: 1 }, shape: { width: 8, height: 16, hotX: 0, hotY: 0, png: shapePng } }] }), W, H), undefined, 'a shape whose PNG is another size');
    // A copy in two dimensions (a window dragged) round-trips; one whose source or destination leaves the screen is refused.
    const moved = encodeUpdate({ full: false, ops: [{ kind: 'copy', rect: { x: 10, y: 20, width: 100, height: 50 }, dx: -10, dy: 120 }] });
    assert.deepEqual(parseUpdate(moved, W, H)?.ops, [{ kind: 'copy', rect: { x: 10, y: 20, width: 100, height: 50 }, dx: -10, dy: 120 }]);
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'copy', rect: { x: 10, y: 20, width: 100, height: 50 }, dx: -11, dy: 0 }] }), W, H), undefined, 'a copy off the left edge');
    assert.equal(parseUpdate(encodeUpdate({ full: false, ops: [{ kind: 'copy', rect: { x: 250, y: 20, width: 70, height: 50 }, dx: 1, dy: 0 }] }), W, H), undefined, 'a copy off the right edge');
    const lying = encodeUpdate({ full: false, ops: [{ kind: 'image', rect: { x: 0, y: 0, width: 4, height: 4 }, png: encodePng(codeScreen(1), 0, 0, 5, 4) }] });
    assert.equal(parseUpdate(lying, W, H), undefined, 'an image whose size is not its rectangle');
  });
});
