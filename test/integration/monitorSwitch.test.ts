/**
 * Choosing a monitor end to end with the real parts (issue 13, item 2): one wide Xvfb screen cut into two RandR
 * monitors (`xrandr --setmonitor`: LEFT-1 1280x800 over the screen's output, RIGHT-2 800x600 beside it), a red window
 * on the first and a green one on the second, the host session with its agent, the helper's panel in Chromium.
 * The helper sees the first; it asks for the second from the panel's menu, the host says yes, and without
 * reconnecting the picture becomes the second monitor at its own size; a click at a known pixel of the picture lands
 * on that pixel of the second monitor (read back from the X server). The host switches back by itself; and when the
 * shared monitor disappears the first is shared again, and the host is told.
 *
 * Xvfb forgets monitors set by a client when its last client leaves (a server reset): the agent and the windows are
 * up first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { Stack, startXterm, waitFor } from '../support/env';
import { allowView, canvasPixel, grantControl, newHost, newPrompts, newRig, openHelper, pagepointInView, pointer, startRig, stopRig } from '../support/session';

const stack = new Stack();
const rig = newRig();

const xrandr = (...args: string[]): string => execFileSync('xrandr', args, { env: { ...process.env, DISPLAY: rig.display }, encoding: 'utf8', timeout: 5000 });

async function canvasSize(page: Page): Promise<string> {
  return page.evaluate(() => {
    const c = document.querySelector('#screen') as HTMLCanvasElement;
    return `${c.width}x${c.height}`;
  });
}

async function colourAt(page: Page, x: number, y: number): Promise<'red' | 'green' | 'other'> {
  const [r, g, b] = await canvasPixel(page, x, y);
  if (r > 200 && g < 60 && b < 60) return 'red';
  if (g > 200 && r < 60 && b < 60) return 'green';
  return 'other';
}

describe('monitors: the helper asks for the second one, the picture and the input follow', { timeout: 120_000 }, () => {
  const prompts = newPrompts();
  let host: HostSession;
  let page: Page;

  before(async () => {
    await startRig(rig, stack, { width: 2080, height: 800 });
    // The agent's X connections keep the server from resetting (see the header): it starts first.
    host = newHost(rig, prompts);
    stack.add(() => host.end());
    await host.start();
    // Red on the first monitor at 100,100; green on the second at 1280+100,100 (root coordinates).
    await startXterm(stack, rig.display, ['-geometry', '40x10+100+100', '-bg', '#ff0000', '-fg', '#ff0000', '-e', 'sleep', '600'], 'ra-monitor-red');
    await startXterm(stack, rig.display, ['-geometry', '40x10+1380+100', '-bg', '#00ff00', '-fg', '#00ff00', '-e', 'sleep', '600'], 'ra-monitor-green');
    xrandr('--setmonitor', 'LEFT-1', '1280/338x800/211+0+0', 'screen');
    xrandr('--setmonitor', 'RIGHT-2', '800/211x600/159+1280+0', 'none');
    assert.match(xrandr('--listmonitors'), /Monitors: 2[\s\S]*LEFT-1[\s\S]*RIGHT-2/);
    page = await openHelper(rig, host.code);
    await allowView(page, prompts);
    await grantControl(page, prompts);
    await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
  });

  after(() => stopRig(rig, stack, 'monitorSwitch'));

  it('shows the first monitor, and offers the second in the panel', async () => {
    await waitFor('the first monitor in the picture', async () => (await canvasSize(page)) === '1280x800' && (await colourAt(page, 150, 150)) === 'red', 10_000);
    const button = page.locator('#ask-monitor');
    await button.waitFor({ state: 'visible', timeout: 5_000 });
    assert.deepEqual(host.monitors.known.monitors.map((m) => m.name), ['LEFT-1', 'RIGHT-2']);
    assert.equal(host.monitors.shared?.name, 'LEFT-1');
  });

  it('switches to the second monitor on the host\'s yes, at its own size, and a click lands on its pixel', async () => {
    // From the keyboard: focus the button, open the menu, go to the second monitor, ask.
    await page.focus('#ask-monitor');
    await page.keyboard.press('Enter');
    await page.locator('#monitor-menu').waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset['monitor']), 'RIGHT-2', 'the first askable monitor has the focus');
    await page.keyboard.press('Enter');
    await waitFor('the host asked', () => (prompts.monitor?.length ?? 0) === 1, 10_000);
    assert.match(prompts.monitor![0]!, /RIGHT-2$/);
    // Nothing switches before the host's answer.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await canvasSize(page), '1280x800');
    prompts.answerMonitor!(true);

    await waitFor('the second monitor in the picture', async () => (await canvasSize(page)) === '800x600' && (await colourAt(page, 150, 150)) === 'green', 10_000);
    assert.equal(host.state.kind, 'controlled', 'the same session, still controlled');

    // A known pixel of the picture: 400,300 of the second monitor is 1680,300 of the root window.
    const at = await pagepointInView(page, 400, 300);
    assert.ok(at.visible, 'the pixel is in view');
    await page.mouse.click(at.x, at.y);
    await waitFor('the pointer at 1680,300', () => {
      const p = pointer(rig);
      return p.x === 1680 && p.y === 300;
    }, 5_000);
  });

  it('the host switches back by itself, and the helper is told', async () => {
    await host.monitors.share('LEFT-1', 'host');
    await waitFor('the first monitor again', async () => (await canvasSize(page)) === '1280x800' && (await colourAt(page, 150, 150)) === 'red', 10_000);
    await page.locator('#notice').filter({ hasText: 'Now showing LEFT-1 (1280×800)' }).waitFor({ timeout: 5_000 });
  });

  it('falls back to the first monitor when the shared one disappears, and says so', async () => {
    await host.monitors.share('RIGHT-2', 'host');
    await waitFor('the second monitor', async () => (await canvasSize(page)) === '800x600', 10_000);
    xrandr('--delmonitor', 'RIGHT-2');
    await waitFor('the first monitor after the second is gone', async () => (await canvasSize(page)) === '1280x800' && (await colourAt(page, 150, 150)) === 'red', 15_000);
    assert.ok(rig.lines.some((l) => l.startsWith('notify ') && l.includes('RIGHT-2 is gone')), rig.lines.filter((l) => l.includes('RIGHT-2')).join('\n'));
    await page.locator('#ask-monitor').waitFor({ state: 'hidden', timeout: 5_000 });
  });
});
