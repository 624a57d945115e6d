/**
 * The view modes (issue 13: fit, 1:1, zoom) end to end with the real parts: a 3840 x 2160 Xvfb, the host session
 * and its agent, the helper's panel in Chromium at device scale factor 1 and 2 (1000 x 700 each). In every mode,
 * scrolled or not, a click at a host pixel lands on exactly that pixel (`xdotool getmouselocation`); 1:1 is one
 * host pixel per device pixel; the host's pointer overlay keeps the picture's box; the view follows the host's
 * pointer when asked; the shortcuts work from the panel and, while controlling, go to the host instead.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostSession } from '../../src/host/hostSession';
import { ROOT, Stack, waitFor } from '../support/env';
import { allowView, grantControl, newHost, newPrompts, newRig, openHelperScaled, pagepointInView, pointer, startRig, stopRig, xdotool } from '../support/session';

const stack = new Stack();
const rig = newRig();
const HOST = { width: 3840, height: 2160 };

interface ViewInfo {
  mode: string;
  percent: number;
  crisp: boolean;
  canvas: { width: number; height: number };
  rect: { left: number; top: number; width: number; height: number };
  overlay: { left: number; top: number; width: number; height: number };
  scroll: { left: number; top: number; width: number; height: number };
  rendering: string;
}

async function view(page: Page): Promise<ViewInfo> {
  return page.evaluate(() => {
    const viewport = document.querySelector('#viewport') as HTMLElement;
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const box = (e: Element) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, width: r.width, height: r.height };
    };
    return {
      mode: viewport.dataset['mode'] ?? '',
      percent: Number(viewport.dataset['percent']),
      crisp: viewport.dataset['crisp'] === 'true',
      canvas: { width: canvas.width, height: canvas.height },
      rect: box(canvas),
      overlay: box(document.querySelector('#pointer')!),
      scroll: { left: viewport.scrollLeft, top: viewport.scrollTop, width: viewport.clientWidth, height: viewport.clientHeight },
      rendering: getComputedStyle(canvas).imageRendering,
    };
  });
}

/** Clicks where host pixel (x, y) is shown (it must be in view) and checks that the host's pointer is there. */
async function clickLands(page: Page, x: number, y: number, what: string): Promise<void> {
  const at = await pagepointInView(page, x, y);
  assert.ok(at.visible, `${what}: host pixel ${x},${y} is in view (${JSON.stringify(at)})`);
  await page.mouse.click(at.x, at.y);
  await waitFor(`${what}: the host pointer at ${x},${y}`, () => {
    const p = pointer(rig);
    return p.x === x && p.y === y;
  }, 5_000).catch(() => assert.deepEqual(pointer(rig), { x, y }, `${what}: where the click landed`));
}

/** Scrolls the view so that host pixel (x, y) is in its middle. */
async function scrollTo(page: Page, x: number, y: number): Promise<void> {
  await page.evaluate(([hx, hy]) => {
    const viewport = document.querySelector('#viewport') as HTMLElement;
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const scale = canvas.getBoundingClientRect().width / canvas.width;
    viewport.scrollTo({ left: hx! * scale - viewport.clientWidth / 2, top: hy! * scale - viewport.clientHeight / 2, behavior: 'instant' });
  }, [x, y]);
}

const near = (a: number, b: number, tolerance = 0.01) => Math.abs(a - b) <= tolerance;

describe('view modes: fit, 1:1 and zoom, on a 4K host, at helper densities 1 and 2', { timeout: 300_000 }, () => {
  before(() => startRig(rig, stack, HOST));

  after(() => stopRig(rig, stack, 'viewModes'));

  for (const dpr of [1, 2]) {
    describe(`device scale factor ${dpr}`, () => {
      const prompts = newPrompts();
      let host: HostSession;
      let page: Page;

      before(async () => {
        host = newHost(rig, prompts);
        stack.add(() => host.end());
        await host.start();
        page = await openHelperScaled(rig, host.code, dpr);
        stack.add(() => page.close());
        await allowView(page, prompts);
        await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
        assert.equal(await page.evaluate(() => window.devicePixelRatio), dpr);
      });

      it('opens in fit: the whole screen, aspect kept, the pointer overlay on the same box', async () => {
        const v = await view(page);
        assert.equal(v.mode, 'fit');
        assert.deepEqual(v.canvas, HOST, 'the backing store is the host screen, pixel for pixel');
        assert.ok(near(v.rect.width / v.rect.height, HOST.width / HOST.height), `aspect ${v.rect.width}x${v.rect.height}`);
        assert.ok(v.rect.width <= v.scroll.width + 0.5 && v.rect.height <= v.scroll.height + 0.5, 'all of it fits');
        assert.deepEqual(v.overlay, v.rect);
        assert.equal(await page.getAttribute('#view-fit', 'aria-pressed'), 'true');
        assert.equal(await page.textContent('#zoom-level'), `${v.percent} %`);
      });

      it('switches modes from the keyboard while viewing (Ctrl+Alt+1, =, -, 0)', async () => {
        await page.keyboard.press('Control+Alt+Digit1');
        await waitFor('1:1', async () => (await view(page)).mode === 'actual');
        let v = await view(page);
        assert.equal(v.percent, 100);
        assert.ok(near(v.rect.width, HOST.width / dpr) && near(v.rect.height, HOST.height / dpr), `1:1 is host / dpr CSS pixels: ${v.rect.width}x${v.rect.height}`);
        assert.equal(v.crisp, true);
        assert.equal(v.rendering, 'pixelated', 'no smoothing at a whole number of device pixels');
        assert.equal(await page.getAttribute('#view-actual', 'aria-pressed'), 'true');
        await page.keyboard.press('Control+Alt+Equal');
        await waitFor('110 %', async () => (await view(page)).percent === 110);
        v = await view(page);
        assert.equal(v.mode, 'zoom');
        assert.equal(v.rendering, 'auto', 'smoothed at 110 %');
        await page.keyboard.press('Control+Alt+Minus');
        await waitFor('back to 1:1', async () => (await view(page)).mode === 'actual');
        await page.keyboard.press('Control+Alt+Digit0');
        await waitFor('fit', async () => (await view(page)).mode === 'fit');
      });

      it("1:1 follows the host's pointer to the edge, unless Follow is off", async () => {
        await page.click('#view-actual');
        await waitFor('1:1', async () => (await view(page)).mode === 'actual');
        assert.equal(await page.getAttribute('#follow-pointer', 'aria-pressed'), 'true');
        for (const [x, y] of [[3700, 2000], [150, 120], [2600, 300]] as const) {
          xdotool(rig, 'mousemove', String(x), String(y));
          await waitFor(`the view to show the host pointer at ${x},${y}`, async () => (await pagepointInView(page, x, y)).visible, 5_000);
        }
        await page.click('#follow-pointer');
        assert.equal(await page.getAttribute('#follow-pointer', 'aria-pressed'), 'false');
        const before = (await view(page)).scroll;
        xdotool(rig, 'mousemove', '3800', '2100');
        await waitFor('the host pointer in the panel', () => page.evaluate(() => document.querySelector('#pointer')?.getAttribute('data-pointer') === '3800,2100'), 5_000);
        assert.deepEqual((await view(page)).scroll, before, 'the view stayed');
        await page.click('#follow-pointer');
        await page.click('#view-fit');
      });

      it('with control, a click lands on the host pixel in fit, in 1:1 scrolled and at 200 %', async () => {
        await grantControl(page, prompts);
        await page.waitForTimeout(300);
        assert.equal((await view(page)).mode, 'fit');
        await clickLands(page, 1234, 567, 'fit');
        await clickLands(page, 3839, 2159, 'fit, the last pixel');

        await page.click('#view-actual');
        await waitFor('1:1', async () => (await view(page)).mode === 'actual');
        await scrollTo(page, 3001, 1701);
        const scrolled = (await view(page)).scroll;
        assert.ok(scrolled.left > 0 && scrolled.top > 0, `the view is scrolled: ${JSON.stringify(scrolled)}`);
        await clickLands(page, 3001, 1701, '1:1 scrolled');
        await clickLands(page, 3003, 1698, '1:1 scrolled, the pixel beside');

        for (let i = 0; i < 10 && (await view(page)).percent < 200; i++) await page.click('#zoom-in');
        let v = await view(page);
        assert.equal(v.percent, 200);
        assert.ok(near(v.rect.width, (HOST.width * 2) / dpr), `200 %: ${v.rect.width} CSS pixels wide`);
        assert.equal(v.crisp, true);
        assert.deepEqual(v.overlay, v.rect, 'the pointer overlay zooms with the picture');
        await scrollTo(page, 517, 1933);
        await clickLands(page, 517, 1933, '200 % scrolled');
        await clickLands(page, 518, 1934, '200 % scrolled, the pixel beside');

        // Ctrl+Alt+0 with the keyboard on the remote screen is the host's: the view stays where it is.
        const sent = rig.inputs.length;
        await page.keyboard.press('Control+Alt+Digit0');
        // Text mode sends the 0 as text (Ctrl+Alt may be AltGr); physical mode would send Digit0.
        await waitFor('Ctrl+Alt+0 on the host', () => rig.inputs.slice(sent).some((i) => i.includes('"text":"0"') || i === 'key Digit0 true'), 5_000).catch(() =>
          assert.fail(`inputs after Ctrl+Alt+0: ${rig.inputs.slice(sent).join(', ')}`),
        );
        v = await view(page);
        assert.equal(v.mode, 'zoom');
        assert.equal(v.percent, 200);
        await page.screenshot({ path: path.join(ROOT, 'test-results', `viewModes-zoom-dpr${dpr}.png`) });
        await page.click('#view-fit');
        await clickLands(page, 2000, 1000, 'fit again');
        host.end();
      });
    });
  }
});
