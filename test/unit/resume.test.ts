/**
 * Resuming after a network cut, the host's side (src/host/resume.ts) over the fake transport: the cut, the resume
 * proved with the session's resume key, what a stranger with the code gets, the failure limit, a second resume, and
 * the end after RESUME_WINDOW_MS on a fake clock. Plus the pieces it stands on: the resume key, the guard's order and
 * the state tables.
 */

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HostAgent, InputEvent } from '../../src/agent/contract';
import { expected } from '../../src/host/guard';
import { HostSession, type HostSessionOptions } from '../../src/host/hostSession';
import { MAX_CANDIDATES, MAX_FAILED_RESUMES } from '../../src/host/resume';
import { encodeRgbaPng } from '../../src/agent/png';
import { FrameAssembler } from '../../src/shared/frames';
import { encodeUpdate, parseUpdate, type Rect } from '../../src/shared/screenUpdate';
import { channelBinding, deriveResumeKey, makeMediaProof, makeProof, newNonce } from '../../src/shared/proof';
import { helperAuditEvents } from '../../src/shared/audit';
import { PROTOCOL_VERSION, RESUME_WINDOW_MS, describeEnd, parseHelperMessage, parseHostMessage } from '../../src/shared/protocol';
import { HELPER_TRANSITIONS, HOST_TRANSITIONS } from '../../src/shared/stateMachine';
import { HOST_DEFAULTS, RecordingAudit, fakeHelper, fakePeers, fakeResume, proveMedia, until, type FakeConnection, type FakePeer } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Capture = { full: boolean; repaint?: readonly Rect[] };

/** An agent whose captures are whole JPEG pictures, or (`updates`) screen updates: a key, then a 2x2 square each. */
function countingAgent(updates = false): HostAgent & { captures: Capture[]; inputs: InputEvent[]; releases: number } {
  const square = encodeRgbaPng(new Uint8Array(16).fill(200), 2, 2);
  const key = encodeRgbaPng(new Uint8Array(64 * 64 * 4).fill(9), 64, 64);
  const agent = {
    ...QUIET_AGENT,
    captures: [] as Capture[],
    inputs: [] as InputEvent[],
    releases: 0,
    capture: async (request: Capture) => {
      agent.captures.push({ full: request.full, ...(request.repaint ? { repaint: request.repaint } : {}) });
      await sleep(5);
      if (!updates) return { format: 'jpeg' as const, width: 1, height: 1, data: new Uint8Array([0xff, 0xd8, agent.captures.length & 0xff, 0xd9]) };
      const n = agent.captures.length;
      const op = request.full ? { kind: 'image' as const, rect: { x: 0, y: 0, width: 64, height: 64 }, png: key } : { kind: 'image' as const, rect: { x: (n * 2) % 62, y: 10, width: 2, height: 2 }, png: square };
      return { format: 'update' as const, width: 64, height: 64, data: encodeUpdate({ full: request.full, ops: [op] }) };
    },
    input: (e: InputEvent) => void agent.inputs.push(e),
    releaseAll: async () => void agent.releases++,
  };
  return agent;
}

const running: HostSession[] = [];
const beating = new Set<ReturnType<typeof setInterval>>();
afterEach(() => {
  for (const b of beating) clearInterval(b);
  beating.clear();
  for (const h of running.splice(0)) h.end();
});

/** Silence that is a cut, shortened for these tests (LINK_LOST_SILENCE_MS is 3 s). */
const SILENCE_MS = 300;

/** The helper's heartbeats on `conn`, as the panel sends them; `cut()` stops them, as a cut path does. */
function heartbeats(conn: FakeConnection): { cut(): Promise<void> } {
  const t = setInterval(() => conn.deliver({ type: 'heartbeat' }), 50);
  beating.add(t);
  return {
    cut: async () => {
      clearInterval(t);
      beating.delete(t);
      await sleep(SILENCE_MS + 200);
    },
  };
}

/** A host whose helper is admitted, has its media proved and holds control. */
async function admittedWithControl(overrides: Partial<HostSessionOptions> = {}, updates = false) {
  const peers = fakePeers();
  const agent = countingAgent(updates);
  const audit = new RecordingAudit();
  const asked = { view: 0, control: 0 };
  const host = new HostSession({
    ...HOST_DEFAULTS,
    maxFps: 50,
    startAgent: async () => agent,
    ui: { askToView: async () => (asked.view++, true), askForControl: async () => (asked.control++, true), notify: () => undefined },
    log: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    audit,
    createPeer: peers.create as never,
    linkLostSilenceMs: SILENCE_MS,
    ...overrides,
  });
  running.push(host);
  await host.start();
  const peer: FakePeer = peers.last();
  const first = await fakeHelper(peer, host.code);
  assert.equal(first.outcome, 'welcome');
  const link = heartbeats(first.control);
  const media = await proveMedia(peer, first);
  await until('viewing', () => host.state.kind === 'viewing');
  await until('a frame', () => media.sent.length > 0);
  first.control.deliver({ type: 'requestControl' });
  await until('controlled', () => host.state.kind === 'controlled');
  first.control.deliver({ type: 'key', code: 'ShiftLeft', down: true });
  await until('the key at the agent', () => agent.inputs.length === 1);
  return { host, peer, agent, audit, asked, first, media, link };
}

/** Frames the host sent on `media`, whole. */
function frames(media: FakeConnection) {
  const assembler = new FrameAssembler();
  return media.sent.map((c) => assembler.push(c as Uint8Array)).filter((f) => f !== undefined);
}

describe('resume after a network cut: the host', () => {
  it('at the cut drops control, releases what the helper held and goes back on the signaling server', async () => {
    const r = await admittedWithControl();
    const releases = r.agent.releases;
    assert.equal(r.peer.disconnected, true, 'left the signaling server at admission');
    await r.link.cut();
    assert.equal(r.host.state.kind, 'reconnecting');
    await until('released', () => r.agent.releases > releases);
    assert.equal(r.peer.disconnected, false, 'back on the signaling server for the resume');
    assert.ok(r.audit.events().includes('linkLost'));
    assert.equal(r.audit.records.find((e) => e.event === 'linkLost')?.['why'], 'silence');
    // Input that still arrives on the cut link does nothing.
    r.first.control.open = true;
    r.first.control.deliver({ type: 'key', code: 'KeyA', down: true });
    assert.equal(r.agent.inputs.length, 1);
    // Nor does its close, late.
    r.first.control.close();
    assert.equal(r.host.state.kind, 'reconnecting');
  });

  it('the same helper resumes with the resume key: no new prompt, viewing (control to be asked again), the whole screen', async () => {
    const r = await admittedWithControl();
    await r.link.cut();
    const capturesBefore = r.agent.captures.length;
    const back = await fakeResume(r.peer, r.first);
    assert.equal(back.outcome, 'resumed');
    await until('viewGranted on the new connection', () => back.control.ofType('viewGranted').length === 1);
    assert.equal(r.host.state.kind, 'viewing');
    assert.equal(r.asked.view, 1, 'no new consent prompt');
    await until('a frame on the new media connection', () => frames(back.media!).length > 0);
    assert.equal(r.agent.captures[capturesBefore]?.full, true, 'the first capture after the resume is the whole screen');
    assert.equal(r.peer.disconnected, true, 'off the signaling server again');
    assert.ok(r.audit.events().includes('resumed'));
    // Control was dropped: input is refused until it is asked for again.
    back.control.deliver({ type: 'key', code: 'KeyB', down: true });
    await sleep(20);
    assert.equal(r.agent.inputs.length, 1);
    back.control.deliver({ type: 'requestControl' });
    await until('controlled again', () => r.host.state.kind === 'controlled');
    assert.equal(r.asked.control, 2);
  });

  it('a helper that still shows frame N gets only what the frames after N painted (and what changed), not the whole screen', async () => {
    const r = await admittedWithControl({}, true);
    await until('two frames', () => frames(r.media).length >= 2);
    r.first.control.deliver({ type: 'frameAck', id: 0 });
    r.first.control.deliver({ type: 'frameAck', id: 1 });
    await until('more frames, not drawn', () => frames(r.media).length >= 3);
    await r.link.cut();
    const sent = frames(r.media);
    const lost = sent.filter((f) => f.id > 1).flatMap((f) => parseUpdate(f.data, f.width, f.height)!.ops.map((op) => (op.kind === 'image' ? op.rect : undefined)));
    assert.ok(lost.length > 0, 'frames went out after the last one drawn');
    const capturesBefore = r.agent.captures.length;
    const back = await fakeResume(r.peer, r.first, { lastFrame: 1 });
    assert.equal(back.outcome, 'resumed');
    await until('a frame on the new media connection', () => frames(back.media!).length > 0);
    const first = r.agent.captures[capturesBefore]!;
    assert.equal(first.full, false, 'not the whole screen');
    assert.deepEqual(first.repaint, lost, 'the parts of every frame sent after the one drawn');
    // A helper that says it drew a frame that was never sent gets the whole screen.
    await heartbeats(back.control).cut();
    await until('reconnecting', () => r.host.state.kind === 'reconnecting');
    const again = r.agent.captures.length;
    assert.equal((await fakeResume(r.peer, r.first, { lastFrame: 1_000 })).outcome, 'resumed');
    await until('a capture', () => r.agent.captures.length > again);
    assert.equal(r.agent.captures[again]!.full, true);
  });

  it('while reconnecting, a signaling server lost in the cut too is tried again every second, not after a doubling wait', async () => {
    const r = await admittedWithControl();
    await r.link.cut();
    assert.equal(r.host.state.kind, 'reconnecting');
    r.peer.onReconnect = () => setImmediate(() => r.peer.emit('disconnected'));
    const before = r.peer.reconnects;
    r.peer.disconnected = true;
    r.peer.emit('disconnected');
    await sleep(5_000);
    // A doubling wait (0.5, 1, 2, 4 s) tries 3 times in 5 s; every second, 5 times.
    assert.ok(r.peer.reconnects - before >= 4, `${r.peer.reconnects - before} reconnects in 5 s`);
  });

  it('a stranger with the invitation code gets nothing: hello is refused, a resume with a key from other nonces fails', async () => {
    const r = await admittedWithControl();
    await r.link.cut();
    const hello = await fakeHelper(r.peer, r.host.code);
    assert.notEqual(hello.outcome, 'welcome', 'the invitation stays single-use');
    const guessed = await deriveResumeKey(r.first.proofKey, { ...r.first.transcript, hostNonce: newNonce() });
    const stranger = await fakeResume(r.peer, r.first, { resumeKey: guessed });
    assert.notEqual(stranger.outcome, 'resumed');
    assert.equal(r.host.state.kind, 'reconnecting');
    assert.equal(r.audit.records.filter((e) => e.event === 'resumeFailed').length, 1);
    // The real helper still gets back.
    assert.equal((await fakeResume(r.peer, r.first)).outcome, 'resumed');
    await until('viewing', () => r.host.state.kind === 'viewing');
  });

  it('keeps attempts that have not opened while newer ones come; the first to open is proved, the others closed once it resumed', async () => {
    // The helper dials a fresh attempt every second while the older ones still try (helperResume.ts): a newer dial must
    // not throw out an older one that may open first, nor may one that opened and never proves hold the place.
    const r = await admittedWithControl();
    await r.link.cut();
    const helperId = r.first.control.peer;
    const older = [r.peer.connect(helperId, 'control', 'raw', false), r.peer.connect(helperId, 'control', 'raw', false)];
    const silent = r.peer.connect(helperId, 'control'); // opens, and never sends resume
    const back = await fakeResume(r.peer, r.first, { helperPeerId: helperId });
    assert.equal(back.outcome, 'resumed');
    await until('viewing', () => r.host.state.kind === 'viewing');
    await sleep(150); // a link closes its connections 100 ms after it is closed (a last message may leave)
    assert.equal(silent.closed, true, 'the one that opened first and did not prove was replaced');
    assert.ok(older.every((c) => c.closed), 'the attempts still trying are closed once resumed');
    assert.equal(back.control.closed, false);
    // The helper dials media once its side of the control connection is open, which may be before the host's is.
    await heartbeats(back.control).cut();
    const early = await fakeResume(r.peer, r.first, { helperPeerId: helperId, mediaFirst: true });
    assert.equal(early.outcome, 'resumed');
    await until('frames on the media connection that came first', () => frames(early.media!).length > 0);
    // Media dialled with each attempt's control, tagged with it: an attempt gets its own, whichever came last.
    await heartbeats(early.control).cut();
    const a = r.peer.connect(helperId, 'control', 'raw', false);
    const b = r.peer.connect(helperId, 'control', 'raw', false);
    const bMedia = r.peer.connect(helperId, 'media', 'raw', true, { control: b.connectionId });
    const aMedia = r.peer.connect(helperId, 'media', 'raw', true, { control: a.connectionId });
    a.openNow();
    const key = await deriveResumeKey(r.first.proofKey, r.first.transcript);
    const helperNonce = newNonce();
    a.deliver({ type: 'resume', version: PROTOCOL_VERSION, helperNonce });
    await until('challenged', () => a.messages().some((m) => m.type === 'challenge'));
    const hostNonce = String(a.messages().find((m) => m.type === 'challenge')!['hostNonce']);
    const transcript = { helperNonce, hostNonce, binding: channelBinding(a.helperSdps.local, a.helperSdps.remote) };
    a.deliver({ type: 'proof', mac: await makeProof(key, 'resume-helper', transcript) });
    await until('resumed', () => a.messages().some((m) => m.type === 'resumed'));
    a.deliver({ type: 'mediaProof', mac: await makeMediaProof(key, transcript, channelBinding(aMedia.helperSdps.local, aMedia.helperSdps.remote)) });
    await until('viewing over the older attempt', () => r.host.state.kind === 'viewing');
    await until('frames on its own media connection', () => frames(aMedia).length > 0);
    await sleep(150);
    assert.deepEqual([b.closed, bMedia.closed, aMedia.closed], [true, true, false]);
    // The oldest goes when more than MAX_CANDIDATES wait.
    await heartbeats(a).cut();
    const waiting = Array.from({ length: MAX_CANDIDATES + 1 }, () => r.peer.connect(helperId, 'control', 'raw', false));
    await sleep(150);
    assert.deepEqual(waiting.map((c) => c.closed), [true, ...Array<boolean>(MAX_CANDIDATES).fill(false)]);
    waiting[2]!.openNow();
    waiting[2]!.deliver({ type: 'resume', version: PROTOCOL_VERSION, helperNonce: newNonce() });
    await until('challenged', () => waiting[2]!.messages().some((m) => m.type === 'challenge'));
    waiting[3]!.openNow();
    await sleep(150);
    assert.equal(waiting[3]!.closed, true, 'none is taken while one proves');
    assert.equal(waiting[2]!.closed, false);
  });

  it(`ends the session after ${MAX_FAILED_RESUMES} wrong resume proofs`, async () => {
    const r = await admittedWithControl();
    await r.link.cut();
    for (let i = 1; i <= MAX_FAILED_RESUMES; i++) {
      const wrong = await fakeResume(r.peer, r.first, { resumeKey: new Uint8Array(32).fill(i) });
      assert.notEqual(wrong.outcome, 'resumed');
    }
    assert.equal(r.host.state.kind, 'ended');
    assert.equal(r.host.state.kind === 'ended' && r.host.state.reason, 'linkLost');
  });

  it('takes no resume while the link is up, and a second resume after a second cut', async () => {
    const r = await admittedWithControl();
    const early = await fakeResume(r.peer, r.first);
    assert.notEqual(early.outcome, 'resumed', 'no resume while the helper is connected');
    assert.equal(r.host.state.kind, 'controlled');
    await r.link.cut();
    const back = await fakeResume(r.peer, r.first);
    assert.equal(back.outcome, 'resumed');
    await until('viewing', () => r.host.state.kind === 'viewing');
    await heartbeats(back.control).cut();
    // Silence is checked every HEARTBEAT_MS (250 ms): a cut is seen 300 to 550 ms after the last heartbeat.
    await until('reconnecting again', () => r.host.state.kind === 'reconnecting');
    const again = await fakeResume(r.peer, r.first);
    assert.equal(again.outcome, 'resumed');
    await until('viewing again', () => r.host.state.kind === 'viewing');
    assert.equal(r.audit.events().filter((e) => e === 'resumed').length, 2);
  });

  it(`ends with linkLost ${RESUME_WINDOW_MS / 1000} s after the cut (fake clock), nothing held`, async () => {
    // A fake clock for the window alone: the rest of the session keeps real timers (a mocked global clearTimeout
    // would leave the session's real ones running).
    let now = 0;
    const due: { at: number; fn: () => void; cancelled: boolean }[] = [];
    const advance = (ms: number) => {
      now += ms;
      for (const t of due.filter((d) => d.at <= now && !d.cancelled)) {
        t.cancelled = true;
        t.fn();
      }
    };
    const r = await admittedWithControl({
      resumeSchedule: (fn, ms) => {
        const t = { at: now + ms, fn, cancelled: false };
        due.push(t);
        return { cancel: () => void (t.cancelled = true) };
      },
    });
    await r.link.cut();
    advance(RESUME_WINDOW_MS - 1);
    assert.equal(r.host.state.kind, 'reconnecting');
    advance(1);
    const state = r.host.machine.state;
    assert.equal(state.kind === 'ended' && state.reason, 'linkLost');
    await until('released', () => r.agent.releases >= 1);
  });

  it('a helper that leaves (bye, or its connection closed with the page) still ends the session at once', async () => {
    const r = await admittedWithControl();
    r.first.control.deliver({ type: 'bye', reason: 'helperEnded' });
    assert.equal(r.host.state.kind, 'ended');
    const r2 = await admittedWithControl();
    r2.first.control.close();
    assert.equal(r2.host.state.kind, 'ended');
  });
});

describe('resume: the pieces', () => {
  it('the resume key depends on the proof key, both nonces and the binding, and is not the proof key', async () => {
    const key = new Uint8Array(32).fill(3);
    const t = { helperNonce: newNonce(), hostNonce: newNonce(), binding: 'sha-256 aa,sha-256 bb' };
    const k = await deriveResumeKey(key, t);
    assert.equal(k.length, 32);
    assert.deepEqual(await deriveResumeKey(key, t), k);
    assert.notDeepEqual(k, key);
    for (const other of [{ ...t, helperNonce: newNonce() }, { ...t, hostNonce: newNonce() }, { ...t, binding: 'sha-256 aa,sha-256 cc' }]) {
      assert.notDeepEqual(await deriveResumeKey(key, other), k);
    }
    assert.notDeepEqual(await deriveResumeKey(new Uint8Array(32).fill(4), t), k);
  });

  it('the guard takes resume only while reconnecting, first; nothing else from a candidate', () => {
    const resume = { type: 'resume', version: 4, helperNonce: newNonce() } as const;
    assert.equal(expected(resume, 'reconnecting', 'awaitingResume'), true);
    assert.equal(expected(resume, 'viewing', 'awaitingResume'), false);
    assert.equal(expected(resume, 'verifying', 'awaitingHello'), false);
    assert.equal(expected({ type: 'hello', version: 4, helperName: 'x', helperNonce: newNonce() }, 'reconnecting', 'awaitingResume'), false);
    assert.equal(expected({ type: 'proof', mac: newNonce() }, 'reconnecting', 'challenged'), true);
    assert.equal(expected({ type: 'key', code: 'KeyA', down: true }, 'reconnecting', 'verified'), false);
    assert.equal(expected({ type: 'chat', text: 'hi' }, 'reconnecting', 'verified'), false);
  });

  it('the wire: resume and resumed are checked like the handshake (32-byte nonces and MACs); linkLost is an end reason', () => {
    const nonce = newNonce();
    assert.deepEqual(parseHelperMessage({ type: 'resume', version: 4, helperNonce: nonce, extra: 1 }), { type: 'resume', version: 4, helperNonce: nonce });
    assert.equal(parseHelperMessage({ type: 'resume', version: 4, helperNonce: 'short' }), undefined);
    assert.equal(parseHelperMessage({ type: 'resume', version: '4', helperNonce: nonce }), undefined);
    // The last frame the helper drew: optional (an older helper sends none), a frame id or nothing at all.
    assert.deepEqual(parseHelperMessage({ type: 'resume', version: 4, helperNonce: nonce, lastFrame: 12 }), { type: 'resume', version: 4, helperNonce: nonce, lastFrame: 12 });
    for (const lastFrame of [-1, 1.5, '12', 2 ** 32, null]) assert.equal(parseHelperMessage({ type: 'resume', version: 4, helperNonce: nonce, lastFrame }), undefined, String(lastFrame));
    assert.deepEqual(parseHostMessage({ type: 'resumed', mac: nonce }), { type: 'resumed', mac: nonce });
    assert.equal(parseHostMessage({ type: 'resumed', mac: 5 }), undefined);
    assert.deepEqual(parseHostMessage({ type: 'bye', reason: 'linkLost', message: 'x' }), { type: 'bye', reason: 'linkLost', message: 'x' });
    assert.match(describeEnd('linkLost'), /did not come back within 30 seconds/);
  });

  it("the helper's audit: the cut ends control and is recorded, the resume too", () => {
    const controlling = { kind: 'controlling', hostName: 'Ada' } as const;
    const reconnecting = { kind: 'reconnecting', hostName: 'Ada' } as const;
    assert.deepEqual(helperAuditEvents(controlling, reconnecting, undefined).map((e) => e.event), ['controlEnded', 'linkLost']);
    assert.deepEqual(helperAuditEvents(reconnecting, { kind: 'viewing', hostName: 'Ada' }, undefined).map((e) => e.event), ['resumed']);
  });

  it('the state tables: a cut from viewing or control, back to viewing only (control is asked for again)', () => {
    assert.ok(HOST_TRANSITIONS.viewing.includes('reconnecting') && HOST_TRANSITIONS.controlled.includes('reconnecting'));
    assert.deepEqual([...HOST_TRANSITIONS.reconnecting].sort(), ['ended', 'failed', 'viewing']);
    assert.ok(!HOST_TRANSITIONS.asking.includes('reconnecting'), 'nothing to resume before admission');
    assert.deepEqual([...HELPER_TRANSITIONS.reconnecting].sort(), ['ended', 'failed', 'viewing']);
    assert.ok(!HELPER_TRANSITIONS.waitingForConsent.includes('reconnecting'));
  });
});
