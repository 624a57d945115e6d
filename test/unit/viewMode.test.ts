import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTUAL,
  FIT,
  MAX_ZOOM,
  MIN_ZOOM,
  describeMode,
  followScroll,
  hostPixelAt,
  layout,
  pictureFraction,
  pictureOffset,
  viewShortcut,
  zoomIn,
  zoomMode,
  zoomOut,
  type ShortcutKey,
} from '../../src/webview/viewMode';

const uhd = { width: 3840, height: 2160 };

describe('view layout', () => {
  it('fit: the largest picture that fits, aspect kept, whatever the density', () => {
    for (const dpr of [1, 1.25, 2]) {
      const l = layout(FIT, uhd, { width: 960, height: 700 }, dpr);
      assert.equal(l.width, 960);
      assert.equal(l.height, 540);
      assert.equal(l.percent, 25 * dpr);
      assert.equal(l.scrolls, false);
    }
    // Taller than wide: the height decides.
    const tall = layout(FIT, { width: 1000, height: 2000 }, { width: 800, height: 500 }, 1);
    assert.deepEqual([tall.width, tall.height], [250, 500]);
  });

  it('1:1 is one host pixel per device pixel: host size / devicePixelRatio CSS pixels, crisp', () => {
    assert.deepEqual(layout(ACTUAL, uhd, { width: 100, height: 100 }, 1), { width: 3840, height: 2160, percent: 100, crisp: true, scrolls: true });
    assert.deepEqual(layout(ACTUAL, uhd, { width: 100, height: 100 }, 2), { width: 1920, height: 1080, percent: 100, crisp: true, scrolls: true });
    const odd = layout(ACTUAL, { width: 1366, height: 768 }, { width: 100, height: 100 }, 1.5);
    assert.ok(Math.abs(odd.width - 1366 / 1.5) < 1e-9);
    assert.equal(odd.crisp, true);
  });

  it('zoom counts device pixels per host pixel; only whole numbers of them are crisp', () => {
    const z200 = layout(zoomMode(200), { width: 1280, height: 800 }, { width: 1, height: 1 }, 2);
    assert.deepEqual([z200.width, z200.height, z200.percent, z200.crisp], [1280, 800, 200, true]);
    assert.equal(layout(zoomMode(150), { width: 1280, height: 800 }, { width: 1, height: 1 }, 1).crisp, false);
    assert.equal(layout(zoomMode(50), { width: 1280, height: 800 }, { width: 1, height: 1 }, 1).crisp, false);
    assert.equal(layout(FIT, { width: 1280, height: 800 }, { width: 2560, height: 1600 }, 1).crisp, true, 'fit at exactly 2x');
  });

  it('an unknown screen or a bad ratio lays out nothing rather than NaN', () => {
    assert.deepEqual(layout(ACTUAL, { width: 0, height: 0 }, { width: 10, height: 10 }, 1), { width: 0, height: 0, percent: 100, crisp: false, scrolls: false });
    assert.equal(layout(ACTUAL, uhd, { width: 10, height: 10 }, 0).width, 3840);
    assert.equal(layout(ACTUAL, uhd, { width: 10, height: 10 }, Number.NaN).width, 3840);
  });
});

describe('zoom steps', () => {
  it('go up and down the steps from what is shown, 100 % being 1:1', () => {
    assert.deepEqual(zoomIn(100), { kind: 'zoom', percent: 110 });
    assert.deepEqual(zoomOut(110), ACTUAL);
    assert.deepEqual(zoomIn(175), { kind: 'zoom', percent: 200 });
    // From fit, whatever it shows: the next step beyond.
    assert.deepEqual(zoomIn(47.3), { kind: 'zoom', percent: 50 });
    assert.deepEqual(zoomOut(47.3), { kind: 'zoom', percent: MIN_ZOOM });
    assert.deepEqual(zoomIn(96), ACTUAL);
  });

  it('stop at the ends', () => {
    assert.deepEqual(zoomIn(MAX_ZOOM), { kind: 'zoom', percent: MAX_ZOOM });
    assert.deepEqual(zoomOut(MIN_ZOOM), { kind: 'zoom', percent: MIN_ZOOM });
    assert.deepEqual(zoomMode(10_000), { kind: 'zoom', percent: MAX_ZOOM });
  });

  it('name themselves for the toolbar', () => {
    assert.equal(describeMode(FIT), 'Fit');
    assert.equal(describeMode(ACTUAL), '1:1');
    assert.equal(describeMode(zoomMode(250)), '250 %');
  });
});

describe('pointer mapping through the picture box', () => {
  it('maps client points to host pixels at any scale and scroll (the rect moves with both)', () => {
    // 1:1 on a density-2 screen, scrolled: the picture starts 1500 CSS px left of the view.
    const rect = { left: -1500, top: -300, width: 1920, height: 1080 };
    assert.deepEqual(hostPixelAt(-1500 + 1000.25, -300 + 400.25, rect, uhd), { x: 2000, y: 800 });
    // Zoom 200 % at density 1: two CSS pixels per host pixel.
    const z = { left: 10, top: 50, width: 2560, height: 1600 };
    assert.deepEqual(hostPixelAt(10 + 2 * 640 + 1, 50 + 2 * 400 + 1, z, { width: 1280, height: 800 }), { x: 640, y: 400 });
    // Fit: a quarter.
    const fit = { left: 20, top: 80, width: 960, height: 540 };
    assert.deepEqual(hostPixelAt(20 + 100.5, 80 + 50.5, fit, uhd), { x: 402, y: 202 });
  });

  it('clips points off the picture to its edge pixels', () => {
    const rect = { left: 0, top: 0, width: 100, height: 50 };
    assert.deepEqual(hostPixelAt(-30, -1, rect, { width: 200, height: 100 }), { x: 0, y: 0 });
    assert.deepEqual(hostPixelAt(100, 50, rect, { width: 200, height: 100 }), { x: 199, y: 99 });
    assert.deepEqual(pictureFraction(5, 5, { left: 0, top: 0, width: 0, height: 0 }), { x: 0.5, y: 0.5 });
  });
});

describe('picture offset', () => {
  it('centres a smaller picture on a device pixel, and starts a larger one at 0', () => {
    assert.equal(pictureOffset(0, 1000, 800, 1), 100);
    assert.equal(pictureOffset(0, 1000, 999, 1), 1, '0.5 rounds to a whole pixel');
    assert.equal(pictureOffset(0.25, 1000, 999, 2), 0.75, 'at density 2: page x 1.0, device pixel 2 (centred would be 0.75 + 0.25 = 1.0)');
    assert.ok(Math.abs(pictureOffset(40.3, 1000, 999, 1) - 0.7) < 1e-9, 'the page x of the start is whole');
    assert.equal(pictureOffset(0, 1000, 1200, 2), 0);
  });
});

describe('follow the host pointer', () => {
  const view = { width: 800, height: 600 };
  const content = { width: 3840, height: 2160 };
  it('leaves the view alone while the pointer is well inside it', () => {
    assert.equal(followScroll({ x: 500, y: 300 }, { left: 100, top: 0 }, view, content, 48), undefined);
  });

  it('scrolls just enough to bring a pointer near or past an edge back inside the margin', () => {
    assert.deepEqual(followScroll({ x: 890, y: 300 }, { left: 100, top: 0 }, view, content, 48), { left: 138, top: 0 });
    assert.deepEqual(followScroll({ x: 3000, y: 2000 }, { left: 0, top: 0 }, view, content, 48), { left: 2248, top: 1448 });
    assert.deepEqual(followScroll({ x: 10, y: 10 }, { left: 500, top: 500 }, view, content, 48), { left: 0, top: 0 });
  });

  it('never scrolls past the picture', () => {
    assert.deepEqual(followScroll({ x: 3839, y: 2159 }, { left: 0, top: 0 }, view, content, 48), { left: 3040, top: 1560 });
    assert.equal(followScroll({ x: 700, y: 10 }, { left: 0, top: 0 }, view, { width: 750, height: 500 }, 48), undefined);
  });
});

describe('view shortcuts', () => {
  const key = (code: string, mods: Partial<ShortcutKey> = {}): ShortcutKey => ({ code, ctrlKey: true, altKey: true, shiftKey: false, metaKey: false, ...mods });
  it('Ctrl+Alt+0, 1, = and - by key position, on the number pad too', () => {
    assert.equal(viewShortcut(key('Digit0')), 'fit');
    assert.equal(viewShortcut(key('Numpad0')), 'fit');
    assert.equal(viewShortcut(key('Digit1')), 'actual');
    assert.equal(viewShortcut(key('Equal')), 'zoomIn');
    assert.equal(viewShortcut(key('Equal', { shiftKey: true })), 'zoomIn', 'Ctrl+Alt++');
    assert.equal(viewShortcut(key('NumpadAdd')), 'zoomIn');
    assert.equal(viewShortcut(key('Minus')), 'zoomOut');
    assert.equal(viewShortcut(key('NumpadSubtract')), 'zoomOut');
  });

  it('nothing else: not without Ctrl and Alt, not with Meta', () => {
    assert.equal(viewShortcut(key('Digit0', { altKey: false })), undefined);
    assert.equal(viewShortcut(key('Digit0', { ctrlKey: false })), undefined);
    assert.equal(viewShortcut(key('Digit0', { metaKey: true })), undefined);
    assert.equal(viewShortcut(key('Home')), undefined, 'Ctrl+Alt+Home leaves the remote screen');
    assert.equal(viewShortcut(key('Digit2')), undefined);
  });
});
