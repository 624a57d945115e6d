/**
 * The moved-window search's rectangle: from the tiles it explains, widened to the pixel as far as the move holds, on
 * every side, whether the window's edges fall on tile boundaries or not (a window seldom sits on a 32-pixel grid).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findMoves } from '../../src/agent/moveSearch';
import { changedTiles } from '../../src/agent/tiles';

const W = 640;
const H = 480;

/** Pixels that never repeat (a photo as wallpaper): a move holds exactly over what moved, not a pixel more. */
function noise(seed: number, width: number, height: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    data[i] = s & 0xff;
    data[i + 1] = (s >>> 8) & 0xff;
    data[i + 2] = (s >>> 16) & 0xff;
    data[i + 3] = 255;
  }
  return data;
}

/** The desktop with the window's pixels at (x, y). */
function screen(desk: Uint8Array, win: Uint8Array, w: number, h: number, x: number, y: number): Uint8Array {
  const data = new Uint8Array(desk);
  for (let r = 0; r < h; r++) data.set(win.subarray(r * w * 4, (r + 1) * w * 4), ((y + r) * W + x) * 4);
  return data;
}

describe('the moved-window search', () => {
  it('widens the copy to the window\'s exact edges, off the tile grid, in any direction', () => {
    const desk = noise(1, W, H);
    let seed = 2;
    // Large enough to cover MOVE_MIN_TILES whole tiles wherever they sit.
    for (const [w, h] of [[301, 203], [200, 123], [97, 250]] as const) {
      const win = noise(seed++, w, h);
      for (const [x, y, dx, dy] of [[45, 37, 6, 4], [100, 90, -7, -5], [33, 200, 250, -70], [64, 64, 1, 0], [70, 41, 0, 33], [96, 128, 17, -3]] as const) {
        if (y + h > H || y + dy + h > H || x + w > W || x + dx + w > W || x + dx < 0 || y + dy < 0) continue;
        const before = screen(desk, win, w, h, x, y);
        const after = screen(desk, win, w, h, x + dx, y + dy);
        const tiles = changedTiles(before, after, W, { x: 0, y: 0, width: W, height: H })!;
        const { moves } = findMoves(before, after, W, H, tiles);
        assert.deepEqual(
          moves.map((m) => [m.rect, m.dx, m.dy]),
          [[{ x, y, width: w, height: h }, dx, dy]],
          `a ${w}x${h} window at (${x}, ${y}) moved by (${dx}, ${dy})`,
        );
      }
    }
  });
});
