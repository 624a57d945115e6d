/**
 * What the end-to-end tests share: a rig (X display, PeerServer, the helper's page server, Chromium), a host
 * session factory with a counting agent and scriptable prompts, the helper's page driven through the test page's
 * bridge, a raw PeerJS client in Node (for attackers and hand-made helpers), and X probes (pointer, held keys).
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { DataConnection, Peer } from 'peerjs';
import { startAgent } from '../../src/host/agentClient';
import type { HostAgent } from '../../src/agent/contract';
import { HostSession, type HostSessionOptions } from '../../src/host/hostSession';
import type { AuditEvent, AuditLog, AuditParty } from '../../src/shared/audit';
import { decodeInvitation } from '../../src/shared/invitation';
import type { Logger } from '../../src/shared/log';
import { channelBinding, derivePeerId, deriveProofKey, fromBase64, makeMediaProof, makeProof, newNonce, toBase64 } from '../../src/shared/proof';
import { PROTOCOL_VERSION } from '../../src/shared/protocol';
import { ROOT, launchChromium, startPageServer, startPeerServer, startXvfb, waitFor, type Stack } from './env';
import { QUIET_AGENT } from './fakeAgent';

/** The running pieces a test talks to, and what happened (log lines, captures, input that reached the agent). */
export interface Rig {
  display: string;
  peerPort: number;
  pageUrl: string;
  browser: Browser;
  readonly lines: string[];
  readonly log: Logger;
  /** Captures asked of the agent, all hosts together. */
  captures: number;
  /** What reached the agent, in order (moves abridged), all hosts together. */
  readonly inputs: string[];
}

export function newRig(): Rig {
  const lines: string[] = [];
  return {
    display: '',
    peerPort: 0,
    pageUrl: '',
    browser: undefined as unknown as Browser,
    lines,
    log: {
      trace: () => undefined,
      debug: (m) => lines.push(`debug ${m}`),
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${String(m)}`),
    },
    captures: 0,
    inputs: [],
  };
}

export function signalingOf(rig: Rig): HostSessionOptions['signaling'] {
  return { host: '127.0.0.1', port: rig.peerPort, path: '/', secure: false, key: 'peerjs' };
}

export interface Prompts {
  view: { helperName: string; verificationCode: string }[];
  control: string[];
  /** The helper's requests for another monitor, as "helper: monitor" (kept when the test gave a list). */
  monitor?: string[];
  answerView: (allow: boolean) => void;
  answerControl: (allow: boolean) => void;
  answerMonitor?: (allow: boolean) => void;
}

/** The host allows the helper in (its prompt must be up): waits until the panel says `viewing`. */
export async function allowView(page: Page, prompts: Prompts): Promise<void> {
  await waitFor('the consent prompt', () => prompts.view.length > 0);
  prompts.answerView(true);
  await waitFor('viewing', async () => (await helperState(page)).kind === 'viewing');
}

/** The helper clicks Request Control and the host grants it: waits until the panel says `controlling`. */
export async function grantControl(page: Page, prompts: Prompts): Promise<void> {
  const asked = prompts.control.length;
  await page.click('#request-control');
  await waitFor('the control prompt', () => prompts.control.length === asked + 1);
  prompts.answerControl(true);
  await waitFor('controlling', async () => (await helperState(page)).kind === 'controlling');
}

export function newPrompts(): Prompts {
  return { view: [], control: [], monitor: [], answerView: () => undefined, answerControl: () => undefined, answerMonitor: () => undefined };
}

/** Audit events in memory, in order. */
export class MemoryAudit implements AuditLog {
  readonly records: (AuditEvent & AuditParty)[] = [];
  record(event: AuditEvent, party: AuditParty = {}): void {
    this.records.push({ ...party, ...event });
  }
  events(): string[] {
    return this.records.map((r) => r.event);
  }
}

/**
 * A host session on the rig's display and signaling server, with the real agent (counted) and prompts the test
 * answers. `overrides` replace any option (a fake agent, a clock, an audit log...).
 */
export function newHost(rig: Rig, prompts: Prompts, overrides: Partial<HostSessionOptions> = {}): HostSession {
  let resolveView: ((v: boolean) => void) | undefined;
  let resolveControl: ((v: boolean) => void) | undefined;
  let resolveMonitor: ((v: boolean) => void) | undefined;
  prompts.answerView = (v) => resolveView?.(v);
  prompts.answerControl = (v) => resolveControl?.(v);
  prompts.answerMonitor = (v) => resolveMonitor?.(v);
  return new HostSession({
    signaling: signalingOf(rig),
    iceServers: [],
    hostName: 'Ada (test host)',
    lifetimeMinutes: 30,
    consentTimeoutMs: 60_000,
    signalingTimeoutMs: 10_000,
    maxFps: 10,
    startAgent: async () => {
      const agent = await startAgent({ log: rig.log, agentPath: path.join(ROOT, 'dist/agent.js'), env: { ...process.env, DISPLAY: rig.display } });
      const counted: HostAgent = {
        screenSize: () => agent.screenSize(),
        capture: (request) => {
          rig.captures++;
          return agent.capture(request);
        },
        input: (event) => {
          rig.inputs.push(event.type === 'pointerMove' ? 'move' : event.type === 'key' ? `key ${event.code} ${event.down}` : `${event.type} ${JSON.stringify(event)}`);
          agent.input(event);
        },
        releaseAll: () => agent.releaseAll(),
        onInputPause: (listener) => agent.onInputPause(listener),
        onInputBlocked: (listener) => agent.onInputBlocked(listener),
        laser: (at) => {
          rig.inputs.push(at ? `laser ${at.x.toFixed(3)},${at.y.toFixed(3)}` : 'laser hide');
          agent.laser(at);
        },
        onLaserUnavailable: (listener) => agent.onLaserUnavailable(listener),
        monitors: () => agent.monitors(),
        shareMonitor: (name) => agent.shareMonitor(name),
        onMonitorsChanged: (listener) => agent.onMonitorsChanged(listener),
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
      notify: (m) => rig.lines.push(`notify ${m}`),
      askToSwitchMonitor: (r) => {
        prompts.monitor?.push(`${r.helperName}: ${r.monitor.name}`);
        return new Promise((resolve) => (resolveMonitor = resolve));
      },
    },
    log: rig.log,
    ...overrides,
  });
}

/** An agent that touches no desktop: for tests about the handshake, where no frame is ever due. */
export function fakeAgent(): HostAgent {
  return { ...QUIET_AGENT, screenSize: async () => ({ width: 1, height: 1 }), capture: () => Promise.reject(new Error('unused')) };
}

/** The host's PeerJS id and the proof key (base64) of an invitation code. */
export async function idsOf(code: string): Promise<{ hostPeerId: string; proofKey: string }> {
  const decoded = decodeInvitation(code);
  assert.ok(decoded.ok, 'the code decodes');
  return { hostPeerId: await derivePeerId(decoded.invitation.secret), proofKey: toBase64(await deriveProofKey(decoded.invitation.secret)) };
}

/**
 * Opens the helper's panel (the real webview bundle) in a new page and sends it `connect`, as the extension does.
 * Every RTCPeerConnection and data channel the page makes is kept in `window.__pcs` / `window.__channels`, so a
 * test can act as a helper that sends what the panel never would (see `sendRaw`).
 */
export async function openHelper(rig: Rig, code: string | { hostPeerId: string; proofKey: string }, helperName = 'Grace (test helper)'): Promise<Page> {
  const page = await rig.browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('console', (m) => rig.lines.push(`page ${m.type()} ${m.text()}`));
  await page.exposeFunction('__testLog', (text: string) => rig.lines.push(`panel ${text}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __pcs: RTCPeerConnection[]; __channels: RTCDataChannel[] };
    w.__pcs = [];
    w.__channels = [];
    const Original = window.RTCPeerConnection;
    const create = Original.prototype.createDataChannel;
    Original.prototype.createDataChannel = function (this: RTCPeerConnection, ...args: Parameters<RTCPeerConnection['createDataChannel']>) {
      const channel = create.apply(this, args);
      w.__pcs.push(this);
      w.__channels.push(channel);
      return channel;
    };
  });
  await page.goto(rig.pageUrl);
  await page.evaluate(() => {
    const w = window as unknown as { __onFromPanel?: (m: { type: string; level?: string; message?: string }) => void; __testLog(t: string): void };
    w.__onFromPanel = (m) => {
      if (m.type === 'log') void w.__testLog(`${m.level} ${m.message}`);
    };
  });
  const ids = typeof code === 'string' ? await idsOf(code) : code;
  await page.evaluate((m) => (window as unknown as { __toPanel(m: unknown): void }).__toPanel(m), {
    type: 'connect',
    signaling: signalingOf(rig),
    iceServers: [],
    hostPeerId: ids.hostPeerId,
    proofKey: ids.proofKey,
    helperName,
    expectedHostName: '',
    connectTimeoutMs: 10_000,
  });
  return page;
}

export async function helperState(page: Page): Promise<{ kind: string; message?: string; hostName?: string }> {
  return page.evaluate(() => {
    const all = (window as unknown as { __fromPanel: { type: string; state?: { kind: string } }[] }).__fromPanel;
    const states = all.filter((m) => m.type === 'state');
    return (states[states.length - 1]?.state ?? { kind: 'none' }) as { kind: string };
  });
}

/** The panel's log lines (what it posted to the extension), oldest first. */
export async function panelLog(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __fromPanel: { type: string; level?: string; message?: string }[] }).__fromPanel
      .filter((m) => m.type === 'log')
      .map((m) => `${m.level} ${m.message}`),
  );
}

/**
 * Sends messages on the page's open `control` data channel, under the panel's feet: strings as they are, arrays
 * of numbers as bytes. Resolves with how many went out.
 */
export async function sendRaw(page: Page, messages: readonly (string | number[])[]): Promise<number> {
  return page.evaluate((all) => {
    const channel = (window as unknown as { __channels: RTCDataChannel[] }).__channels.find((c) => c.label === 'control' && c.readyState === 'open');
    if (!channel) throw new Error('no open control channel');
    let sent = 0;
    for (const m of all) {
      if (typeof m === 'string') channel.send(m);
      else channel.send(new Uint8Array(m));
      sent++;
    }
    return sent;
  }, messages as (string | number[])[]);
}

/** Frames the panel has drawn so far (the canvas's data-frames). */
export async function framesDrawn(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.querySelector('#screen')?.getAttribute('data-frames') ?? '0'));
}

/** The helper's canvas pixel at a host screen position (the canvas holds the frame at full size). */
export async function canvasPixel(page: Page, x: number, y: number): Promise<[number, number, number]> {
  return page.evaluate(([px, py]) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(px!, py!, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!] as [number, number, number];
  }, [x, y]);
}

/** Where a host screen position is on the helper's page, given the canvas's letterboxed layout. */
export async function pagepoint(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(([px, py]) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const scale = Math.min(r.width / canvas.width, r.height / canvas.height);
    const ox = r.left + (r.width - canvas.width * scale) / 2;
    const oy = r.top + (r.height - canvas.height * scale) / 2;
    return { x: ox + (px! + 0.5) * scale, y: oy + (py! + 0.5) * scale };
  }, [x, y]);
}

/**
 * Where a host screen position is on the helper's page, through the canvas's own box (its bounding client rect,
 * which moves with scrolling, and its pixel size): right in every view mode (fit, 1:1, zoom, scrolled), where
 * `pagepoint` assumes the fit letterbox. `visible`: the point is inside the client area of the stage's scrolling box
 * (not under a scroll bar), so a click there reaches the canvas.
 */
export async function pagepointInView(page: Page, x: number, y: number): Promise<{ x: number; y: number; visible: boolean }> {
  return page.evaluate(([px, py]) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const point = { x: r.left + ((px! + 0.5) * r.width) / canvas.width, y: r.top + ((py! + 0.5) * r.height) / canvas.height };
    // The scrolling box's client area: the picture shown there, its scroll bars left out.
    const view = document.querySelector('#viewport') ?? canvas.parentElement!;
    const b = view.getBoundingClientRect();
    const left = b.left + view.clientLeft;
    const top = b.top + view.clientTop;
    const visible = point.x >= left && point.x < left + view.clientWidth && point.y >= top && point.y < top + view.clientHeight;
    return { ...point, visible };
  }, [x, y]);
}

/** `openHelper` in a browser context of its own, 1000 x 700 at `deviceScaleFactor` (a HiDPI helper's screen). */
export async function openHelperScaled(rig: Rig, code: string | { hostPeerId: string; proofKey: string }, deviceScaleFactor: number): Promise<Page> {
  const context = await rig.browser.newContext({ viewport: { width: 1000, height: 700 }, deviceScaleFactor });
  const scaled: Rig = { ...rig, browser: { newPage: () => context.newPage() } as unknown as Browser };
  const page = await openHelper(scaled, code);
  page.once('close', () => void context.close().catch(() => undefined));
  return page;
}

// --- X probes ---

export function xdotool(rig: Rig, ...args: string[]): string {
  return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: rig.display }, encoding: 'utf8' }).trim();
}

export function windowGeometry(rig: Rig, title: string): { x: number; y: number; width: number; height: number } {
  const id = xdotool(rig, 'search', '--onlyvisible', '--name', `^${title}$`).split('\n')[0]!;
  const out = xdotool(rig, 'getwindowgeometry', '--shell', id);
  const v = Object.fromEntries(out.split('\n').map((l) => l.split('=') as [string, string]));
  return { x: Number(v['X']), y: Number(v['Y']), width: Number(v['WIDTH']), height: Number(v['HEIGHT']) };
}

export function pointer(rig: Rig): { x: number; y: number } {
  const out = xdotool(rig, 'getmouselocation', '--shell');
  const v = Object.fromEntries(out.split('\n').map((l) => l.split('=') as [string, string]));
  return { x: Number(v['X']), y: Number(v['Y']) };
}

/** What the X server says is held down by the XTEST devices nut-js injects through. */
export function heldDown(rig: Rig): string[] {
  return ['pointer', 'keyboard'].flatMap((device) =>
    execFileSync('xinput', ['query-state', `Virtual core XTEST ${device}`], { env: { ...process.env, DISPLAY: rig.display }, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.endsWith('=down')),
  );
}

// --- A helper (or an attacker) in Node: PeerJS with raw connections, no panel ---

/** One data connection from a Node peer, with what it received. */
export interface RawConnection {
  readonly conn: DataConnection;
  /** Control messages received, parsed from JSON where they are JSON. */
  readonly received: unknown[];
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  isOpen(): boolean;
  send(message: unknown): void;
  /** The connection's local and remote SDPs. */
  sdps(): { local: string; remote: string };
  /** Resolves with the first received message that `match` accepts. */
  next<T>(what: string, match: (m: unknown) => T | undefined, timeoutMs?: number): Promise<T>;
}

export interface NodePeer {
  readonly peer: Peer;
  /** The peer's errors (`peer-unavailable` when nobody has the id any more), as `type: message`. */
  readonly errors: string[];
  connect(hostPeerId: string, label: string, serialization?: 'raw' | 'json' | 'binary'): RawConnection;
  destroy(): void;
}

/** A PeerJS peer in this process (the test bundle has the same node-datachannel shims as the extension). */
export async function nodePeer(rig: Rig): Promise<NodePeer> {
  const { Peer: PeerClass } = await import('peerjs');
  const options: import('peerjs').PeerOptions = { ...signalingOf(rig), config: { iceServers: [] }, debug: 0 };
  const peer = new PeerClass(options);
  await new Promise<void>((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', reject);
  });
  const errors: string[] = [];
  peer.on('error', (error: Error & { type?: string }) => errors.push(`${error.type ?? '?'}: ${error.message}`));
  return {
    peer,
    errors,
    destroy: () => peer.destroy(),
    connect(hostPeerId, label, serialization = 'raw') {
      const conn = peer.connect(hostPeerId, { label, serialization, reliable: true });
      const received: unknown[] = [];
      const waiters = new Set<() => void>();
      let open = false;
      const opened = new Promise<void>((resolve) => conn.on('open', () => {
        open = true;
        resolve();
      }));
      const closed = new Promise<void>((resolve) => {
        conn.on('close', () => {
          open = false;
          resolve();
        });
        conn.on('error', () => undefined);
      });
      conn.on('data', (data) => {
        let value: unknown = data;
        if (typeof data === 'string') {
          try {
            value = JSON.parse(data);
          } catch {
            // keep the text
          }
        }
        received.push(value);
        for (const w of [...waiters]) w();
      });
      return {
        conn,
        received,
        opened,
        closed,
        isOpen: () => open && conn.open,
        send: (message) => {
          const payload = typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message);
          void Promise.resolve(conn.send(payload)).catch(() => undefined);
        },
        sdps: () => {
          const pc = conn.peerConnection as unknown as { localDescription?: { sdp?: string }; remoteDescription?: { sdp?: string } } | undefined;
          return { local: pc?.localDescription?.sdp ?? '', remote: pc?.remoteDescription?.sdp ?? '' };
        },
        next<T>(what: string, match: (m: unknown) => T | undefined, timeoutMs = 10_000): Promise<T> {
          return new Promise<T>((resolve, reject) => {
            let seen = 0;
            const check = () => {
              for (; seen < received.length; seen++) {
                const hit = match(received[seen]);
                if (hit !== undefined) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  resolve(hit);
                  return;
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(received).slice(0, 300)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      };
    },
  };
}

/** A received control message of `type`, or undefined. */
export function ofType<T extends string>(type: T): (m: unknown) => (Record<string, unknown> & { type: T }) | undefined {
  return (m) => (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type ? (m as Record<string, unknown> & { type: T }) : undefined);
}

// --- A helper written by hand in Node: the real handshake, with the parts an attacker would change ---

export interface NodeHelperOptions {
  /** The proof key to prove with (base64); a wrong one is a wrong code. */
  readonly proofKey: string;
  readonly helperName?: string;
  /** What the proof is computed over instead of the connection's true binding (a relay's view, say). */
  readonly controlBinding?: (trueBinding: string, sdps: { local: string; remote: string }) => string;
  /** Open the media connection and prove it (over `mediaBinding`'s result if given) once welcomed. */
  readonly media?: boolean;
  readonly mediaBinding?: (trueBinding: string, sdps: { local: string; remote: string }) => string;
  /** Wait this long with the media proof once the media connection is open (a relay is in no hurry). */
  readonly mediaProofDelayMs?: number;
  /** Messages to send instead of the real hello and proof (a replay). */
  readonly replay?: { readonly hello: string; readonly proof: string };
}

export interface NodeHelperRun {
  readonly control: RawConnection;
  media?: RawConnection;
  /** What the host answered the proof with: `welcome`, or the reason of its `bye`, or `closed`/`no answer`. */
  readonly outcome: string;
  /** The hello and proof as sent (to replay them later). */
  readonly sent: { hello: string; proof: string };
}

/** Runs the helper's side of the handshake from Node, as the panel would, with the changes `options` asks for. */
export async function nodeHelper(node: NodePeer, hostPeerId: string, options: NodeHelperOptions, timeoutMs = 10_000): Promise<NodeHelperRun> {
  const errorsBefore = node.errors.length;
  const control = node.connect(hostPeerId, 'control');
  let timer: ReturnType<typeof setInterval> | undefined;
  const settled = await Promise.race([
    control.opened.then(() => 'open'),
    control.closed.then(() => 'closed'),
    new Promise<string>((r) => {
      // Nobody has the id any more: the signaling server says so at once.
      const end = Date.now() + timeoutMs;
      timer = setInterval(() => {
        if (node.errors.slice(errorsBefore).some((e) => e.startsWith('peer-unavailable'))) r('unavailable');
        else if (Date.now() > end) r('no answer');
      }, 50);
    }),
  ]);
  clearInterval(timer);
  const run = (outcome: string, sent = { hello: '', proof: '' }): NodeHelperRun => ({ control, outcome, sent });
  if (settled !== 'open') return run(settled);
  const answer = (what: string) =>
    control.next(what, (m) => {
      const type = (m as { type?: unknown } | undefined)?.type;
      return type === what || type === 'bye' ? (m as Record<string, unknown>) : undefined;
    }, timeoutMs).catch(() => ({ type: 'bye', reason: control.isOpen() ? 'no answer' : 'closed' }) as Record<string, unknown>);
  const helperNonce = newNonce();
  const hello = options.replay?.hello ?? JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, helperName: options.helperName ?? 'Node helper', helperNonce });
  control.send(hello);
  const challenge = await answer('challenge');
  if (challenge['type'] === 'bye') return run(String(challenge['reason']), { hello, proof: '' });
  const key = fromBase64(options.proofKey);
  const sdps = control.sdps();
  const trueBinding = channelBinding(sdps.local, sdps.remote);
  const binding = options.controlBinding ? options.controlBinding(trueBinding, sdps) : trueBinding;
  const transcript = { helperNonce: JSON.parse(hello).helperNonce as string, hostNonce: String(challenge['hostNonce']), binding };
  const proof = options.replay?.proof ?? JSON.stringify({ type: 'proof', mac: await makeProof(key, 'helper', transcript) });
  control.send(proof);
  const welcome = await answer('welcome');
  const result: NodeHelperRun = { control, outcome: welcome['type'] === 'bye' ? String(welcome['reason']) : 'welcome', sent: { hello, proof } };
  if (result.outcome !== 'welcome' || !options.media) return result;
  const media = node.connect(hostPeerId, 'media');
  result.media = media;
  await Promise.race([media.opened, new Promise((r) => setTimeout(r, timeoutMs))]);
  const mediaSdps = media.sdps();
  const trueMedia = channelBinding(mediaSdps.local, mediaSdps.remote);
  const mediaBinding = options.mediaBinding ? options.mediaBinding(trueMedia, mediaSdps) : trueMedia;
  if (options.mediaProofDelayMs) await new Promise((r) => setTimeout(r, options.mediaProofDelayMs));
  control.send({ type: 'mediaProof', mac: await makeMediaProof(key, transcript, mediaBinding) });
  return result;
}

/** A binding with the remote side's fingerprint replaced by another: what each side sees when a relay terminates DTLS. */
export function relayedBinding(sdps: { local: string; remote: string }): string {
  const relay = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return channelBinding(sdps.local, `a=fingerprint:sha-256 ${relay}\r\n`);
}

// --- A host written by hand in Node: the real handshake, then whatever a hostile host would send ---

/** A host that proves itself like the real one, then sends what the test tells it to. */
export interface NodeHost {
  /** What the helper's panel needs to connect (`openHelper` takes it). */
  readonly ids: { hostPeerId: string; proofKey: string };
  /** Control messages from the helper, parsed. */
  readonly received: Record<string, unknown>[];
  /** Resolves once the helper has proved its media connection: the host may grant viewing and send frames. */
  readonly verified: Promise<void>;
  /** A control message to the helper, as JSON text. */
  say(message: unknown): void;
  /** A frame's chunks on the media connection. */
  sendFrame(id: number, frame: import('../../src/shared/frames').EncodedFrame): void;
  /** Resolves with the first control message from the helper of `type`. */
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  destroy(): void;
}

/** Registers a host on the rig's signaling server under a fresh id and key, and answers the panel's handshake. */
export async function nodeHost(rig: Rig, hostName = 'Mallory (test host)'): Promise<NodeHost> {
  const { Peer: PeerClass } = await import('peerjs');
  const { chunkFrame } = await import('../../src/shared/frames');
  const key = crypto.getRandomValues(new Uint8Array(32));
  const hostPeerId = `ra-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const peer = new PeerClass(hostPeerId, { ...signalingOf(rig), config: { iceServers: [] }, debug: 0 });
  await new Promise<void>((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', reject);
  });
  const received: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let control: DataConnection | undefined;
  let media: DataConnection | undefined;
  let transcript: { helperNonce: string; hostNonce: string; binding: string } | undefined;
  let onVerified: () => void = () => undefined;
  const verified = new Promise<void>((r) => (onVerified = r));
  const sdpsOf = (conn: DataConnection) => {
    const pc = conn.peerConnection as unknown as { localDescription?: { sdp?: string }; remoteDescription?: { sdp?: string } } | undefined;
    return { local: pc?.localDescription?.sdp ?? '', remote: pc?.remoteDescription?.sdp ?? '' };
  };
  const say = (message: unknown) => {
    if (control?.open) void Promise.resolve(control.send(JSON.stringify(message))).catch(() => undefined);
  };
  const onControl = async (m: Record<string, unknown>) => {
    if (m['type'] === 'hello') {
      const sdps = sdpsOf(control!);
      transcript = { helperNonce: String(m['helperNonce']), hostNonce: newNonce(), binding: channelBinding(sdps.local, sdps.remote) };
      say({ type: 'challenge', hostNonce: transcript.hostNonce });
    } else if (m['type'] === 'proof' && transcript) {
      const mac = await makeProof(key, 'host', transcript);
      say({ type: 'welcome', mac, hostName, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 1_800_000).toISOString(), consentTimeoutMs: 60_000 });
    } else if (m['type'] === 'mediaProof') {
      onVerified();
    }
  };
  // The panel ends a session whose host falls silent, as the real host's heartbeats prevent.
  const heartbeat = setInterval(() => say({ type: 'heartbeat' }), 250);
  peer.on('connection', (conn) => {
    if (conn.label === 'media') {
      media = conn;
      return;
    }
    control = conn;
    conn.on('data', (data) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      received.push(m);
      for (const w of [...waiters]) w();
      void onControl(m);
    });
  });
  return {
    ids: { hostPeerId, proofKey: toBase64(key) },
    received,
    verified,
    say,
    sendFrame: (id, frame) => {
      for (const chunk of chunkFrame(id, frame)) void Promise.resolve(media?.send(chunk)).catch(() => undefined);
    },
    next: (type, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = received.find((m) => m['type'] === type);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${type} from the helper; received ${JSON.stringify(received).slice(0, 300)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    destroy: () => {
      clearInterval(heartbeat);
      peer.destroy();
    },
  };
}

/**
 * A rig's shared pieces, in the order a test needs them: an X display of `screen`'s size when one is asked for, a
 * PeerServer and the page server on 127.0.0.1, and Chromium. `stopRig` ends them and keeps the rig's log.
 */
export async function startRig(rig: Rig, stack: Stack, screen?: { readonly width: number; readonly height: number }): Promise<void> {
  if (screen) rig.display = await startXvfb(stack, screen.width, screen.height);
  rig.peerPort = await startPeerServer(stack);
  rig.pageUrl = await startPageServer(stack);
  rig.browser = await launchChromium(stack);
}

/**
 * A host session (newHost) ended with the stack, started, and a helper's panel viewing it with its first frame
 * drawn: how most integration tests begin.
 */
export async function startViewing(rig: Rig, stack: Stack, prompts: Prompts, overrides: Partial<HostSessionOptions> = {}): Promise<{ host: HostSession; page: Page }> {
  const host = newHost(rig, prompts, overrides);
  stack.add(() => host.end());
  await host.start();
  const page = await openHelper(rig, host.code);
  await allowView(page, prompts);
  await page.waitForSelector('#screen:not([data-frames="0"])[data-frames]');
  return { host, page };
}

/** Stops everything the test started and leaves the rig's log in test-results/NAME.log. */
export async function stopRig(rig: Rig, stack: Stack, name: string): Promise<void> {
  await stack.stop();
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-results', `${name}.log`), rig.lines.join('\n') + '\n');
}
