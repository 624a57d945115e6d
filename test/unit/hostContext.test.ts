/**
 * What the host shares besides the screen, over the fake transport (test/support/fakePeer.ts): nothing of the
 * editor, debugger or terminal before the host turns a switch on or after it turns it off, throttling per kind,
 * the chat's rate limit and its audit counts (never its text). Plain Node, no display.
 */

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HostAgent } from '../../src/agent/contract';
import { CONTEXT_THROTTLE_MS, fitUpdate } from '../../src/host/contextRelay';
import { HostSession } from '../../src/host/hostSession';
import { NOTHING_SHARED, type ContextUpdate } from '../../src/shared/context';
import { MAX_HOST_MESSAGE, decodeJson, encodeMessage, parseHostMessage } from '../../src/shared/protocol';
import { type FakeConnection, type FakePeer, HOST_DEFAULTS, RecordingAudit, fakeHelper, fakePeers, proveMedia, until } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function idleAgent(): HostAgent {
  return {
    ...QUIET_AGENT,
    capture: async () => {
      await sleep(20);
      return { format: 'jpeg' as const, width: 1, height: 1, data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) };
    },
  };
}


const running: HostSession[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
});

async function rig(allow: () => Promise<boolean> = async () => true): Promise<{ host: HostSession; peer: () => FakePeer; audit: RecordingAudit; lines: string[] }> {
  const peers = fakePeers();
  const audit = new RecordingAudit();
  const lines: string[] = [];
  const line = (level: string) => (m: string | Error) => void lines.push(`${level} ${String(m)}`);
  const host = new HostSession({
    ...HOST_DEFAULTS,
    maxFps: 5,
    startAgent: async () => idleAgent(),
    ui: { askToView: allow, askForControl: async () => false, notify: () => undefined },
    log: { trace: () => undefined, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    audit,
    createPeer: peers.create as never,
  });
  running.push(host);
  await host.start();
  return { host, peer: peers.last, audit, lines };
}

const EDITOR: ContextUpdate = {
  kind: 'editor',
  editor: { active: { folder: 'app', path: 'src/main.ts', line: 3, column: 7, selection: 'secret()' }, visible: [], problems: [] },
};
const TERMINAL: ContextUpdate = { kind: 'terminal', terminal: { name: 'bash', shellIntegration: true, commands: [{ command: 'npm test', exitCode: 1, output: 'FAIL' }] } };

/** Every host message of the helper's control connection, parsed as the panel parses it (64 KiB limit). */
function received(control: FakeConnection) {
  return control.sent.map((d) => parseHostMessage(decodeJson(d, MAX_HOST_MESSAGE)));
}
const contexts = (control: FakeConnection) => received(control).filter((m) => m?.type === 'context');

describe('host session: context', () => {
  it('sends nothing of the editor, debugger or terminal before the host consents, nor while asking or before viewGranted', async () => {
    let answer: (yes: boolean) => void = () => undefined;
    const r = await rig(() => new Promise<boolean>((resolve) => (answer = resolve)));
    r.host.shareContext(EDITOR);
    const run = await fakeHelper(r.peer(), r.host.code);
    await until('asking', () => r.host.state.kind === 'asking');
    r.host.shareContext(EDITOR);
    r.host.shareContext(TERMINAL);
    answer(true);
    await until('viewing', () => r.host.state.kind === 'viewing');
    r.host.shareContext(EDITOR);
    await sleep(CONTEXT_THROTTLE_MS + 50);
    await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    r.host.shareContext(EDITOR);
    r.host.shareContext(TERMINAL);
    await sleep(CONTEXT_THROTTLE_MS + 50);
    assert.deepEqual(contexts(run.control), []);
    // The switches, all off, right after viewGranted.
    const kinds = received(run.control).map((m) => m?.type);
    assert.ok(kinds.indexOf('sharing') > kinds.indexOf('viewGranted'), kinds.join());
    assert.deepEqual(run.control.ofType('sharing'), [{ type: 'sharing', sharing: NOTHING_SHARED }]);
    assert.ok(!JSON.stringify(run.control.sent).includes('secret()'));
  });

  it('sends a kind only while it is on; switched off, its empty update follows and nothing more of it', async () => {
    const r = await rig();
    const run = await fakeHelper(r.peer(), r.host.code);
    await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    r.host.setSharing({ editor: true, debug: false, terminal: false });
    assert.deepEqual(run.control.ofType('sharing').at(-1), { type: 'sharing', sharing: { editor: true, debug: false, terminal: false } });
    r.host.shareContext(EDITOR);
    r.host.shareContext(TERMINAL);
    await until('the editor', () => contexts(run.control).length === 1);
    assert.deepEqual(contexts(run.control), [{ type: 'context', update: EDITOR }]);
    r.host.setSharing(NOTHING_SHARED);
    assert.deepEqual(contexts(run.control).at(-1), { type: 'context', update: { kind: 'editor', editor: null } });
    const before = run.control.sent.length;
    r.host.shareContext(EDITOR);
    await sleep(CONTEXT_THROTTLE_MS * 2);
    assert.equal(run.control.sent.filter((d, i) => i >= before && String(d).includes('"context"')).length, 0);
    const sharing = r.audit.records.filter((e) => e.event === 'sharing');
    assert.equal(sharing.length, 2);
  });

  it('a pending update of a kind switched off is never sent', async () => {
    const r = await rig();
    const run = await fakeHelper(r.peer(), r.host.code);
    await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    r.host.setSharing({ editor: false, debug: false, terminal: true });
    r.host.shareContext(TERMINAL);
    const second = { kind: 'terminal', terminal: { name: 'zsh', shellIntegration: false, commands: [] } } as const;
    r.host.shareContext(second);
    r.host.setSharing(NOTHING_SHARED);
    await sleep(CONTEXT_THROTTLE_MS * 2);
    assert.deepEqual(contexts(run.control).map((m) => m!.type === 'context' && m.update), [TERMINAL.kind === 'terminal' && TERMINAL, { kind: 'terminal', terminal: null }]);
  });

  it('throttles per kind: at most one update per kind every 250 ms, the last value wins', async () => {
    const r = await rig();
    const run = await fakeHelper(r.peer(), r.host.code);
    await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    r.host.setSharing({ editor: true, debug: false, terminal: true });
    const t0 = Date.now();
    for (let line = 1; Date.now() - t0 < 600; line++) {
      r.host.shareContext({ kind: 'editor', editor: { visible: [{ folder: 'app', path: 'a.ts', line }], problems: [] } });
      r.host.shareContext(TERMINAL);
      await sleep(5);
    }
    const last = Date.now();
    await sleep(CONTEXT_THROTTLE_MS + 50);
    const editor = contexts(run.control).filter((m) => m?.type === 'context' && m.update.kind === 'editor');
    const terminal = contexts(run.control).filter((m) => m?.type === 'context' && m.update.kind === 'terminal');
    const allowed = Math.ceil((last - t0) / CONTEXT_THROTTLE_MS) + 1;
    assert.ok(editor.length >= 2 && editor.length <= allowed, `${editor.length} editor updates in ${last - t0} ms`);
    assert.ok(terminal.length >= 2 && terminal.length <= allowed, `${terminal.length} terminal updates`);
    // The last value handed in is the last one sent.
    const lastEditor = editor.at(-1)!;
    const lines = lastEditor.type === 'context' && lastEditor.update.kind === 'editor' ? lastEditor.update.editor!.visible[0]!.line : 0;
    assert.ok(lines > 50, `the last line sent is ${lines}`);
  });

  it('never sends a context message over 64 KiB: a large update is trimmed from its least useful end', () => {
    const big: ContextUpdate = {
      kind: 'terminal',
      terminal: { name: 't', shellIntegration: true, commands: Array.from({ length: 10 }, (_, i) => ({ command: `c${i}`, output: `"\\<`.repeat(2_600) + `end${i}` })) },
    };
    const fitted = fitUpdate(big);
    assert.ok(encodeMessage({ type: 'context', update: fitted }).length <= MAX_HOST_MESSAGE);
    assert.ok(fitted.kind === 'terminal' && fitted.terminal && fitted.terminal.commands.at(-1)!.output.endsWith('end9'), 'the newest command is kept');
    assert.deepEqual(fitUpdate(EDITOR), EDITOR);
  });
});

describe('host session: chat', () => {
  it('chat from the helper reaches the host only after admission, rate-limited to 5 per 5 s', async () => {
    let answer: (yes: boolean) => void = () => undefined;
    const r = await rig(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const heard: string[] = [];
    r.host.onChat((text) => heard.push(text));
    const run = await fakeHelper(r.peer(), r.host.code);
    await until('asking', () => r.host.state.kind === 'asking');
    run.control.deliver({ type: 'chat', text: 'let me in' });
    await sleep(10);
    assert.deepEqual(heard, []);
    assert.equal(r.host.droppedCounts.malformed, 1);
    answer(true);
    await until('viewing', () => r.host.state.kind === 'viewing');
    for (let i = 0; i < 20; i++) run.control.deliver({ type: 'chat', text: `hello ${i}` });
    await sleep(10);
    assert.deepEqual(heard, ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']);
    assert.equal(r.host.droppedCounts.rateLimited, 15);
    run.control.deliver({ type: 'chat', text: 'bad\u0007bell' });
    await sleep(10);
    assert.equal(heard.length, 5);
  });

  it('sends the host\'s chat once the helper sees the screen, cleaned; the audit counts both ways without the text', async () => {
    const r = await rig();
    assert.equal(r.host.sendChat('too early'), false);
    const run = await fakeHelper(r.peer(), r.host.code);
    await proveMedia(r.peer(), run);
    await until('viewGranted', () => run.control.ofType('viewGranted').length === 1);
    assert.equal(r.host.sendChat('  look at line 42\r\nplease\u0000  '), true);
    assert.equal(r.host.sendChat('   '), false);
    assert.deepEqual(run.control.ofType('chat'), [{ type: 'chat', text: 'look at line 42\nplease' }]);
    run.control.deliver({ type: 'chat', text: 'the password is hunter2' });
    run.control.deliver({ type: 'chat', text: 'ok' });
    await sleep(10);
    r.host.end();
    const ended = r.audit.records.find((e) => e.event === 'ended');
    assert.ok(ended && ended.event === 'ended');
    assert.equal(ended.chatSent, 1);
    assert.equal(ended.chatReceived, 2);
    const all = JSON.stringify(r.audit.records) + r.lines.join('\n');
    for (const secret of ['hunter2', 'line 42']) assert.ok(!all.includes(secret), `${secret} in the audit or the log`);
  });
});
