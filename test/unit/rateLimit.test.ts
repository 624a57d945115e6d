import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RATE_LIMITS } from '../../src/host/hostSession';
import { RateLimiter } from '../../src/shared/rateLimit';

describe('rate limits', () => {
  it('lets a burst through, drops and counts the excess, per kind, and refills with time', () => {
    let now = 1_000;
    const limiter = new RateLimiter({ move: { max: 5, perMs: 1000 }, key: { max: 2, perMs: 1000 } }, () => now);
    const moves = Array.from({ length: 8 }, () => limiter.take('move'));
    assert.deepEqual(moves, [true, true, true, true, true, false, false, false]);
    // Another kind has its own bucket.
    assert.equal(limiter.take('key'), true);
    assert.equal(limiter.take('key'), true);
    assert.equal(limiter.take('key'), false);
    assert.equal(limiter.dropped, 4);
    assert.deepEqual(limiter.droppedCounts(), { move: 3, key: 1 });
    now += 200; // a fifth of a second: one move
    assert.equal(limiter.take('move'), true);
    assert.equal(limiter.take('move'), false);
    now += 10_000; // a long pause refills a full bucket, no more
    assert.equal(Array.from({ length: 7 }, () => limiter.take('move')).filter(Boolean).length, 5);
  });

  it('does not refill when the clock goes back', () => {
    let now = 5_000;
    const limiter = new RateLimiter({ m: { max: 1, perMs: 1000 } }, () => now);
    assert.equal(limiter.take('m'), true);
    now = 0;
    assert.equal(limiter.take('m'), false);
  });

  it('over a steady flood, passes about the set rate of each kind the host limits', () => {
    for (const [kind, rate] of Object.entries(RATE_LIMITS)) {
      let now = 0;
      const limiter = new RateLimiter(RATE_LIMITS, () => now);
      let passed = 0;
      // 10 seconds of one message every 0.1 ms.
      for (let i = 0; i < 100_000; i++, now += 0.1) if (limiter.take(kind as keyof typeof RATE_LIMITS)) passed++;
      const expected = rate.max + (10_000 * rate.max) / rate.perMs;
      assert.ok(Math.abs(passed - expected) <= 2, `${kind}: ${passed} passed, ${expected} expected`);
    }
  });
});
