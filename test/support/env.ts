/**
 * The real pieces for integration tests, all on this machine: an X display (Xvfb), a PeerServer on 127.0.0.1,
 * a static server for the helper's page, headless Chromium (playwright-core), xterm windows. Each starter
 * returns something to stop; `Stack` stops everything in reverse order.
 */

import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

export class Stack {
  private readonly stops: (() => unknown)[] = [];
  add(stop: () => unknown): void {
    this.stops.push(stop);
  }
  /** Stops everything, newest first; a stop that hangs is given up on after 5 s. */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await Promise.race([stop(), new Promise((r) => setTimeout(r, 5_000).unref())]);
      } catch {
        // keep stopping the rest
      }
    }
  }
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Ends a detached child and its process group: SIGTERM (so Xvfb removes its lock and socket), then SIGKILL. */
async function killTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  const exited = new Promise((r) => child.once('exit', r));
  signal('SIGTERM');
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref())]);
  if (!done) signal('SIGKILL');
}

/**
 * Starts Xvfb on a display number of its own (see freshDisplayNumber; `-displayfd` still tells when it accepts
 * connections) and returns its DISPLAY. Stopped with SIGTERM, so that it removes
 * its socket and lock file.
 */
export async function startXvfb(stack: Stack, width = 1280, height = 800, extraArgs: readonly string[] = []): Promise<string> {
  // Seen about once in ten runs of the integration suite: an Xvfb that wrote its display number had failed to
  // listen ("SocketCreateListener() failed ... server already running": the previous file's server on that number
  // was still letting go of it), and refused every client. So the display is opened once before it is handed out;
  // a server that cannot be reached is kept until a new one is up, so that the new one takes another number.
  const failed: (() => Promise<void>)[] = [];
  let last = '';
  try {
    for (let attempt = 1; attempt <= 3; attempt++) {
      let started: Awaited<ReturnType<typeof spawnXvfb>>;
      try {
        started = await spawnXvfb(width, height, extraArgs);
      } catch (error) {
        // Its number was taken meanwhile ("server already running"): another number next time.
        last = error instanceof Error ? error.message : String(error);
        continue;
      }
      const { display, stop, stderr } = started;
      if (await opens(display)) {
        stack.add(stop);
        return display;
      }
      last = `Xvfb on ${display} accepted no client (attempt ${attempt}): ${stderr().trim()}`;
      process.stderr.write(`${last}\n`);
      failed.push(stop);
    }
  } finally {
    for (const stop of failed) await stop();
  }
  throw new Error(last);
}

/**
 * A display number for a new Xvfb: random in a high range, never one whose lock file is there. `-displayfd` would take
 * the lowest free number, which is the one the previous test file's server has just let go of; seen (CI, twice in
 * this session's runs): a new server on that number passed the xdpyinfo check and an xterm then could not open it.
 */
function freshDisplayNumber(): number {
  for (;;) {
    const n = 100 + Math.floor(Math.random() * 5000);
    if (!fs.existsSync(`/tmp/.X${n}-lock`) && !fs.existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
}

async function spawnXvfb(width: number, height: number, extraArgs: readonly string[]): Promise<{ display: string; stop: () => Promise<void>; stderr: () => string }> {
  const number = freshDisplayNumber();
  // -noreset: an X server resets when its last client leaves, and a client that connects meanwhile is refused ("Can't
  // open display"): the check below is such a last client, and an xterm started right after it was seen refused.
  const xvfb = spawn('Xvfb', [`:${number}`, '-displayfd', '1', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  xvfb.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const stop = () => killTree(xvfb);
  try {
    const display = await new Promise<string>((resolve, reject) => {
      let out = '';
      xvfb.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(`:${m[1]}`);
      });
      xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.trim()}`)));
      setTimeout(() => reject(new Error(`Xvfb did not start within 15 s: ${stderr.trim()}`)), 15_000).unref();
    });
    return { display, stop, stderr: () => stderr };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Whether the display answers a client within a few seconds (xdpyinfo, from x11-utils). A server that answers
 * "authorization required" answers: some tests want exactly that.
 */
async function opens(display: string): Promise<boolean> {
  const end = Date.now() + 3_000;
  for (;;) {
    const r = spawnSync('xdpyinfo', ['-display', display], { encoding: 'utf8', timeout: 2_000 });
    if (r.status === 0 || /authori[sz]ation|MIT-MAGIC-COOKIE/i.test(`${r.stdout}${r.stderr}`)) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a window on the display; resolves once it is mapped. */
export async function startXterm(stack: Stack, display: string, args: string[], title: string): Promise<ChildProcess> {
  const child = spawn('xterm', ['-title', title, ...args], { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  stack.add(() => killTree(child));
  await waitFor(`window ${title}`, () => {
    if (child.exitCode !== null) throw new Error(`xterm exited (${child.exitCode}): ${stderr.trim()}`);
    const out = execFileSync('xdotool', ['search', '--onlyvisible', '--name', `^${title}$`], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' });
    return out.trim().length > 0;
  }, 15_000, 100);
  return child;
}

/**
 * A PeerServer on 127.0.0.1 in its own process, as in real use (in-process, its housekeeping timers would keep the
 * test process alive forever). Resolves with its port.
 */
export async function startPeerServer(stack: Stack): Promise<number> {
  const script = "require('peer').PeerServer({ port: 0, host: '127.0.0.1', path: '/' }, (s) => console.log('port=' + s.address().port));";
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  stack.add(() => killTree(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`PeerServer exited (${code})`)));
  });
}

/** Serves the helper's test page with the real webview bundle and stylesheet. */
export async function startPageServer(stack: Stack): Promise<string> {
  const files: Record<string, [string, string]> = {
    '/': [path.join(ROOT, 'test/support/page/helper.html'), 'text/html'],
    '/helper.html': [path.join(ROOT, 'test/support/page/helper.html'), 'text/html'],
    '/webview.js': [path.join(ROOT, 'dist/webview.js'), 'text/javascript'],
    '/panel.css': [path.join(ROOT, 'media/panel.css'), 'text/css'],
  };
  const server = http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]!];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[1] }).end(fs.readFileSync(file[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stack.add(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r(undefined)); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/helper.html`;
}

export async function launchChromium(stack: Stack): Promise<import('playwright-core').Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
  });
  stack.add(() => browser.close());
  return browser;
}

/**
 * What a person's fingers do on a US keyboard to type `text`: physical keys (KeyboardEvent.code), with Shift held
 * for shifted symbols. Playwright's `keyboard.type` would send the characters without a Shift key event.
 */
export function keystrokes(text: string): { code: string; shift: boolean }[] {
  const shifted: Record<string, string> = {
    '!': 'Digit1', '@': 'Digit2', '#': 'Digit3', $: 'Digit4', '%': 'Digit5', '^': 'Digit6', '&': 'Digit7', '*': 'Digit8',
    '(': 'Digit9', ')': 'Digit0', _: 'Minus', '+': 'Equal', '{': 'BracketLeft', '}': 'BracketRight', '|': 'Backslash',
    ':': 'Semicolon', '"': 'Quote', '<': 'Comma', '>': 'Period', '?': 'Slash', '~': 'Backquote',
  };
  const plain: Record<string, string> = {
    ' ': 'Space', '-': 'Minus', '=': 'Equal', '[': 'BracketLeft', ']': 'BracketRight', '\\': 'Backslash', ';': 'Semicolon',
    "'": 'Quote', ',': 'Comma', '.': 'Period', '/': 'Slash', '`': 'Backquote', '\n': 'Enter',
  };
  return [...text].map((ch) => {
    if (/[a-z]/.test(ch)) return { code: `Key${ch.toUpperCase()}`, shift: false };
    if (/[A-Z]/.test(ch)) return { code: `Key${ch}`, shift: true };
    if (/[0-9]/.test(ch)) return { code: `Digit${ch}`, shift: false };
    if (shifted[ch]) return { code: shifted[ch], shift: true };
    if (plain[ch]) return { code: plain[ch], shift: false };
    throw new Error(`no key for ${JSON.stringify(ch)}`);
  });
}

/** Types through Playwright as physical keys, Shift and all. */
export async function typePhysically(page: import('playwright-core').Page, text: string): Promise<void> {
  for (const { code, shift } of keystrokes(text)) {
    if (shift) await page.keyboard.down('ShiftLeft');
    await page.keyboard.press(code);
    if (shift) await page.keyboard.up('ShiftLeft');
  }
}
