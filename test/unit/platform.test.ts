/**
 * src/agent/platform.ts: macOS permissions and Windows' blocked input, decided from fake probes (neither platform
 * runs here), and src/macSettings.ts, which must offer exactly the panes the agent names.
 */
import assert from 'node:assert/strict';
import { inputBlockedHelperText, inputBlockedHostText } from '../../src/shared/inputBlocked';
import { describe, it } from 'node:test';
import {
  MAC_SETTINGS_URLS,
  isBlankCapture,
  macPermissionWarning,
  missingMacPermissions,
  platformWarnings,
  testMoveTarget,
  windowsInputBlocked,
  type MacProbe,
  type Point,
  type ProbePixels,
} from '../../src/agent/platform';
import { macSettingsPanes } from '../../src/macSettings';

function pixels(width: number, height: number, fill: (i: number) => number): ProbePixels {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return { data, width, height };
}

/** A pointer that moves when told to (Accessibility granted) or stays put (not granted). */
function fakeMac(options: { capture: ProbePixels | Error; injects: boolean; start?: Point }): MacProbe & { moves: Point[]; at: () => Point } {
  let at = options.start ?? { x: 10, y: 20 };
  const moves: Point[] = [];
  return {
    moves,
    at: () => at,
    grab: () => (options.capture instanceof Error ? Promise.reject(options.capture) : Promise.resolve(options.capture)),
    pointer: () => Promise.resolve(at),
    movePointer: (to) => {
      moves.push(to);
      if (options.injects) at = to;
      return Promise.resolve();
    },
  };
}

const DESKTOP = pixels(4, 4, (i) => (i % 4 === 3 ? 255 : i % 7 === 0 ? 200 : 0));
const BLACK = pixels(4, 4, (i) => (i % 4 === 3 ? 255 : 3));

describe('isBlankCapture', () => {
  it('is true for nothing, a short buffer and an all-black picture, whatever the alpha', () => {
    assert.equal(isBlankCapture({ data: new Uint8Array(0), width: 0, height: 0 }), true);
    assert.equal(isBlankCapture({ data: new Uint8Array(10), width: 4, height: 4 }), true);
    assert.equal(isBlankCapture(BLACK), true);
    assert.equal(isBlankCapture(pixels(2, 2, () => 0)), true);
  });

  it('is false as soon as one pixel is not black', () => {
    assert.equal(isBlankCapture(DESKTOP), false);
    const one = pixels(3, 3, (i) => (i === 4 * 8 + 1 ? 120 : 0));
    assert.equal(isBlankCapture(one), false);
  });
});

describe('missingMacPermissions', () => {
  it('finds nothing missing on a granted system, and puts the pointer back', async () => {
    const mac = fakeMac({ capture: DESKTOP, injects: true });
    assert.deepEqual(await missingMacPermissions(mac, 1920), []);
    assert.deepEqual(mac.moves, [{ x: 11, y: 20 }, { x: 10, y: 20 }]);
    assert.deepEqual(mac.at(), { x: 10, y: 20 });
  });

  it('names Screen Recording for a black or failed capture, Accessibility for a move that did not land', async () => {
    assert.deepEqual(await missingMacPermissions(fakeMac({ capture: BLACK, injects: true }), 1920), ['screenRecording']);
    assert.deepEqual(await missingMacPermissions(fakeMac({ capture: new Error('no'), injects: true }), 1920), ['screenRecording']);
    assert.deepEqual(await missingMacPermissions(fakeMac({ capture: DESKTOP, injects: false }), 1920), ['accessibility']);
    assert.deepEqual(await missingMacPermissions(fakeMac({ capture: BLACK, injects: false }), 1920), ['screenRecording', 'accessibility']);
  });

  it('counts a probe that throws as missing', async () => {
    const mac: MacProbe = { grab: () => Promise.resolve(DESKTOP), pointer: () => Promise.reject(new Error('denied')), movePointer: () => Promise.resolve() };
    assert.deepEqual(await missingMacPermissions(mac, 1920), ['accessibility']);
  });

  it('moves left at the right edge', () => {
    assert.deepEqual(testMoveTarget({ x: 1919, y: 5 }, 1920), { x: 1918, y: 5 });
    assert.deepEqual(testMoveTarget({ x: 0, y: 5 }, 1), { x: 0, y: 5 });
  });
});

describe('platformWarnings', () => {
  it('asks nothing of other platforms', async () => {
    const mac = fakeMac({ capture: BLACK, injects: false });
    for (const platform of ['linux', 'win32', 'freebsd'] as const) assert.deepEqual(await platformWarnings(platform, { mac, screenWidth: 100 }), []);
    assert.deepEqual(mac.moves, []);
  });

  it('on macOS: one sentence per missing permission, naming its System Settings pane', async () => {
    const warnings = await platformWarnings('darwin', { mac: fakeMac({ capture: BLACK, injects: false }), screenWidth: 100 });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /Privacy & Security > Screen Recording/);
    assert.match(warnings[1]!, /Privacy & Security > Accessibility/);
  });

  it('the extension offers exactly the pane each warning names, and nothing for other text', () => {
    const both = [macPermissionWarning('screenRecording'), macPermissionWarning('accessibility')];
    assert.deepEqual(macSettingsPanes('darwin', both).map((p) => p.url), [MAC_SETTINGS_URLS.screenRecording, MAC_SETTINGS_URLS.accessibility]);
    assert.deepEqual(macSettingsPanes('darwin', [macPermissionWarning('accessibility')]).map((p) => p.url), [MAC_SETTINGS_URLS.accessibility]);
    assert.deepEqual(macSettingsPanes('linux', both), []);
    assert.deepEqual(macSettingsPanes('darwin', ['This is a Wayland session', 'x-apple.systempreferences:com.apple.evil']), []);
  });
});

describe('windowsInputBlocked', () => {
  it('tells the secure desktop, an elevated window and a plain failure apart', () => {
    assert.equal(windowsInputBlocked({ injectionFailed: false }), undefined);
    assert.equal(windowsInputBlocked({ injectionFailed: true, hasForegroundWindow: false }), 'secureDesktop');
    assert.equal(windowsInputBlocked({ injectionFailed: false, hasForegroundWindow: false }), 'secureDesktop');
    assert.equal(windowsInputBlocked({ injectionFailed: false, hasForegroundWindow: true, foregroundElevated: true }), 'elevated');
    assert.equal(windowsInputBlocked({ injectionFailed: true, foregroundElevated: true, selfElevated: true }), 'failed');
    assert.equal(windowsInputBlocked({ injectionFailed: true, hasForegroundWindow: true, foregroundElevated: false }), 'failed');
  });

  it('has a sentence for each side and each reason', () => {
    for (const reason of ['secureDesktop', 'elevated', 'failed'] as const) {
      assert.ok(inputBlockedHostText(reason).length > 20);
      assert.ok(inputBlockedHelperText(reason).length > 20);
    }
  });
});
