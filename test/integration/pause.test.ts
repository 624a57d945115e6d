/**
 * The host's pause end to end with the real parts (issue 13, item 3): Xvfb, the host session and its agent, the
 * helper's panel in Chromium. While paused, the agent is asked for nothing and no update reaches the panel even as
 * the host's screen changes, the helper's pointer and clicks reach neither the agent nor the X server, and the panel
 * says "Paused by …"; on resume the picture comes back with what changed meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, startXterm, waitFor } from '../support/env';
import { allowView, canvasPixel, framesDrawn, grantControl, newHost, newPrompts, newRig, openHelper, pagepoint, pointer, startRig, stopRig, windowGeometry } from '../support/session';

const stack = new Stack();
const rig = newRig();

describe('pause: nothing captured or sent, input dropped, and the picture back on resume', { timeout: 120_000 }, () => {
  const prompts = newPrompts();
  let host: HostSession;
  let page: Page;

  before(async () => {
    await startRig(rig, stack, { width: 1280, height: 800 });
    host = newHost(rig, prompts);
    stack.add(() => host.end());
    await host.start();
    page = await openHelper(rig, host.code);
    await allowView(page, prompts);
    await grantControl(page, prompts);
    await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
  });

  after(() => stopRig(rig, stack, 'pause'));

  it('captures and sends nothing while paused, drops the helper\'s input, and shows who paused', async () => {
    assert.equal(host.pause.set(true), true, 'the host could pause');
    await page.locator('#paused').filter({ hasText: /Paused by/ }).waitFor({ timeout: 5_000 });
    // Let an update that was already on its way arrive, then count.
    await new Promise((r) => setTimeout(r, 500));
    const captures = rig.captures;
    const drawn = await framesDrawn(page);
    const inputs = rig.inputs.length;
    const before = pointer(rig);

    // The host's screen changes: a magenta window opens.
    await startXterm(stack, rig.display, ['-geometry', '30x6+600+200', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-paused-magenta');
    // The helper moves and clicks on the picture.
    const at = await pagepoint(page, 300, 300);
    await page.mouse.move(at.x, at.y);
    await page.mouse.click(at.x + 20, at.y + 20);
    await new Promise((r) => setTimeout(r, 1_500));

    assert.equal(rig.captures, captures, 'the agent was asked to capture while paused');
    assert.equal(await framesDrawn(page), drawn, 'an update reached the panel while paused');
    assert.deepEqual(rig.inputs.slice(inputs), [], 'input reached the agent while paused');
    assert.deepEqual(pointer(rig), before, 'the X pointer moved while paused');
  });

  it('resumes with the whole screen, what changed meanwhile included', async () => {
    const drawn = await framesDrawn(page);
    assert.equal(host.pause.set(false), true, 'the host could resume');
    await waitFor('an update after resume', async () => (await framesDrawn(page)) > drawn, 10_000);
    await page.locator('#paused').waitFor({ state: 'hidden', timeout: 5_000 });
    const g = windowGeometry(rig, 'ra-paused-magenta');
    await waitFor('the magenta window in the picture', async () => {
      const [r, gr, b] = await canvasPixel(page, g.x + Math.floor(g.width / 2), g.y + Math.floor(g.height / 2));
      return r > 200 && gr < 60 && b > 200;
    }, 10_000);
  });
});
