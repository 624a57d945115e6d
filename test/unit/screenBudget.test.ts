import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseHostMessage } from '../../src/shared/protocol';
import { image, pngHeader } from '../support/pngHeader';
import {
  MAX_POINTER_SIZE,
  MAX_SCREEN_SIDE,
  decodedPixels,
  encodeUpdate,
  isScreenSize,
  parseUpdate,
  pixelBudget,
  type UpdateOp,
} from '../../src/shared/screenUpdate';



describe('screen size limits', () => {
  it('accepts screens up to 8K on each side, and nothing empty or larger', () => {
    assert.equal(MAX_SCREEN_SIDE, 8192);
    assert.ok(isScreenSize(1920, 1080));
    assert.ok(isScreenSize(8192, 8192));
    assert.ok(!isScreenSize(8193, 100));
    assert.ok(!isScreenSize(100, 8193));
    assert.ok(!isScreenSize(0, 100));
    assert.ok(!isScreenSize(65_535, 65_535));
  });

  it('viewGranted says the same: a screen over 8K x 8K is not a screen the panel will show', () => {
    assert.deepEqual(parseHostMessage({ type: 'viewGranted', width: 8192, height: 8192 }), { type: 'viewGranted', width: 8192, height: 8192 });
    assert.equal(parseHostMessage({ type: 'viewGranted', width: 8193, height: 1080 }), undefined);
    assert.equal(parseHostMessage({ type: 'viewGranted', width: 1920, height: 32_768 }), undefined);
  });
});

describe('decoded pixels of an update', () => {
  const W = 1280;
  const H = 800;

  it('counts what every image and pointer shape decodes to, and nothing for copies', () => {
    const update = parseUpdate(
      encodeUpdate({
        full: false,
        ops: [
          image(0, 0, 100, 50),
          { kind: 'copy', rect: { x: 0, y: 0, width: 640, height: 400 }, dx: 10, dy: 10 },
          image(10, 10, 16, 16),
          { kind: 'pointer', at: { x: 5, y: 5 }, shape: { width: 32, height: 24, hotX: 0, hotY: 0, png: pngHeader(32, 24) } },
          { kind: 'pointer', at: undefined },
        ],
      }),
      W,
      H,
    );
    assert.ok(update);
    assert.equal(decodedPixels(update), 100 * 50 + 16 * 16 + 32 * 24);
  });

  it('allows about twice the screen, plus one pointer shape', () => {
    assert.equal(pixelBudget(W, H), 2 * W * H + MAX_POINTER_SIZE * MAX_POINTER_SIZE);
    // A whole screen in tiles, with the pointer: what a real host sends for a key update.
    const tiles: UpdateOp[] = [];
    for (let y = 0; y < H; y += 80) for (let x = 0; x < W; x += 80) tiles.push(image(x, y, 80, 80));
    tiles.push({ kind: 'pointer', at: { x: 1, y: 1 }, shape: { width: 64, height: 64, hotX: 0, hotY: 0, png: pngHeader(64, 64) } });
    const key = parseUpdate(encodeUpdate({ full: true, ops: tiles }), W, H)!;
    assert.ok(decodedPixels(key) <= pixelBudget(W, H));
  });

  it('finds the bomb: the same 8K picture thousands of times in one update is far over the budget', () => {
    const side = MAX_SCREEN_SIDE;
    const bomb = parseUpdate(encodeUpdate({ full: true, ops: Array.from({ length: 2000 }, () => image(0, 0, side, side)) }), side, side);
    assert.ok(bomb, 'every rectangle is inside the screen and every header matches: the parser alone lets it through');
    assert.equal(decodedPixels(bomb), 2000 * side * side);
    assert.ok(decodedPixels(bomb) > pixelBudget(side, side));
    // Three full screens are already too many.
    const three = parseUpdate(encodeUpdate({ full: true, ops: [image(0, 0, W, H), image(0, 0, W, H), image(0, 0, W, H)] }), W, H)!;
    assert.ok(decodedPixels(three) > pixelBudget(W, H));
  });

  it('refuses an update for a screen over 8K on either side', () => {
    const data = encodeUpdate({ full: true, ops: [image(0, 0, 16, 16)] });
    assert.ok(parseUpdate(data, 8192, 100));
    assert.equal(parseUpdate(data, 8193, 100), undefined, '8193 x 100 is few pixels, but wider than any screen the panel accepts');
  });
});
