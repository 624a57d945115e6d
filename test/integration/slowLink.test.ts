/**
 * Screen updates over an emulated `mobile` link (3 Mbit/s, 120 ms RTT, 2 % loss; issue 14, part 4), both sides
 * relay-only through coturn behind the link emulator, as in badLink.test.ts; the data channel is reliable and ordered,
 * so whatever is in it holds back what comes after.
 *
 * - Typing first: a large window of detailed content (1000x700, some 220 kB of PNG each time) changes wholly every
 *   1.5 s, more than the link carries, while a keystroke-sized block elsewhere changes colour: each keystroke must
 *   reach the helper quickly, not after the large update ahead of it (seconds here); once the large window stops
 *   changing, the helper's picture equals the host's exactly (what waited was sent in the end).
 * - Video recognised: a 640x360 region changing 30 times a second goes as lossy pictures, although on this link
 *   the agent captures far less often than that (each capture waits for the link).
 *
 * Before the lossless budget (src/agent/paintOrder.ts, linkEstimate.ts's losslessBytes) the first test measured
 * keystrokes at p50 2.7 s, p90 6.3 s, and the picture never caught up; before the video's change rate was judged
 * from X DAMAGE's reports (video.ts) the second never went lossy in 20 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, launchChromium, startPageServer, startPeerServer, startXvfb, waitFor } from '../support/env';
import { startLinkEmulator } from '../support/linkEmulator';
import { differences, helperPicture, hostPicture, percentile, shownAt } from '../support/pictures';
import { allowView, canvasPixel, newHost, newPrompts, newRig, openHelper, stopRig } from '../support/session';
import { withConnect } from '../support/turn';
import { colourBlock, detailWindow, playVideo } from '../support/videoWindow';

const stack = new Stack();
const rig = newRig();
const SCREEN = { width: 1280, height: 800 };
/** The large window, and how often it shows new content (not video: far less than 5 times a second). */
const LARGE = { x: 250, y: 60, width: 1000, height: 700 };
const LARGE_EVERY_MS = 1500;
/** The "keystroke": a block of a typed word's size, away from the large window. */
const BLOCK = { x: 96, y: 96, width: 64, height: 32 };
const COLOURS: readonly (readonly [number, number, number])[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];
const SAMPLES = 16;
/**
 * A keystroke waits for the link's room (an ack), then behind what is in flight (about a round trip's worth) and at
 * most one update's lossless budget (125 ms of the link), then its own way (half of 120 ms, ± 20): some 400 ms at
 * worst, 200-300 typically; SCTP's recovery from a loss (2 %) now and then adds a round trip or more. Bounds for a
 * 2-core machine shared with other work. The agent without a budget measured p50 2.7 s, p90 6.3 s here.
 */
const MAX_P50_MS = 500;
const MAX_P90_MS = 1500;
/** The video, off the tile grid as a player's picture is. */
const VIDEO = { x: 300, y: 200, width: 640, height: 360 };

/** A session over a fresh `mobile` link, the helper admitted and shown the first picture; ended by `session`. */
async function mobileSession(session: Stack): Promise<{ host: HostSession; page: Page }> {
  const link = await startLinkEmulator(session, { profile: 'mobile' });
  const relayOnly = { iceServers: link.iceServers, iceTransportPolicy: 'relay' as const };
  const prompts = newPrompts();
  const host = newHost(rig, prompts, { ...relayOnly, maxFps: 60 });
  session.add(() => host.end());
  await host.start();
  const page = await openHelper(withConnect(rig, relayOnly), host.code);
  session.add(() => page.close().catch(() => undefined));
  await allowView(page, prompts);
  await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
  return { host, page };
}

describe('screen updates over an emulated mobile link', { timeout: 300_000 }, () => {
  before(async () => {
    rig.display = await startXvfb(stack, SCREEN.width, SCREEN.height);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
  });

  after(() => stopRig(rig, stack, 'slowLink'));

  // A todo for a while: in two CI runs of the whole suite its bound was missed (p50 519 and 526 ms, p90 2.1 s on the
  // first keystrokes) though it passed alone. Reproduced alone with one core kept busy (p50 541 ms): the window and the
  // updates were too large for what SCTP carries here under load, and the link's first estimate let 50-300 KB in
  // flight for the first seconds (linkEstimate.ts). Since, with a busy core: p50 239-263 ms, p90 417-506.
  it('keystrokes reach the helper quickly while a large window elsewhere keeps showing new content', async () => {
    const session = new Stack();
    try {
      const block = await colourBlock(session, rig.display, BLOCK);
      block.paint([0, 0, 0]);
      const large = await detailWindow(session, rig.display, LARGE);
      large.show(0);
      const { page } = await mobileSession(session);
      let shown = 0;
      const timer = setInterval(() => large.show(++shown), LARGE_EVERY_MS);
      session.add(() => clearInterval(timer));
      // For the link to be full of the large window's updates, and for the link's measure to settle: the first
      // frames' round trips are the first, whole picture's (seconds here) until a frame goes alone, at most 4 s on.
      await new Promise((r) => setTimeout(r, 6_000));

      const latencies: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const colour = COLOURS[i % COLOURS.length]!;
        const paintedAt = Date.now();
        block.paint(colour);
        const at = await shownAt(page, BLOCK.x + BLOCK.width / 2, BLOCK.y + BLOCK.height / 2, colour, 10_000);
        latencies.push(at === undefined ? 10_000 : at - paintedAt);
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      }
      clearInterval(timer);
      const sorted = [...latencies].sort((a, b) => a - b);
      const p50 = percentile(sorted, 0.5);
      const p90 = percentile(sorted, 0.9);
      rig.lines.push(`test: the large window showed ${shown + 1} pictures; keystroke latencies ${latencies.join(' ')} ms (p50 ${p50}, p90 ${p90})`);
      assert.ok(p50 <= MAX_P50_MS, `keystroke p50 ${p50} ms (all: ${latencies.join(' ')})`);
      assert.ok(p90 <= MAX_P90_MS, `keystroke p90 ${p90} ms (all: ${latencies.join(' ')})`);

      // What waited is sent without any further change on the screen: the helper's picture becomes the host's.
      const stoppedAt = Date.now();
      let last: { count: number; first?: string } = { count: -1 };
      await waitFor('the helper\'s picture to equal the host\'s', async () => {
        last = differences(hostPicture(rig.display), await helperPicture(page), SCREEN.width);
        return last.count === 0;
      }, 30_000, 500).catch(() => assert.fail(`${last.count} pixels differ, the first at ${last.first}`));
      rig.lines.push(`test: the helper's picture equalled the host's ${Date.now() - stoppedAt} ms after the last change`);
    } finally {
      await session.stop();
    }
  });

  it('a 640x360 region changing 30 times a second goes as lossy pictures', async () => {
    const session = new Stack();
    try {
      const { page } = await mobileSession(session);
      const from = rig.lines.length;
      const video = await playVideo(session, rig.display, VIDEO);
      const t0 = Date.now();
      await waitFor('the video to go lossy', () => rig.lines.slice(from).some((l) => l.includes('goes as lossy WebP')), 20_000, 100);
      rig.lines.push(`test: the video went lossy ${Date.now() - t0} ms after it started (${video.frames} frames played)`);
      // And the helper's picture keeps following it: at the lossy budget this link leaves (some 0.2-0.6 Mbit/s) a
      // 640x360 picture goes about once or twice a second, so some new values in 3 s, not dozens.
      const seen = new Set<string>();
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        seen.add((await canvasPixel(page, VIDEO.x + VIDEO.width / 2, VIDEO.y + VIDEO.height / 2)).join(','));
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(seen.size >= 3, `the helper's picture showed ${seen.size} values in 3 s`);
    } finally {
      await session.stop();
    }
  });
});
