/**
 * src/agent/windowsInput.ts and its messages: Windows' refusal of injected input (an elevated window in front, the
 * secure desktop) seen from the PowerShell probe's answers, the throttled watch that reports changes only, and the
 * validators on each hop (agent -> host, host -> panel). Windows cannot run here: the probe is a fake; its script
 * is checked for shape only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAgentMessage } from '../../src/agent/contract';
import { HIGH_INTEGRITY, InputBlockWatch, foregroundScript, parseForegroundReply, type ForegroundState } from '../../src/agent/windowsInput';
import { INPUT_UNBLOCKED_HELPER_TEXT, inputBlockedHelperText } from '../../src/shared/inputBlocked';
import { parseHostMessage } from '../../src/shared/protocol';
import { ControlGuard } from '../../src/webview/controlGuard';

const MEDIUM = 0x2000;

describe('parseForegroundReply', () => {
  it('reads the secure desktop, an elevated window, an unreadable one and a plain one', () => {
    assert.deepEqual(parseForegroundReply(`{"fg":false,"self":${MEDIUM}}`), { hasForegroundWindow: false, selfElevated: false });
    assert.deepEqual(parseForegroundReply(`{"fg":true,"fgLevel":${HIGH_INTEGRITY},"self":${MEDIUM}}`), { hasForegroundWindow: true, foregroundElevated: true, selfElevated: false });
    // A medium process cannot open an elevated process's token: unreadable is taken as elevated...
    assert.deepEqual(parseForegroundReply(`{"fg":true,"fgLevel":-1,"self":${MEDIUM}}`), { hasForegroundWindow: true, foregroundElevated: true, selfElevated: false });
    // ...unless we are elevated ourselves.
    assert.deepEqual(parseForegroundReply(`{"fg":true,"fgLevel":-1,"self":${HIGH_INTEGRITY}}`), { hasForegroundWindow: true, foregroundElevated: false, selfElevated: true });
    assert.deepEqual(parseForegroundReply(`{"fg":true,"fgLevel":${MEDIUM},"self":${MEDIUM}}`), { hasForegroundWindow: true, foregroundElevated: false, selfElevated: false });
  });

  it('refuses what is not an answer', () => {
    for (const line of ['', '{}', 'null', '[1]', 'Add-Type : error', '{"fg":"yes","self":8192}', '{"fg":true,"self":8192}', '{"fg":true,"fgLevel":1.5,"self":8192}', '{"fg":false,"self":-7}']) {
      assert.equal(parseForegroundReply(line), undefined, line);
    }
  });
});

describe('InputBlockWatch', () => {
  function rig(states: (ForegroundState | undefined)[]) {
    let now = 0;
    const changes: (string | undefined)[] = [];
    let reads = 0;
    const probe = { read: async () => states[Math.min(reads++, states.length - 1)], dispose: () => undefined };
    const watch = new InputBlockWatch(probe, (reason) => changes.push(reason), () => now, 1000);
    return { watch, changes, reads: () => reads, advance: (ms: number) => void (now += ms) };
  }
  const settle = () => new Promise((r) => setImmediate(r));
  const plain: ForegroundState = { hasForegroundWindow: true, foregroundElevated: false, selfElevated: false };
  const elevated: ForegroundState = { hasForegroundWindow: true, foregroundElevated: true, selfElevated: false };
  const secure: ForegroundState = { hasForegroundWindow: false, selfElevated: false };

  it('looks at most once an interval while input flows, and says only what changed', async () => {
    const r = rig([plain, elevated, elevated, secure, plain]);
    r.watch.injected(true);
    await settle();
    for (let i = 0; i < 50; i++) r.watch.injected(true);
    await settle();
    assert.equal(r.reads(), 1, 'a look for every injection');
    assert.deepEqual(r.changes, [], 'nothing to say while input gets through');
    for (const expected of [['elevated'], ['elevated'], ['elevated', 'secureDesktop'], ['elevated', 'secureDesktop', undefined]]) {
      r.advance(1000);
      r.watch.injected(true);
      await settle();
      assert.deepEqual(r.changes, expected);
    }
  });

  it('reports a failed injection when the probe cannot tell, and a clean one after', async () => {
    const r = rig([undefined]);
    r.watch.injected(false);
    await settle();
    assert.deepEqual(r.changes, ['failed']);
    r.advance(1000);
    r.watch.injected(true);
    await settle();
    assert.deepEqual(r.changes, ['failed', undefined]);
  });
});

describe('the PowerShell script', () => {
  it('closes its here-string on a line of its own and answers line by line', () => {
    const script = foregroundScript();
    assert.match(script, /@'\n/);
    assert.match(script, /\n'@\n/);
    assert.match(script, /\[Console\]::In\.ReadLine\(\)/);
    assert.match(script, /\[Console\]::Out\.Flush\(\)/);
  });
});

describe('inputBlocked on the wire', () => {
  it('the agent -> host message takes a reason or null only', () => {
    assert.equal(isAgentMessage({ type: 'inputBlocked', reason: 'elevated' }), true);
    assert.equal(isAgentMessage({ type: 'inputBlocked', reason: null }), true);
    assert.equal(isAgentMessage({ type: 'inputBlocked', reason: 'toString' }), false);
    assert.equal(isAgentMessage({ type: 'inputBlocked' }), false);
  });

  it('the host -> panel message takes a reason or null only, and the panel words it itself', () => {
    assert.deepEqual(parseHostMessage({ type: 'inputBlocked', reason: 'secureDesktop' }), { type: 'inputBlocked', reason: 'secureDesktop' });
    assert.deepEqual(parseHostMessage({ type: 'inputBlocked', reason: null }), { type: 'inputBlocked', reason: null });
    for (const reason of ['<b>admin</b>', 'constructor', 1, undefined]) assert.equal(parseHostMessage({ type: 'inputBlocked', reason }), undefined);
    assert.equal(ControlGuard.refused('elevated'), inputBlockedHelperText('elevated'));
    assert.equal(ControlGuard.refused(null), INPUT_UNBLOCKED_HELPER_TEXT);
  });
});
