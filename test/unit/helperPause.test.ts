/**
 * The helper's side of the host's pause (issue 13, item 3): the panel's session against a host played by the test,
 * through a stand-in for PeerJS (no network, no DOM). The panel is told `paused`, says "Paused by <host>", releases
 * what it held and sends no input while paused (control stays granted), and takes `paused` only once it views.
 */
import * as assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Peer } from 'peerjs';

import { channelBinding, makeProof, newNonce, toBase64 } from '../../src/shared/proof';
import { parseHostMessage } from '../../src/shared/protocol';
import type { HelperState } from '../../src/shared/stateMachine';
import { ControlGuard } from '../../src/webview/controlGuard';
import { HelperSession, type ConnectSettings } from '../../src/webview/helperSession';

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
  send(data: unknown): void {
    this.sent.push(String(data));
  }
  close(): void {
    this.open = false;
  }
  types(): string[] {
    return this.sent.map((s) => (JSON.parse(s) as { type: string }).type);
  }
  say(message: unknown): void {
    this.emit('data', JSON.stringify(message));
  }
}

class FakePeer extends Emitter {
  readonly connections: FakeConnection[] = [];
  connect(): FakeConnection {
    const c = new FakeConnection();
    this.connections.push(c);
    return c;
  }
  destroy(): void {}
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const running: HelperSession[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.dispose();
});

/** A session through the real handshake, up to waitingForConsent; `paused` lists what onPaused was told. */
async function verified() {
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
  const notices: string[] = [];
  const paused: boolean[] = [];
  const session = new HelperSession(
    settings,
    {
      onState: (s) => states.push(s),
      onNotice: (t) => notices.push(t),
      onViewGranted: () => undefined,
      onFrame: () => undefined,
      onPaused: (p) => paused.push(p),
      log: () => undefined,
    },
    () => peer as unknown as Peer,
  );
  running.push(session);
  session.start();
  peer.emit('open', 'helper-id');
  const control = peer.connections[0]!;
  control.open = true;
  control.emit('open');
  const hello = JSON.parse(control.sent[0]!) as { helperNonce: string };
  const hostNonce = newNonce();
  control.say({ type: 'challenge', hostNonce });
  await until('a proof', () => control.types().includes('proof'));
  const transcript = { helperNonce: hello.helperNonce, hostNonce, binding: channelBinding(LOCAL_SDP, REMOTE_SDP) };
  control.say({ type: 'welcome', mac: await makeProof(key, 'host', transcript), hostName: 'Ada', createdAt: 'a', expiresAt: 'b', consentTimeoutMs: 60_000 });
  const media = peer.connections[1]!;
  media.open = true;
  media.emit('open');
  const state = () => states.at(-1) ?? { kind: 'idle' as const };
  await until('waitingForConsent', () => state().kind === 'waitingForConsent');
  return { session, control, notices, paused, state };
}

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
