/**
 * The new messages of the choice of monitor (issue 13, item 2) as the protocol checks them: the helper's
 * `monitorRequest`, the host's `monitors` and `monitorRefused`, and the names that may travel (shared/monitors.ts).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMonitor, isMonitorName, MAX_MONITORS, parseMonitorList, toSharedMonitors } from '../../src/shared/monitors';
import { decodeJson, encodeMessage, parseHelperMessage, parseHostMessage } from '../../src/shared/protocol';

const roundTrip = (m: unknown, parse: (v: unknown) => unknown) => parse(decodeJson(encodeMessage(m as never), 65_536));
const EDP = { name: 'eDP-1', width: 1920, height: 1080, primary: true };
const DP = { name: 'DP-2', width: 2560, height: 1440, primary: false };

describe('monitor names', () => {
  it('takes plain names of up to 64 characters, and nothing that could fake or reverse text', () => {
    for (const good of ['DP-2', 'HDMI-1', 'eDP-1', 'default', 'Écran 2', 'x'.repeat(64), 'LEFT 1']) assert.ok(isMonitorName(good), good);
    for (const bad of ['', 'x'.repeat(65), ' DP-2', 'DP-2 ', 'DP  2', 'DP\n2', 'DP\r2', 'DP\t2', 'DP\u202e2', 'DP\u200b2', 'DP\u20282', 'a\ud800', '\u0000', 5, null, [], {}]) {
      assert.equal(isMonitorName(bad), false, JSON.stringify(bad));
    }
  });
});

describe('monitorRequest (helper to host)', () => {
  it('is accepted with a plain name and rebuilt without extra fields', () => {
    assert.deepEqual(roundTrip({ type: 'monitorRequest', name: 'DP-2', extra: 1 }, parseHelperMessage), { type: 'monitorRequest', name: 'DP-2' });
  });

  it('is refused without a plain name', () => {
    for (const name of [undefined, '', 'DP\u202e2', 'x'.repeat(65), 2, ['DP-2'], { toString: 'DP-2' }]) {
      assert.equal(roundTrip({ type: 'monitorRequest', name }, parseHelperMessage), undefined, JSON.stringify(name));
    }
  });
});

describe('monitors and monitorRefused (host to helper)', () => {
  it('accepts a list with the shared one in it, rebuilt field by field', () => {
    const parsed = roundTrip({ type: 'monitors', monitors: [{ ...EDP, x: 0, y: 0 }, DP], shared: 'DP-2', more: true }, parseHostMessage);
    assert.deepEqual(parsed, { type: 'monitors', monitors: [EDP, DP], shared: 'DP-2' });
    assert.deepEqual(roundTrip({ type: 'monitorRefused', reason: 'busy' }, parseHostMessage), { type: 'monitorRefused', reason: 'busy' });
  });

  it('refuses lists that are empty, too long, with twins, bad sizes or names, or a shared one not in them', () => {
    const bad: unknown[] = [
      { monitors: [], shared: 'DP-2' },
      { monitors: [DP], shared: 'eDP-1' },
      { monitors: [DP, DP], shared: 'DP-2' },
      { monitors: [{ ...DP, width: 0 }], shared: 'DP-2' },
      { monitors: [{ ...DP, width: 8193 }], shared: 'DP-2' },
      { monitors: [{ ...DP, height: 1.5 }], shared: 'DP-2' },
      { monitors: [{ ...DP, primary: 'yes' }], shared: 'DP-2' },
      { monitors: [{ ...DP, name: 'DP\u202e2' }], shared: 'DP\u202e2' },
      { monitors: [DP], shared: undefined },
      { monitors: 'DP-2', shared: 'DP-2' },
      { monitors: [null], shared: 'DP-2' },
      { monitors: Array.from({ length: MAX_MONITORS + 1 }, (_, i) => ({ ...DP, name: `M-${i}` })), shared: 'M-0' },
    ];
    for (const fields of bad) assert.equal(roundTrip({ type: 'monitors', ...(fields as object) }, parseHostMessage), undefined, JSON.stringify(fields).slice(0, 120));
    assert.ok(parseMonitorList(Array.from({ length: MAX_MONITORS }, (_, i) => ({ ...DP, name: `M-${i}` })), 'M-3'));
    for (const reason of ['no', '', 'toString', 5, undefined]) assert.equal(roundTrip({ type: 'monitorRefused', reason }, parseHostMessage), undefined, String(reason));
  });
});

describe('toSharedMonitors', () => {
  it('lists the primary first, leaves places and unplain names out, and describes a monitor with its size', () => {
    const listed = toSharedMonitors([
      { name: 'DP-2', primary: false, area: { width: 2560, height: 1440 } },
      { name: 'bad\u202ename', primary: false, area: { width: 800, height: 600 } },
      { name: 'eDP-1', primary: true, area: { width: 1920, height: 1080 } },
      { name: 'huge', primary: false, area: { width: 10_000, height: 600 } },
    ]);
    assert.deepEqual(listed, [EDP, DP]);
    assert.equal(describeMonitor(DP), 'DP-2 (2560×1440)');
  });
});
