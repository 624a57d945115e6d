import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pixels } from '../../src/agent/png';
import { paintOrder } from '../../src/agent/paintOrder';
import { ScreenEncoder } from '../../src/agent/screenEncoder';
import { TILE } from '../../src/agent/tiles';
import { encodeUpdate, type Rect, type ScreenUpdate } from '../../src/shared/screenUpdate';
import { apply } from '../support/screenPixels';

const W = 640;
const H = 400;
/** A large window that shows new content, and a keystroke's change elsewhere. */
const LARGE: Rect = { x: 96, y: 64, width: 512, height: 320 };
const KEY: Rect = { x: 20, y: 20, width: 7, height: 13 };

/** A screen of "text": words of random marks in many colours on a light ground, different for every seed. */
function textScreen(seed: number, area: Rect = { x: 0, y: 0, width: W, height: H }, base?: Pixels): Pixels {
  const data = base ? new Uint8Array(base.data) : new Uint8Array(W * H * 4).fill(0xf4);
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  for (let y = area.y; y < area.y + area.height; y++) for (let x = area.x; x < area.x + area.width; x++) data.set([0xf4, 0xf4, 0xf4, 255], (y * W + x) * 4);
  for (let y = area.y + 2; y + 12 <= area.y + area.height; y += 16) {
    let x = area.x + 4;
    while (x + 8 <= area.x + area.width) {
      const colour = [rnd() * 200, rnd() * 200, rnd() * 200, 255].map(Math.floor);
      for (let g = 2 + Math.floor(rnd() * 6); g > 0 && x + 7 <= area.x + area.width; g--, x += 7) {
        for (let dy = 0; dy < 11; dy++) for (let dx = 0; dx < 6; dx++) if (rnd() < 0.45) data.set(colour, ((y + dy) * W + x + dx) * 4);
      }
      x += 7;
    }
  }
  return { data, width: W, height: H };
}

function typed(screen: Pixels, rgb: readonly number[]): Pixels {
  const data = new Uint8Array(screen.data);
  for (let y = KEY.y; y < KEY.y + KEY.height; y++) for (let x = KEY.x; x < KEY.x + KEY.width; x++) data.set([...rgb, 255], (y * W + x) * 4);
  return { ...screen, data };
}

/** `screen` with `rect` painted one colour (the block drawn over what is under it). */
function typedAt(screen: Pixels, rect: Rect, rgb: readonly number[]): Pixels {
  const data = new Uint8Array(screen.data);
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) data.set([...rgb, 255], (y * W + x) * 4);
  return { ...screen, data };
}

/** Whether two pictures are the same inside `rect`. */
function sameIn(a: Uint8Array, b: Uint8Array, rect: Rect): boolean {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const at = (y * W + rect.x) * 4;
    if (Buffer.compare(a.subarray(at, at + rect.width * 4), b.subarray(at, at + rect.width * 4)) !== 0) return false;
  }
  return true;
}

const pngBytes = (u: ScreenUpdate) => u.ops.reduce((n, o) => n + (o.kind === 'image' ? o.png.length : 0), 0);
const rects = (u: ScreenUpdate) => u.ops.flatMap((o) => (o.kind === 'pointer' ? [] : [o.rect]));
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('lossless updates within a byte budget (a slow link)', () => {
  it('the order: as they are without a budget; with one, the small first, a large rectangle cut in whole tiles', () => {
    const large = { x: 0, y: 0, width: 640, height: 320 };
    const small = { x: 320, y: 352, width: 64, height: 32 };
    assert.deepEqual(paintOrder([large, small], Infinity), [large, small]);
    const pieces = paintOrder([large, small], 16 * 1024);
    assert.deepEqual(pieces[0], small, 'the small one first');
    const cut = pieces.slice(1);
    // 16 Ki pixels at most, whole tiles: 640 wide is over that for one band of tiles, so blocks of 512 and 128.
    for (const p of cut) {
      assert.ok(p.width * p.height <= 16 * 1024, JSON.stringify(p));
      assert.ok(p.x % TILE === 0 && p.y % TILE === 0 && p.height === TILE, JSON.stringify(p));
    }
    assert.equal(cut.reduce((n, p) => n + p.width * p.height, 0), 640 * 320, 'every pixel once');
    assert.deepEqual(paintOrder([large], 200_000).map((p) => [p.y, p.height]), [[288, 32], [0, 288]], 'bands as tall as the budget allows (the smaller first)');
  });

  it('a keystroke goes first and within the budget, a large change follows in later updates with nothing else changing, and the picture ends exact', () => {
    const enc = new ScreenEncoder();
    const budget = 4 * 1024;
    enc.losslessBudget(budget);
    const first = textScreen(1);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(first, undefined, 0)!, picture, W);
    // The large window shows new content, and a key is typed: one capture sees both.
    const next = typed(textScreen(2, LARGE, first), [250, 0, 0]);
    const whole = new ScreenEncoder();
    whole.update(first, undefined, 0);
    const unlimited = whole.update(next, [LARGE, KEY], 10)!;
    assert.ok(pngBytes(unlimited) > 8 * budget, `the change is large: ${pngBytes(unlimited)} bytes at once without a budget`);

    const u = enc.update(next, [LARGE, KEY], 10)!;
    assert.deepEqual(rects(u)[0], KEY, 'the keystroke first');
    assert.ok(pngBytes(u) <= 2 * budget, `${pngBytes(u)} bytes against a budget of ${budget}`);
    assert.ok(enc.hasPending, 'the rest waits');
    apply(u, picture, W);
    // Nothing more changes (DAMAGE reports nothing): each update carries about a budget's worth, until none is left.
    let updates = 1;
    for (let t = 20; enc.hasPending; t += 10) {
      const more = enc.update(next, [], t)!;
      assert.ok(more, 'an update while changes are pending');
      assert.ok(pngBytes(more) <= 2 * budget, `${pngBytes(more)} bytes`);
      assert.ok(rects(more).every((r) => overlaps(r, LARGE)), 'only what was pending');
      apply(more, picture, W);
      updates++;
      assert.ok(updates < 200);
    }
    assert.ok(updates >= 6, `${updates} updates`);
    assert.deepEqual(picture, next.data, 'the helper\'s picture is the screen, exactly');
    assert.equal(enc.update(next, [], 10_000), undefined);
  });

  it('what waits keeps the helper\'s pixels: a scroll meanwhile is a copy of what the helper shows, and the picture ends exact', () => {
    const enc = new ScreenEncoder();
    enc.losslessBudget(4 * 1024);
    const first = textScreen(3);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(first, undefined, 0)!, picture, W);
    // New content in the large window: only part of it goes.
    const changed = textScreen(4, LARGE, first);
    apply(enc.update(changed, [LARGE], 10)!, picture, W);
    assert.ok(enc.hasPending);
    // Then the whole screen scrolls up by 48 rows, 48 new rows at the bottom.
    const stride = W * 4;
    const data = new Uint8Array(changed.data);
    data.copyWithin(0, 48 * stride);
    data.set(textScreen(5).data.subarray(0, 48 * stride), (H - 48) * stride);
    const after = { ...changed, data };
    const u = enc.update(after, [{ x: 0, y: 0, width: W, height: H }], 20)!;
    assert.ok(u.ops.some((o) => o.kind === 'copy' && o.dy === -48), `a copy: ${u.ops.map((o) => o.kind).join(' ')}`);
    apply(u, picture, W);
    for (let t = 30; enc.hasPending; t += 10) apply(enc.update(after, [], t)!, picture, W);
    assert.deepEqual(picture, after.data, 'the helper\'s picture is the screen, exactly');
  });

  it('while changes wait, a scroll is found between the captures (not against the helper\'s old pixels there): one copy of all that moved, and the picture ends exact', () => {
    const enc = new ScreenEncoder();
    enc.losslessBudget(2 * 1024);
    const stride = W * 4;
    const STEP = 96;
    let screen = textScreen(10);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(screen, undefined, 0)!, picture, W);
    // The page scrolls by STEP rows a capture (a link too slow for a capture every few rows), new text coming in at the
    // bottom: far more than the budget, so most of what came in waits, and moves up with the next scroll.
    const copied: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const data = new Uint8Array(screen.data);
      data.copyWithin(0, STEP * stride);
      data.set(textScreen(10 + i).data.subarray(0, STEP * stride), (H - STEP) * stride);
      screen = { ...screen, data };
      const u = enc.update(screen, [{ x: 0, y: 0, width: W, height: H }], i * 10)!;
      assert.ok(i === 1 || enc.hasPending, 'changes wait');
      copied.push(u.ops.reduce((n, o) => n + (o.kind === 'copy' && o.dy === -STEP ? o.rect.width * o.rect.height : 0), 0));
      apply(u, picture, W);
    }
    assert.ok(copied.every((area) => area === W * (H - STEP)), `copied per update: ${copied.join(' ')} pixels of ${W * (H - STEP)}`);
    for (let t = 100; enc.hasPending; t += 10) apply(enc.update(screen, [], t)!, picture, W);
    assert.deepEqual(picture, screen.data, 'the helper\'s picture is the screen, exactly');
  });

  it('what changed since the last capture goes before what waited: a block redrawn over a scrolling page is shown in every update', () => {
    const enc = new ScreenEncoder();
    enc.losslessBudget(1536);
    const stride = W * 4;
    const STEP = 32;
    const BLOCK: Rect = { x: 320, y: 64, width: 96, height: 32 };
    const page = textScreen(20);
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(page, undefined, 0)!, picture, W);
    // As the bench's window: the whole screen scrolls by STEP rows a capture, far more text coming in than the budget
    // carries, and a block (the bench's barcode) drawn over it in a new colour each time.
    let screen = page;
    let shownBlock = 0;
    const captures = 24;
    for (let i = 1; i <= captures; i++) {
      const data = new Uint8Array(screen.data);
      data.copyWithin(0, STEP * stride);
      data.set(textScreen(20 + i).data.subarray(0, STEP * stride), (H - STEP) * stride);
      screen = { ...screen, data };
      const shown = typedAt(screen, BLOCK, [(i * 40) % 256, 255 - ((i * 40) % 256), 128]);
      apply(enc.update(shown, [{ x: 0, y: 0, width: W, height: H }], i * 10)!, picture, W);
      if (sameIn(picture, shown.data, BLOCK)) shownBlock++;
    }
    assert.ok(enc.hasPending, 'text waits');
    assert.equal(shownBlock, captures, `the block was shown right after ${shownBlock} of ${captures} updates`);
  });

  it('while changes wait, the last capture kept for the scroll search is the capture after every update (a window dragged, a page scrolled)', () => {
    const enc = new ScreenEncoder();
    enc.losslessBudget(2 * 1024);
    const desk = textScreen(30);
    const win = textScreen(31);
    const SIZE = { width: 256, height: 160 };
    // The window at (x, y) over the desktop, and what X DAMAGE reports when it moves there from (px, py).
    const at = (x: number, y: number): Pixels => {
      const data = new Uint8Array(desk.data);
      for (let r = 0; r < SIZE.height; r++) data.set(win.data.subarray(r * W * 4, (r * W + SIZE.width) * 4), ((y + r) * W + x) * 4);
      return { data, width: W, height: H };
    };
    const moved = (px: number, py: number, x: number, y: number): Rect[] => [{ x: px, y: py, ...SIZE }, { x, y, ...SIZE }];
    const picture = new Uint8Array(W * H * 4);
    apply(enc.update(at(40, 40), undefined, 0)!, picture, W);
    const seen = () => (enc as unknown as { seenValid: boolean; seen: Uint8Array }).seenValid ? (enc as unknown as { seen: Uint8Array }).seen : undefined;
    let x = 40;
    let y = 40;
    let checked = 0;
    for (let i = 1; i <= 12; i++) {
      const [nx, ny] = [x + 24, y + 12];
      const screen = at(nx, ny);
      apply(enc.update(screen, moved(x, y, nx, ny), i * 10)!, picture, W);
      [x, y] = [nx, ny];
      const kept = seen();
      if (kept) {
        checked++;
        assert.ok(Buffer.from(kept).equals(Buffer.from(screen.data)), `update ${i}: the kept capture is the screen`);
      }
    }
    assert.ok(checked >= 6, `checked ${checked} updates with changes waiting`);
    for (let t = 1000; enc.hasPending; t += 10) apply(enc.update(at(x, y), [], t)!, picture, W);
    assert.deepEqual(picture, at(x, y).data, 'the helper\'s picture is the screen, exactly');
  });

  it('a few small parts waiting keep no copy of the screen; a large change waiting does', () => {
    const enc = new ScreenEncoder();
    const kept = () => (enc as unknown as { seen?: Uint8Array }).seen !== undefined;
    const first = textScreen(40);
    enc.update(first, undefined, 0);
    enc.losslessBudget(200);
    // Three keystroke-sized parts, their PNGs over the budget together: some wait.
    const small = [{ x: 64, y: 32, width: 32, height: 32 }, { x: 320, y: 192, width: 32, height: 32 }, { x: 576, y: 352, width: 32, height: 32 }];
    const next = small.reduce((p, r, i) => textScreen(41 + i, r, p), first);
    enc.update(next, small, 10);
    assert.ok(enc.hasPending, 'parts wait');
    assert.ok(!kept(), 'no copy of the screen for them');
    for (let t = 20; enc.hasPending; t += 10) enc.update(next, [], t);
    enc.update(textScreen(50, LARGE, next), [LARGE], 1000);
    assert.ok(enc.hasPending && kept(), 'a large change waits, and the last capture is kept');
  });

  it('without a budget an update holds every change, as before', () => {
    const enc = new ScreenEncoder();
    const first = textScreen(6);
    enc.update(first, undefined, 0);
    const u = enc.update(typed(textScreen(7, LARGE, first), [0, 0, 250]), [LARGE, KEY], 10)!;
    assert.ok(!enc.hasPending);
    assert.ok(encodeUpdate(u).length > 32 * 1024);
  });
});
