/**
 * The laser pointer's pure parts (issue 13): the `laser` messages' validators, the guard's rate for them, the host's
 * relay (what reaches the agent, what the helper is told), the agent's controller (mapping, the still timer, a
 * surface that cannot be opened), the ring's shape, and the panel's throttle. The real window is the integration
 * test's (test/integration/laser.test.ts).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LASER_SIZE, LaserPointer, ringRectangles, type LaserSurface } from '../../src/agent/laser';
import { isAgentRequest } from '../../src/agent/contract';
import { Guard, RATE_LIMITS } from '../../src/host/guard';
import { LaserRelay, type LaserPort } from '../../src/host/laserRelay';
import { silentLogger } from '../../src/shared/log';
import { parseHelperMessage, parseHostMessage, type HostMessage, type LaserPoint } from '../../src/shared/protocol';
import type { HostState } from '../../src/shared/stateMachine';
import { LASER_INTERVAL_MS, Throttle, isLaserShortcut, type ThrottleClock } from '../../src/webview/laser';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('laser: the messages', () => {
  it('takes a point on the picture or a hide from the helper, rebuilt, and nothing else', () => {
    assert.deepEqual(parseHelperMessage({ type: 'laser', at: { x: 0.25, y: 1 } }), { type: 'laser', at: { x: 0.25, y: 1 } });
    assert.deepEqual(parseHelperMessage({ type: 'laser' }), { type: 'laser' });
    assert.deepEqual(parseHelperMessage({ type: 'laser', at: { x: 0, y: 0, extra: '<b>' } }), { type: 'laser', at: { x: 0, y: 0 } });
    const bad: unknown[] = [null, 5, 'here', [0.5, 0.5], {}, { x: 0.5 }, { x: 1.01, y: 0 }, { x: -0.1, y: 0 }, { x: '0.5', y: 0.5 }, { x: Number.NaN, y: 0 }, { x: Infinity, y: 0 }, true];
    for (const at of bad) assert.equal(parseHelperMessage({ type: 'laser', at }), undefined, JSON.stringify(at));
    // Nothing inherited stands in for a field the helper did not send.
    const inherited = Object.create({ x: 0.5, y: 0.5 }) as object;
    assert.equal(parseHelperMessage({ type: 'laser', at: inherited }), undefined);
  });

  it('takes the three modes from the host and nothing else', () => {
    for (const mode of ['on', 'off', 'unseen'] as const) assert.deepEqual(parseHostMessage({ type: 'laser', mode }), { type: 'laser', mode });
    for (const mode of [undefined, 'ON', '', 'toString', true, 1, null]) assert.equal(parseHostMessage({ type: 'laser', mode }), undefined, String(mode));
  });

  it('passes the agent a point or a hide only', () => {
    assert.equal(isAgentRequest({ type: 'laser' }), true);
    assert.equal(isAgentRequest({ type: 'laser', at: { x: 1, y: 0 } }), true);
    assert.equal(isAgentRequest({ type: 'laser', at: { x: 2, y: 0 } }), false);
    assert.equal(isAgentRequest({ type: 'laser', at: null }), false);
  });
});

describe('laser: the guard', () => {
  it('takes laser points only after admission, counts a bad one as malformed, and rate-limits a flood', () => {
    const dropped = { malformed: 0, rateLimited: 0, inputWithoutControl: 0 };
    const g = new Guard(silentLogger, dropped, () => 0);
    const point = JSON.stringify({ type: 'laser', at: { x: 0.5, y: 0.5 } });
    assert.equal(g.screen(point, 'asking', 'awaitingMediaProof'), 'drop', 'before admission');
    assert.equal(g.screen(JSON.stringify({ type: 'laser', at: { x: 5, y: 0 } }), 'viewing', 'verified'), 'drop');
    assert.equal(dropped.malformed, 2);
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (typeof g.screen(point, 'viewing', 'verified') === 'object') accepted++;
    assert.equal(accepted, RATE_LIMITS.laser.max);
    assert.equal(dropped.rateLimited, 100 - RATE_LIMITS.laser.max);
    // The panel's throttle stays under the rate: a second of points at its pace all pass.
    assert.ok(1000 / LASER_INTERVAL_MS <= RATE_LIMITS.laser.max);
  });
});

/** A relay on a fake session: what it drew and what it told the helper and the host. */
function relay(enabled = true) {
  const drawn: (LaserPoint | undefined)[] = [];
  const sent: HostMessage[] = [];
  const notices: string[] = [];
  const session = { open: true, state: 'viewing' as HostState['kind'], paused: false };
  const port: LaserPort = {
    log: silentLogger,
    send: (m) => sent.push(m),
    open: () => session.open,
    state: () => session.state,
    paused: () => session.paused,
    draw: (at) => drawn.push(at),
    notify: (m) => notices.push(m),
  };
  return { r: new LaserRelay(port, enabled), drawn, sent, notices, session };
}

describe('laser: the host relay', () => {
  it('draws what the helper points at while it views without control, and hides it', () => {
    const { r, drawn } = relay();
    r.received({ type: 'laser', at: { x: 0.1, y: 0.2 } });
    r.received({ type: 'laser' });
    assert.deepEqual(drawn, [{ x: 0.1, y: 0.2 }, undefined]);
  });

  it('draws nothing while switched off, paused, under control or before the view was granted, and takes a ring down', () => {
    for (const [what, change] of [
      ['switched off', (s: ReturnType<typeof relay>) => s.r.setEnabled(false)],
      ['paused', (s: ReturnType<typeof relay>) => (s.session.paused = true)],
      ['under control', (s: ReturnType<typeof relay>) => (s.session.state = 'controlled')],
      ['not granted', (s: ReturnType<typeof relay>) => (s.session.open = false)],
    ] as const) {
      const s = relay();
      s.r.received({ type: 'laser', at: { x: 0.5, y: 0.5 } });
      change(s);
      s.r.received({ type: 'laser', at: { x: 0.6, y: 0.6 } });
      s.r.received({ type: 'laser', at: { x: 0.7, y: 0.6 } });
      assert.deepEqual(s.drawn, [{ x: 0.5, y: 0.5 }, undefined], what);
    }
  });

  it('tells the helper its mode after viewGranted and when the host switches it, and starts from the setting', () => {
    const { r, sent, drawn } = relay(false);
    assert.equal(r.mode, 'off');
    r.viewGranted();
    r.received({ type: 'laser', at: { x: 0.5, y: 0.5 } });
    assert.equal(r.setEnabled(true), true);
    assert.equal(r.setEnabled(true), false);
    r.received({ type: 'laser', at: { x: 0.5, y: 0.5 } });
    r.setEnabled(false);
    assert.deepEqual(sent, [{ type: 'laser', mode: 'off' }, { type: 'laser', mode: 'on' }, { type: 'laser', mode: 'off' }]);
    assert.deepEqual(drawn, [{ x: 0.5, y: 0.5 }, undefined]);
  });

  it('where the agent cannot draw: tells the host once that only the helper sees it, the helper that it is unseen, and draws nothing', () => {
    const { r, sent, notices, drawn } = relay();
    r.unavailable('it is drawn on Linux with X11 only, not on win32');
    r.unavailable('again');
    r.received({ type: 'laser', at: { x: 0.5, y: 0.5 } });
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /only in their own view/);
    assert.deepEqual(sent, [{ type: 'laser', mode: 'unseen' }]);
    assert.deepEqual(drawn, []);
    r.viewGranted();
    assert.deepEqual(sent.at(-1), { type: 'laser', mode: 'unseen' });
  });
});

/** A surface that records what it was told. */
function surface(): LaserSurface & { calls: string[] } {
  const calls: string[] = [];
  return { calls, show: (x, y) => calls.push(`show ${x},${y}`), hide: () => calls.push('hide'), dispose: () => calls.push('dispose') };
}

describe('laser: the agent', () => {
  it('opens its surface on the first point, maps points as input does, and hides after being still', async () => {
    const s = surface();
    let opened = 0;
    const laser = new LaserPointer({
      log: silentLogger,
      open: async () => (opened++, s),
      toDesktop: (at) => ({ x: 100 + Math.floor(at.x * 200), y: Math.floor(at.y * 100) }),
      unavailable: () => assert.fail('available'),
      stillMs: 60,
    });
    laser.point({ x: 0.5, y: 0.5 });
    laser.point({ x: 0.25, y: 0.5 });
    await wait(5);
    assert.equal(opened, 1);
    // Opened once, at the latest point asked for.
    assert.deepEqual(s.calls, ['show 150,50']);
    laser.point({ x: 0.5, y: 0.5 });
    await wait(40);
    // The same place again is no move: the timer that started at the last move still ends it.
    laser.point({ x: 0.5, y: 0.5 });
    await wait(40);
    assert.deepEqual(s.calls, ['show 150,50', 'show 200,50', 'hide']);
    laser.point({ x: 0.5, y: 0.5 });
    laser.point(undefined);
    laser.point(undefined);
    laser.dispose();
    assert.deepEqual(s.calls, ['show 150,50', 'show 200,50', 'hide', 'show 200,50', 'hide', 'dispose']);
  });

  it('says once why it cannot draw, and tries no more', async () => {
    const reasons: string[] = [];
    let tries = 0;
    const laser = new LaserPointer({
      log: silentLogger,
      open: () => (tries++, Promise.reject(new Error('no SHAPE'))),
      toDesktop: (at) => at,
      unavailable: (reason) => reasons.push(reason),
    });
    laser.point({ x: 0.5, y: 0.5 });
    await wait(5);
    laser.point({ x: 0.6, y: 0.5 });
    await wait(5);
    assert.deepEqual(reasons, ['no SHAPE']);
    assert.equal(tries, 1);
  });

  it('opens a new surface after its connection broke', async () => {
    const surfaces: ReturnType<typeof surface>[] = [];
    let broken: ((reason: string) => void) | undefined;
    const laser = new LaserPointer({
      log: silentLogger,
      open: async (onBroken) => {
        broken = onBroken;
        surfaces.push(surface());
        return surfaces.at(-1)!;
      },
      toDesktop: (at) => at,
      unavailable: () => assert.fail('available'),
    });
    laser.point({ x: 0.1, y: 0.1 });
    await wait(5);
    broken!('the X server closed the connection');
    laser.point({ x: 0.2, y: 0.2 });
    await wait(5);
    assert.equal(surfaces.length, 2);
    assert.deepEqual(surfaces[1]!.calls, ['show 0.2,0.2']);
    laser.dispose();
  });

  it('is a ring: hollow in the middle, symmetric, every row within the square', () => {
    const rects = ringRectangles(LASER_SIZE, 16, 7);
    const inside = (x: number, y: number) => rects.some(([rx, ry, w, h]) => x >= rx && x < rx + w && y >= ry && y < ry + h);
    const c = LASER_SIZE / 2;
    assert.equal(inside(c, c), false, 'the centre is see-through');
    assert.equal(inside(c + 10, c), true, 'the band');
    assert.equal(inside(0, 0), false, 'the corner');
    for (let y = 0; y < LASER_SIZE; y++) {
      for (let x = 0; x < LASER_SIZE; x++) assert.equal(inside(x, y), inside(LASER_SIZE - 1 - x, y), `${x},${y}`);
    }
    assert.ok(rects.every(([x, y, w, h]) => x >= 0 && y >= 0 && w > 0 && h === 1 && x + w <= LASER_SIZE && y < LASER_SIZE));
    // YXBanded: top to bottom, left to right.
    for (let i = 1; i < rects.length; i++) assert.ok(rects[i]![1] > rects[i - 1]![1] || rects[i]![0] > rects[i - 1]![0]);
  });
});

/** A clock the test moves by hand. */
function fakeClock(): ThrottleClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after: (ms, fn) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return { cancel: () => (timers = timers.filter((x) => x !== t)) };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = end;
    },
  };
}

describe('laser: the panel', () => {
  it('sends at most one point per interval, the latest always, and the same one once', () => {
    const clock = fakeClock();
    const sent: [number, number | undefined][] = [];
    const t = new Throttle<number | undefined>((v) => sent.push([clock.now(), v]), (a, b) => a === b, 40, clock);
    t.push(1);
    for (let i = 2; i <= 10; i++) {
      clock.advance(5);
      t.push(i);
    }
    clock.advance(100);
    // The first at once; then one per interval, each the latest so far, and the very last.
    assert.deepEqual(sent, [[0, 1], [40, 8], [80, 10]]);
    // A second of moves at 200 a second: no more than one per 40 ms.
    for (let i = 0; i < 200; i++) {
      clock.advance(5);
      t.push(100 + i);
    }
    clock.advance(100);
    const times = sent.map(([at]) => at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 40, `${times[i - 1]} then ${times[i]}`);
    assert.ok(sent.length - 3 <= 1000 / 40 + 1, `${sent.length - 3} sent in a second`);
    assert.equal(sent.at(-1)![1], 299, 'the last place goes');
    const before = sent.length;
    t.push(299);
    t.push(undefined);
    t.push(undefined);
    clock.advance(100);
    assert.deepEqual(sent.slice(before).map(([, v]) => v), [undefined]);
  });

  it('knows its shortcut: Ctrl+Alt+L and only that', () => {
    const key = { code: 'KeyL', ctrlKey: true, altKey: true, metaKey: false, shiftKey: false };
    assert.equal(isLaserShortcut(key), true);
    assert.equal(isLaserShortcut({ ...key, shiftKey: true }), false);
    assert.equal(isLaserShortcut({ ...key, altKey: false }), false);
    assert.equal(isLaserShortcut({ ...key, code: 'KeyK' }), false);
  });
});
