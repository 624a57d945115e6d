/**
 * Clipboard text between host and helper (issue 11, item 7): the host's session over the fake transport, the
 * protocol's checks, and the panel's rules (src/webview/clipboard.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HostAgent } from '../../src/agent/contract';
import { RATE_LIMITS } from '../../src/host/guard';
import { HostSession } from '../../src/host/hostSession';
import type { AuditEvent, AuditLog, AuditParty } from '../../src/shared/audit';
import { MAX_CONTROL_MESSAGE, MAX_HOST_MESSAGE, decodeJson, encodeMessage, parseHelperMessage, parseHostMessage } from '../../src/shared/protocol';
import { parseFromPanel, parseToPanel } from '../../src/shared/panelProtocol';
import { ClipboardRequests, clipboardAllowed, outgoingClipboard } from '../../src/webview/clipboard';
import { type FakeConnection, HOST_DEFAULTS, fakeHelper, fakePeers, proveMedia, until } from '../support/fakePeer';
import { QUIET_AGENT } from '../support/fakeAgent';

const agent: HostAgent = QUIET_AGENT;

const running: HostSession[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.end();
});

const SECRET = 'correct horse battery staple';

interface Rig {
  host: HostSession;
  control: FakeConnection;
  audit: (AuditEvent & AuditParty)[];
  written: string[];
  asked: number;
  reads: number;
}

/** A host whose helper is admitted (viewing), with a clipboard holding SECRET and a prompt that answers `allow`. */
async function rig(options: { allow?: boolean | (() => Promise<boolean>); control?: boolean; admit?: boolean } = {}): Promise<Rig> {
  const peers = fakePeers();
  const audit: (AuditEvent & AuditParty)[] = [];
  const log: AuditLog = { record: (event, party = {}) => void audit.push({ ...party, ...event }) };
  const quiet = () => undefined;
  let admitView: (yes: boolean) => void = () => undefined;
  const r = { written: [] as string[], asked: 0, reads: 0 };
  const host = new HostSession({
    ...HOST_DEFAULTS,
    maxFps: 50,
    startAgent: async () => agent,
    ui: {
      askToView: () => (options.admit === false ? new Promise<boolean>((resolve) => (admitView = resolve)) : Promise.resolve(true)),
      askForControl: async () => options.control ?? true,
      notify: quiet,
      clipboard: {
        askToShare: async () => {
          r.asked++;
          return typeof options.allow === 'function' ? options.allow() : (options.allow ?? false);
        },
        read: async () => {
          r.reads++;
          return SECRET;
        },
      },
    },
    log: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    audit: log,
    createPeer: peers.create as never,
  });
  running.push(host);
  await host.start();
  host.onClipboard((text) => void r.written.push(text));
  const run = await fakeHelper(peers.last(), host.code);
  assert.equal(run.outcome, 'welcome');
  if (options.admit !== false) {
    await proveMedia(peers.last(), run);
    await until('viewing', () => host.state.kind === 'viewing');
  } else {
    await until('asking', () => host.state.kind === 'asking');
    void admitView;
  }
  return Object.assign(r, { host, control: run.control, audit });
}

async function takeControl(r: Rig): Promise<void> {
  r.control.deliver({ type: 'requestControl' });
  await until('controlled', () => r.host.state.kind === 'controlled');
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('clipboard: helper to host', () => {
  it('lands on the host only while the helper has control, and the audit has its size, never its text', async () => {
    const r = await rig();
    r.control.deliver({ type: 'clipboard', text: 'ls -la' });
    await settle();
    assert.deepEqual(r.written, [], 'no control, no clipboard');
    await takeControl(r);
    r.control.deliver({ type: 'clipboard', text: 'git status\n' });
    await until('written', () => r.written.length === 1);
    assert.deepEqual(r.written, ['git status\n']);
    const records = r.audit.filter((a) => a.event === 'clipboard');
    assert.deepEqual(records.map((a) => ({ event: a.event, direction: (a as { direction?: string }).direction, characters: (a as { characters?: number }).characters })), [
      { event: 'clipboard', direction: 'toHost', characters: 11 },
    ]);
    assert.ok(!JSON.stringify(r.audit).includes('git status'));
  });

  it('is malformed before admission', async () => {
    const r = await rig({ admit: false });
    const before = r.host.droppedCounts.malformed;
    r.control.deliver({ type: 'clipboard', text: 'x' });
    r.control.deliver({ type: 'clipboardRequest' });
    await settle();
    assert.equal(r.host.droppedCounts.malformed, before + 2);
    assert.deepEqual(r.written, []);
    assert.equal(r.asked, 0);
  });

  it('is rate-limited', async () => {
    const r = await rig();
    await takeControl(r);
    const n = RATE_LIMITS.clipboard.max + 5;
    for (let i = 0; i < n; i++) r.control.deliver({ type: 'clipboard', text: `t${i}` });
    await settle();
    assert.equal(r.written.length, RATE_LIMITS.clipboard.max);
    assert.ok(r.host.droppedCounts.rateLimited >= 5);
  });
});

describe('clipboard: host to helper', () => {
  it('Deny (the default answer) sends no text, only a refusal, and the clipboard is not even read', async () => {
    const r = await rig({ allow: false });
    r.control.deliver({ type: 'clipboardRequest' });
    await until('an answer', () => r.control.ofType('clipboardRefused').length === 1);
    assert.deepEqual(r.control.ofType('clipboardRefused'), [{ type: 'clipboardRefused', reason: 'denied' }]);
    assert.equal(r.control.ofType('clipboard').length, 0);
    assert.equal(r.reads, 0);
    assert.ok(r.audit.some((a) => a.event === 'clipboardRefused'));
  });

  it('Allow sends the text, once per request; the host is asked every time; the audit has no text', async () => {
    const r = await rig({ allow: true });
    r.control.deliver({ type: 'clipboardRequest' });
    await until('text', () => r.control.ofType('clipboard').length === 1);
    r.control.deliver({ type: 'clipboardRequest' });
    await until('text again', () => r.control.ofType('clipboard').length === 2);
    assert.equal(r.asked, 2);
    assert.deepEqual(r.control.ofType('clipboard')[0], { type: 'clipboard', text: SECRET });
    assert.ok(!JSON.stringify(r.audit).includes(SECRET));
    assert.deepEqual(r.audit.filter((a) => a.event === 'clipboard').map((a) => (a as { characters?: number }).characters), [SECRET.length, SECRET.length]);
  });

  it('one question at a time: a request while the prompt is up is refused as busy', async () => {
    let answer: (yes: boolean) => void = () => undefined;
    const r = await rig({ allow: () => new Promise<boolean>((resolve) => (answer = resolve)) });
    r.control.deliver({ type: 'clipboardRequest' });
    await until('asked', () => r.asked === 1);
    r.control.deliver({ type: 'clipboardRequest' });
    await until('busy', () => r.control.ofType('clipboardRefused').length === 1);
    assert.equal(r.control.ofType('clipboardRefused')[0]!.reason, 'busy');
    answer(true);
    await until('text', () => r.control.ofType('clipboard').length === 1);
    assert.equal(r.asked, 1);
  });

  it('requests beyond the rate limit never reach a prompt', async () => {
    const r = await rig({ allow: false });
    for (let i = 0; i < RATE_LIMITS.clipboardRequest.max + 4; i++) {
      r.control.deliver({ type: 'clipboardRequest' });
      await settle();
    }
    assert.equal(r.asked, RATE_LIMITS.clipboardRequest.max);
  });
});

describe('clipboard: the protocol', () => {
  it('parses both ways, and refuses control characters, lone surrogates and too much text', () => {
    assert.deepEqual(parseHelperMessage(decodeJson(encodeMessage({ type: 'clipboard', text: 'a\tb\r\nc' }))), { type: 'clipboard', text: 'a\tb\r\nc' });
    assert.deepEqual(parseHelperMessage({ type: 'clipboardRequest' }), { type: 'clipboardRequest' });
    for (const text of ['', '\u001b[201~echo pwned', 'a\u0000', '\u009b', 'a\ud800', 'x'.repeat(MAX_CONTROL_MESSAGE), 5, null]) {
      assert.equal(parseHelperMessage({ type: 'clipboard', text }), undefined, JSON.stringify(text));
    }
    const big = 'y'.repeat(60_000);
    assert.deepEqual(parseHostMessage(decodeJson(encodeMessage({ type: 'clipboard', text: big }), MAX_HOST_MESSAGE)), { type: 'clipboard', text: big });
    assert.equal(parseHostMessage({ type: 'clipboard', text: 'y'.repeat(MAX_HOST_MESSAGE) }), undefined);
    assert.deepEqual(parseHostMessage({ type: 'clipboardRefused', reason: 'denied' }), { type: 'clipboardRefused', reason: 'denied' });
    assert.equal(parseHostMessage({ type: 'clipboardRefused', reason: 'because' }), undefined);
    assert.equal(parseHostMessage({ type: 'clipboardRefused', reason: '__proto__' }), undefined);
  });

  it('the panel messages are checked too', () => {
    assert.deepEqual(parseFromPanel({ type: 'readClipboard' }), { type: 'readClipboard' });
    assert.deepEqual(parseFromPanel({ type: 'clipboardSent', characters: 12 }), { type: 'clipboardSent', characters: 12 });
    assert.equal(parseFromPanel({ type: 'clipboardSent', characters: -1 }), undefined);
    assert.equal(parseFromPanel({ type: 'hostClipboard', text: '\u001b]52;c;x\u0007' }), undefined);
    assert.deepEqual(parseToPanel({ type: 'clipboardText', text: 'abc' }), { type: 'clipboardText', text: 'abc' });
    assert.equal(parseToPanel({ type: 'clipboardText', text: 3 }), undefined);
  });
});

describe('clipboard: the panel', () => {
  it('sends what fits, cleaned, whole or not at all', () => {
    assert.deepEqual(outgoingClipboard('a\u0000b\u001b'), { ok: true, message: { type: 'clipboard', text: 'ab' } });
    assert.deepEqual(outgoingClipboard('\u0000'), { ok: false, reason: 'empty' });
    assert.deepEqual(outgoingClipboard('x'.repeat(5000)), { ok: false, reason: 'tooLarge' });
    // Quotes are written twice as long by JSON: 3,000 of them do not fit in 4 KiB.
    assert.deepEqual(outgoingClipboard('"'.repeat(3000)), { ok: false, reason: 'tooLarge' });
    const fits = outgoingClipboard('z'.repeat(4000));
    assert.ok(fits.ok && encodeMessage(fits.message).length <= MAX_CONTROL_MESSAGE);
    assert.ok(fits.ok && parseHelperMessage(decodeJson(encodeMessage(fits.message))));
  });

  it('text needs control; a request needs the screen in view', () => {
    assert.equal(clipboardAllowed('viewing', { type: 'clipboard', text: 'a' }), false);
    assert.equal(clipboardAllowed('controlling', { type: 'clipboard', text: 'a' }), true);
    assert.equal(clipboardAllowed('viewing', { type: 'clipboardRequest' }), true);
    assert.equal(clipboardAllowed('waitingForConsent', { type: 'clipboardRequest' }), false);
  });

  it('takes only the answer to its own request: a host cannot fill the clipboard unasked', () => {
    const requests = new ClipboardRequests();
    assert.equal(requests.answer(), false);
    assert.equal(requests.ask(), true);
    assert.equal(requests.ask(), false);
    assert.equal(requests.answer(), true);
    assert.equal(requests.answer(), false);
  });
});
