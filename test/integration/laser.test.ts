/**
 * The laser pointer end to end with the real parts (issue 13, item 4): Xvfb, the host session and its agent, the
 * helper's panel in Chromium. With the laser on and no control, the helper points at a known place in the picture and
 * the agent's ring appears there, as the X server reads it back: mapped, override-redirect, centred on that pixel,
 * shaped into a ring, with an empty input shape so that a click on it reaches the window below; it goes away after
 * being still; and nothing appears once the host has switched it off, not even for a helper that sends points anyway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { LASER_SIZE, LASER_STILL_MS, LASER_WINDOW_NAME } from '../../src/agent/laser';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, waitFor } from '../support/env';
import { helperState, newPrompts, newRig, pagepoint, sendRaw, startRig, startViewing, stopRig, xdotool } from '../support/session';
import { XProbe, type WindowFacts } from '../support/xwindows';

const stack = new Stack();
const rig = newRig();
const SCREEN = { width: 1280, height: 800 };

describe('laser pointer: a ring on the host\'s screen where the helper points', { timeout: 120_000 }, () => {
  const prompts = newPrompts();
  let host: HostSession;
  let page: Page;
  let x: XProbe;

  /** The laser window as the X server has it now (undefined: the agent made none yet). */
  const laser = async (): Promise<WindowFacts | undefined> => {
    const id = await x.find(LASER_WINDOW_NAME);
    return id === undefined ? undefined : x.facts(id);
  };

  /** The helper's pointer moves over the picture to host pixel (px, py), in a few steps as a hand would. */
  const pointAt = async (px: number, py: number): Promise<void> => {
    const at = await pagepoint(page, px, py);
    await page.mouse.move(at.x - 30, at.y - 20);
    await page.mouse.move(at.x, at.y, { steps: 5 });
  };

  before(async () => {
    await startRig(rig, stack, SCREEN);
    x = await XProbe.open(rig.display);
    stack.add(() => x.close());
    ({ host, page } = await startViewing(rig, stack, prompts));
  });

  after(() => stopRig(rig, stack, 'laser'));

  it('appears where the helper points without control, mapped, override-redirect and input-transparent, over the window below', async () => {
    assert.equal((await helperState(page)).kind, 'viewing');
    // Something to click through to, under where the helper will point.
    const target = x.clickTarget(300, 200, 300, 200);
    const toggle = page.locator('#laser-pointer');
    await page.locator('#laser-pointer[aria-disabled="false"]').waitFor({ timeout: 10_000 });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('#screen').getAttribute('data-laser'), 'true', 'the helper\'s cursor shows the laser mode');

    await pointAt(400, 300);
    // The moves on the way there show it on the way (throttled); it settles where the pointer stopped.
    const near = (f: WindowFacts | undefined, px: number, py: number) => !!f && Math.abs(f.x + LASER_SIZE / 2 - px) <= 1 && Math.abs(f.y + LASER_SIZE / 2 - py) <= 1;
    const ring = await waitFor('the laser window, mapped where the helper points', async () => {
      const facts = await laser();
      return facts?.viewable && near(facts, 400, 300) ? facts : undefined;
    }, 10_000).catch(async (error: unknown) => assert.fail(`${String(error)}; the X server has ${JSON.stringify(await laser())}`));
    assert.equal(ring.overrideRedirect, true, 'no window manager places it');
    assert.deepEqual([ring.width, ring.height], [LASER_SIZE, LASER_SIZE]);
    assert.deepEqual(ring.inputShape, [], 'an empty input shape');
    assert.ok(ring.boundingShape.length > LASER_SIZE, `shaped into a ring (${ring.boundingShape.length} rectangles)`);
    assert.ok(!ring.boundingShape.some(([rx, ry, w, h]) => rx! <= LASER_SIZE / 2 && rx! + w! > LASER_SIZE / 2 && ry! <= LASER_SIZE / 2 && ry! + h! > LASER_SIZE / 2), 'its centre is see-through');

    // A click on the ring itself (its band, 12 px right of the centre) reaches the window below.
    await pointAt(400, 300);
    await waitFor('the ring up again', async () => (await laser())?.viewable);
    xdotool(rig, 'mousemove', String(ring.x + LASER_SIZE / 2 + 12), String(ring.y + LASER_SIZE / 2));
    assert.equal(await x.pointerWindow(), target.id, 'the pointer is in the window below, not in the ring');
    xdotool(rig, 'click', '1');
    assert.equal((await laser())?.viewable, true, 'the ring was up for the click');
    await waitFor('the click on the window below', () => target.presses.length > 0, 5_000);
    assert.deepEqual(target.presses[0], { x: ring.x + LASER_SIZE / 2 + 12 - 300, y: ring.y + LASER_SIZE / 2 - 200 });
  });

  it('goes away after being still', async () => {
    await pointAt(700, 500);
    await waitFor('the ring at the new place', async () => {
      const f = await laser();
      return f?.viewable && Math.abs(f.x + LASER_SIZE / 2 - 700) <= 1 && Math.abs(f.y + LASER_SIZE / 2 - 500) <= 1 ? f : undefined;
    }, 10_000);
    const still = Date.now();
    await waitFor('the ring hidden', async () => (await laser())?.viewable === false, 5_000, 20);
    const after = Date.now() - still;
    assert.ok(after >= LASER_STILL_MS - 150 && after < LASER_STILL_MS + 1500, `hidden after ${after} ms still`);
  });

  it('shows nothing once the host switched it off, even for points sent anyway', async () => {
    const reached = rig.inputs.length;
    host.laser.setEnabled(false);
    await page.locator('#laser-pointer[aria-disabled="true"]').waitFor({ timeout: 5_000 });
    assert.match((await page.locator('#laser-pointer').getAttribute('title')) ?? '', /turned the laser pointer off/);
    assert.equal(await page.locator('#screen').getAttribute('data-laser'), 'false');
    await pointAt(500, 400);
    // A panel that does not listen: points straight onto the control channel.
    await sendRaw(page, [JSON.stringify({ type: 'laser', at: { x: 0.5, y: 0.5 } }), JSON.stringify({ type: 'laser', at: { x: 0.4, y: 0.4 } })]);
    await new Promise((r) => setTimeout(r, 700));
    assert.notEqual((await laser())?.viewable, true, 'the ring is not up');
    assert.deepEqual(rig.inputs.slice(reached).filter((i) => i.startsWith('laser ') && i !== 'laser hide'), [], 'no point reached the agent');
    assert.equal(host.droppedCounts.malformed, 0, 'well-formed points are dropped, not counted as malformed');
  });
});
