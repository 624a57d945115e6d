/**
 * The helper's side of the host's pause (issue 13, item 3): the panel's session against a host played by the test,
 * through a stand-in for PeerJS (no network, no DOM). The panel is told `paused`, says "Paused by <host>", releases
 * what it held and sends no input while paused (control stays granted), and takes `paused` only once it views.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseHostMessage } from '../../src/shared/protocol';
import { ControlGuard } from '../../src/webview/controlGuard';
import { until, verified } from '../support/fakeHelperPeer';

async function controlling() {
  const run = await verified();
  run.control.say({ type: 'viewGranted', width: 1280, height: 800 });
  await until('viewing', () => run.state().kind === 'viewing');
  run.session.requestControl();
  run.control.say({ type: 'control', granted: true, reason: 'granted' });
  await until('controlling', () => run.state().kind === 'controlling');
  return run;
}

describe('protocol: paused', () => {
  it('takes a boolean and nothing else', () => {
    assert.deepEqual(parseHostMessage({ type: 'paused', paused: true }), { type: 'paused', paused: true });
    assert.deepEqual(parseHostMessage({ type: 'paused', paused: false, extra: '<b>' }), { type: 'paused', paused: false });
    for (const bad of [undefined, null, 1, 0, 'true', [], {}, [true]]) assert.equal(parseHostMessage({ type: 'paused', paused: bad }), undefined, JSON.stringify(bad));
    assert.equal(parseHostMessage(JSON.parse('{"__proto__":{"paused":true},"type":"paused"}')), undefined);
  });
});

describe('helper session: the host pauses sharing', () => {
  it('says "Paused by <host>", releases what it held and sends no input while paused; control stays granted', async () => {
    const run = await controlling();
    run.session.sendInput({ type: 'key', code: 'ShiftLeft', down: true });
    assert.equal(run.control.types().at(-1), 'key');
    run.control.say({ type: 'paused', paused: true });
    await until('the pause', () => run.paused.length === 1);
    assert.deepEqual(run.paused, [true]);
    assert.match(run.notices.at(-1)!, /^Paused by Ada: you keep control/);
    assert.equal(run.control.types().at(-1), 'releaseAll', 'what it held is released at once');
    assert.equal(run.state().kind, 'controlling');
    const sent = run.control.sent.length;
    run.session.sendInput({ type: 'key', code: 'KeyA', down: true });
    run.session.sendInput({ type: 'pointerMove', x: 0.5, y: 0.5 });
    assert.equal(run.control.sent.length, sent, 'input went out while paused');
    run.control.say({ type: 'paused', paused: true });
    assert.deepEqual(run.paused, [true], 'a repeated pause changes nothing');
    run.control.say({ type: 'paused', paused: false });
    await until('the resume', () => run.paused.length === 2);
    assert.match(run.notices.at(-1)!, /^Ada resumed sharing/);
    run.session.sendInput({ type: 'pointerMove', x: 0.5, y: 0.5 });
    assert.equal(run.control.types().at(-1), 'pointerMove');
  });

  it('is a protocol error before the host allowed viewing', async () => {
    const run = await verified();
    run.control.say({ type: 'paused', paused: true });
    await until('failed', () => run.state().kind === 'failed');
    assert.deepEqual(run.paused, []);
  });

  it('words the notice for a helper that only views', () => {
    const guard = new ControlGuard();
    assert.equal(guard.hostPause(true, false, 'Ada'), 'Paused by Ada: the picture comes back when they resume.');
    assert.equal(guard.hostPause(true, false, 'Ada'), undefined);
    assert.equal(guard.hostPaused, true);
    assert.equal(guard.admit({ type: 'pointerMove', x: 0, y: 0 }), false);
    assert.equal(guard.hostPause(false, false, 'Ada'), 'Ada resumed sharing.');
  });
});
