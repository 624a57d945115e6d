/**
 * The order in which an update paints its changed rectangles losslessly when it has a byte budget (a slow link,
 * src/host/linkEstimate.ts), and how it cuts them (agent process, pure). The data channel is ordered: whatever an
 * update holds is in front of the next one, a keystroke's included. So an update carries about what the link
 * delivers in a moment and leaves the rest for the next: the smallest rectangles first (a keystroke, a caret, a
 * status line), a large one cut into pieces of whole tiles, top first, each of at most about as many pixels as the
 * budget has bytes (screen content rarely takes more than a byte a pixel as PNG), so that an update ends near its
 * budget: bands of tile rows, and a band wider than that in blocks along it. The pieces keep their rectangle's place
 * in the order: a barcode or a word typed, cut in pieces, goes before a page's rows that scrolled in, cut as small.
 * (Tried before while pending fragments were ordered with the rest, and reverted: their small whole rectangles then
 * went before the barcode; the encoder now paints them after what changed since the last capture, freshFirst.)
 */

import type { Rect } from '../shared/screenUpdate';
import { TILE } from './tiles';

/** `rects` in the order to paint them within `budget` bytes, the large ones cut; as they are without a budget. */
export function paintOrder(rects: readonly Rect[], budget: number): Rect[] {
  if (!Number.isFinite(budget)) return [...rects];
  const area = (r: Rect) => r.width * r.height;
  const pieces: Rect[] = [];
  // Stable sorts: rectangles and pieces alike as large keep their order, top first.
  for (const r of [...rects].sort((a, b) => area(a) - area(b))) {
    if (area(r) <= budget) {
      pieces.push(r);
      continue;
    }
    const rows = Math.max(TILE, Math.floor(budget / r.width / TILE) * TILE);
    const cols = rows > TILE ? r.width : Math.max(TILE, Math.floor(budget / TILE / TILE) * TILE);
    const cut: Rect[] = [];
    for (let y = r.y; y < r.y + r.height; y += rows) {
      for (let x = r.x; x < r.x + r.width; x += cols) {
        cut.push({ x, y, width: Math.min(cols, r.x + r.width - x), height: Math.min(rows, r.y + r.height - y) });
      }
    }
    pieces.push(...cut.sort((a, b) => area(a) - area(b)));
  }
  return pieces;
}
