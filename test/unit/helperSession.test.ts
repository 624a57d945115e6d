/**
 * The helper's session against a host played by the test, through a stand-in for PeerJS (no network, no DOM):
 * what the session accepts from a host that does not follow the protocol, on the control and media connections.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EncodedFrame } from '../../src/shared/frames';
import { encodeUpdate, type UpdateOp } from '../../src/shared/screenUpdate';
import { image, pngHeader } from '../support/pngHeader';
import { tick, until, verified, type Run } from '../support/fakeHelperPeer';

/** Verified, and the host allowed viewing a 1280 x 800 screen. */
async function viewing(): Promise<Run> {
  const run = await verified();
  run.control.say({ type: 'viewGranted', width: 1280, height: 800 });
  await until('viewing', () => run.state().kind === 'viewing');
  return run;
}

/** The session ended as a protocol error of the host's, and said so to the host. */
async function endsWithProtocolError(run: Run): Promise<void> {
  await until('the session to fail', () => run.state().kind === 'failed');
  const s = run.state();
  assert.equal(s.kind === 'failed' && s.reason, 'protocolError');
  assert.equal(s.kind === 'failed' && s.by, 'local');
  assert.deepEqual(run.control.messages().filter((m) => m.type === 'bye').map((m) => m['reason']), ['protocolError']);
}


const update = (width: number, height: number, ops: UpdateOp[], full = true): EncodedFrame => ({ format: 'update', width, height, data: encodeUpdate({ full, ops }) });

describe('helper session: control the helper did not ask for', () => {
  it('takes control that it asked for, and gives it back', async () => {
    const run = await viewing();
    run.session.requestControl();
    assert.equal(run.state().kind, 'requestingControl');
    run.control.say({ type: 'control', granted: true, reason: 'granted' });
    await until('controlling', () => run.state().kind === 'controlling');
  });

  it('ignores `granted` while only viewing, and tells the host it does not hold control', async () => {
    const run = await viewing();
    run.control.say({ type: 'control', granted: true, reason: 'granted' });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(run.state().kind, 'viewing', 'no keyboard capture without a request');
    assert.ok(!run.states.some((s) => s.kind === 'controlling'));
    assert.ok(run.control.messages().some((m) => m.type === 'releaseControl'), 'the host is told the helper does not hold control');
    assert.ok(run.lines.some((l) => l.startsWith('warn') && l.includes('granted')), 'and the log says why');
  });

  it('ignores a late `granted` for a request the helper withdrew', async () => {
    const run = await viewing();
    run.session.requestControl();
    run.session.releaseControl();
    run.control.say({ type: 'control', granted: true, reason: 'granted' });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(run.state().kind, 'viewing');
    assert.ok(!run.states.some((s) => s.kind === 'controlling'));
  });

  it('ignores `resumed` without a `paused` before it', async () => {
    const run = await viewing();
    run.control.say({ type: 'control', granted: true, reason: 'resumed' });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(run.state().kind, 'viewing');
    assert.ok(!run.states.some((s) => s.kind === 'controlling'));
  });

  it('takes control back after the host paused it, once', async () => {
    const run = await viewing();
    run.session.requestControl();
    run.control.say({ type: 'control', granted: true, reason: 'granted' });
    await until('controlling', () => run.state().kind === 'controlling');
    run.control.say({ type: 'control', granted: false, reason: 'paused' });
    await until('paused', () => run.state().kind === 'viewing');
    run.control.say({ type: 'control', granted: true, reason: 'resumed' });
    await until('resumed', () => run.state().kind === 'controlling');
    // Control taken back: a second `resumed` has no pause to end.
    run.control.say({ type: 'control', granted: false, reason: 'revoked' });
    await until('revoked', () => run.state().kind === 'viewing');
    run.control.say({ type: 'control', granted: true, reason: 'resumed' });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(run.state().kind, 'viewing');
  });
});

describe('helper session: a host that sends more than a screen', () => {
  it('refuses a screen over 8K x 8K in viewGranted, with a bye', async () => {
    const run = await verified();
    run.control.say({ type: 'viewGranted', width: 8193, height: 8192 });
    await endsWithProtocolError(run);
  });

  it('passes frames of an ordinary screen to the viewer', async () => {
    const run = await viewing();
    run.frame(1, update(1280, 800, [image(0, 0, 1280, 800)]));
    run.frame(2, { format: 'png', width: 1280, height: 800, data: pngHeader(1280, 800) });
    await until('two frames', () => run.frames.length === 2);
    assert.equal(run.state().kind, 'viewing');
  });

  it('ends the session on an update that decodes to more than twice the screen', async () => {
    const run = await viewing();
    run.frame(1, update(1280, 800, [image(0, 0, 1280, 800), image(0, 0, 1280, 800), image(0, 0, 1280, 800)]));
    await endsWithProtocolError(run);
    assert.deepEqual(run.frames, [], 'nothing reached the viewer');
  });

  it('ends the session on a frame for a screen over 8K on a side', async () => {
    const run = await viewing();
    run.frame(1, update(8193, 16, [image(0, 0, 16, 16)]));
    await endsWithProtocolError(run);
    assert.deepEqual(run.frames, []);
  });

  it('ends the session on a whole picture larger than its frame says', async () => {
    const run = await viewing();
    run.frame(1, { format: 'png', width: 1280, height: 800, data: pngHeader(8192, 8192) });
    await endsWithProtocolError(run);
    assert.deepEqual(run.frames, []);
  });

  it('ends the session when the host sends frames without waiting for acknowledgements', async () => {
    const run = await viewing();
    for (let id = 1; id <= 100; id++) run.frame(id, update(1280, 800, [image(0, 0, 16, 16)], false));
    await endsWithProtocolError(run);
    assert.ok(run.frames.length < 100, `${run.frames.length} frames were handed on`);
  });

  it('keeps going while the host waits for acknowledgements', async () => {
    const run = await viewing();
    for (let id = 1; id <= 100; id++) {
      run.frame(id, update(1280, 800, [image(0, 0, 16, 16)], false));
      run.session.ackFrame(id);
    }
    await until('100 frames', () => run.frames.length === 100);
    assert.equal(run.state().kind, 'viewing');
  });
});
