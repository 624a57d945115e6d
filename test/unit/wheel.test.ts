import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NOTCHES, NO_REST, wheelStep, type WheelRest } from '../../src/webview/wheel';

/** Runs events through wheelStep and returns the notches sent on each axis, in total. */
function run(events: readonly (readonly [number, number, number?])[]): { dx: number; dy: number; sent: number; rest: WheelRest } {
  let rest = NO_REST;
  let dx = 0;
  let dy = 0;
  let sent = 0;
  for (const [x, y, mode] of events) {
    const step = wheelStep(rest, x, y, mode ?? 0);
    rest = step.rest;
    dx += step.dx;
    dy += step.dy;
    if (step.dx !== 0 || step.dy !== 0) sent++;
  }
  return { dx, dy, sent, rest };
}

describe('wheel notches', () => {
  it('adds up a trackpad\'s small deltas instead of a notch per event', () => {
    // 40 events of 5 px: 200 px, two notches (rounding each up once sent 40).
    const r = run(Array.from({ length: 40 }, () => [0, 5] as const));
    assert.equal(r.dy, 2);
    assert.equal(r.sent, 2);
  });

  it('keeps the fraction for the next event, and sends nothing below a notch', () => {
    assert.deepEqual(wheelStep(NO_REST, 0, 30, 0), { dx: 0, dy: 0, rest: { x: 0, y: 0.3 } });
    const r = run([[0, 30], [0, 30], [0, 30], [0, 30]]);
    assert.equal(r.dy, 1);
    assert.ok(Math.abs(r.rest.y - 0.2) < 1e-9);
  });

  it('scrolls sideways as well: deltaX becomes dx, both ways', () => {
    assert.equal(run(Array.from({ length: 10 }, () => [20, 0] as const)).dx, 2);
    assert.equal(run(Array.from({ length: 10 }, () => [-20, 0] as const)).dx, -2);
    assert.deepEqual(wheelStep(NO_REST, 120, -100, 0), { dx: 1, dy: -1, rest: { x: 0, y: 0 } });
  });

  it('a turn the other way starts from nothing', () => {
    const after = wheelStep({ x: 0, y: 0.9 }, 0, -20, 0);
    assert.equal(after.dy, 0);
    assert.ok(Math.abs(after.rest.y + 0.2) < 1e-9);
  });

  it('a mouse wheel\'s click still goes out at once, at least one notch, and clears what a trackpad left', () => {
    // Chromium on Linux: 53 px a click; Windows: 100; lines and pages.
    assert.deepEqual(wheelStep({ x: 0, y: 0.4 }, 0, 53, 0), { dx: 0, dy: 1, rest: { x: 0, y: 0 } });
    assert.equal(wheelStep(NO_REST, 0, -100, 0).dy, -1);
    assert.equal(wheelStep(NO_REST, 0, 3, 1).dy, 1);
    assert.equal(wheelStep(NO_REST, 0, 1, 2).dy, 10);
    assert.equal(run(Array.from({ length: 5 }, () => [0, 53] as const)).dy, 5);
  });

  it('stays within the protocol\'s bound and ignores what is not a number', () => {
    assert.equal(wheelStep(NO_REST, 0, 1e9, 0).dy, MAX_NOTCHES);
    assert.equal(wheelStep(NO_REST, -1e9, 0, 0).dx, -MAX_NOTCHES);
    assert.deepEqual(wheelStep({ x: 0.25, y: 0 }, Number.NaN, Number.POSITIVE_INFINITY, 0), { dx: 0, dy: 0, rest: { x: 0.25, y: 0 } });
    assert.equal(wheelStep(NO_REST, 0, 100, 7).dy, 1);
  });
});
