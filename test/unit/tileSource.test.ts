import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScreenArea } from '../../src/agent/frameSource';
import { TileSource } from '../../src/agent/tileSource';
import type { ChangeWatcher, PointerReading } from '../../src/agent/damage';
import type { Pixels } from '../../src/agent/png';
import type { Rect } from '../../src/shared/screenUpdate';
import { parseUpdate } from '../../src/shared/screenUpdate';
import { applyFrame, rgbAt } from '../support/screenPixels';

const warnings: string[] = [];
const log = { trace() {}, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };

/** A root window of two monitors side by side (640x400 each); the right one is captured. */
const ROOT = { width: 1280, height: 400 };
const AREA: ScreenArea = { x: 640, y: 0, width: 640, height: 400 };

class FakeScreen {
  readonly data = new Uint8Array(ROOT.width * ROOT.height * 4).fill(40);
  grabs: string[] = [];
  fill(r: Rect, rgb: [number, number, number]): void {
    for (let y = r.y; y < r.y + r.height; y++) {
      for (let x = r.x; x < r.x + r.width; x++) this.data.set([rgb[2], rgb[1], rgb[0], 255], (y * ROOT.width + x) * 4);
    }
  }
  slice(r: Rect): Pixels {
    const out = new Uint8Array(r.width * r.height * 4);
    for (let y = 0; y < r.height; y++) out.set(this.data.subarray(((r.y + y) * ROOT.width + r.x) * 4, ((r.y + y) * ROOT.width + r.x + r.width) * 4), y * r.width * 4);
    return { data: out, width: r.width, height: r.height };
  }
}

/** Damage as the X server would report it: root coordinates, and a wake-up for whoever waits. */
class FakeDamage implements ChangeWatcher {
  alive = true;
  private rects: Rect[] = [];
  private wake: (() => void) | undefined;
  /** The X connection broke. */
  kill(): void {
    this.alive = false;
    this.wake?.();
  }
  report(r: Rect): void {
    this.rects.push(r);
    this.wake?.();
  }
  protected poke(): void {
    this.wake?.();
  }
  changed(timeoutMs: number): Promise<void> {
    if (this.rects.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  take(): Rect[] {
    return this.rects.splice(0);
  }
  dispose(): void {}
}

/** Damage that also tells when the pointer may have moved (XInput 2 raw motion, XFixes cursor notifications). */
class HintingDamage extends FakeDamage {
  private stirred = false;
  pointerHint(): boolean {
    const was = this.stirred;
    this.stirred = false;
    return was;
  }
  stirPointer(): void {
    this.stirred = true;
    this.poke();
  }
  override changed(timeoutMs: number): Promise<void> {
    return this.stirred ? Promise.resolve() : super.changed(timeoutMs);
  }
}

function rig(pointer?: () => Promise<PointerReading | undefined>, safetyCheckMs?: number, damage = new FakeDamage()) {
  const screen = new FakeScreen();
  const source = new TileSource({
    log,
    grab: async (area) => {
      screen.grabs.push(`whole ${JSON.stringify(area)}`);
      return screen.slice(area ?? { x: 0, y: 0, ...ROOT });
    },
    areaOf: async () => AREA,
    watcher: damage,
    ...(pointer ? { pointer } : {}),
    grabSmall: async (r) => {
      screen.grabs.push(`small ${r.x},${r.y} ${r.width}x${r.height}`);
      return screen.slice(r);
    },
    ...(safetyCheckMs ? { safetyCheckMs } : {}),
  });
  return { screen, damage, source, picture: new Uint8Array(AREA.width * AREA.height * 4) };
}

describe('TileSource: damage, partial grabs, the pointer', () => {
  it('grabs only the damaged rectangle, in root coordinates, and places it in the captured monitor', async () => {
    const { screen, damage, source, picture } = rig();
    applyFrame((await source.capture({ full: true }))!, picture);
    assert.deepEqual(screen.grabs, [`whole ${JSON.stringify(AREA)}`]);
    // A change on the captured monitor, at root (700, 100): (60, 100) in the picture.
    screen.fill({ x: 700, y: 100, width: 10, height: 8 }, [250, 0, 0]);
    damage.report({ x: 696, y: 96, width: 20, height: 16 });
    const frame = await source.capture({ waitMs: 1000 });
    assert.ok(frame);
    assert.deepEqual(screen.grabs.slice(1), ['small 696,96 20x16']);
    const update = applyFrame(frame, picture);
    assert.deepEqual(update.ops.map((o) => (o.kind === 'image' ? o.rect : o.kind)), [{ x: 60, y: 100, width: 10, height: 8 }]);
    assert.deepEqual(rgbAt(picture, AREA.width, 65, 104), [250, 0, 0]);
    // A change on the other monitor is nobody's business here: nothing is grabbed, nothing is sent.
    screen.fill({ x: 10, y: 10, width: 5, height: 5 }, [0, 250, 0]);
    damage.report({ x: 10, y: 10, width: 5, height: 5 });
    assert.equal(await source.capture({ waitMs: 100 }), undefined);
    assert.equal(screen.grabs.length, 2);
  });

  it('grabs a dragged window\'s old and new places as their bounds, in parts, not the whole screen', async () => {
    const { screen, damage, source, picture } = rig();
    applyFrame((await source.capture({ full: true }))!, picture);
    // A 400x300 window moved by (6, 4) reports where it was and where it is (each ~47 % of the captured monitor,
    // 94 % together, 48 % as their bounds), and a small change elsewhere.
    screen.fill({ x: 706, y: 44, width: 400, height: 300 }, [0, 120, 250]);
    screen.fill({ x: 1200, y: 350, width: 20, height: 10 }, [250, 0, 0]);
    damage.report({ x: 700, y: 40, width: 400, height: 300 });
    damage.report({ x: 706, y: 44, width: 400, height: 300 });
    damage.report({ x: 1200, y: 350, width: 20, height: 10 });
    const frame = await source.capture({ waitMs: 1000 });
    assert.ok(frame);
    assert.deepEqual(screen.grabs.slice(1), ['small 700,40 406x304', 'small 1200,350 20x10']);
    applyFrame(frame, picture);
    assert.deepEqual(rgbAt(picture, AREA.width, 66, 44), [0, 120, 250]);
    assert.deepEqual(rgbAt(picture, AREA.width, 60, 40), [40, 40, 40]);
    assert.deepEqual(rgbAt(picture, AREA.width, 570, 355), [250, 0, 0]);
  });

  it('waits for damage, and answers "nothing changed" when none comes', async () => {
    const { screen, damage, source } = rig();
    await source.capture({ full: true });
    const started = Date.now();
    assert.equal(await source.capture({ waitMs: 150 }), undefined);
    assert.ok(Date.now() - started >= 140);
    const waiting = source.capture({ waitMs: 5000 });
    setTimeout(() => {
      screen.fill({ x: 1000, y: 300, width: 4, height: 4 }, [0, 0, 250]);
      damage.report({ x: 1000, y: 300, width: 4, height: 4 });
    }, 50);
    const t = Date.now();
    assert.ok(await waiting);
    assert.ok(Date.now() - t < 1000, 'answered when the damage came, not at the deadline');
  });

  it('when the X connection breaks, it polls: a change nobody reports is still found, and a still screen does not spin', async () => {
    const { screen, damage, source, picture } = rig();
    applyFrame((await source.capture({ full: true }))!, picture);
    const waiting = source.capture({ waitMs: 5000 });
    const t = Date.now();
    setTimeout(() => {
      damage.kill();
      screen.fill({ x: 900, y: 200, width: 6, height: 6 }, [250, 250, 0]);
    }, 50);
    const frame = await waiting;
    assert.ok(frame, 'the unreported change was found');
    assert.ok(Date.now() - t < 1500, `found by polling after ${Date.now() - t} ms, before the 2 s safety check`);
    applyFrame(frame, picture);
    assert.deepEqual(rgbAt(picture, AREA.width, 262, 202), [250, 250, 0]);
    const grabs = screen.grabs.length;
    assert.equal(await source.capture({ waitMs: 1000 }), undefined);
    const polled = screen.grabs.length - grabs;
    assert.ok(polled >= 3 && polled <= 70, `${polled} grabs in a still second`);
  });

  it('stops trusting an X server whose reports miss what the screen shows (twice), and polls', async () => {
    warnings.length = 0;
    const { screen, source, picture } = rig(undefined, 100);
    applyFrame((await source.capture({ full: true }))!, picture);
    for (const [i, x] of [[1, 700], [2, 800]] as const) {
      screen.fill({ x, y: 10, width: 4, height: 4 }, [0, 200, 0]); // never reported
      const frame = await source.capture({ waitMs: 2000 });
      assert.ok(frame, `change ${i} found by the whole-screen check`);
      applyFrame(frame, picture);
    }
    assert.ok(warnings.some((w) => w.includes('does not report the changes')), warnings.join('\n'));
  });

  it('keeps trusting an X server that reports what changes', async () => {
    warnings.length = 0;
    const { screen, damage, source } = rig(undefined, 100);
    await source.capture({ full: true });
    for (let i = 0; i < 4; i++) {
      screen.fill({ x: 700 + i * 10, y: 10, width: 4, height: 4 }, [0, 200, 0]);
      damage.report({ x: 700 + i * 10, y: 10, width: 4, height: 4 });
      assert.ok(await source.capture({ waitMs: 1000 }));
      await new Promise((r) => setTimeout(r, 120));
    }
    assert.deepEqual(warnings, []);
  });

  it('while nothing changes, the whole screen is checked less and less often', async () => {
    const { screen, source } = rig(undefined, 50);
    await source.capture({ full: true });
    screen.grabs.length = 0;
    assert.equal(await source.capture({ waitMs: 1600 }), undefined);
    // Every 50 ms that would be 32 grabs; doubling from 50 ms (50, 100, 200, 400, 800), five.
    assert.ok(screen.grabs.length >= 3 && screen.grabs.length <= 7, `${screen.grabs.length} whole-screen checks in a still 1.6 s`);
  });

  it('with hints of the pointer\'s moves, a still pointer is not read; a hinted move is read at once', async () => {
    let reads = 0;
    let reading: PointerReading = { x: 700, y: 50, serial: 1, width: 2, height: 2, hotX: 0, hotY: 0, argb: new Uint8Array(16).fill(255) };
    const damage = new HintingDamage();
    const { source } = rig(async () => {
      reads++;
      return reading;
    }, undefined, damage);
    await source.capture({ full: true });
    const before = reads;
    assert.equal(await source.capture({ waitMs: 900 }), undefined);
    assert.ok(reads - before <= 1, `${reads - before} reads of a still pointer in 0.9 s`);
    const waiting = source.capture({ waitMs: 5000 });
    const t = Date.now();
    setTimeout(() => {
      reading = { ...reading, x: 800 };
      damage.stirPointer();
    }, 50);
    const frame = await waiting;
    assert.ok(frame && Date.now() - t < 400, `the hinted move came after ${Date.now() - t} ms`);
    const ops = parseUpdate(frame.data, AREA.width, AREA.height)!.ops;
    assert.ok(ops[0]?.kind === 'pointer' && ops[0].at?.x === 160);
  });

  it('sends the pointer with a key update, then only when it moves or changes shape; off this monitor it is hidden', async () => {
    let reading: PointerReading = { x: 700, y: 50, serial: 1, width: 2, height: 2, hotX: 0, hotY: 0, argb: new Uint8Array(16).fill(255) };
    const { damage, source } = rig(async () => reading);
    const ops = async (frame: Awaited<ReturnType<typeof source.capture>>) => parseUpdate(frame!.data, AREA.width, AREA.height)!.ops.filter((o) => o.kind === 'pointer');
    const first = await ops(await source.capture({ full: true }));
    assert.equal(first.length, 1);
    assert.ok(first[0]!.kind === 'pointer' && first[0]!.at?.x === 60 && first[0]!.at.y === 50 && first[0]!.shape?.width === 2);
    assert.equal(await source.capture({ waitMs: 100 }), undefined, 'a still pointer is not sent again');
    reading = { ...reading, x: 800 };
    const moved = await ops(await source.capture({ waitMs: 1000 }));
    assert.ok(moved[0]?.kind === 'pointer' && moved[0].at?.x === 160 && moved[0].shape === undefined, 'moved: its place, not its shape');
    reading = { ...reading, x: 100 };
    const away = await ops(await source.capture({ waitMs: 1000 }));
    assert.ok(away[0]?.kind === 'pointer' && away[0].at === undefined, 'on the other monitor: hidden');
    damage.dispose();
  });
});
