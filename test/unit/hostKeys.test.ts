/**
 * Which presses are the host's own (src/agent/hostKeys.ts), from devices and events as the `x11` package
 * reports them. The device list and ids are those of Xvfb (`xinput list`), plus a second master.
 */

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { hostPress, xtestDevices } from '../../src/agent/hostKeys';

const XVFB = [
  { deviceId: 2, name: 'Virtual core pointer' },
  { deviceId: 3, name: 'Virtual core keyboard' },
  { deviceId: 4, name: 'Virtual core XTEST pointer' },
  { deviceId: 5, name: 'Virtual core XTEST keyboard' },
  { deviceId: 6, name: 'Xvfb mouse' },
  { deviceId: 7, name: 'Xvfb keyboard' },
];
const RAW_KEY_PRESS = 13;
const RAW_KEY_RELEASE = 14;
const RAW_BUTTON_PRESS = 15;
const RAW_MOTION = 17;

describe('xtestDevices', () => {
  it('finds the XTEST slaves of every master by name, and nothing else', () => {
    const withSecondMaster = [...XVFB, { deviceId: 8, name: 'helper pointer' }, { deviceId: 9, name: 'helper keyboard' }, { deviceId: 10, name: 'helper XTEST pointer' }, { deviceId: 11, name: 'helper XTEST keyboard' }];
    assert.deepEqual([...xtestDevices(withSecondMaster)].sort((a, b) => a - b), [4, 5, 10, 11]);
  });

  it('does not take a device that merely mentions XTEST for one', () => {
    assert.deepEqual([...xtestDevices([{ deviceId: 12, name: 'XTEST keyboard emulator (USB)' }, { deviceId: 13, name: 'XTESTkeyboard' }])], []);
  });
});

describe('hostPress', () => {
  const xtest = xtestDevices(XVFB);

  it("takes a key press from a real keyboard for the host's, as delivered through its master", () => {
    // What Xvfb sent for a key of "Xvfb keyboard", selected on XIAllMasterDevices: deviceid 3, sourceid 7.
    assert.deepEqual(hostPress({ evtype: RAW_KEY_PRESS, sourceId: 7, detail: 38 }, xtest), { kind: 'key', detail: 38, sourceId: 7 });
  });

  it("takes a button press (the wheel too) from a real mouse for the host's", () => {
    assert.deepEqual(hostPress({ evtype: RAW_BUTTON_PRESS, sourceId: 6, detail: 1 }, xtest), { kind: 'button', detail: 1, sourceId: 6 });
    assert.deepEqual(hostPress({ evtype: RAW_BUTTON_PRESS, sourceId: 6, detail: 5 }, xtest), { kind: 'button', detail: 5, sourceId: 6 });
  });

  it('ignores what XTEST injected: the agent, nut-js, xdotool', () => {
    assert.equal(hostPress({ evtype: RAW_KEY_PRESS, sourceId: 5, detail: 39 }, xtest), undefined);
    assert.equal(hostPress({ evtype: RAW_BUTTON_PRESS, sourceId: 4, detail: 1 }, xtest), undefined);
  });

  it("takes a device plugged in after the list was read for the host's", () => {
    assert.deepEqual(hostPress({ evtype: RAW_KEY_PRESS, sourceId: 14, detail: 24 }, xtest), { kind: 'key', detail: 24, sourceId: 14 });
  });

  it('ignores releases, motion, other events and events without a source or detail', () => {
    assert.equal(hostPress({ evtype: RAW_KEY_RELEASE, sourceId: 7, detail: 38 }, xtest), undefined);
    assert.equal(hostPress({ evtype: RAW_MOTION, sourceId: 6, detail: 0 }, xtest), undefined);
    assert.equal(hostPress({ evtype: 11 }, xtest), undefined);
    assert.equal(hostPress({ evtype: RAW_KEY_PRESS, detail: 38 }, xtest), undefined);
    assert.equal(hostPress({ evtype: RAW_KEY_PRESS, sourceId: 7 }, xtest), undefined);
    assert.equal(hostPress({}, xtest), undefined);
  });
});
