/**
 * What the frames a helper has not acknowledged painted (extension host), so that after a network cut the resumed
 * helper gets only those parts again instead of the whole screen (a 1080p screen is a few hundred kB, seconds on a
 * slow, lossy link). The helper says which frame it drew last (`resume.lastFrame`); every frame sent after that one
 * may be lost, or drawn, and its copies applied or not: the agent paints the parts they touched exactly again
 * (ScreenEncoder.repaint), then what changed since. A capture the agent encoded but that was never sent counts too
 * (the agent's picture of the helper's has it). Where that cannot be known (a whole picture, too many frames, a
 * failed capture), the answer is "the whole screen", as before.
 *
 * Pure: no I/O.
 */

import type { EncodedFrame } from '../shared/frames';
import { parseUpdate, type Rect } from '../shared/screenUpdate';

/** Frames kept at most; beyond, a resume paints the whole screen. */
const MAX_FRAMES = 256;
/** Rectangles kept at most (the agent's own limit is MAX_REPAINT_RECTS); beyond, the whole screen. */
const MAX_RECTS = 4096;

export class PaintedLog {
  /** By frame id, oldest first: the parts each frame not yet acknowledged painted. */
  private readonly frames = new Map<number, readonly Rect[]>();
  /** Parts of captures encoded and never sent. */
  private unsent: Rect[] = [];
  private rects = 0;
  /** The id the next frame sent will have. */
  private next = 0;
  /** What the helper has can no longer be told: a resume paints the whole screen. */
  private unknown = false;

  /** Frame `id` went out. */
  sent(id: number, frame: EncodedFrame): void {
    this.next = id + 1;
    this.unsent = [];
    this.add(id, frame);
  }

  /** A capture the agent encoded was not sent (the link went away under it). */
  dropped(frame: EncodedFrame): void {
    const parts = paintedBy(frame);
    if (parts) this.unsent.push(...parts);
    else this.unknown = true;
  }

  /** A capture failed: the agent may have encoded an update that never came back. */
  failed(): void {
    this.unknown = true;
  }

  /** The helper drew frame `id` (and every one before it). */
  acked(id: number): void {
    for (const [at, parts] of this.frames) {
      if (at > id) break;
      this.rects -= parts.length;
      this.frames.delete(at);
    }
  }

  /**
   * The parts a helper that drew frame `lastDrawn` last may not have as sent; undefined when that cannot be told
   * (then the whole screen goes).
   */
  since(lastDrawn: number | undefined): Rect[] | undefined {
    if (lastDrawn === undefined || this.unknown || lastDrawn >= this.next) return undefined;
    const first = this.frames.keys().next();
    // A frame older than the oldest kept was acknowledged: the helper says it drew none of the kept ones, or lies.
    if (!first.done && lastDrawn < first.value - 1) return undefined;
    const parts: Rect[] = [];
    for (const [at, rects] of this.frames) if (at > lastDrawn) parts.push(...rects);
    parts.push(...this.unsent);
    return parts.length > MAX_RECTS ? undefined : parts;
  }

  private add(id: number, frame: EncodedFrame): void {
    // A whole screen (a picture, a key update) paints everything: what was not known before it no longer matters.
    const parts = paintedBy(frame) ?? [{ x: 0, y: 0, width: frame.width, height: frame.height }];
    if (parts.length === 1 && parts[0]!.width === frame.width && parts[0]!.height === frame.height) this.unknown = false;
    this.frames.set(id, parts);
    this.rects += parts.length;
    if (this.frames.size > MAX_FRAMES || this.rects > MAX_RECTS) this.unknown = true;
  }
}

/** The parts a frame paints: images where they go, copies where they land; undefined for a whole picture that does not parse as an update. */
function paintedBy(frame: EncodedFrame): Rect[] | undefined {
  if (frame.format !== 'update') return undefined;
  const update = parseUpdate(frame.data, frame.width, frame.height);
  if (!update) return undefined;
  if (update.full) return [{ x: 0, y: 0, width: frame.width, height: frame.height }];
  return update.ops.flatMap((op) => (op.kind === 'pointer' ? [] : op.kind === 'copy' ? [{ ...op.rect, x: op.rect.x + op.dx, y: op.rect.y + op.dy }] : [op.rect]));
}
