import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Guard, MAX_MALFORMED, RATE_EXCESS, countsAsHeard, expected, type DroppedCounts } from '../../src/host/guard';
import { silentLogger } from '../../src/shared/log';

const wire = (m: unknown) => JSON.stringify(m);

function guard(now = () => 0): { g: Guard; dropped: DroppedCounts } {
  const dropped = { malformed: 0, rateLimited: 0, inputWithoutControl: 0 };
  return { g: new Guard(silentLogger, dropped, now), dropped };
}

describe('guard: what each state expects', () => {
  it('takes the handshake in its order, input only after admission, heartbeats and bye at any time', () => {
    const hello = { type: 'hello', version: 3, helperName: 'x', helperNonce: 'n' } as const;
    assert.equal(expected(hello, 'verifying', 'awaitingHello'), true);
    assert.equal(expected(hello, 'verifying', 'challenged'), false);
    assert.equal(expected({ type: 'proof', mac: 'm' }, 'verifying', 'challenged'), true);
    assert.equal(expected({ type: 'proof', mac: 'm' }, 'verifying', 'checkingProof'), false, 'one proof per challenge');
    assert.equal(expected({ type: 'mediaProof', mac: 'm' }, 'asking', 'awaitingMediaProof'), true);
    assert.equal(expected({ type: 'mediaProof', mac: 'm' }, 'viewing', 'verified'), false);
    assert.equal(expected({ type: 'pointerMove', x: 0, y: 0 }, 'asking', 'awaitingMediaProof'), false);
    assert.equal(expected({ type: 'pointerMove', x: 0, y: 0 }, 'viewing', 'verified'), true);
    assert.equal(expected({ type: 'heartbeat' }, 'verifying', 'awaitingHello'), true);
  });

  it('counts a helper as heard from only once it proved the code', () => {
    for (const step of ['awaitingHello', 'challenged', 'checkingProof', 'refused'] as const) assert.equal(countsAsHeard(step), false, step);
    for (const step of ['awaitingMediaProof', 'mediaProofWaiting', 'checkingMediaProof', 'verified'] as const) assert.equal(countsAsHeard(step), true, step);
  });
});

describe('guard: limits', () => {
  it('drops malformed and out-of-place messages, and says disconnect past MAX_MALFORMED', () => {
    const { g, dropped } = guard();
    for (let i = 0; i < MAX_MALFORMED; i++) assert.equal(g.screen(i % 2 ? '{' : wire({ type: 'key', code: 'KeyA', down: true }), 'verifying', 'awaitingHello'), 'drop');
    assert.equal(g.screen('nonsense', 'verifying', 'awaitingHello'), 'disconnect');
    assert.equal(dropped.malformed, MAX_MALFORMED + 1);
  });

  it('drops a burst over the rate limits, but disconnects a flood that does not stop', () => {
    let now = 0;
    const { g, dropped } = guard(() => now);
    const ack = wire({ type: 'frameAck', id: 1 });
    let verdicts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const v = g.screen(ack, 'viewing', 'verified');
      const k = typeof v === 'string' ? v : 'accept';
      verdicts.set(k, (verdicts.get(k) ?? 0) + 1);
    }
    assert.equal(verdicts.get('disconnect'), undefined, 'a burst is survived');
    assert.ok(dropped.rateLimited > 9_000);
    // A new window: the excess starts again from nothing.
    now += RATE_EXCESS.windowMs + 1;
    verdicts = new Map();
    let first = -1;
    for (let i = 0; i < RATE_EXCESS.dropped + 1_000 && first < 0; i++) {
      now += 0.1;
      if (g.screen(ack, 'viewing', 'verified') === 'disconnect') first = i;
    }
    assert.ok(first > RATE_EXCESS.dropped - 10, `disconnected after ${first}`);
  });

  it('never drops the release of a held key, and never forwards a release of something not held', () => {
    const { g } = guard();
    assert.equal(g.forward({ type: 'key', code: 'KeyA', down: false }), false);
    assert.equal(g.forward({ type: 'key', code: 'KeyA', down: true }), true);
    for (let i = 0; i < 500; i++) g.screen(wire({ type: 'key', code: 'KeyB', down: true }), 'controlled', 'verified');
    const release = g.screen(wire({ type: 'key', code: 'KeyA', down: false }), 'controlled', 'verified');
    assert.deepEqual(release, { type: 'key', code: 'KeyA', down: false });
    assert.equal(g.forward({ type: 'key', code: 'KeyA', down: false }), true);
    assert.equal(g.held.size, 0);
  });
});
