/**
 * Adaptive quality over an emulated `mobile` link (3 Mbit/s, 120 ms RTT, 2 % loss; issue 14, part 4): both sides
 * relay-only through coturn behind the link emulator, as in badLink.test.ts. On the host, a block as large as a line
 * of typed text changes 30 times a second (an animation, a busy terminal line) while another block changes colour now
 * and then, as a keystroke does. The helper must see the busy block at a frame rate that the link's round trip does
 * not cut (two frames per round trip would: some 8 a second here), each keystroke quickly, and the link's
 * queue must not overflow (the pump sends what the link carries, no more).
 *
 * Without the link's measure (src/host/linkEstimate.ts: two frames in flight whatever the round trip) the frame
 * rate assertion fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, launchChromium, startPageServer, startPeerServer, startXvfb } from '../support/env';
import { countersSince, startLinkEmulator } from '../support/linkEmulator';
import { allowView, newHost, newPrompts, newRig, openHelper, stopRig } from '../support/session';
import { withConnect } from '../support/turn';
import { percentile, shownAt } from '../support/pictures';
import { colourBlock } from '../support/videoWindow';

const stack = new Stack();
const rig = newRig();
/** The busy block: under the agent's video size (video.ts), so it stays lossless. */
const BUSY = { x: 640, y: 400, width: 208, height: 80 };
const BUSY_FPS = 30;
const MIN_FPS = 15;
/** The "keystroke": a block of a typed word's size, away from the video. */
const BLOCK = { x: 96, y: 96, width: 64, height: 32 };
const COLOURS: readonly (readonly [number, number, number])[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];
const SAMPLES = 16;
/** Bounds for a 2-core machine shared with other work; the bench's target on `mobile` is a p50 of 200 ms. */
const MAX_P50_MS = 300;
const MAX_P90_MS = 800;

/** Distinct colours the helper's picture shows at (x, y) over `ms`, looked at every animation frame. */
function coloursShown(page: Page, x: number, y: number, ms: number): Promise<number> {
  return page.evaluate(([px, py, span]) => new Promise<number>((resolve) => {
    const ctx = (document.querySelector('#screen') as HTMLCanvasElement).getContext('2d')!;
    const seen = new Set<string>();
    const until = Date.now() + (span as number);
    const look = (): void => {
      seen.add(ctx.getImageData(px as number, py as number, 1, 1).data.join(','));
      if (Date.now() > until) return resolve(seen.size);
      requestAnimationFrame(look);
    };
    look();
  }), [x, y, ms] as const);
}

describe('adapting to an emulated mobile link', { timeout: 240_000 }, () => {
  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
  });

  after(() => stopRig(rig, stack, 'adaptiveLink'));

  it('a busy region reaches the helper at a frame rate the round trip does not cut, keystrokes fast, the link not flooded', async () => {
    const session = new Stack();
    let host: HostSession | undefined;
    let page: Page | undefined;
    try {
      const link = await startLinkEmulator(session, { profile: 'mobile' });
      const relayOnly = { iceServers: link.iceServers, iceTransportPolicy: 'relay' as const };
      const prompts = newPrompts();
      host = newHost(rig, prompts, { ...relayOnly, maxFps: 60 });
      await host.start();
      const block = await colourBlock(session, rig.display, BLOCK);
      block.paint([0, 0, 0]);
      page = await openHelper(withConnect(rig, relayOnly), host.code);
      await allowView(page, prompts);
      await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
      const busy = await colourBlock(session, rig.display, BUSY);
      let n = 0;
      const timer = setInterval(() => busy.paint([(n * 37) & 0xff, (n * 91) & 0xff, (++n * 53) & 0xff]), 1000 / BUSY_FPS);
      session.add(() => clearInterval(timer));
      // A few seconds for the link's measure to settle.
      await new Promise((r) => setTimeout(r, 4_000));

      const before = link.counters;
      const t0 = Date.now();
      const painted0 = n;
      const fps = (await coloursShown(page, BUSY.x + BUSY.width / 2, BUSY.y + BUSY.height / 2, 4_000)) / 4;
      const paintedFps = (n - painted0) / ((Date.now() - t0) / 1000);
      const latencies: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const colour = COLOURS[i % COLOURS.length]!;
        const paintedAt = Date.now();
        block.paint(colour);
        const at = await shownAt(page, BLOCK.x + BLOCK.width / 2, BLOCK.y + BLOCK.height / 2, colour, 5_000);
        latencies.push(at === undefined ? 5_000 : at - paintedAt);
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      }
      const seconds = (Date.now() - t0) / 1000;
      const crossed = countersSince(before, link.counters);
      clearInterval(timer);
      const sorted = [...latencies].sort((a, b) => a - b);
      const p50 = percentile(sorted, 0.5);
      const p90 = percentile(sorted, 0.9);
      const downKbps = (crossed.down.bytes * 8) / 1000 / seconds;
      rig.lines.push(`test: busy block ${fps.toFixed(1)} fps at the helper (${paintedFps.toFixed(1)} painted); keystroke latencies ${latencies.join(' ')} ms (p50 ${p50}, p90 ${p90}); ` +
        `down ${downKbps.toFixed(0)} kbit/s, lost ${crossed.down.lost}, queue drops ${crossed.down.overflowed} of ${crossed.down.packets + crossed.down.dropped}`);
      assert.ok(fps >= MIN_FPS, `the busy block at ${fps.toFixed(1)} fps at the helper (${paintedFps.toFixed(1)} painted on the host)`);
      assert.ok(p50 <= MAX_P50_MS, `keystroke p50 ${p50} ms (all: ${latencies.join(' ')})`);
      assert.ok(p90 <= MAX_P90_MS, `keystroke p90 ${p90} ms (all: ${latencies.join(' ')})`);
      // A sender within the link loses packets at random only (2 %); one above it fills the bottleneck's queue.
      assert.ok(crossed.down.overflowed <= crossed.down.packets * 0.01, `the link's queue dropped ${crossed.down.overflowed} of ${crossed.down.packets + crossed.down.dropped} packets`);
    } finally {
      host?.end();
      await page?.close().catch(() => undefined);
      await session.stop();
    }
  });
});
