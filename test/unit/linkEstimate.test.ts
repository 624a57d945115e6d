import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOSSLESS_MIN_BYTES, LOSSY_MAX_BPS, LOSSY_MIN_BPS, LinkEstimator, MAX_FRAMES_IN_FLIGHT, MIN_BYTES_IN_FLIGHT, MIN_FRAMES_IN_FLIGHT } from '../../src/host/linkEstimate';

/**
 * A link of `kbps` and `rttMs` that delivers frames one after another (each waits for the one before it): the pump
 * keeps `window` frames of `bytes` in flight for `ms`. Returns the estimator, fed as the pump feeds it.
 */
function drive(e: LinkEstimator, o: { kbps: number; rttMs: number; bytes: number; window: number; ms: number; start?: number; id?: number; limited?: boolean; bunch?: number }): { now: number; id: number } {
  let now = o.start ?? 0;
  let id = o.id ?? 0;
  let linkFree = now;
  const acks: { id: number; at: number }[] = [];
  const send = () => {
    e.sent(id, o.bytes, now, o.limited);
    linkFree = Math.max(linkFree, now) + (o.bytes * 8) / o.kbps;
    // With `bunch`, acks come `bunch` at a time, held back to the last one's time (loss held the ones before).
    const at = linkFree + o.rttMs;
    acks.push({ id: id++, at: o.bunch ? at + (o.bunch - 1 - (id % o.bunch)) * ((o.bytes * 8) / o.kbps) : at });
  };
  for (let i = 0; i < o.window; i++) send();
  const end = now + o.ms;
  while (now < end) {
    const next = acks.shift()!;
    now = next.at;
    e.acked(next.id, now);
    send();
  }
  return { now, id };
}

describe('link estimator', () => {
  it('before any ack: the least window, and the agent\'s own lossy budget', () => {
    const e = new LinkEstimator(60, 0);
    assert.equal(e.framesLimit, MIN_FRAMES_IN_FLIGHT);
    assert.equal(e.bytesLimit, MIN_BYTES_IN_FLIGHT);
    assert.equal(e.lossyBps, LOSSY_MAX_BPS);
    assert.equal(e.minRttMs, undefined);
    assert.ok(e.mayQueue());
    e.sent(0, 10_000_000, 0);
    assert.ok(!e.mayQueue(), 'a frame larger than the window went alone; nothing more');
  });

  it('measures the round trip and the delivery rate of a full link', () => {
    const e = new LinkEstimator(60, 0);
    // 3 Mbit/s, 120 ms; ten frames of 15 KB always in flight: the link is the limit.
    drive(e, { kbps: 3000, rttMs: 120, bytes: 15_000, window: 10, ms: 5000 });
    const rate = e.deliveryBps!;
    assert.ok(Math.abs(rate - 3_000_000) < 300_000, `delivery ${rate} bit/s on a 3 Mbit/s link`);
    // The least round trip is the frame's own transmission (40 ms) plus the link's 120 ms.
    assert.ok(Math.abs(e.minRttMs! - 160) <= 1, `min rtt ${e.minRttMs}`);
    assert.ok(e.srttMs! > 300, `a queue of ten frames shows in the smoothed round trip: ${e.srttMs}`);
  });

  it('frames in flight fill a round trip at the frame rate, within bounds', () => {
    const short = new LinkEstimator(60, 0);
    drive(short, { kbps: 1_000_000, rttMs: 2, bytes: 1000, window: 1, ms: 1000 });
    assert.equal(short.framesLimit, MIN_FRAMES_IN_FLIGHT, 'loopback: two');
    const mid = new LinkEstimator(60, 0);
    drive(mid, { kbps: 20_000, rttMs: 60, bytes: 1000, window: 1, ms: 1000 });
    assert.equal(mid.framesLimit, 4, '60 ms at 60 fps: four');
    const long = new LinkEstimator(120, 0);
    drive(long, { kbps: 3000, rttMs: 300, bytes: 1000, window: 1, ms: 2000 });
    assert.equal(long.framesLimit, MAX_FRAMES_IN_FLIGHT, 'capped');
  });

  it('bytes in flight: a quarter more than the link delivers in a round trip; a small window stays at its floor', () => {
    const e = new LinkEstimator(60, 0);
    drive(e, { kbps: 20_000, rttMs: 30, bytes: 60_000, window: 6, ms: 3000 });
    // 20 Mbit/s x 54 ms (30 ms + one frame's 24 ms) x 1.25 = 169 KB.
    assert.ok(Math.abs(e.bytesLimit - 169_000) < 20_000, `bytes limit ${e.bytesLimit}`);
    const slow = new LinkEstimator(60, 0);
    drive(slow, { kbps: 300, rttMs: 120, bytes: 500, window: 2, ms: 3000 });
    assert.equal(slow.bytesLimit, MIN_BYTES_IN_FLIGHT);
  });

  it('the lossy budget falls to a share of the delivery when a queue builds, and grows back when it drains', () => {
    const e = new LinkEstimator(60, 0);
    // Far more in flight than a 1 Mbit/s link carries: the round trip grows, the budget falls under the rate.
    const at = drive(e, { kbps: 1000, rttMs: 100, bytes: 10_000, window: 12, ms: 6000 });
    assert.ok(e.lossyBps <= 0.7 * 1_000_000 && e.lossyBps >= LOSSY_MIN_BPS, `budget on a full 1 Mbit/s link: ${e.lossyBps}`);
    const low = e.lossyBps;
    // Then one small frame at a time: no queue, the budget grows back, up to the agent's own.
    drive(e, { kbps: 1000, rttMs: 100, bytes: 500, window: 1, ms: 20_000, start: at.now + 1000, id: at.id });
    assert.ok(e.lossyBps > low, `budget grew back: ${low} -> ${e.lossyBps}`);
    assert.equal(e.lossyBps, LOSSY_MAX_BPS);
  });

  it('the least round trip is of frames that went alone, and one goes alone now and then: a queue of our own does not hold it up', () => {
    const e = new LinkEstimator(60, 0);
    // 1 Mbit/s, 100 ms: the first frame goes alone (140 ms), then ten always in flight queue behind each other, for
    // longer than the window of round trips.
    const at = drive(e, { kbps: 1000, rttMs: 100, bytes: 5000, window: 10, ms: 12_000 });
    assert.equal(e.minRttMs, 140, 'the frame that went alone, not the queue\'s');
    // None went alone for longer than PROBE_EVERY_MS: what is in flight drains, then one frame goes alone.
    const t = at.now + 300;
    e.acked(at.id - 3, t);
    assert.equal(e.bytesInFlight, 10_000);
    assert.ok(!e.mayQueue(t), 'two in flight, far under the limits, but the least round trip is due to be measured');
    e.acked(at.id - 1, t + 80);
    assert.ok(e.mayQueue(t + 80), 'nothing in flight: one goes alone');
    e.sent(at.id, 5000, t + 80);
    assert.ok(!e.mayQueue(t + 100), 'and waits for its ack');
    e.acked(at.id, t + 220);
    assert.equal(e.minRttMs, 140, 'the link\'s own round trip again');
    e.sent(at.id + 1, 5000, t + 220);
    assert.ok(e.mayQueue(t + 220), 'measured: frames queue again');
  });

  it('an update\'s lossless part: what the link delivers in 60 ms, not less than the floor, no limit before a rate is known', () => {
    const e = new LinkEstimator(60, 0);
    assert.equal(e.losslessBytes, undefined);
    drive(e, { kbps: 20_000, rttMs: 30, bytes: 60_000, window: 6, ms: 3000 });
    assert.ok(Math.abs(e.losslessBytes! - 150_000) < 15_000, `20 Mbit/s: ${e.losslessBytes}`);
    const slow = new LinkEstimator(60, 0);
    drive(slow, { kbps: 200, rttMs: 120, bytes: 5000, window: 4, ms: 5000 });
    assert.equal(slow.losslessBytes, LOSSLESS_MIN_BYTES, '200 kbit/s: the floor');
  });

  it('on a link whose acks come in bunches, the budgets follow what it sustains, not its best rate', () => {
    // 600 kbit/s, acks three at a time: the best rate reads far over the link's.
    const e = new LinkEstimator(60, 0);
    drive(e, { kbps: 600, rttMs: 120, bytes: 8000, window: 4, ms: 8000, bunch: 3 });
    assert.ok(e.deliveryBps! > 750_000, `best rate ${e.deliveryBps}`);
    assert.equal(e.sustainedBps, undefined, 'no frame went at the link\'s pace: nothing sustained is known');
    // The same, each frame sent as soon as the link had room.
    const held = new LinkEstimator(60, 0);
    drive(held, { kbps: 600, rttMs: 120, bytes: 8000, window: 4, ms: 8000, bunch: 3, limited: true });
    const sustained = held.sustainedBps!;
    assert.ok(Math.abs(sustained - 600_000) < 120_000, `sustained ${sustained} on a 600 kbit/s link (best ${held.deliveryBps})`);
    assert.ok(Math.abs(held.losslessBytes! - (sustained * 0.06) / 8) < 1, `lossless ${held.losslessBytes}: 60 ms of it`);
    assert.ok(Math.abs(held.bytesLimit - 1.25 * (sustained / 8000) * held.minRttMs!) < 2, `bytes limit ${held.bytesLimit}`);
  });

  it('a whole picture\'s round trip is its own bytes\', not the path\'s: the first probes come soon after, and carry little', () => {
    const e = new LinkEstimator(60, 0);
    // The first, whole picture on the mobile link: 237 KB in 1.7 s.
    e.sent(0, 237_000, 300, false, true);
    e.acked(0, 2000);
    assert.equal(e.minRttMs, undefined, 'no least round trip from it');
    assert.equal(e.bytesLimit, MIN_BYTES_IN_FLIGHT);
    // More than PROBE_SOON_MS after the estimator began: the next frame alone is a probe, small.
    assert.equal(e.updateBytes(2000), LOSSLESS_MIN_BYTES, `a probe's budget: ${e.updateBytes(2000)} of ${e.losslessBytes}`);
    assert.ok(e.losslessBytes! > LOSSLESS_MIN_BYTES);
    e.sent(1, 4500, 2000);
    assert.equal(e.updateBytes(2000), e.losslessBytes, 'behind a frame in flight: the whole budget');
    e.acked(1, 2160);
    assert.equal(e.minRttMs, 160);
    // Frames queue; a second on, the next probe is due (not four), until three were measured.
    e.sent(2, 4500, 2160);
    assert.ok(e.mayQueue(2200));
    assert.ok(!e.mayQueue(3200), 'a probe is due a second after the first');
    e.acked(2, 3200);
    e.sent(3, 4500, 3200);
    e.acked(3, 3340);
    e.sent(4, 4500, 3340);
    e.acked(4, 4340);
    e.sent(5, 4500, 4340);
    e.acked(5, 4480);
    e.sent(6, 4500, 4480);
    assert.ok(e.mayQueue(5600), 'three measured: the next probe after PROBE_EVERY_MS');
    assert.ok(!e.mayQueue(8500));
  });

  it('forgets the frames in flight when the pump gives up on their acks', () => {
    const e = new LinkEstimator(60, 0);
    e.sent(0, 1000, 0);
    e.sent(1, 1000, 0);
    assert.ok(!e.mayQueue());
    e.forget();
    assert.ok(e.mayQueue());
    assert.equal(e.bytesInFlight, 0);
    e.acked(1, 100);
    assert.equal(e.srttMs, undefined, 'an ack of a forgotten frame measures nothing');
  });
});

describe('link estimator: giving up on acks', () => {
  it('waits longer than the floor when what is in flight takes the link longer to carry', () => {
    const e = new LinkEstimator(60, 0);
    assert.equal(e.giveUpMs(3000), 3000, 'nothing measured: the floor');
    const at = drive(e, { kbps: 500, rttMs: 120, bytes: 2000, window: 2, ms: 3000 });
    assert.equal(e.giveUpMs(3000), 3000, 'small frames: the floor');
    e.sent(at.id, 600_000, at.now);
    // 600 KB (plus what was in flight) at about 500 kbit/s: some ten seconds, twice over.
    assert.ok(e.giveUpMs(3000) > 19_000, `a 600 KB frame on a 500 kbit/s link: ${e.giveUpMs(3000)} ms`);
  });
});
