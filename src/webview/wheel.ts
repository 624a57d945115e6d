/**
 * The helper's panel (webview): wheel events to whole notches, the host's unit (pure, no DOM). A mouse wheel gives
 * one event per notch; a trackpad gives many small ones. Rounding each event up to a notch (as the panel once did)
 * made a trackpad scroll many times too far, and rounding each one down would lose every small one: so small
 * deltas are added up per axis and a notch goes out when a whole one is there. An event of half a notch or more is
 * a wheel's click and goes out at once, at least one notch, as before (Chromium on Linux gives 53 pixels a click).
 */

/** Wheel notches per unit of `deltaX/Y`, by `deltaMode` (pixels, lines, pages). */
const NOTCHES_PER_DELTA = [1 / 100, 1 / 3, 10] as const;
/** The most notches one message may carry (the protocol's bound). */
export const MAX_NOTCHES = 50;
/** An event at least this big (in notches) is taken as a wheel's click, not a trackpad's part of one. */
const CLICK = 0.5;

/** What is left over on each axis, in notches (always less than one either way). */
export interface WheelRest {
  readonly x: number;
  readonly y: number;
}

export const NO_REST: WheelRest = { x: 0, y: 0 };

/** One wheel event: the notches to send now on each axis, and what is left for the next event. */
export function wheelStep(rest: WheelRest, deltaX: number, deltaY: number, deltaMode: number): { dx: number; dy: number; rest: WheelRest } {
  const perDelta = NOTCHES_PER_DELTA[deltaMode] ?? NOTCHES_PER_DELTA[0];
  const x = axisStep(rest.x, deltaX * perDelta);
  const y = axisStep(rest.y, deltaY * perDelta);
  return { dx: x.notches, dy: y.notches, rest: { x: x.rest, y: y.rest } };
}

function axisStep(rest: number, value: number): { notches: number; rest: number } {
  if (value === 0 || !Number.isFinite(value)) return { notches: 0, rest };
  if (Math.abs(value) >= CLICK) {
    // A click: sent whole, and whatever a trackpad left over is forgotten.
    const n = Math.min(Math.max(1, Math.round(Math.abs(value))), MAX_NOTCHES);
    return { notches: Math.sign(value) * n, rest: 0 };
  }
  // A turn the other way starts again from nothing: a leftover of the old way must not eat the first of the new.
  const sum = Math.sign(rest) === -Math.sign(value) ? value : rest + value;
  const whole = Math.trunc(sum) || 0;
  return { notches: Math.max(-MAX_NOTCHES, Math.min(MAX_NOTCHES, whole)), rest: sum - whole };
}
