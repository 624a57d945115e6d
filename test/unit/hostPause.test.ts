/**
 * The host's pause of its screen (issue 13, item 3) over the fake transport (test/support/fakePeer.ts): while paused
 * the agent is asked for nothing and no frame goes out, the helper's input is dropped and counted and what it held
 * is released at once, the helper is told `paused`, context waits, and the resume asks for a whole screen. The
 * audit records both. Plain Node, no display.
 */

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HostAgent, InputEvent } from '../../src/agent/contract';
import { HostSession } from '../../src/host/hostSession';
import { FrameAssembler } from '../../src/shared/frames';
import { decodeJson, parseHostMessage } from '../../src/shared/protocol';
import type { InputBlockedReason } from '../../src/shared/inputBlocked';
import { type FakeConnection, type FakeHelperRun, type FakePeer, HOST_DEFAULTS, RecordingAudit, fakeHelper, fakePeers, proveMedia, until } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An agent with no desktop: keeps every capture request, input and release. An update only when asked for a whole screen. */
function recordingAgent(): HostAgent & { requests: { full: boolean }[]; inputs: InputEvent[]; releases: number; blocked: (reason: InputBlockedReason | undefined) => void } {
  const agent = {
    ...QUIET_AGENT,
    requests: [] as { full: boolean }[],
    inputs: [] as InputEvent[],
    releases: 0,
    blocked: (() => undefined) as (reason: InputBlockedReason | undefined) => void,
    capture: async (request?: { full?: boolean; waitMs?: number }) => {
      agent.requests.push({ full: !!request?.full });
      await sleep(request?.full ? 2 : Math.min(request?.waitMs ?? 0, 30));
      return { format: 'jpeg' as const, width: 1, height: 1, data: new Uint8Array([0xff, 0xd8, agent.requests.length & 0xff, 0xd9]) };
    },
    input: (e: InputEvent) => void agent.inputs.push(e),
    releaseAll: async () => void agent.releases++,
    onInputBlocked: (listener: (reason: InputBlockedReason | undefined) => void) => ((agent.blocked = listener), { dispose: () => undefined }),
  };
  return agent;
}


const running: HostSession[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
  for (const t of timers.splice(0)) clearInterval(t);
});

interface Rig {
  host: HostSession;
  peer: () => FakePeer;
  agent: ReturnType<typeof recordingAgent>;
  audit: RecordingAudit;
  notices: string[];
}

async function rig(screenSizeDelayMs = 0): Promise<Rig> {
  const peers = fakePeers();
  const agent = recordingAgent();
  if (screenSizeDelayMs > 0) agent.screenSize = () => sleep(screenSizeDelayMs).then(() => ({ width: 640, height: 480 }));
  const audit = new RecordingAudit();
  const quiet = () => undefined;
  const notices: string[] = [];
  const host = new HostSession({
    ...HOST_DEFAULTS,
    maxFps: 50,
    startAgent: async () => agent,
    ui: { askToView: async () => true, askForControl: async () => true, notify: (text) => void notices.push(text) },
    log: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    audit,
    createPeer: peers.create as never,
  });
  running.push(host);
  await host.start();
  return { host, peer: peers.last, agent, audit, notices };
}

/** A helper admitted, its media proved, that acknowledges every frame as it arrives. */
async function viewing(r: Rig): Promise<{ run: FakeHelperRun; media: FakeConnection; frames: () => number }> {
  const run = await fakeHelper(r.peer(), r.host.code);
  assert.equal(run.outcome, 'welcome');
  const media = await proveMedia(r.peer(), run);
  await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
  const assembler = new FrameAssembler();
  let frames = 0;
  let read = 0;
  const timer = setInterval(() => {
    for (; read < media.sent.length; read++) {
      const frame = assembler.push(media.sent[read] as Uint8Array);
      if (frame) {
        frames++;
        run.control.deliver({ type: 'frameAck', id: frame.id });
      }
    }
  }, 2);
  timers.push(timer);
  await until('a frame', () => frames > 0);
  return { run, media, frames: () => frames };
}

/** The host messages of the helper's control connection, parsed as the panel parses them. */
const told = (control: FakeConnection) => control.sent.map((d) => parseHostMessage(decodeJson(d, 65_536))).filter((m) => m?.type === 'paused');

describe('host session: pause', () => {
  it('while paused the agent is asked for nothing and no frame goes out; the helper is told; resume sends a whole screen', async () => {
    const r = await rig();
    const { run, media } = await viewing(r);
    assert.equal(r.host.pause.set(true), true);
    assert.equal(r.host.pause.set(true), false, 'a second pause changes nothing');
    assert.deepEqual(told(run.control), [{ type: 'paused', paused: true }]);
    // A capture asked for just before the pause may still finish; nothing is asked or sent after it.
    await sleep(60);
    const requests = r.agent.requests.length;
    const chunks = media.sent.length;
    await sleep(300);
    assert.equal(r.agent.requests.length, requests, 'the agent was asked for a capture while paused');
    assert.equal(media.sent.length, chunks, 'a frame went out while paused');

    assert.equal(r.host.pause.set(false), true);
    assert.deepEqual(told(run.control), [{ type: 'paused', paused: true }, { type: 'paused', paused: false }]);
    await until('a capture after the resume', () => r.agent.requests.length > requests);
    assert.equal(r.agent.requests[requests]!.full, true, 'the first capture after the resume is a whole screen');
    await until('a frame after the resume', () => media.sent.length > chunks);
    const paused = r.audit.records.filter((e) => e.event === 'screenPaused');
    assert.deepEqual(paused.map((e) => e.event === 'screenPaused' && e.paused), [true, false]);
    assert.equal(paused[0]!.helperName, 'Grace');
  });

  it('drops and counts the input of a helper with control while paused, and releases what it held at once; control stays granted', async () => {
    const r = await rig();
    const { run } = await viewing(r);
    run.control.deliver({ type: 'requestControl' });
    await until('controlled', () => r.host.state.kind === 'controlled');
    run.control.deliver({ type: 'key', code: 'ShiftLeft', down: true });
    await until('the key pressed', () => r.agent.inputs.length === 1);
    const releases = r.agent.releases;
    r.host.pause.set(true);
    assert.equal(r.agent.releases, releases + 1, 'the held key was released at once');
    run.control.deliver({ type: 'key', code: 'KeyA', down: true });
    run.control.deliver({ type: 'pointerMove', x: 0.5, y: 0.5 });
    run.control.deliver({ type: 'text', text: 'hunter2' });
    await sleep(20);
    assert.equal(r.agent.inputs.length, 1, 'input reached the agent while paused');
    assert.equal(r.host.droppedCounts.inputWhilePaused, 3);
    assert.equal(r.host.state.kind, 'controlled');
    assert.deepEqual(run.control.ofType('control').at(-1), { type: 'control', granted: true, reason: 'granted' });

    r.host.pause.set(false);
    run.control.deliver({ type: 'key', code: 'KeyB', down: true });
    await until('input after the resume', () => r.agent.inputs.length === 2);
    r.host.end();
    const ended = r.audit.records.find((e) => e.event === 'ended');
    assert.ok(ended?.event === 'ended' && ended.inputWhilePaused === 3);
  });

  it('holds context back while paused and sends the last of each kind on resume', async () => {
    const r = await rig();
    const { run } = await viewing(r);
    r.host.setSharing({ editor: true, debug: false, terminal: false });
    r.host.pause.set(true);
    r.host.shareContext({ kind: 'editor', editor: { visible: [{ folder: 'app', path: 'a.ts', line: 1 }], problems: [] } });
    r.host.shareContext({ kind: 'editor', editor: { visible: [{ folder: 'app', path: 'secret.ts', line: 2 }], problems: [] } });
    await sleep(300);
    assert.equal(run.control.ofType('context').length, 0);
    r.host.pause.set(false);
    await until('the held context', () => run.control.ofType('context').length === 1);
    const update = run.control.ofType('context')[0]!.update;
    assert.ok(update.kind === 'editor' && update.editor?.visible[0]?.path === 'secret.ts');
  });

  it('cannot pause without a helper that sees the screen; a pause before viewGranted is said right after it', async () => {
    const r = await rig();
    assert.equal(r.host.pause.set(true), false);
    const run = await fakeHelper(r.peer(), r.host.code);
    await until('viewing', () => r.host.state.kind === 'viewing');
    assert.equal(r.host.pause.set(true), true);
    assert.deepEqual(told(run.control), [], 'nothing is said before viewGranted');
    const media = await proveMedia(r.peer(), run);
    await until('paused after viewGranted', () => told(run.control).length === 1);
    const types = run.control.messages().map((m) => m.type);
    assert.ok(types.indexOf('paused') > types.indexOf('viewGranted'));
    await sleep(200);
    assert.equal(r.agent.requests.length, 0, 'the agent was asked for a capture while paused');
    assert.equal(media.sent.length, 0);
    r.host.pause.set(false);
    await until('the first frame', () => media.sent.length > 0);
    assert.equal(r.agent.requests[0]!.full, true);
  });

  it('when the system refuses the input (Windows), the host is told and so is the helper with control, not one that only views', async () => {
    const r = await rig();
    const { run } = await viewing(r);
    r.agent.blocked('elevated');
    await sleep(20);
    assert.equal(run.control.ofType('inputBlocked').length, 0, 'a helper without control was told');
    assert.match(r.notices.at(-1) ?? '', /runs as administrator/);
    run.control.deliver({ type: 'requestControl' });
    await until('controlled', () => r.host.state.kind === 'controlled');
    r.agent.blocked('secureDesktop');
    r.agent.blocked(undefined);
    await until('told twice', () => run.control.ofType('inputBlocked').length === 2);
    assert.deepEqual(run.control.ofType('inputBlocked'), [{ type: 'inputBlocked', reason: 'secureDesktop' }, { type: 'inputBlocked', reason: null }]);
    assert.match(r.notices.at(-1) ?? '', /security prompt/);
  });

  it('says nothing of a pause before viewGranted has gone out, even while the screen size is still being read', async () => {
    const r = await rig(150);
    const run = await fakeHelper(r.peer(), r.host.code);
    await until('viewing', () => r.host.state.kind === 'viewing');
    await proveMedia(r.peer(), run);
    // Viewing is granted; the size of the screen is on its way: the helper has not been told viewGranted yet.
    await sleep(30);
    r.host.pause.set(true);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    await until('paused', () => told(run.control).length === 1);
    const types = run.control.messages().map((m) => m.type);
    assert.ok(types.indexOf('paused') > types.indexOf('viewGranted'), `in this order: ${types.join(', ')}`);
  });
});
