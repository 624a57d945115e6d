/**
 * The pointer beyond left, middle and right, end to end with the real parts: the helper's panel in Chromium gets
 * mouse events as the browser would send them (through the DevTools protocol: the back and forward buttons, a
 * trackpad's small wheel deltas in both directions), the host session forwards them, the agent injects them on
 * Xvfb; `xinput test-xi2 --root` reads back what the X server really received (button 8/9 for back/forward, 4/5
 * and 6/7 for the wheel), and `xinput query-state` that nothing stays held.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXvfb, waitFor } from '../support/env';
import { allowView, grantControl, heldDown, newHost, newPrompts, newRig, openHelper, pagepoint } from '../support/session';

const stack = new Stack();
const rig = newRig();

describe('back, forward and the trackpad reach the host as X buttons', { timeout: 120_000 }, () => {
  const prompts = newPrompts();
  let host: HostSession;
  let page: Page;
  let cdp: CDPSession;
  let xi2 = '';

  /** X button presses seen since `from` in the recorder's output (RawButtonPress detail). */
  const pressesSince = (from: number): number[] =>
    [...xi2.slice(from).matchAll(/EVENT type 15 \(RawButtonPress\)[\s\S]*?detail: (\d+)/g)].map((m) => Number(m[1]));

  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    const recorder = spawn('xinput', ['test-xi2', '--root'], { env: { ...process.env, DISPLAY: rig.display }, stdio: ['ignore', 'pipe', 'ignore'] });
    recorder.stdout.setEncoding('utf8');
    recorder.stdout.on('data', (chunk: string) => (xi2 += chunk));
    stack.add(() => void recorder.kill());
    host = newHost(rig, prompts);
    stack.add(() => host.end());
    await host.start();
    page = await openHelper(rig, host.code);
    await allowView(page, prompts);
    await grantControl(page, prompts);
    await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
    cdp = await page.context().newCDPSession(page);
  });

  after(async () => {
    await stack.stop();
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results/pointer.log'), rig.lines.join('\n') + '\n');
  });

  it('the back and forward buttons press X buttons 8 and 9, and release them', async () => {
    const at = await pagepoint(page, 400, 300);
    const from = xi2.length;
    for (const [button, bit] of [['back', 8], ['forward', 16]] as const) {
      await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', x: at.x, y: at.y, button, buttons: bit, clickCount: 1 });
      await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x: at.x, y: at.y, button, buttons: 0, clickCount: 1 });
    }
    await waitFor('buttons 8 and 9 on the X server', () => pressesSince(from).includes(8) && pressesSince(from).includes(9), 5_000).catch(() =>
      assert.deepEqual(pressesSince(from), [8, 9], 'X button presses after back and forward'),
    );
    await waitFor('nothing held', () => heldDown(rig).length === 0, 3_000).catch(() => assert.deepEqual(heldDown(rig), []));
  });

  it('a trackpad\'s small deltas add up to whole notches, vertically and horizontally', async () => {
    const at = await pagepoint(page, 400, 300);
    const from = xi2.length;
    // Twenty events of 12 px each way: no single one is a notch (about 100 px), together they are two or more.
    for (let i = 0; i < 20; i++) await cdp.send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: at.x, y: at.y, deltaX: 0, deltaY: 12 });
    for (let i = 0; i < 20; i++) await cdp.send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: at.x, y: at.y, deltaX: 12, deltaY: 0 });
    await waitFor('wheel down and right on the X server', () => pressesSince(from).includes(5) && pressesSince(from).includes(7), 5_000).catch(() =>
      assert.fail(`X button presses after the trackpad: ${JSON.stringify(pressesSince(from))}`),
    );
    const presses = pressesSince(from);
    const down = presses.filter((b) => b === 5).length;
    const right = presses.filter((b) => b === 7).length;
    assert.ok(down >= 2 && down <= 3, `${down} notches down for 240 px`);
    assert.ok(right >= 2 && right <= 3, `${right} notches right for 240 px`);
    assert.equal(presses.filter((b) => b === 4 || b === 6).length, 0, 'nothing the other way');
  });
});
