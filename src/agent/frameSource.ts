/**
 * Screen capture in the agent, behind one interface: `TileSource` (tileSource.ts, the product's: raw grabs,
 * only what changed, lossless) and `ScreenshotDesktopSource` (screenshotDesktopSource.ts, whole JPEG pictures;
 * the benchmark's baseline, and the fallback where grabbing fails). Agent process only.
 */

import type { EncodedFrame } from '../shared/frames';
import type { Rect } from '../shared/screenUpdate';

/** A rectangle of the desktop, in the pixels the input is injected in (X11: the root window). */
export interface ScreenArea {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface FrameSource {
  /** For the log. */
  readonly name: string;
  /**
   * Captures the screen. Rejects, never hangs, when the capture fails or takes too long. A source of screen
   * updates resolves undefined when nothing changed within `request.waitMs`; a source of whole pictures always
   * resolves a picture.
   */
  capture(request?: CaptureRequest): Promise<EncodedFrame | undefined>;
  /**
   * The part of the desktop the frames show, so that input lands where the helper points; undefined when
   * they show the whole main screen as nut-js measures it (Windows and macOS: the main display is at 0,0).
   */
  area(): Promise<ScreenArea | undefined>;
  /** The host chose another monitor: the part to capture is read again before the next capture, not when it is due. */
  relayout?(): void;
  /** Input injected here is about to move the pointer, which the frames show: a source that reads it rarely reads it closely again. */
  pointerMayMove?(): void;
  dispose(): void;
}

/** What a capture is asked for. */
export interface CaptureRequest {
  /** The whole screen, not only what changed since the last capture (a new helper). */
  readonly full?: boolean;
  /** Wait up to this long for a change before answering that nothing changed. */
  readonly waitMs?: number;
  /** The lossy pictures' bit budget from now on (what the link leaves room for); absent: unchanged. */
  readonly lossyBps?: number;
  /** Parts of the screen the helper may not have as sent (frames lost in a cut): painted again exactly, at once. */
  readonly repaint?: readonly Rect[];
  /**
   * The bytes an update's lossless part may take from now on (what the link carries in a moment; what is over it
   * goes in the next updates); absent: unchanged, and no limit until one is given.
   */
  readonly losslessBytes?: number;
}

export const CAPTURE_TIMEOUT_MS = 5000;
/** How long the monitor layout (one `xrandr` run, ~30 ms) is trusted before it is read again. */
export const LAYOUT_TTL_MS = 2000;

export function describeArea(area: ScreenArea): string {
  return `${area.width}x${area.height}+${area.x}+${area.y}`;
}

export function sameArea(a: ScreenArea, b: ScreenArea): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** Settles with `promise`, or rejects with `message` after `ms`. The work itself cannot be cancelled. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}
