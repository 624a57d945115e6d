/**
 * The MSRA flow end to end with the real parts and no VS Code: Xvfb, a PeerServer on 127.0.0.1, the host
 * session and its agent in Node (nut-js, screenshot-desktop), the helper's webview bundle in headless Chromium.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { HostSession } from '../../src/host/hostSession';
import { decodeInvitation } from '../../src/shared/invitation';
import { derivePeerId, toBase64 } from '../../src/shared/proof';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, typePhysically, waitFor } from '../support/env';
import {
  allowView,
  fakeAgent,
  grantControl,
  heldDown as xHeldDown,
  helperState,
  newHost as rigHost,
  newRig,
  openHelper as rigHelper,
  canvasPixel,
  pagepoint,
  pointer as xPointer,
  windowGeometry as xWindowGeometry,
  xdotool,
  type Prompts,
} from '../support/session';

const stack = new Stack();
const rig = newRig();
const { lines, log, inputs } = rig;
let workDir = '';

const windowGeometry = (title: string) => xWindowGeometry(rig, title);
const pointer = () => xPointer(rig);
const heldDown = () => xHeldDown(rig);
const newHost = (prompts: Prompts): HostSession => rigHost(rig, prompts);
const openHelper = (code: string | { hostPeerId: string; proofKey: string }): Promise<Page> => rigHelper(rig, code);

/** Saves what the helper sees, as a test artifact (test-results/ is ignored by git). */
async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-results', `${name}.png`) });
}

const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

describe('the MSRA flow, end to end', { timeout: 240_000 }, () => {
  const prompts: Prompts = { view: [], control: [], answerView: () => undefined, answerControl: () => undefined };
  let host: HostSession;
  let page: Page;

  before(async () => {
    rig.display = await startXvfb(stack, 1280, 800);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    rig.browser = await launchChromium(stack);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-flow-'));
    stack.add(() => fs.rmSync(workDir, { recursive: true, force: true }));
    await startXterm(stack, rig.display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-magenta');
    await startXterm(stack, rig.display, ['-geometry', '100x12+40+420', '-bg', 'black', '-fg', 'white', '-e', 'sh', '-c', `cd '${workDir}' && exec sh`], 'ra-shell');
  });

  after(async () => {
    host?.end();
    await stack.stop();
    // The whole story of the run, for when a step fails.
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results/flow.log'), lines.join('\n') + '\n');
  });

  it('creates an invitation and waits for a helper', async () => {
    host = newHost(prompts);
    await host.start();
    assert.equal(host.state.kind, 'awaiting');
    assert.ok(decodeInvitation(host.code).ok);
  });

  it('proves the code and asks the host before anything is captured or sent', async () => {
    page = await openHelper(host.code);
    await waitFor('the consent prompt', () => prompts.view.length === 1);
    assert.equal(prompts.view[0]!.helperName, 'Grace (test helper)');
    assert.match(prompts.view[0]!.verificationCode, /^\d{3} \d{3}$/);
    assert.equal(host.state.kind, 'asking');
    await waitFor('the helper to wait for consent', async () => (await helperState(page)).kind === 'waitingForConsent');
    assert.equal((await helperState(page)).hostName, 'Ada (test host)');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rig.captures, 0, 'no capture before Allow');
  });

  it('shows the host screen live once allowed: the magenta window at its place', async () => {
    prompts.answerView(true);
    await waitFor('viewing', async () => (await helperState(page)).kind === 'viewing');
    const g = windowGeometry('ra-magenta');
    const centre = { x: g.x + Math.floor(g.width / 2), y: g.y + Math.floor(g.height / 2) };
    await waitFor('magenta in the helper picture', async () => near(await canvasPixel(page, centre.x, centre.y), [255, 0, 255]));
    // And not where the window is not.
    assert.ok(!near(await canvasPixel(page, g.x - 30, g.y + 10), [255, 0, 255]), 'outside the window is not magenta');
    const size = await page.evaluate(() => {
      const c = document.querySelector('#screen') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    assert.deepEqual(size, [1280, 800]);
    await shot(page, 'flow-1-viewing');
  });

  it("shows the host's pointer where it is (X leaves it out of captures), and follows the host's mouse", async () => {
    const overlay = () =>
      page.evaluate(() => {
        const c = document.querySelector('#pointer') as HTMLCanvasElement;
        const at = c.dataset['pointer'] ?? '';
        const [x, y] = at.split(',').map(Number);
        if (!at || x === undefined || y === undefined) return { at, opaque: 0 };
        const d = c.getContext('2d')!.getImageData(Math.max(0, x - 20), Math.max(0, y - 20), 40, 40).data;
        let opaque = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) opaque++;
        return { at, opaque };
      });
    for (const [x, y] of [[300, 200], [900, 600]] as const) {
      xdotool(rig, 'mousemove', String(x), String(y));
      await waitFor(`the pointer at ${x},${y} in the panel`, async () => (await overlay()).at === `${x},${y}`, 5_000);
      const drawn = await overlay();
      assert.ok(drawn.opaque > 10, `the pointer's shape is drawn there (${drawn.opaque} opaque pixels)`);
    }
    // Only the overlay shows it: the picture itself is what the X server has.
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#pointer')!).pointerEvents), 'none');
  });

  it('sends no input without control', async () => {
    const shell = windowGeometry('ra-shell');
    const before = pointer();
    const at = await pagepoint(page, shell.x + 50, shell.y + 50);
    await page.mouse.click(at.x, at.y);
    await typePhysically(page, 'echo nope > NOPE\n');
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(pointer(), before, 'the pointer did not move');
    assert.equal(fs.existsSync(path.join(workDir, 'NOPE')), false);
  });

  it('with control granted, the helper clicks and types into the host xterm', async () => {
    await grantControl(page, prompts);
    assert.equal(prompts.control.length, 1);
    assert.equal(host.state.kind, 'controlled');
    const shell = windowGeometry('ra-shell');
    const at = await pagepoint(page, shell.x + 60, shell.y + 60);
    await page.mouse.click(at.x, at.y);
    await waitFor('the pointer on the shell', () => {
      const p = pointer();
      return Math.abs(p.x - (shell.x + 60)) <= 2 && Math.abs(p.y - (shell.y + 60)) <= 2;
    }, 5_000);
    await typePhysically(page, "echo 'Hello, World! #1 (x+y)' > FILE\n");
    const file = path.join(workDir, 'FILE');
    await waitFor('FILE', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n'), 10_000);
    assert.equal(fs.readFileSync(file, 'utf8'), 'Hello, World! #1 (x+y)\n');
    // While controlling, the helper's own pointer takes the host's shape (it moves at once) and the overlay is empty.
    const cursor = await page.evaluate(() => (document.querySelector('#screen') as HTMLElement).style.cursor);
    assert.match(cursor, /^url\("data:image\/png;base64,/, 'the host pointer is the helper pointer');
    await shot(page, 'flow-2-controlling');
  });

  it('the host takes control back at any moment; the helper keys no longer arrive', async () => {
    host.revokeControl();
    assert.equal(host.state.kind, 'viewing');
    await waitFor('the helper back to viewing', async () => (await helperState(page)).kind === 'viewing');
    await typePhysically(page, 'echo late > LATE\n');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(fs.existsSync(path.join(workDir, 'LATE')), false);
  });

  it('ends from the host side; the helper is told why', async () => {
    host.end();
    await waitFor('the helper to end', async () => (await helperState(page)).kind === 'ended');
    assert.match((await helperState(page)).message ?? '', /ended the session/);
    assert.equal(host.state.kind, 'ended');
    await shot(page, 'flow-3-ended');
  });

  it('a code whose host has gone gives a clear error', async () => {
    const again = await openHelper(host.code);
    await waitFor('failed', async () => (await helperState(again)).kind === 'failed', 20_000);
    assert.match((await helperState(again)).message ?? '', /No one is waiting|expired|ended/i);
    await again.close();
  });

  it('a wrong code is refused: the proof fails and the host keeps waiting', async () => {
    const other = newHost({ view: [], control: [], answerView: () => undefined, answerControl: () => undefined });
    await other.start();
    const decoded = decodeInvitation(other.code);
    assert.ok(decoded.ok);
    const wrongKey = new Uint8Array(32).fill(1);
    const wrong = await openHelper({ hostPeerId: await derivePeerId(decoded.invitation.secret), proofKey: toBase64(wrongKey) });
    await waitFor('failed', async () => (await helperState(wrong)).kind === 'failed' || (await helperState(wrong)).kind === 'ended', 20_000);
    assert.match((await helperState(wrong)).message ?? '', /did not match|not the host/i);
    await waitFor('the host back to awaiting', () => other.state.kind === 'awaiting');
    other.end();
    await wrong.close();
  });

  it('a helper that vanishes mid-drag leaves no button or key held; the host waits for it to resume, then ends the session', async () => {
    const p: Prompts = { view: [], control: [], answerView: () => undefined, answerControl: () => undefined };
    // A shorter window than RESUME_WINDOW_MS: what is tested is that the wait ends (resume.test.ts waits the real one).
    const h = rigHost(rig, p, { resumeWindowMs: 2_000 });
    stack.add(() => h.end());
    await h.start();
    const vanishing = await openHelper(h.code);
    await allowView(vanishing, p);
    await grantControl(vanishing, p);
    await vanishing.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
    const shell = windowGeometry('ra-shell');
    const from = await pagepoint(vanishing, shell.x + 100, shell.y + 40);
    await vanishing.mouse.click(from.x, from.y); // gives the panel's canvas the keyboard focus
    await vanishing.mouse.move(from.x, from.y);
    await vanishing.mouse.down();
    await vanishing.keyboard.down('ShiftLeft');
    await vanishing.mouse.move(from.x + 40, from.y + 10);
    let held: string[] = [];
    await waitFor('button and Shift held on the host', () => (held = heldDown()).length >= 2, 5_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; held: ${held.join(' ') || 'nothing'}; inputs: ${inputs.slice(-10).join(', ')}`);
    });
    // The renderer dies: no bye, no close, nothing more on the wire.
    await vanishing.goto('chrome://crash').catch(() => undefined);
    const t0 = Date.now();
    await waitFor('everything released', () => heldDown().length === 0, 5_000, 20);
    const releasedAfter = Date.now() - t0;
    assert.ok(releasedAfter < 2_500, `released after ${releasedAfter} ms`);
    await waitFor('the host to wait for a resume', () => h.state.kind === 'reconnecting', 6_000);
    await waitFor('the host to end the session', () => h.state.kind === 'ended', 10_000);
    const state = h.machine.state;
    assert.equal(state.kind === 'ended' && state.reason, 'linkLost');
  });
});

/** A host session on a signaling server at `port`, with no desktop behind it: these tests are about signaling. */
function signalingOnly(port: number, signalingTimeoutMs: number): HostSession {
  return new HostSession({
    signaling: { host: '127.0.0.1', port, path: '/', secure: false, key: 'peerjs' },
    iceServers: [],
    hostName: 'x',
    lifetimeMinutes: 5,
    consentTimeoutMs: 1_000,
    signalingTimeoutMs,
    maxFps: 1,
    startAgent: async () => fakeAgent(),
    ui: { askToView: async () => false, askForControl: async () => false, notify: () => undefined },
    log,
  });
}

describe('signaling failures', { timeout: 60_000 }, () => {
  it('a dead signaling server gives the host a clear error, quickly', async () => {
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    await new Promise((r) => server.close(r)); // nothing listens there now
    const session = signalingOnly(port, 10_000);
    const t0 = Date.now();
    await assert.rejects(session.start(), /Cannot reach the signaling server 127\.0\.0\.1:\d+/);
    assert.ok(Date.now() - t0 < 10_500);
    assert.equal(session.state.kind, 'failed');
  });

  it('a signaling server that accepts but never answers times out within 10 s', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, says nothing
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const session = signalingOnly(port, 3_000);
      await assert.rejects(session.start(), /did not answer within 3 s/);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
