/**
 * Resuming after a network cut, the helper's side (helperSession.ts, helperResume.ts, hostLink.ts) against a host
 * played by the test through the fake PeerJS: the cut keeps the session (reconnecting, control dropped), a new
 * control connection is dialled and proved with the resume key, the host must prove itself back, and the old
 * connections are never heard from again.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { channelBinding, deriveResumeKey, makeProof, newNonce } from '../../src/shared/proof';
import { HelperResume, RESUME_ATTEMPT_MAX_MS, RESUME_ATTEMPT_MS } from '../../src/webview/helperResume';
import { encodeUpdate } from '../../src/shared/screenUpdate';
import { SessionTimers } from '../../src/webview/sessionTimers';
import { tick, until, verified, type FakeConnection, type Run } from '../support/fakeHelperPeer';

/** Verified, viewing and controlling. */
async function controlling(holdsPicture?: () => boolean): Promise<Run> {
  const run = await verified(holdsPicture);
  run.control.say({ type: 'viewGranted', width: 1280, height: 800 });
  await until('viewing', () => run.state().kind === 'viewing');
  run.session.requestControl();
  run.control.say({ type: 'control', granted: true, reason: 'granted' });
  await until('controlling', () => run.state().kind === 'controlling');
  return run;
}

/** The resume attempt's control connection opens; the host challenges it. Returns the connection and its transcript. */
async function resumeAttempt(run: Run, from: number): Promise<{ control: FakeConnection; transcript: { helperNonce: string; hostNonce: string; binding: string } }> {
  await until('a new control connection', () => run.connections.slice(from).some((c) => c.label === 'control'));
  const control = run.connections.slice(from).find((c) => c.label === 'control')!;
  control.open = true;
  control.emit('open');
  const resume = control.messages().find((m) => m.type === 'resume');
  assert.ok(resume, `the first message is resume: ${control.types().join(',')}`);
  assert.ok(!control.messages().some((m) => m.type === 'hello'), 'no hello: the invitation is not used again');
  const hostNonce = newNonce();
  control.say({ type: 'challenge', hostNonce });
  await until('the resume proof', () => control.messages().some((m) => m.type === 'proof'));
  const { local, remote } = { local: control.peerConnection.localDescription.sdp, remote: control.peerConnection.remoteDescription.sdp };
  return { control, transcript: { helperNonce: String(resume['helperNonce']), hostNonce, binding: channelBinding(local, remote) } };
}

describe('helper session: resume after a cut', () => {
  it('a closed connection is a cut: reconnecting, control dropped; the resume is proved with the resume key and the view comes back', async () => {
    const run = await controlling();
    const before = run.connections.length;
    run.control.emit('close');
    assert.equal(run.state().kind, 'reconnecting');
    assert.ok(run.notices.some((n) => /control was dropped/.test(n)));
    const { control, transcript } = await resumeAttempt(run, before);
    const rk = await deriveResumeKey(run.key, run.transcript);
    const proof = control.messages().find((m) => m.type === 'proof')!;
    assert.equal(proof['mac'], await makeProof(rk, 'resume-helper', transcript), 'proved with the resume key over the new binding');
    control.say({ type: 'resumed', mac: await makeProof(rk, 'resume-host', transcript) });
    const media = run.connections.slice(before).find((c) => c.label === 'media')!;
    media.open = true;
    media.emit('open');
    await until('the new media proof', () => control.messages().some((m) => m.type === 'mediaProof'));
    // The cut link says nothing any more, whatever arrives on it.
    run.control.say({ type: 'viewGranted', width: 1280, height: 800 });
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(run.state().kind, 'reconnecting');
    control.say({ type: 'viewGranted', width: 1280, height: 800 });
    await until('viewing again', () => run.state().kind === 'viewing');
    assert.ok(run.notices.some((n) => /Reconnected/.test(n)));
    const since = run.states.findIndex((s) => s.kind === 'reconnecting');
    assert.deepEqual(run.states.slice(since).map((s) => s.kind), ['reconnecting', 'viewing'], 'control has to be asked for again');
  });

  it('the resume says the last frame drawn while the picture is held; without a picture, none (the whole screen comes)', async () => {
    let holds = true;
    const run = await controlling(() => holds);
    const update = (full: boolean) => ({ format: 'update' as const, width: 64, height: 64, data: encodeUpdate({ full, ops: [{ kind: 'copy', rect: { x: 0, y: 0, width: 8, height: 8 }, dx: 8, dy: 0 }] }) });
    run.frame(0, update(true));
    run.frame(1, update(false));
    await until('two frames handed on', () => run.frames.length === 2);
    const before = run.connections.length;
    run.control.emit('close');
    const { control } = await resumeAttempt(run, before);
    assert.equal(control.messages().find((m) => m.type === 'resume')?.['lastFrame'], 1);
    // The attempt is closed by the host; the panel lost its picture meanwhile: the next attempt asks for all of it.
    holds = false;
    const next = run.connections.length;
    control.emit('close');
    const second = await resumeAttempt(run, next);
    const resume = second.control.messages().find((m) => m.type === 'resume');
    assert.ok(resume && !('lastFrame' in resume), JSON.stringify(resume));
    // The display drains a frame of the cut link once the host proved itself over the new connection (its frames
    // follow): the resumed host, whose ids start again at 0, is not told of it.
    const rk = await deriveResumeKey(run.key, run.transcript);
    second.control.say({ type: 'resumed', mac: await makeProof(rk, 'resume-host', second.transcript) });
    await until('the host proved', () => run.lines.some((l) => l.includes('the host proved itself over the new connection')));
    run.session.ackFrame(1);
    assert.ok(!second.control.messages().some((m) => m.type === 'frameAck'), second.control.types().join(','));
  });

  it('the view back after a resume that asked only for changes says so (the panel asks for the whole screen if it lost its picture since)', async () => {
    const run = await controlling(() => true);
    run.frame(0, { format: 'update', width: 64, height: 64, data: encodeUpdate({ full: true, ops: [{ kind: 'copy', rect: { x: 0, y: 0, width: 8, height: 8 }, dx: 8, dy: 0 }] }) });
    await until('a frame handed on', () => run.frames.length === 1);
    const before = run.connections.length;
    run.control.emit('close');
    const { control, transcript } = await resumeAttempt(run, before);
    assert.equal(control.messages().find((m) => m.type === 'resume')?.['lastFrame'], 0);
    const rk = await deriveResumeKey(run.key, run.transcript);
    control.say({ type: 'resumed', mac: await makeProof(rk, 'resume-host', transcript) });
    const media = run.connections.slice(before).find((c) => c.label === 'media')!;
    media.open = true;
    media.emit('open');
    await until('the new media proof', () => control.messages().some((m) => m.type === 'mediaProof'));
    control.say({ type: 'viewGranted', width: 64, height: 64 });
    await until('viewing again', () => run.state().kind === 'viewing');
    assert.deepEqual(run.granted, [false, true]);
  });

  it('a host that cannot prove itself back ends the session: not the host that made the invitation', async () => {
    const run = await controlling();
    const before = run.connections.length;
    run.control.emit('close');
    const { control, transcript } = await resumeAttempt(run, before);
    control.say({ type: 'resumed', mac: await makeProof(run.key, 'resume-host', transcript) }); // the proof key, not the resume key
    await until('failed', () => run.state().kind === 'failed');
    const s = run.state();
    assert.equal(s.kind === 'failed' && s.reason, 'proofFailed');
  });

  it('before the view was granted there is nothing to resume: a closed connection ends the session as before', async () => {
    const run = await verified();
    run.control.emit('close');
    await until('ended', () => run.state().kind === 'ended');
  });
});

describe('helper resume: the pace and the deadline (helperResume.ts)', () => {
  const port = (peer: { disconnected: boolean; destroyed: boolean; reconnect(): void }) => {
    const calls = { dial: 0, expire: 0, reconnect: 0, abandon: 0, opened: undefined as number | undefined };
    const attempts: { since: number; closed: boolean; close(): void }[] = [];
    const p = {
      log: () => undefined,
      peer: () => peer as never,
      attemptOpenedAt: () => calls.opened,
      dial: () => {
        calls.dial++;
        const a: { since: number; closed: boolean; close(): void } = { since: performance.now(), closed: false, close: () => void (a.closed = true) };
        attempts.push(a);
        return a;
      },
      abandon: () => void calls.abandon++,
      expire: () => void calls.expire++,
    };
    return { calls, p, attempts };
  };

  it('dials at once, again each RESUME_ATTEMPT_MS while none opened, and ends at the deadline, closing the cut link', async () => {
    const timers = new SessionTimers();
    const { calls, p } = port({ disconnected: false, destroyed: false, reconnect: () => undefined });
    let cutClosed = 0;
    const resume = new HelperResume(timers, p, RESUME_ATTEMPT_MS * 2.5);
    resume.start({ close: () => void cutClosed++ });
    assert.equal(calls.dial, 1, 'the first attempt at once');
    await until('a second attempt', () => calls.dial === 2, RESUME_ATTEMPT_MS * 2);
    calls.opened = performance.now(); // this one opened: it gets its time to prove
    await new Promise((r) => setTimeout(r, RESUME_ATTEMPT_MS * 1.1));
    assert.equal(calls.dial, 2, 'no new dial while an attempt is proving');
    await until('the deadline', () => calls.expire === 1, RESUME_ATTEMPT_MS * 2);
    assert.equal(cutClosed, 1);
    timers.clear();
  });

  it('rejoins the signaling server first when it was lost too', () => {
    const timers = new SessionTimers();
    const peer = { disconnected: true, destroyed: false, reconnects: 0, reconnect() { this.reconnects++; } };
    const { calls, p } = port(peer);
    const resume = new HelperResume(timers, p);
    resume.start();
    assert.equal(peer.reconnects, 1);
    assert.equal(calls.dial, 0, 'no dial before the server is back');
    peer.disconnected = false;
    resume.rejoined();
    assert.equal(calls.dial, 1, 'back on it: a fresh attempt at once, one the pace knows of');
    timers.clear();
  });

  it('dials a fresh attempt every second while the older ones keep trying up to RESUME_ATTEMPT_MAX_MS; the first to open closes the others', async () => {
    // A dial made during the cut waits on backed-off retransmissions once the path is back, a fresh one does not; on a
    // slow link an attempt needs more than a second to open, which the older ones still get.
    const timers = new SessionTimers();
    const { calls, p, attempts } = port({ disconnected: false, destroyed: false, reconnect: () => undefined });
    const dials: number[] = [];
    const counting = { ...p, dial: () => (dials.push(performance.now()), p.dial()) };
    const t0 = performance.now();
    const resume = new HelperResume(timers, counting, 20_000);
    resume.start();
    await new Promise((r) => setTimeout(r, RESUME_ATTEMPT_MS * 5.5));
    const at = dials.map((t) => Math.round((t - t0) / RESUME_ATTEMPT_MS));
    assert.deepEqual(at, [0, 1, 2, 3, 4, 5], `dialled at ${at.join(', ')} s`);
    const trying = attempts.filter((a) => !a.closed);
    assert.equal(trying.length, RESUME_ATTEMPT_MAX_MS / RESUME_ATTEMPT_MS, 'the ones younger than RESUME_ATTEMPT_MAX_MS still try');
    assert.ok(attempts.slice(0, 2).every((a) => a.closed), 'the oldest were closed');
    // One opens: the others are closed, and no new one is dialled while it proves.
    const winner = trying[1]!;
    assert.equal(resume.isTrying(winner), true);
    resume.opened(winner);
    calls.opened = performance.now();
    assert.deepEqual(attempts.filter((a) => !a.closed), [winner]);
    assert.equal(resume.isTrying(winner), false);
    await new Promise((r) => setTimeout(r, RESUME_ATTEMPT_MS * 1.2));
    assert.equal(calls.dial, dials.length);
    assert.equal(dials.length, 6, 'none while the opened one proves');
    // The host closed that one (it proved another that opened first on its side): let go of it, dial again at once.
    calls.opened = undefined;
    resume.closed();
    assert.equal(calls.abandon, 1);
    assert.equal(dials.length, 7);
    resume.stop();
    assert.ok(attempts.every((a) => a.closed || a === winner), 'stop closes the ones still trying');
    timers.clear();
  });
});
