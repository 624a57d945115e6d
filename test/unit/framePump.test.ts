import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAMES_IN_FLIGHT, FramePump, MAX_CAPTURE_FAILURES, MEDIA_HIGH_WATER } from '../../src/host/framePump';
import { FrameAssembler } from '../../src/shared/frames';
import { silentLogger } from '../../src/shared/log';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rig(capture: (n: number, full: boolean) => Promise<{ format: 'update' | 'jpeg'; width: number; height: number; data: Uint8Array } | undefined>) {
  const sent: Uint8Array[] = [];
  const media = { open: true, dataChannel: { bufferedAmount: 0 }, send: (c: Uint8Array) => void sent.push(c) };
  const state = { showing: true, verified: true, failed: '', asks: [] as boolean[], budgets: [] as (number | undefined)[] };
  const pump = new FramePump(
    {
      capture: async (request) => {
        state.asks.push(request?.full === true);
        state.budgets.push(request?.lossyBps);
        return capture(state.asks.length, request?.full === true);
      },
      media: () => (state.verified ? media : undefined),
      showing: () => state.showing,
      fail: (m) => {
        state.failed = m;
        state.showing = false;
      },
      log: silentLogger,
    },
    100,
  );
  const frames = () => {
    const a = new FrameAssembler();
    return sent.map((c) => a.push(c)).filter((f) => f !== undefined);
  };
  return { pump, media, state, frames };
}

const update = (n: number) => ({ format: 'update' as const, width: 1, height: 1, data: new Uint8Array([n & 0xff]) });

describe('frame pump', () => {
  it('sends nothing before the media connection is proved, then at most FRAMES_IN_FLIGHT unacknowledged', async () => {
    const r = rig(async (n) => update(n));
    r.state.verified = false;
    void r.pump.run();
    await sleep(100);
    assert.equal(r.state.asks.length, 0, 'no capture before the media proof');
    try {
      r.state.verified = true;
      await sleep(300);
      assert.equal(r.frames().length, FRAMES_IN_FLIGHT);
      // The whole screen's round trip is its own bytes', not the path's: the window stays as it was.
      r.pump.ack(1);
      await sleep(50);
      assert.equal(r.pump.link.framesLimit, FRAMES_IN_FLIGHT);
      assert.equal(r.frames().length, 2 + FRAMES_IN_FLIGHT, 'the next frame alone, one more behind it');
      await sleep(250);
      r.pump.ack(2);
      await sleep(100);
      // The change that went alone measured a round trip of some 300 ms: at 100 fps, that holds more frames than two.
      const limit = r.pump.link.framesLimit;
      assert.ok(limit > FRAMES_IN_FLIGHT, `frames in flight after a long round trip: ${limit}`);
      assert.equal(r.frames().length, 3 + limit, 'three acknowledged, the window full');
      assert.deepEqual(r.state.asks.slice(0, 2), [true, false], 'a whole screen first, then changes');
      assert.ok(r.state.budgets.every((b) => b !== undefined && b === r.state.budgets[0] && b > 0), `each capture carries the lossy budget: ${r.state.budgets.join(' ')}`);
    } finally {
      r.state.showing = false;
      r.pump.wake();
    }
  });

  it('captures nothing while the media channel is above its high water mark; a refresh asks for the whole screen', async () => {
    const r = rig(async (n) => update(n));
    r.media.dataChannel.bufferedAmount = MEDIA_HIGH_WATER + 1;
    void r.pump.run();
    await sleep(150);
    assert.equal(r.state.asks.length, 0);
    r.media.dataChannel.bufferedAmount = 0;
    r.pump.refresh();
    r.pump.wake();
    await sleep(150);
    assert.equal(r.state.asks[0], true);
    r.state.showing = false;
    r.pump.wake();
  });

  it(`gives up after ${MAX_CAPTURE_FAILURES} capture failures in a row`, async () => {
    const r = rig(async () => {
      throw new Error('no display');
    });
    await r.pump.run();
    assert.match(r.state.failed, /no display/);
    assert.equal(r.state.asks.length, MAX_CAPTURE_FAILURES);
  });
});
