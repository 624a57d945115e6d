/**
 * The MSRA flow end to end with the real parts and no VS Code: Xvfb, a PeerServer on 127.0.0.1, the host
 * session and its agent in Node (nut-js, screenshot-desktop), the helper's webview bundle in headless Chromium.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startAgent } from '../../src/host/agentClient';
import type { HostAgent } from '../../src/host/agent';
import { HostSession } from '../../src/host/hostSession';
import { decodeInvitation } from '../../src/shared/invitation';
import type { Logger } from '../../src/shared/log';
import { derivePeerId, deriveProofKey, toBase64 } from '../../src/shared/proof';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXterm, startXvfb, typePhysically, waitFor } from './env';

const stack = new Stack();
const lines: string[] = [];
const log: Logger = {
  trace: () => undefined,
  debug: (m) => lines.push(`debug ${m}`),
  info: (m) => lines.push(`info ${m}`),
  warn: (m) => lines.push(`warn ${m}`),
  error: (m) => lines.push(`error ${String(m)}`),
};

let display = '';
let peerPort = 0;
let pageUrl = '';
let browser: import('playwright-core').Browser;
let workDir = '';
let captures = 0;
/** What reached the agent, in order (moves abridged). */
const inputs: string[] = [];

function xdotool(...args: string[]): string {
  return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' }).trim();
}

function windowGeometry(title: string): { x: number; y: number; width: number; height: number } {
  const id = xdotool('search', '--onlyvisible', '--name', `^${title}$`).split('\n')[0]!;
  const out = xdotool('getwindowgeometry', '--shell', id);
  const v = Object.fromEntries(out.split('\n').map((l) => l.split('=') as [string, string]));
  return { x: Number(v['X']), y: Number(v['Y']), width: Number(v['WIDTH']), height: Number(v['HEIGHT']) };
}

function pointer(): { x: number; y: number } {
  const out = xdotool('getmouselocation', '--shell');
  const v = Object.fromEntries(out.split('\n').map((l) => l.split('=') as [string, string]));
  return { x: Number(v['X']), y: Number(v['Y']) };
}

interface Prompts {
  view: { helperName: string; verificationCode: string }[];
  control: string[];
  answerView: (allow: boolean) => void;
  answerControl: (allow: boolean) => void;
}

function newHost(prompts: Prompts): HostSession {
  let resolveView: ((v: boolean) => void) | undefined;
  let resolveControl: ((v: boolean) => void) | undefined;
  prompts.answerView = (v) => resolveView?.(v);
  prompts.answerControl = (v) => resolveControl?.(v);
  return new HostSession({
    signaling: { host: '127.0.0.1', port: peerPort, path: '/', secure: false, key: 'peerjs' },
    iceServers: [],
    hostName: 'Ada (test host)',
    lifetimeMinutes: 30,
    consentTimeoutMs: 60_000,
    signalingTimeoutMs: 10_000,
    maxFps: 10,
    startAgent: async () => {
      const agent = await startAgent({ log, agentPath: path.join(ROOT, 'dist/agent.js'), env: { ...process.env, DISPLAY: display } });
      const counted: HostAgent = {
        screenSize: () => agent.screenSize(),
        capture: () => {
          captures++;
          return agent.capture();
        },
        input: (event) => {
          inputs.push(event.type === 'pointerMove' ? 'move' : event.type === 'key' ? `key ${event.code} ${event.down}` : `${event.type} ${JSON.stringify(event)}`);
          agent.input(event);
        },
        releaseAll: () => agent.releaseAll(),
        onExit: (listener) => agent.onExit(listener),
        dispose: () => agent.dispose(),
      };
      return counted;
    },
    ui: {
      askToView: (r) => {
        prompts.view.push(r);
        return new Promise((resolve) => (resolveView = resolve));
      },
      askForControl: (r) => {
        prompts.control.push(r.helperName);
        return new Promise((resolve) => (resolveControl = resolve));
      },
      notify: (m) => lines.push(`notify ${m}`),
    },
    log,
  });
}

async function openHelper(code: string | { hostPeerId: string; proofKey: string }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('console', (m) => lines.push(`page ${m.type()} ${m.text()}`));
  await page.exposeFunction('__testLog', (text: string) => lines.push(`panel ${text}`));
  await page.goto(pageUrl);
  await page.evaluate(() => {
    const w = window as unknown as { __onFromPanel?: (m: { type: string; level?: string; message?: string }) => void; __testLog(t: string): void };
    w.__onFromPanel = (m) => {
      if (m.type === 'log') void w.__testLog(`${m.level} ${m.message}`);
    };
  });
  let ids: { hostPeerId: string; proofKey: string };
  if (typeof code === 'string') {
    const decoded = decodeInvitation(code);
    assert.ok(decoded.ok, 'the code decodes');
    ids = { hostPeerId: await derivePeerId(decoded.invitation.secret), proofKey: toBase64(await deriveProofKey(decoded.invitation.secret)) };
  } else ids = code;
  await page.evaluate((m) => (window as unknown as { __toPanel(m: unknown): void }).__toPanel(m), {
    type: 'connect',
    signaling: { host: '127.0.0.1', port: peerPort, path: '/', secure: false, key: 'peerjs' },
    iceServers: [],
    hostPeerId: ids.hostPeerId,
    proofKey: ids.proofKey,
    helperName: 'Grace (test helper)',
    expectedHostName: '',
    connectTimeoutMs: 10_000,
  });
  return page;
}

async function helperState(page: Page): Promise<{ kind: string; message?: string; hostName?: string }> {
  return page.evaluate(() => {
    const all = (window as unknown as { __fromPanel: { type: string; state?: { kind: string } }[] }).__fromPanel;
    const states = all.filter((m) => m.type === 'state');
    return (states[states.length - 1]?.state ?? { kind: 'none' }) as { kind: string };
  });
}

/** The helper's canvas pixel at a host screen position (the canvas holds the frame at full size). */
async function canvasPixel(page: Page, x: number, y: number): Promise<[number, number, number]> {
  return page.evaluate(([px, py]) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(px!, py!, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!] as [number, number, number];
  }, [x, y]);
}

/** Where a host screen position is on the helper's page, given the canvas's letterboxed layout. */
async function pagepoint(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(([px, py]) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const scale = Math.min(r.width / canvas.width, r.height / canvas.height);
    const ox = r.left + (r.width - canvas.width * scale) / 2;
    const oy = r.top + (r.height - canvas.height * scale) / 2;
    return { x: ox + (px! + 0.5) * scale, y: oy + (py! + 0.5) * scale };
  }, [x, y]);
}

/** Saves what the helper sees, as a test artifact (test-results/ is ignored by git). */
async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-results', `${name}.png`) });
}

/** What the X server says is held down by the XTEST devices nut-js injects through. */
function heldDown(): string[] {
  return ['pointer', 'keyboard'].flatMap((device) =>
    execFileSync('xinput', ['query-state', `Virtual core XTEST ${device}`], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.endsWith('=down')),
  );
}

const near = (a: readonly number[], b: readonly number[], tolerance = 48) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

describe('the MSRA flow, end to end', { timeout: 240_000 }, () => {
  const prompts: Prompts = { view: [], control: [], answerView: () => undefined, answerControl: () => undefined };
  let host: HostSession;
  let page: Page;

  before(async () => {
    display = await startXvfb(stack, 1280, 800);
    peerPort = await startPeerServer(stack);
    pageUrl = await startPageServer(stack);
    browser = await launchChromium(stack);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-flow-'));
    stack.add(() => fs.rmSync(workDir, { recursive: true, force: true }));
    await startXterm(stack, display, ['-geometry', '40x8+700+80', '-bg', '#ff00ff', '-fg', '#ff00ff', '-e', 'sleep', '600'], 'ra-magenta');
    await startXterm(stack, display, ['-geometry', '100x12+40+420', '-bg', 'black', '-fg', 'white', '-e', 'sh', '-c', `cd '${workDir}' && exec sh`], 'ra-shell');
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
    assert.equal(captures, 0, 'no capture before Allow');
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
    await page.click('#request-control');
    await waitFor('the control prompt', () => prompts.control.length === 1);
    prompts.answerControl(true);
    await waitFor('controlling', async () => (await helperState(page)).kind === 'controlling');
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

  it('a helper that vanishes mid-drag leaves no button or key held, and the host ends the session', async () => {
    const p: Prompts = { view: [], control: [], answerView: () => undefined, answerControl: () => undefined };
    const h = newHost(p);
    stack.add(() => h.end());
    await h.start();
    const vanishing = await openHelper(h.code);
    await waitFor('the consent prompt', () => p.view.length === 1);
    p.answerView(true);
    await waitFor('viewing', async () => (await helperState(vanishing)).kind === 'viewing');
    await vanishing.click('#request-control');
    await waitFor('the control prompt', () => p.control.length === 1);
    p.answerControl(true);
    await waitFor('controlling', async () => (await helperState(vanishing)).kind === 'controlling');
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
    await waitFor('the host to end the session', () => h.state.kind === 'ended', 10_000);
    assert.match(h.state.kind === 'ended' ? h.state.message : '', /stopped answering/);
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
    startAgent: async () => ({
      screenSize: async () => ({ width: 1, height: 1 }),
      capture: () => Promise.reject(new Error('unused')),
      input: () => undefined,
      releaseAll: async () => undefined,
      onExit: () => ({ dispose: () => undefined }),
      dispose: () => undefined,
    }),
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
