/**
 * The helper's session against a host played by the test, through a stand-in for PeerJS (no network, no DOM):
 * a fake peer and connections, and a session taken through the real handshake by a host that proves itself.
 */
import * as assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import type { Peer } from 'peerjs';

import { chunkFrame, type EncodedFrame } from '../../src/shared/frames';
import { channelBinding, makeProof, newNonce, toBase64 } from '../../src/shared/proof';
import type { HelperState } from '../../src/shared/stateMachine';
import { HelperSession, type ConnectSettings, type SessionEvents } from '../../src/webview/helperSession';

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

export class FakeConnection extends Emitter {
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
  /** The types of what the helper sent, in order. */
  types(): string[] {
    return this.messages().map((m) => m.type);
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

export const tick = () => new Promise((r) => setImmediate(r));

/** Waits for `check`; WebCrypto answers from another thread, so this waits in time, not in turns. */
export async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface Run {
  session: HelperSession;
  control: FakeConnection;
  media: FakeConnection;
  states: HelperState[];
  frames: number[];
  notices: string[];
  lines: string[];
  /** What `onPaused` was told. */
  paused: boolean[];
  /** What `onViewGranted` was told of `changesOnly`, each time. */
  granted: (boolean | undefined)[];
  state(): HelperState;
  /** Sends a frame's chunks on the media connection. */
  frame(id: number, frame: EncodedFrame): void;
  /** The proof key and the first handshake's transcript (the resume key comes from them). */
  readonly key: Uint8Array;
  readonly transcript: { helperNonce: string; hostNonce: string; binding: string };
  /** Every connection the session dialled, in order (control, media, then each resume attempt's). */
  readonly connections: FakeConnection[];
}

const running: HelperSession[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.dispose();
});

/**
 * A session taken through the real handshake by a host that proves itself, up to `waitingForConsent`. `holdsPicture`:
 * what the panel's display answers (absent: the event is not given).
 */
export async function verified(holdsPicture?: () => boolean): Promise<Run> {
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
  const paused: boolean[] = [];
  const granted: (boolean | undefined)[] = [];
  const events: SessionEvents = {
    onState: (s) => states.push(s),
    onNotice: (t) => notices.push(t),
    onViewGranted: (_w, _h, changesOnly) => void granted.push(changesOnly),
    onFrame: (f) => frames.push(f.id),
    onPaused: (p) => paused.push(p),
    log: (level, m) => lines.push(`${level} ${m}`),
    ...(holdsPicture ? { holdsPicture } : {}),
  };
  const session = new HelperSession(
    settings,
    events,
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
    paused,
    granted,
    state,
    key,
    transcript,
    connections: peer.connections,
    frame: (id, f) => {
      for (const chunk of chunkFrame(id, f)) media.emit('data', chunk);
    },
  };
}

