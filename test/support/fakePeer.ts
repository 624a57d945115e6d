/**
 * A fake transport for unit tests of the host's session (no signaling server, no WebRTC): a peer and data
 * connections that deliver synchronously, with SDPs that carry DTLS fingerprints, and a helper that runs the
 * real handshake over them (with the parts an attacker would change). Plain Node, no display.
 */

import { decodeInvitation } from '../../src/shared/invitation';
import { channelBinding, checkProof, derivePeerId, deriveProofKey, deriveResumeKey, makeMediaProof, makeProof, newNonce } from '../../src/shared/proof';
import { PROTOCOL_VERSION, type HostMessage } from '../../src/shared/protocol';
import type { AuditEvent, AuditLog, AuditParty } from '../../src/shared/audit';

type Listener = (...args: unknown[]) => void;

class Emitter {
  private readonly listeners = new Map<string, { fn: Listener; once: boolean }[]>();
  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), { fn, once: false }]);
    return this;
  }
  once(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), { fn, once: true }]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    const all = this.listeners.get(event) ?? [];
    this.listeners.set(event, all.filter((l) => !l.once));
    for (const l of all) l.fn(...args);
  }
}

let fingerprintSeed = 1;
/** An SDP with one fresh SHA-256 fingerprint, as each end of a DTLS session has its own certificate. */
function fakeSdp(): string {
  const n = fingerprintSeed++;
  const print = Array.from({ length: 32 }, (_, i) => ((n * 31 + i * 7) & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return `v=0\r\na=fingerprint:sha-256 ${print}\r\n`;
}

/** One data connection as the host sees it; the test plays the other end. */
export class FakeConnection extends Emitter {
  open = false;
  /** The host closed it (open or not). */
  closed = false;
  readonly connectionId = `dc_${Math.random().toString(36).slice(2)}`;
  /** What the helper attached when it dialled (the panel tags a media connection with its control's id). */
  metadata: unknown;
  /** What the host sent, as sent. */
  readonly sent: unknown[] = [];
  readonly dataChannel = { bufferedAmount: 0 };
  readonly peerConnection: { localDescription: { sdp: string } | null; remoteDescription: { sdp: string } | null };
  /** The SDPs as the helper's end sees them (local and remote swapped). */
  readonly helperSdps: { local: string; remote: string };

  constructor(
    readonly peer: string,
    readonly label: string,
    readonly serialization: string,
  ) {
    super();
    const hostSdp = fakeSdp();
    const helperSdp = fakeSdp();
    this.peerConnection = { localDescription: { sdp: hostSdp }, remoteDescription: { sdp: helperSdp } };
    this.helperSdps = { local: helperSdp, remote: hostSdp };
  }

  send(data: unknown): void {
    if (this.open) this.sent.push(data);
  }

  close(): void {
    this.closed = true;
    if (!this.open) return;
    this.open = false;
    this.emit('close');
  }

  /** The helper's end: the connection opens. */
  openNow(): void {
    this.open = true;
    this.emit('open');
  }

  /** The helper's end sends a message: objects as JSON text, anything else as it is. */
  deliver(message: unknown): void {
    if (!this.open) return;
    this.emit('data', typeof message === 'object' && !(message instanceof Uint8Array) ? JSON.stringify(message) : message);
  }

  /** The host's control messages so far, parsed. */
  messages(): HostMessage[] {
    return this.sent.filter((m): m is string => typeof m === 'string').map((m) => JSON.parse(m) as HostMessage);
  }

  /** The host's control messages of one type. */
  ofType<T extends HostMessage['type']>(type: T): Extract<HostMessage, { type: T }>[] {
    return this.messages().filter((m): m is Extract<HostMessage, { type: T }> => m.type === type);
  }
}

/** The host's PeerJS peer: opens at once (unless told otherwise), hands it connections the test makes. */
export class FakePeer extends Emitter {
  disconnected = false;
  destroyed = false;
  reconnects = 0;
  /** What a reconnect does; by default the signaling server takes the peer back at once. */
  onReconnect: () => void = () => {
    this.disconnected = false;
    this.emit('open', this.id);
  };
  readonly connections: FakeConnection[] = [];

  constructor(readonly id: string, readonly options: unknown) {
    super();
    setImmediate(() => this.emit('open', id));
  }

  disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.emit('disconnected', this.id);
  }

  reconnect(): void {
    this.reconnects++;
    this.onReconnect();
  }

  destroy(): void {
    this.destroyed = true;
    this.disconnected = true;
    for (const c of this.connections) c.close();
  }

  /** A helper dials the host: the host is told of the connection, which then opens (unless `opens` is false: `openNow()` later). */
  connect(helperPeerId: string, label: string, serialization = 'raw', opens = true, metadata?: unknown): FakeConnection {
    const conn = new FakeConnection(helperPeerId, label, serialization);
    conn.metadata = metadata;
    this.connections.push(conn);
    this.emit('connection', conn);
    if (opens) conn.openNow();
    return conn;
  }
}

/** A peer factory for `HostSessionOptions.createPeer` that keeps the peers it made. */
export function fakePeers(): { create: (id: string, options: unknown) => Promise<never>; peers: FakePeer[]; last(): FakePeer } {
  const peers: FakePeer[] = [];
  return {
    peers,
    last: () => peers[peers.length - 1]!,
    create: async (id, options) => {
      const peer = new FakePeer(id, options);
      peers.push(peer);
      return peer as never;
    },
  };
}

/** Waits for `check` to hold, polling every few ms. */
export async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface FakeHelperRun {
  readonly control: FakeConnection;
  media?: FakeConnection;
  /** `welcome`, or the reason of the host's `bye`, or `no answer`. */
  readonly outcome: string;
  readonly transcript: { helperNonce: string; hostNonce: string; binding: string };
  readonly proofKey: Uint8Array;
}

/** The host's id and proof key for its invitation code. */
export async function keysOf(code: string): Promise<{ hostPeerId: string; proofKey: Uint8Array }> {
  const decoded = decodeInvitation(code);
  if (!decoded.ok) throw new Error('the code does not decode');
  return { hostPeerId: await derivePeerId(decoded.invitation.secret), proofKey: await deriveProofKey(decoded.invitation.secret) };
}

/** Runs the helper's handshake over the fake transport up to the host's welcome (or bye). */
export async function fakeHelper(
  peer: FakePeer,
  code: string,
  options: { helperPeerId?: string; helperName?: string; wrongKey?: boolean } = {},
): Promise<FakeHelperRun> {
  const { proofKey } = await keysOf(code);
  const key = options.wrongKey ? new Uint8Array(32).fill(7) : proofKey;
  const control = peer.connect(options.helperPeerId ?? `helper-${Math.random().toString(36).slice(2)}`, 'control');
  const helperNonce = newNonce();
  control.deliver({ type: 'hello', version: PROTOCOL_VERSION, helperName: options.helperName ?? 'Grace', helperNonce });
  const answered = async (type: 'challenge' | 'welcome'): Promise<HostMessage | undefined> => {
    const end = Date.now() + 2_000;
    for (;;) {
      const m = control.messages().find((x) => x.type === type || x.type === 'bye');
      if (m || Date.now() > end) return m;
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const challenge = await answered('challenge');
  const binding = channelBinding(control.helperSdps.local, control.helperSdps.remote);
  const transcript = { helperNonce, hostNonce: challenge?.type === 'challenge' ? challenge.hostNonce : '', binding };
  if (challenge?.type !== 'challenge') return { control, outcome: challenge?.type === 'bye' ? challenge.reason : 'no answer', transcript, proofKey };
  control.deliver({ type: 'proof', mac: await makeProof(key, 'helper', transcript) });
  const welcome = await answered('welcome');
  return { control, outcome: welcome?.type === 'welcome' ? 'welcome' : welcome?.type === 'bye' ? welcome.reason : 'no answer', transcript, proofKey };
}

/** Opens the helper's media connection and proves it (over another certificate's binding when `relayed`). */
export async function proveMedia(peer: FakePeer, run: FakeHelperRun, relayed = false): Promise<FakeConnection> {
  const media = peer.connect(run.control.peer, 'media');
  run.media = media;
  const binding = relayed ? channelBinding(media.helperSdps.local, fakeSdp()) : channelBinding(media.helperSdps.local, media.helperSdps.remote);
  run.control.deliver({ type: 'mediaProof', mac: await makeMediaProof(run.proofKey, run.transcript, binding) });
  return media;
}

/** Waits for the first control message of `type` (or a bye) from the host on `conn`. */
async function answer(conn: FakeConnection, type: HostMessage['type']): Promise<HostMessage | undefined> {
  const end = Date.now() + 2_000;
  for (;;) {
    const m = conn.messages().find((x) => x.type === type || x.type === 'bye');
    if (m || Date.now() > end || !conn.open) return m;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface FakeResumeRun {
  readonly control: FakeConnection;
  readonly media?: FakeConnection;
  /** `resumed` (the host's proof checked out here too), `bye:REASON`, `closed` or `no answer`. */
  readonly outcome: string;
}

/**
 * A helper comes back after a cut over new connections, as the panel does: `resume`, the proof with `resumeKey`
 * (by default the one the first handshake `first` gives), the host's `resumed` checked, then its new media proved.
 */
export async function fakeResume(peer: FakePeer, first: FakeHelperRun, options: { resumeKey?: Uint8Array; helperPeerId?: string; mediaFirst?: boolean; lastFrame?: number } = {}): Promise<FakeResumeRun> {
  const key = options.resumeKey ?? (await deriveResumeKey(first.proofKey, first.transcript));
  // `mediaFirst`: the media connection reaches the host before its side of the control connection opened.
  const control = peer.connect(options.helperPeerId ?? `helper-${Math.random().toString(36).slice(2)}`, 'control', 'raw', !options.mediaFirst);
  const early = options.mediaFirst ? peer.connect(control.peer, 'media', 'raw', true, { control: control.connectionId }) : undefined;
  if (early) control.openNow();
  const helperNonce = newNonce();
  control.deliver({ type: 'resume', version: PROTOCOL_VERSION, helperNonce, ...(options.lastFrame !== undefined ? { lastFrame: options.lastFrame } : {}) });
  const outcome = (m: HostMessage | undefined) => (m?.type === 'bye' ? `bye:${m.reason}` : control.open ? 'no answer' : 'closed');
  const challenge = await answer(control, 'challenge');
  if (challenge?.type !== 'challenge') return { control, outcome: outcome(challenge) };
  const transcript = { helperNonce, hostNonce: challenge.hostNonce, binding: channelBinding(control.helperSdps.local, control.helperSdps.remote) };
  control.deliver({ type: 'proof', mac: await makeProof(key, 'resume-helper', transcript) });
  const resumed = await answer(control, 'resumed');
  if (resumed?.type !== 'resumed') return { control, outcome: outcome(resumed) };
  if (!(await checkProof(key, 'resume-host', transcript, resumed.mac))) return { control, outcome: 'the host proof did not match' };
  const media = early ?? peer.connect(control.peer, 'media');
  control.deliver({ type: 'mediaProof', mac: await makeMediaProof(key, transcript, channelBinding(media.helperSdps.local, media.helperSdps.remote)) });
  return { control, media, outcome: 'resumed' };
}

/** What every host session under test shares: a signaling server nobody dials (the peers are fakes), quick timeouts. */
export const HOST_DEFAULTS = {
  signaling: { host: '127.0.0.1', port: 9, path: '/', secure: false, key: 'peerjs' },
  iceServers: [],
  hostName: 'Ada',
  lifetimeMinutes: 30,
  consentTimeoutMs: 5_000,
  signalingTimeoutMs: 2_000,
} as const;

/** An audit log that keeps what it is told. */
export class RecordingAudit implements AuditLog {
  readonly records: (AuditEvent & AuditParty)[] = [];
  record(event: AuditEvent, party: AuditParty = {}): void {
    this.records.push({ ...party, ...event });
  }
  events(): string[] {
    return this.records.map((r) => r.event);
  }
}
