/**
 * The helper's session against a host played by the test, through a stand-in for PeerJS (no network, no DOM):
 * what the session accepts from a host that does not follow the protocol, on the control and media connections.
 */
import * as assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Peer } from 'peerjs';

import { HelperSession, type ConnectSettings } from '../../src/webview/helperSession';
import { chunkFrame, type EncodedFrame } from '../../src/shared/frames';
import { channelBinding, makeProof, newNonce, toBase64 } from '../../src/shared/proof';
import { encodeUpdate, type UpdateOp } from '../../src/shared/screenUpdate';
import type { HelperState } from '../../src/shared/stateMachine';
import { image, pngHeader } from '../support/pngHeader';

const LOCAL_SDP = `v=0\r\na=fingerprint:sha-256 ${'AA:'.repeat(31)}AA\r\n`;
const REMOTE_SDP = `v=0\r\na=fingerprint:sha-256 ${'BB:'.repeat(31)}BB\r\n`;

type Handler = (...args: unknown[]) => void;

class Emitter {
  private readonly handlers = new Map<string, Handler[]>();
  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const h of this.handlers.get(event) ?? []) h(...args);
  }
}

class FakeConnection extends Emitter {
  open = false;
  readonly sent: string[] = [];
  readonly peerConnection = { localDescription: { sdp: LOCAL_SDP }, remoteDescription: { sdp: REMOTE_SDP } };
  constructor(readonly label: string) {
    super();
  }
  send(data: unknown): void {
    this.sent.push(String(data));
  }
  close(): void {
    this.open = false;
  }
  /** What the helper sent, parsed. */
  messages(): { type: string; [k: string]: unknown }[] {
    return this.sent.map((s) => JSON.parse(s) as { type: string });
  }
  /** The host says something. */
  say(message: unknown): void {
    this.emit('data', JSON.stringify(message));
  }
}

class FakePeer extends Emitter {
  readonly connections: FakeConnection[] = [];
  destroyed = false;
  connect(_id: string, options: { label: string }): FakeConnection {
    const c = new FakeConnection(options.label);
    this.connections.push(c);
    return c;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

/** Waits for `check`; WebCrypto answers from another thread, so this waits in time, not in turns. */
async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Run {
  session: HelperSession;
  control: FakeConnection;
  media: FakeConnection;
  states: HelperState[];
  frames: number[];
  notices: string[];
  lines: string[];
  state(): HelperState;
  /** Sends a frame's chunks on the media connection. */
  frame(id: number, frame: EncodedFrame): void;
}

const running: HelperSession[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.dispose();
});

/** A session taken through the real handshake by a host that proves itself, up to `waitingForConsent`. */
async function verified(): Promise<Run> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const settings: ConnectSettings = {
    signaling: { host: '127.0.0.1', port: 9, path: '/', secure: false, key: 'peerjs' },
    iceServers: [],
    hostPeerId: 'ra-test-host',
    proofKey: toBase64(key),
    helperName: 'Grace',
    expectedHostName: 'Ada',
    connectTimeoutMs: 30_000,
    keyboardMode: 'text',
  };
  const peer = new FakePeer();
  const states: HelperState[] = [];
  const frames: number[] = [];
  const notices: string[] = [];
  const lines: string[] = [];
  const session = new HelperSession(
    settings,
    {
      onState: (s) => states.push(s),
      onNotice: (t) => notices.push(t),
      onViewGranted: () => undefined,
      onFrame: (f) => frames.push(f.id),
      log: (level, m) => lines.push(`${level} ${m}`),
    },
    () => peer as unknown as Peer,
  );
  running.push(session);
  session.start();
  peer.emit('open', 'helper-id');
  const control = peer.connections[0]!;
  control.open = true;
  control.emit('open');
  const hello = control.messages()[0]!;
  assert.equal(hello.type, 'hello');
  const hostNonce = newNonce();
  control.say({ type: 'challenge', hostNonce });
  await until('a proof', () => control.messages().some((m) => m.type === 'proof'));
  const transcript = { helperNonce: String(hello['helperNonce']), hostNonce, binding: channelBinding(LOCAL_SDP, REMOTE_SDP) };
  control.say({ type: 'welcome', mac: await makeProof(key, 'host', transcript), hostName: 'Ada', createdAt: 'a', expiresAt: 'b', consentTimeoutMs: 60_000 });
  const media = peer.connections[1]!;
  media.open = true;
  media.emit('open');
  const state = () => states[states.length - 1] ?? { kind: 'idle' };
  await until('waitingForConsent', () => state().kind === 'waitingForConsent');
  await until('a media proof', () => control.messages().some((m) => m.type === 'mediaProof'));
  return {
    session,
    control,
    media,
    states,
    frames,
    notices,
    lines,
    state,
    frame: (id, f) => {
      for (const chunk of chunkFrame(id, f)) media.emit('data', chunk);
    },
  };
}

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
