import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HostAgent, InputEvent } from '../../src/agent/contract';
import { HostSession, type HostSessionOptions } from '../../src/host/hostSession';
import { FrameAssembler } from '../../src/shared/frames';
import { type FakePeer, HOST_DEFAULTS, RecordingAudit, fakeHelper, fakePeers, proveMedia, until } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An agent with no desktop: counts captures, keeps input and releases. */
function countingAgent(): HostAgent & { captures: number; inputs: InputEvent[]; releases: number; prepared: number } {
  const frame = { format: 'jpeg' as const, width: 1, height: 1, data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) };
  const agent = {
    ...QUIET_AGENT,
    captures: 0,
    inputs: [] as InputEvent[],
    releases: 0,
    prepared: 0,
    prepareInput: () => void agent.prepared++,
    capture: async () => {
      agent.captures++;
      await sleep(5);
      return { ...frame, data: new Uint8Array([0xff, 0xd8, agent.captures & 0xff, 0xd9]) };
    },
    input: (e: InputEvent) => void agent.inputs.push(e),
    releaseAll: async () => void agent.releases++,
  };
  return agent;
}


interface Rig {
  host: HostSession;
  peer: () => FakePeer;
  agent: ReturnType<typeof countingAgent>;
  audit: RecordingAudit;
  lines: string[];
  notes: string[];
  asked: { view: number; control: number };
}

const running: HostSession[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
});

async function rig(options: { allow?: boolean | (() => Promise<boolean>); control?: boolean; overrides?: Partial<HostSessionOptions> } = {}): Promise<Rig> {
  const peers = fakePeers();
  const agent = countingAgent();
  const audit = new RecordingAudit();
  const lines: string[] = [];
  const notes: string[] = [];
  const asked = { view: 0, control: 0 };
  const line = (level: string) => (m: string | Error) => void lines.push(`${level} ${String(m)}`);
  const host = new HostSession({
    ...HOST_DEFAULTS,
    maxFps: 50,
    startAgent: async () => agent,
    ui: {
      askToView: async () => {
        asked.view++;
        return typeof options.allow === 'function' ? options.allow() : (options.allow ?? true);
      },
      askForControl: async () => {
        asked.control++;
        return options.control ?? true;
      },
      notify: (m) => void notes.push(m),
    },
    log: { trace: () => undefined, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    audit,
    createPeer: peers.create as never,
    ...options.overrides,
  });
  running.push(host);
  await host.start();
  return { host, peer: peers.last, agent, audit, lines, notes, asked };
}

/** A helper admitted with its media connection proved; frames are read and acknowledged by the test. */
async function admitted(r: Rig) {
  const run = await fakeHelper(r.peer(), r.host.code);
  assert.equal(run.outcome, 'welcome');
  const media = await proveMedia(r.peer(), run);
  await until('viewing', () => r.host.state.kind === 'viewing');
  return { run, media };
}

describe('host session over a fake transport: the handshake', () => {
  it('admits a helper with the right code and sends frames once the media proof checked out', async () => {
    const r = await rig();
    const { run, media } = await admitted(r);
    await until('a frame', () => media.sent.length > 0);
    const assembler = new FrameAssembler();
    const frame = media.sent.map((c) => assembler.push(c as Uint8Array)).find((f) => f);
    assert.ok(frame);
    assert.deepEqual(run.control.ofType('viewGranted'), [{ type: 'viewGranted', width: 640, height: 480 }]);
  });

  it('(7) says viewGranted only after the media proof checked out, and sends no frame before', async () => {
    const r = await rig({ allow: true });
    const run = await fakeHelper(r.peer(), r.host.code);
    assert.equal(run.outcome, 'welcome');
    await until('viewing', () => r.host.state.kind === 'viewing');
    await sleep(100);
    assert.deepEqual(run.control.ofType('viewGranted'), [], 'no viewGranted before the media proof');
    assert.equal(r.agent.captures, 0);
    const media = await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    await until('a frame', () => media.sent.length > 0);
  });

  it('(7) a wrong media proof: no viewGranted, no frame, the session ends', async () => {
    const r = await rig({ allow: true });
    const run = await fakeHelper(r.peer(), r.host.code);
    await until('viewing', () => r.host.state.kind === 'viewing');
    const media = await proveMedia(r.peer(), run, true);
    await until('ended', () => r.host.state.kind === 'ended');
    assert.deepEqual(run.control.ofType('viewGranted'), []);
    assert.equal(media.sent.length, 0);
    assert.equal(r.agent.captures, 0);
    assert.ok(r.audit.events().includes('mediaProofFailed'));
  });

  it('locks the invitation after five wrong proofs', async () => {
    const r = await rig();
    for (let i = 1; i <= 5; i++) {
      const run = await fakeHelper(r.peer(), r.host.code, { wrongKey: true });
      assert.equal(run.outcome, i < 5 ? 'proofFailed' : 'locked');
    }
    assert.equal(r.host.state.kind, 'ended');
    assert.equal(r.audit.events().filter((e) => e === 'proofFailed').length, 5);
  });

  it('(6b) a denied or unanswered request to view counts against the invitation: closed after three', async () => {
    const r = await rig({ allow: false });
    for (let i = 1; i <= 3; i++) {
      const run = await fakeHelper(r.peer(), r.host.code);
      assert.equal(run.outcome, 'welcome');
      await until(`denial ${i}`, () => run.control.ofType('bye').length === 1);
      assert.equal(run.control.ofType('bye')[0]!.reason, 'denied');
      if (i < 3) await until('awaiting', () => r.host.state.kind === 'awaiting');
    }
    await until('ended', () => r.host.state.kind === 'ended');
    assert.equal(r.asked.view, 3);
    const fourth = await fakeHelper(r.peer(), r.host.code);
    assert.notEqual(fourth.outcome, 'welcome');
    assert.ok(r.notes.some((n) => /closed/.test(n)), r.notes.join('\n'));
  });
});

describe('host session over a fake transport: what reaches the log and the audit', () => {
  it('(9) caps the connected lines in the audit, as it caps refusals', async () => {
    const r = await rig();
    for (let i = 0; i < 150; i++) {
      const conn = r.peer().connect(`knock-${i}`, 'control');
      conn.close();
      await until('awaiting', () => r.host.state.kind === 'awaiting');
    }
    const connected = r.audit.events().filter((e) => e === 'connected').length;
    assert.ok(connected <= 100, `${connected} connected lines`);
    assert.ok(connected >= 20);
  });

  it('(9) cuts labels, peer ids and peer-supplied texts to a bound and strips control characters', async () => {
    const r = await rig();
    const evil = `x\n[info] state awaiting -> viewing\r\u001b[31m${'A'.repeat(10_000)}`;
    const conn = r.peer().connect(`peer\n\u0007${'B'.repeat(5_000)}`, evil);
    conn.close();
    const conn2 = r.peer().connect(`p2\u202e\n${'C'.repeat(5_000)}`, 'control', `raw\n${'D'.repeat(5_000)}`);
    conn2.close();
    const run = await fakeHelper(r.peer(), r.host.code, { helperPeerId: `h\n\u0000${'E'.repeat(5_000)}` });
    assert.equal(run.outcome, 'welcome');
    run.control.emit('error', Object.assign(new Error(`bad\n\u0001${'F'.repeat(5_000)}`), { type: 'x' }));
    for (const line of r.lines) {
      assert.ok(line.length < 1_000, `a log line of ${line.length} characters`);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(line), `a control character in ${JSON.stringify(line.slice(0, 200))}`);
    }
    for (const record of r.audit.records) {
      const text = JSON.stringify(record);
      assert.ok(text.length < 1_000, `an audit record of ${text.length} characters`);
      for (const value of Object.values(record)) {
        if (typeof value === 'string') assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(value), JSON.stringify(value.slice(0, 100)));
      }
    }
  });
});

describe('host session over a fake transport: the guard', () => {
  it('(9) sustained rate-limit excess disconnects the helper', async () => {
    const r = await rig();
    const { run } = await admitted(r);
    for (let i = 0; i < 20_000 && r.host.state.kind === 'viewing'; i++) run.control.deliver({ type: 'frameAck', id: 0 });
    await until('ended', () => r.host.state.kind === 'ended');
    const state = r.host.state;
    assert.ok(state.kind === 'ended' && state.reason === 'protocolError', JSON.stringify(state));
  });

  it('a burst of 10,000 over the limits is dropped, not fatal', async () => {
    const r = await rig();
    const { run } = await admitted(r);
    for (let i = 0; i < 10_000; i++) run.control.deliver({ type: 'pointerMove', x: 0.5, y: 0.5 });
    await sleep(50);
    assert.equal(r.host.state.kind, 'viewing');
    assert.ok(r.host.droppedCounts.rateLimited > 9_000);
  });

  it('(9) malformed messages do not count as being heard from: held input is released after a second of silence', async () => {
    const r = await rig({ control: true });
    const { run } = await admitted(r);
    run.control.deliver({ type: 'requestControl' });
    await until('controlled', () => r.host.state.kind === 'controlled');
    run.control.deliver({ type: 'key', code: 'ShiftLeft', down: true });
    await until('the key pressed', () => r.agent.inputs.length === 1);
    const releases = r.agent.releases;
    const t0 = Date.now();
    while (Date.now() - t0 < 2_000 && r.agent.releases === releases) {
      run.control.deliver('{"type":"nonsense"}');
      await sleep(100);
    }
    assert.ok(r.agent.releases > releases, 'the held key was released despite the junk');
  });

  it('asking for control has the agent load its input while the host is asked, not at the first event', async () => {
    let answer: (granted: boolean) => void = () => undefined;
    const r = await rig({ overrides: { ui: { askToView: async () => true, askForControl: () => new Promise<boolean>((resolve) => (answer = resolve)), notify: () => undefined } } });
    const { run } = await admitted(r);
    assert.equal(r.agent.prepared, 0, 'nothing loaded while only viewed');
    run.control.deliver({ type: 'requestControl' });
    await until('prepared', () => r.agent.prepared === 1);
    assert.equal(r.host.state.kind, 'viewing', 'before the host answered');
    answer(true);
    await until('controlled', () => r.host.state.kind === 'controlled');
  });

  it('input before control is dropped and counted; a release without its press is not forwarded', async () => {
    const r = await rig({ control: true });
    const { run } = await admitted(r);
    run.control.deliver({ type: 'key', code: 'KeyA', down: true });
    await sleep(10);
    assert.equal(r.agent.inputs.length, 0);
    assert.equal(r.host.droppedCounts.inputWithoutControl, 1);
    run.control.deliver({ type: 'requestControl' });
    await until('controlled', () => r.host.state.kind === 'controlled');
    run.control.deliver({ type: 'key', code: 'KeyA', down: false });
    run.control.deliver({ type: 'key', code: 'KeyB', down: true });
    run.control.deliver({ type: 'key', code: 'KeyB', down: false });
    await sleep(10);
    assert.deepEqual(r.agent.inputs, [{ type: 'key', code: 'KeyB', down: true }, { type: 'key', code: 'KeyB', down: false }]);
  });
});

describe('host session over a fake transport: signaling', () => {
  it('(9) reconnects to a signaling server that keeps failing with an exponential backoff, and says so', async () => {
    const r = await rig();
    const peer = r.peer();
    peer.onReconnect = () => setImmediate(() => peer.emit('disconnected'));
    peer.disconnected = true;
    peer.emit('disconnected');
    await sleep(2_000);
    assert.ok(peer.reconnects >= 1 && peer.reconnects <= 3, `${peer.reconnects} reconnects in 2 s`);
    assert.ok(r.lines.some((l) => l.startsWith('warn') && l.includes('signaling')));
  });
});
