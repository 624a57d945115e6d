/**
 * Motion end to end with the real parts (issue 15): Xvfb, the host session and its agent, the helper's panel in
 * Chromium. A terminal scrolls (xterm copies its lines up) and another terminal's window is moved across the screen
 * (the X server copies it): the agent sends both as copies of what the helper already shows (screenEncoder.ts), and
 * the panel moves them on its canvas (display.ts, through a scratch canvas). Once everything is still, the helper's
 * pixels equal the host's, every one of them: a copy drawn at the wrong place, or from a picture already changed,
 * would show.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Stack, startXterm, waitFor } from '../support/env';
import { newPrompts, newRig, startRig, startViewing, stopRig, xdotool } from '../support/session';
import { differences, helperPicture, hostPicture } from '../support/pictures';

const stack = new Stack();
const rig = newRig();
const SCREEN = { width: 1280, height: 800 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('motion: scrolled and moved content reaches the helper as copies, exactly', { timeout: 120_000 }, () => {
  const prompts = newPrompts();
  let page: Page;

  before(async () => {
    await startRig(rig, stack, SCREEN);
    ({ page } = await startViewing(rig, stack, prompts, { maxFps: 60 }));
  });

  after(() => stopRig(rig, stack, 'motion'));

  /** Compares until the helper's picture equals the host's, or says what differs. */
  async function sameAsHost(what: string): Promise<void> {
    let last: { count: number; first?: string } = { count: -1 };
    await waitFor(`the helper's picture to equal the host's ${what}`, async () => {
      last = differences(hostPicture(rig.display), await helperPicture(page), SCREEN.width);
      return last.count === 0;
    }, 10_000, 500).catch(() => assert.fail(`${what}: ${last.count} pixels differ, the first at ${last.first}`));
  }

  it('a terminal scrolling its text', async () => {
    const lines = 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i: the quick brown fox jumps over the lazy dog"; sleep 0.01; done; sleep 600';
    await startXterm(stack, rig.display, ['+j', '-geometry', '90x40+300+40', '-e', 'sh', '-c', lines], 'ra-motion-scroll');
    await sleep(4_000);
    await sameAsHost('after the scrolling');
  });

  it('a window moved across the screen in small steps', async () => {
    await startXterm(stack, rig.display, ['-geometry', '60x20+40+400', '-e', 'sh', '-c', 'seq 1 300 | tr "\\n" " "; sleep 600'], 'ra-motion-moved');
    const id = xdotool(rig, 'search', '--onlyvisible', '--name', '^ra-motion-moved$').trim().split('\n')[0]!;
    for (let step = 1; step <= 40; step++) {
      xdotool(rig, 'windowmove', id, String(40 + step * 12), String(400 - step * 6));
      await sleep(30);
    }
    await sameAsHost('after the move');
  });
});
