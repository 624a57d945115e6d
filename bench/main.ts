/**
 * `npm run bench`: the product, the baseline and a peer (x11vnc + noVNC), measured side by side in one run on
 * one X display at 1920x1080, host and helper on 127.0.0.1. See bench/README.md for what each figure means.
 *
 * The pieces are the integration tests' own (test/support/env.ts, session.ts): Xvfb, a PeerServer, the
 * helper's page with the real webview bundle in headless Chromium. The host runs the real HostSession and agent
 * in a process of its own (bench/host.ts), so that its CPU and memory can be read apart. The host's screen is
 * one window (bench/window.c) that shows code, a click target and a barcode of the time it was drawn; the page
 * probe (bench/probe.ts) reads the helper's view every animation frame.
 *
 * Benchmarks print; they do not fail: a system that breaks gets nulls and a note, and the exit code is 0
 * unless the harness itself cannot run.
 */

import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Browser, Frame, Page } from 'playwright-core';
import { ROOT, Stack, launchChromium, startPageServer, startPeerServer, startXvfb, waitFor } from '../test/support/env';
import { helperState, newRig, openHelper, type Rig } from '../test/support/session';
import { openEditorHelper } from './editor';
import { withConnect } from '../test/support/turn';
import type { IceServer } from '../src/shared/settings';
import type { HostConfig } from './host';
import { installProbe, type Probe, type ProbeConfig } from './probe';
import { profilingEnv, summariseProfiles } from './profiles';
import { mergeResults } from './merge';
import { childrenNamed, cpuMark, cpuPercent, rssByProcess, rssMb } from './proc';
import { linkProfilesFrom, linksTable, measureLinks } from './links';
import { emptyFigures, percentile, percentiles, psnr, round, table, type Figures, type Results } from './stats';

// --- Settings ---

const args = process.argv.slice(2);
const flag = (name: string, env: string) => args.includes(`--${name}`) || /^(1|true|yes)$/i.test(process.env[env] ?? '');
const option = (name: string, env: string, fallback: number) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = Number(a ? a.slice(name.length + 3) : (process.env[env] ?? NaN));
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const WITH_PEER = flag('with-peer', 'BENCH_WITH_PEER');
/** Also the product with its helper panel inside a real VS Code (code-server), beside the bare page: editor.ts. */
const EDITOR = flag('editor', 'BENCH_EDITOR');
/** CPU profiles of the host's processes (host session and agent), summarised at the end: profiles.ts. */
const PROFILE = flag('profile', 'BENCH_PROFILE');
const LONG = flag('long', 'BENCH_LONG');
/** Seconds each of the static, typing and scrolling phases is measured for. */
const PHASE_S = option('phase-seconds', 'BENCH_PHASE_SECONDS', 8);
const CLICKS = option('clicks', 'BENCH_CLICKS', 50);
const LONG_MIN = option('long-minutes', 'BENCH_LONG_MINUTES', 10);
/** Emulated links to measure on instead of loopback (`--link=lan,home,mobile`; bench/links.ts). */
const LINKS = (() => {
  try {
    return linkProfilesFrom(args, process.env);
  } catch (error) {
    console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
    return process.exit(1);
  }
})();
const ONLY = (args.find((x) => x.startsWith('--only='))?.slice(7) ?? process.env['BENCH_ONLY'] ?? 'product,baseline,peer').split(',');
/**
 * What scrolls in the scrolling phase: `alike`, code whose lines repeat (blank lines, braces, the same lines
 * again, no line numbers: what a detector that needs unique rows fails on); `source`, the window's own source
 * with line numbers (every line unique, the content of runs before the drag phase was added).
 */
const SCROLL_CONTENT = (args.find((x) => x.startsWith('--scroll-content='))?.slice(17) ?? process.env['BENCH_SCROLL_CONTENT'] ?? 'alike') === 'source' ? 'source' : 'alike';

const SCREEN = { width: 1920, height: 1080 };
/** The helper's browser window (both systems): a laptop-sized view of a 1080p host. */
const VIEWPORT = { width: 1280, height: 800 };
/** Where the target and the barcode are on the host's screen: inside the top-left of noVNC's 1:1 view. */
const TARGET = { x: 100, y: 140, width: 400, height: 300 };
const BARCODE = { x: 640, y: 160, cell: 16, cols: 12, rows: 4 };
const COLOURS = { a: [220, 40, 40], b: [40, 60, 230] };
/** Where text fidelity is compared: the top-left of the screen, which every system's view shows. */
const FIDELITY_AREA = { width: 1280, height: 800 };
/**
 * How often the window redraws (barcode, scroll or drag step), on average: each interval is jittered to 0.5-1.5
 * times the period, so that runs do not lock in phase with the helper's 60 Hz. How far it scrolls per redraw.
 */
const WINDOW_HZ = 60;
const SCROLL_PX = 4;
/** The window dragged in the drag phase, and its step per redraw (it bounces off the screen's edges). */
const DRAG = { width: 900, height: 600, dx: 6, dy: 4 };
/**
 * The video phase's region: every pixel changes `hz` times a second on average (jittered as the main clock), with
 * the barcode inside it (BARCODE lies within), clear of the click target.
 */
const VIDEO = { x: 600, y: 120, width: 640, height: 360, hz: 30 };

const OUT = path.join(ROOT, 'out/bench');
const LOGS = path.join(OUT, 'logs');
const PROFILES = path.join(OUT, 'profiles');
const RESULTS = path.join(ROOT, 'bench/results');

type SystemName = 'product' | 'baseline' | 'peer';
/** What is measured: a system, or the product with its panel in VS Code (`--editor`, figures in `product.editor`). */
type RunName = SystemName | 'editor';

const say = (m: string) => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

// --- The host window ---

/** What the window does (bench/window.c): still, a small region changing, a page scrolling, a window dragged. */
type WindowMode = 'static' | 'typing' | 'scroll' | 'scroll-alike' | 'drag' | 'video';
const SCROLL_MODE: WindowMode = SCROLL_CONTENT === 'alike' ? 'scroll-alike' : 'scroll';

class HostWindow {
  private readonly waiters: ((line: string) => boolean)[] = [];
  /** Presses on the target as the window saw them: epoch ms. */
  readonly clicks: number[] = [];

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const click = /^click \d+ (\d+)$/.exec(line);
      if (click) this.clicks.push(Number(click[1]));
      for (const w of [...this.waiters]) if (w(line)) this.waiters.splice(this.waiters.indexOf(w), 1);
    });
  }

  static async start(stack: Stack, display: string): Promise<HostWindow> {
    const argv = [
      SCREEN.width, SCREEN.height, path.join(ROOT, 'bench/window.c'), TARGET.x, TARGET.y, TARGET.width, TARGET.height, BARCODE.x, BARCODE.y, BARCODE.cell, WINDOW_HZ, SCROLL_PX,
      DRAG.width, DRAG.height, DRAG.dx, DRAG.dy, VIDEO.x, VIDEO.y, VIDEO.width, VIDEO.height, VIDEO.hz,
    ];
    const child = spawn(path.join(OUT, 'bench-window'), argv.map(String), { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'pipe', 'inherit'] });
    stack.add(() => child.kill());
    const w = new HostWindow(child);
    await w.next('ready', 10_000);
    return w;
  }

  private next(line: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the host window did not say "${line}"`)), timeoutMs);
      this.waiters.push((l) => {
        if (l !== line) return false;
        clearTimeout(timer);
        resolve();
        return true;
      });
    });
  }

  async mode(mode: WindowMode): Promise<void> {
    const ack = this.next(`mode ${mode}`, 5_000);
    this.child.stdin!.write(`mode ${mode}\n`);
    await ack;
  }
}

// --- Systems: what serves the screen, and the page that views it ---

interface Running {
  /** Processes whose CPU and memory are the host's. */
  readonly hostPids: number[];
  /** The helper's page (its mouse clicks)... */
  readonly page: Page;
  /** ...and the document in it that shows the host's screen, where the probe reads: the page itself, or a frame. */
  readonly view: Page | Frame;
  /** A point of the view's document in the page's coordinates. */
  toPage(point: { x: number; y: number }): Promise<{ x: number; y: number }>;
  /** How the page's view maps to the host's screen (see ProbeConfig). */
  readonly oneToOne: boolean;
  /** Bytes received by the page so far, over the system's transport. */
  bytes(): Promise<number>;
  /** Makes the page's clicks reach the host (asks for control where that is needed). */
  takeControl(): Promise<void>;
  stop(): Promise<void>;
}

function probeConfig(selector: string | null, oneToOne: boolean): ProbeConfig {
  return { selector, oneToOne, screen: SCREEN, barcode: BARCODE, target: TARGET, colours: COLOURS };
}

async function newProbedPage(browser: Browser, config: ProbeConfig): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.addInitScript(installProbe, config);
  return page;
}

/**
 * With --profile, the helper's page too: V8's sampling profiler through the DevTools protocol, from now until the
 * returned function writes the profile into `dir` (JavaScript only: Chromium's raster and compositing threads are not
 * in it).
 */
async function profilePage(page: Page, dir: string): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `CPU.${Date.now()}.panel.cpuprofile`), JSON.stringify(profile));
  };
}

/** The product's host session in its own process (bench/host.ts), once it has an invitation code. */
async function startHost(name: RunName, rig: Rig, maxFps: number, frameSource: string | undefined, ice?: { iceServers: IceServer[]; iceTransportPolicy: 'relay' }): Promise<{ pid: number; code: string; stop: () => Promise<void> }> {
  const config: HostConfig = { root: ROOT, display: rig.display, peerPort: rig.peerPort, maxFps, ...(frameSource ? { frameSource } : {}), ...ice };
  const logFile = fs.openSync(path.join(LOGS, `host-${name}.log`), 'w');
  const host = fork(path.join(OUT, 'bundle/host.js'), [JSON.stringify(config)], {
    env: { ...process.env, DISPLAY: rig.display, ...(PROFILE ? profilingEnv(path.join(PROFILES, name), ROOT) : {}) },
    stdio: ['ignore', logFile, logFile, 'ipc'],
    execArgv: [],
  });
  const messages: { type: string; code?: string; kind?: string; message?: string }[] = [];
  host.on('message', (m: { type: string }) => messages.push(m));
  const stop = async () => {
    if (host.exitCode !== null || host.signalCode !== null) return;
    const exited = new Promise((r) => host.once('exit', r));
    if (host.connected) host.send({ type: 'end' });
    await Promise.race([exited, sleep(3_000)]);
    if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
    fs.closeSync(logFile);
  };
  try {
    const code = await waitFor('the host session to open', () => {
      const failed = messages.find((m) => m.type === 'failed');
      if (failed) throw new Error(failed.message);
      if (host.exitCode !== null) throw new Error(`the host process exited (${host.exitCode})`);
      return messages.find((m) => m.type === 'code')?.code;
    }, 30_000);
    return { pid: host.pid!, code, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Asks for control from the panel's toolbar, unless the helper has it. */
async function takeControl(view: Page | Frame): Promise<void> {
  const state = () => view.getAttribute('#app', 'data-state');
  if ((await state()) === 'controlling') return;
  await view.click('#request-control');
  await waitFor('control', async () => (await state()) === 'controlling', 15_000, 100);
}

/** The product (or the baseline): the host session in its own process, the helper's real panel in Chromium. */
async function startProduct(
  name: SystemName,
  rig: Rig,
  browser: Browser,
  maxFps: number,
  frameSource: string | undefined,
  ice?: { iceServers: IceServer[]; iceTransportPolicy: 'relay' },
): Promise<Running> {
  const host = await startHost(name, rig, maxFps, frameSource, ice);
  try {
    // openHelper is the integration tests' own: it opens the panel and sends it `connect` as the extension does.
    // Its page comes from the rig's browser, which here gives it the bench's viewport and probe.
    rig.browser = new Proxy(browser, {
      get(target, prop, receiver) {
        if (prop === 'newPage') return () => newProbedPage(target, probeConfig('#screen', false));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const page = await openHelper(ice ? withConnect(rig, ice) : rig, host.code, 'Bench helper');
    await waitFor('viewing', async () => ['viewing', 'controlling'].includes((await helperState(page)).kind), 30_000, 100);
    const panelProfile = PROFILE ? await profilePage(page, path.join(PROFILES, name)) : undefined;
    return {
      hostPids: [host.pid],
      page,
      view: page,
      toPage: async (point) => point,
      oneToOne: false,
      bytes: () => page.evaluate(() => (window as unknown as { __bench: Probe }).__bench.rtcBytes()),
      takeControl: () => takeControl(page),
      stop: async () => {
        await panelProfile?.().catch((error: unknown) => say(`note: the panel's profile was not written: ${String(error)}`));
        await page.close().catch(() => undefined);
        await host.stop();
      },
    };
  } catch (error) {
    await host.stop();
    throw error;
  }
}

/** The product with the helper's panel inside VS Code (code-server): `--editor`, see editor.ts. */
async function startProductInEditor(rig: Rig, browser: Browser, maxFps: number): Promise<Running> {
  const host = await startHost('editor', rig, maxFps, undefined);
  const stack = new Stack();
  try {
    const helper = await openEditorHelper({ stack, browser, viewport: VIEWPORT, peerPort: rig.peerPort, code: host.code, probe: probeConfig('#screen', false) });
    const view = helper.view;
    return {
      hostPids: [host.pid],
      page: helper.page,
      view,
      toPage: (point) => helper.toPage(point),
      oneToOne: false,
      bytes: () => view.evaluate(() => (window as unknown as { __bench: Probe }).__bench.rtcBytes()),
      takeControl: () => takeControl(view),
      stop: async () => {
        await stack.stop();
        await host.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    await host.stop();
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function spawnGroup(name: string, command: string, argv: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stop: () => Promise<void> } {
  const logFile = fs.openSync(path.join(LOGS, `${name}.log`), 'w');
  const child = spawn(command, argv, { env, stdio: ['ignore', logFile, logFile], detached: true });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, sleep(3_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    fs.closeSync(logFile);
  };
  return { child, stop };
}

const NOVNC_DIR = '/usr/share/novnc';

/** noVNC's files over HTTP on 127.0.0.1. */
async function serveNoVnc(): Promise<{ url: string; stop: () => Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
    '.ico': 'image/x-icon', '.json': 'application/json', '.oga': 'audio/ogg', '.mp3': 'audio/mpeg', '.woff': 'font/woff',
  };
  const server = http.createServer((req, res) => {
    const file = path.normalize(path.join(NOVNC_DIR, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    if (!file.startsWith(NOVNC_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    stop: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function peerInstalled(): boolean {
  const has = (tool: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  return has('x11vnc') && has('websockify') && fs.existsSync(path.join(NOVNC_DIR, 'vnc.html'));
}

/** The peer: x11vnc on the display, websockify in front of it, noVNC's own page in Chromium, all at their defaults. */
async function startPeer(display: string, browser: Browser, proxy?: (port: number) => Promise<number>): Promise<Running> {
  const vncPort = await freePort();
  const x11vnc = spawnGroup('x11vnc', 'x11vnc', ['-display', display, '-rfbport', String(vncPort), '-localhost', '-nopw', '-forever', '-shared'], {
    ...process.env,
    DISPLAY: display,
  });
  const stops = [x11vnc.stop];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    await waitFor('x11vnc to listen', async () => {
      if (x11vnc.child.exitCode !== null) throw new Error(`x11vnc exited (${x11vnc.child.exitCode}); see out/bench/logs/x11vnc.log`);
      return listening(vncPort);
    }, 15_000, 100);
    const wsPort = await freePort();
    // websockify as the WebSocket-to-TCP proxy only: with --web it would also serve noVNC's files, one forked
    // process per keep-alive connection of the browser's, and count as host memory; a web server does that part.
    const websockify = spawnGroup('websockify', 'websockify', [`127.0.0.1:${wsPort}`, `127.0.0.1:${vncPort}`], process.env);
    stops.push(websockify.stop);
    await waitFor('websockify to listen', async () => {
      if (websockify.child.exitCode !== null) throw new Error(`websockify exited (${websockify.child.exitCode}); see out/bench/logs/websockify.log`);
      return listening(wsPort);
    }, 15_000, 100);
    const web = await serveNoVnc();
    stops.push(web.stop);
    const page = await newProbedPage(browser, probeConfig(null, true));
    const lines: string[] = [];
    page.on('console', (m) => lines.push(`${m.type()} ${m.text()}`));
    stops.push(async () => {
      await page.close().catch(() => undefined);
      fs.writeFileSync(path.join(LOGS, 'helper-peer.log'), lines.join('\n') + '\n');
    });
    // noVNC's own page, as a person would open it; `autoconnect` only saves the click on Connect.
    await page.goto(`${web.url}/vnc.html?autoconnect=true&host=127.0.0.1&port=${proxy ? await proxy(wsPort) : wsPort}`);
    return {
      hostPids: [x11vnc.child.pid!, websockify.child.pid!],
      page,
      view: page,
      toPage: async (point) => point,
      oneToOne: true,
      bytes: () => page.evaluate(() => (window as unknown as { __bench: Probe }).__bench.wsBytes),
      takeControl: async () => undefined,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

// --- Measuring ---

const bench = (page: Page | Frame) => ({
  reset: () => page.evaluate(() => {
    const b = (window as unknown as { __bench: Probe }).__bench;
    b.observations = [];
    b.badReads = 0;
    b.recording = true;
  }),
  collect: () => page.evaluate(() => {
    const b = (window as unknown as { __bench: Probe }).__bench;
    b.recording = false;
    return { observations: b.observations, badReads: b.badReads };
  }),
});

/** Waits until the view shows the barcode (the picture is there and readable). */
async function waitForPicture(page: Page | Frame): Promise<void> {
  const state = () => page.evaluate(() => {
    const b = (window as unknown as { __bench: Probe }).__bench;
    return { ticks: b.ticks, reads: b.reads, goodReads: b.goodReads, badReads: b.badReads, view: b.viewSize() };
  });
  try {
    await waitFor('the host screen in the helper view, with a readable barcode', async () => (await state()).goodReads > 0, 30_000, 100);
  } catch (error) {
    throw new Error(`${errorText(error)} (probe: ${JSON.stringify(await state().catch((e: unknown) => errorText(e)))})`);
  }
}

/**
 * The picture's return after a cut: the window keeps changing (typing), the link is cut and comes back (`cut`
 * resolves then), and the first new picture the helper paints after that moment is the answer (ms), or null after 30 s.
 */
async function resumeAfterCut(win: HostWindow, sys: Running, cut: () => Promise<void>): Promise<number | null> {
  await win.mode('typing');
  await sleep(1_000);
  const b = bench(sys.view);
  await b.reset();
  await cut();
  const backAt = Date.now();
  try {
    return await waitFor('a new picture after the cut', async () => {
      const painted = await sys.view.evaluate(() => (window as unknown as { __bench: Probe }).__bench.observations.map(([, seen]) => seen));
      const first = painted.find((t) => t > backAt);
      return first === undefined ? undefined : first - backAt;
    }, 30_000, 50);
  } catch {
    return null;
  } finally {
    await b.collect();
    await win.mode('static');
  }
}

/** RSS of the set every 500 ms for `ms`. */
async function sampleRss(pids: readonly number[], ms: number): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    samples.push(rssMb(pids));
    await sleep(Math.min(500, Math.max(0, end - performance.now())));
  }
  return samples;
}

/** Processes that are not the host's but share the cores: for the notes. */
const others = {
  xvfb: [] as number[],
  chromium: [] as number[],
};

interface PhaseResult {
  /** CPU of Xvfb and of the helper's Chromium over the phase (% of a core). */
  xvfbPct: number;
  chromiumPct: number;
  /** Median of the host's RSS sampled every 500 ms (a transient child such as `import` is there or not). */
  rssMb: number;
  latencies: number[];
  /** When each new barcode value was painted (epoch ms). */
  seen: number[];
  fps: number;
  kbps: number;
  cpuPct: number;
  badReads: number;
}

async function phase(win: HostWindow, sys: Running, mode: WindowMode, seconds: number): Promise<PhaseResult> {
  await win.mode(mode);
  await sleep(1_000); // the first frames after a change of mode are not the steady state
  const b = bench(sys.view);
  await b.reset();
  const bytes0 = await sys.bytes();
  const cpu0 = cpuMark(sys.hostPids);
  const x0 = cpuMark(others.xvfb);
  const c0 = cpuMark(others.chromium);
  const t0 = performance.now();
  const rss = await sampleRss(sys.hostPids, seconds * 1000);
  const bytes1 = await sys.bytes();
  const cpu1 = cpuMark(sys.hostPids);
  const x1 = cpuMark(others.xvfb);
  const c1 = cpuMark(others.chromium);
  const elapsed = (performance.now() - t0) / 1000;
  const { observations, badReads } = await b.collect();
  return {
    xvfbPct: cpuPercent(x0, x1),
    chromiumPct: cpuPercent(c0, c1),
    rssMb: percentile(rss, 50) ?? 0,
    latencies: observations.map(([drawn, seen]) => seen - drawn),
    seen: observations.map(([, seen]) => seen),
    fps: observations.length / elapsed,
    kbps: ((bytes1 - bytes0) * 8) / 1000 / elapsed,
    cpuPct: cpuPercent(cpu0, cpu1),
    badReads,
  };
}

/**
 * The host's screen and the helper's view at the same moment, compared: PSNR over FIDELITY_AREA (the part of
 * the screen every system's view holds), after the view is mapped back to host pixels.
 */
async function textFidelity(display: string, sys: Running, name: RunName): Promise<number | null> {
  const hostPng = path.join(LOGS, `fidelity-${name}-host.png`);
  const helperPng = path.join(LOGS, `fidelity-${name}-helper.png`);
  const [, shot] = await Promise.all([
    new Promise<void>((resolve, reject) => {
      const p = spawn('import', ['-window', 'root', hostPng], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' });
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`import exited ${code}`))));
    }),
    sys.view.evaluate(() => {
      const b = (window as unknown as { __bench: Probe }).__bench;
      return { url: b.snapshot(), size: b.viewSize() };
    }),
  ]);
  if (!shot.url || !shot.size) return null;
  fs.writeFileSync(helperPng, Buffer.from(shot.url.slice(shot.url.indexOf(',') + 1), 'base64'));
  const { width: w, height: h } = FIDELITY_AREA;
  // The view's part that shows the area: 1:1, or scaled by the view's size against the screen's.
  const vw = sys.oneToOne ? w : Math.round((w * shot.size.width) / SCREEN.width);
  const vh = sys.oneToOne ? h : Math.round((h * shot.size.height) / SCREEN.height);
  const raw = (file: string, cw: number, ch: number) =>
    execFileSync('convert', [file, '-alpha', 'off', '-crop', `${cw}x${ch}+0+0`, '+repage', '-resize', `${w}x${h}!`, '-depth', '8', 'rgb:-'], {
      maxBuffer: 64 * 1024 * 1024,
    });
  return psnr(raw(hostPng, w, h), raw(helperPng, vw, vh));
}

interface ClickResult {
  latencies: number[];
  /** From the click in the page to the press reaching the host window (the input half). */
  inputLatencies: number[];
  missed: number;
}

async function clicks(win: HostWindow, sys: Running, count: number): Promise<ClickResult> {
  await win.mode('static');
  await sys.takeControl();
  const { page, view } = sys;
  const inView = await view.evaluate(
    ([x, y]) => (window as unknown as { __bench: Probe }).__bench.pagePoint(x!, y!),
    [TARGET.x + TARGET.width / 2, TARGET.y + TARGET.height / 2],
  );
  if (!inView) throw new Error('no view to click on');
  const at = await sys.toPage(inView);
  // Hover first: the first move into a view may do more than a move (focus, cursor).
  await page.mouse.move(at.x, at.y);
  await sleep(500);
  const latencies: number[] = [];
  const inputLatencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < count && missed < 10; i++) {
    const colour = await view.evaluate(() => (window as unknown as { __bench: Probe }).__bench.targetColour());
    const want = colour === 'a' ? 'b' : 'a';
    const seenBefore = win.clicks.length;
    const clickedAt = Date.now();
    await page.mouse.click(at.x, at.y);
    const ms = await view.evaluate(([c, t]) => (window as unknown as { __bench: Probe }).__bench.waitForTarget(c!, Number(t)), [want, '5000']);
    if (ms < 0) {
      missed++;
      await sleep(1_000); // let a late change land before the next click reads the colour
      continue;
    }
    latencies.push(ms);
    if (win.clicks.length > seenBefore) inputLatencies.push(win.clicks[seenBefore]! - clickedAt);
    // Out of step with the capture cadence: clicks land at every phase of it.
    await sleep(150 + Math.random() * 250);
  }
  return { latencies, inputLatencies, missed };
}

/**
 * The video phase: a 640x360 region whose every pixel changes 30 times a second, the barcode inside it, the rest
 * of the screen still. Frames per second are the barcode values seen; the host's CPU goes in a note.
 */
async function measureVideo(name: RunName, win: HostWindow, sys: Running, f: Figures, notes: string[]): Promise<PhaseResult> {
  say(`  ${name}: video ${VIDEO.width}x${VIDEO.height} at ${VIDEO.hz} fps, ${PHASE_S} s`);
  const video = await phase(win, sys, 'video', PHASE_S);
  f.glassToGlassVideoMs = percentiles(video.latencies);
  f.fpsVideo = round(video.fps, 1);
  f.kbpsVideo = round(video.kbps, 0);
  notes.push(`${name}: host CPU while a video plays: ${video.cpuPct.toFixed(1)} % of a core`);
  return video;
}

/** RSS growth over `minutes` of scrolling: median of the last minute's samples minus the first minute's. */
async function longRun(win: HostWindow, sys: Running, minutes: number): Promise<number | null> {
  await win.mode(SCROLL_MODE);
  await sleep(30_000); // warm-up: caches, JIT, the first buffers
  const window = Math.min(60_000, (minutes * 60_000) / 3);
  const first = percentile(await sampleRss(sys.hostPids, window), 50)!;
  const end = Date.now() + minutes * 60_000 - 2 * window;
  while (Date.now() < end) {
    await sleep(Math.min(60_000, Math.max(0, end - Date.now())));
    say(`  long run: ${Math.ceil((end - Date.now() + window) / 60_000)} min left, RSS ${rssMb(sys.hostPids).toFixed(1)} MB (first minute: ${first.toFixed(1)})`);
  }
  const last = percentile(await sampleRss(sys.hostPids, window), 50)!;
  return last - first;
}

/**
 * Fills `f` step by step: a step that fails leaves its figures null, says why in the notes, and the next step
 * still runs (the session may still be up).
 */
async function measure(name: RunName, win: HostWindow, display: string, sys: Running, f: Figures, notes: string[]): Promise<void> {
  const step = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      notes.push(`${name}: ${what} not measured: ${errorText(error)}`);
      say(`  ${name}: ${what} failed: ${errorText(error)}`);
    }
  };
  await waitForPicture(sys.view);
  const cpus = (p: PhaseResult) => `Xvfb ${p.xvfbPct.toFixed(0)} %, helper Chromium ${p.chromiumPct.toFixed(0)} %`;
  const others: string[] = [];
  let badReads = 0;
  await step('static screen', async () => {
    say(`  ${name}: picture is up; static screen ${PHASE_S} s`);
    const still = await phase(win, sys, 'static', PHASE_S);
    f.kbpsStatic = round(still.kbps, 0);
    f.hostCpuStaticPct = round(still.cpuPct, 1);
    others.push(`static ${cpus(still)}`);
    f.textPsnrDb = round(await textFidelity(display, sys, name), 2);
  });
  await step('typing', async () => {
    say(`  ${name}: typing ${PHASE_S} s`);
    const typing = await phase(win, sys, 'typing', PHASE_S);
    f.glassToGlassTypingMs = percentiles(typing.latencies);
    f.fpsTyping = round(typing.fps, 1);
    f.kbpsTyping = round(typing.kbps, 0);
    f.hostCpuTypingPct = round(typing.cpuPct, 1);
    others.push(`typing ${cpus(typing)}`);
    badReads += typing.badReads;
  });
  await step('scrolling', async () => {
    say(`  ${name}: scrolling (${SCROLL_CONTENT}) ${PHASE_S} s`);
    const scroll = await phase(win, sys, SCROLL_MODE, PHASE_S);
    f.glassToGlassScrollMs = percentiles(scroll.latencies);
    f.fpsScroll = round(scroll.fps, 1);
    f.kbpsScroll = round(scroll.kbps, 0);
    f.hostCpuStreamingPct = round(scroll.cpuPct, 1);
    f.hostRssMb = round(scroll.rssMb, 1);
    others.push(`scrolling ${cpus(scroll)}`);
    badReads += scroll.badReads;
    const rss = rssByProcess(sys.hostPids);
    notes.push(`${name}: host processes at the end of scrolling: ${rss.map((p) => `${p.name} ${p.mb.toFixed(0)} MB`).join(', ')}`);
  });
  await step('dragging', async () => {
    say(`  ${name}: dragging a ${DRAG.width}x${DRAG.height} window ${PHASE_S} s`);
    const drag = await phase(win, sys, 'drag', PHASE_S);
    f.glassToGlassDragMs = percentiles(drag.latencies);
    f.fpsDrag = round(drag.fps, 1);
    f.kbpsDrag = round(drag.kbps, 0);
    notes.push(`${name}: host CPU while dragging: ${drag.cpuPct.toFixed(1)} % of a core`);
    others.push(`dragging ${cpus(drag)}`);
    badReads += drag.badReads;
  });
  await step('video', async () => {
    const video = await measureVideo(name, win, sys, f, notes);
    others.push(`video ${cpus(video)}`);
    badReads += video.badReads;
  });
  if (others.length > 0) notes.push(`${name}: not the host's, on the same cores (% of a core): ${others.join('; ')}`);
  if (badReads > 0) notes.push(`${name}: ${badReads} barcode readings failed their check (torn or blurred), ignored`);
  await step('click-to-photon', async () => {
    say(`  ${name}: ${CLICKS} clicks`);
    const c = await clicks(win, sys, CLICKS);
    f.clickToPhotonMs = percentiles(c.latencies);
    if (c.missed > 0) notes.push(`${name}: ${c.missed} click(s) never showed their colour within 5 s`);
    const input = percentiles(c.inputLatencies);
    if (input.p50 !== null) notes.push(`${name}: of click-to-photon, the press reached the host window after p50 ${input.p50} ms, p95 ${input.p95} ms`);
  });
  if (LONG) {
    await step('memory growth', async () => {
      say(`  ${name}: long run, ${LONG_MIN} min of scrolling`);
      f.rssGrowthMb10min = round(await longRun(win, sys, LONG_MIN), 1);
    });
  }
  await win.mode('static');
}

// --- Main ---

function productMaxFps(): number {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes?: { configuration?: { properties?: Record<string, { default?: unknown }> } };
  };
  const v = pkg.contributes?.configuration?.properties?.['remoteAssist.capture.maxFps']?.default;
  return typeof v === 'number' ? v : 10;
}

/** Whether the built agent knows the hook that forces screenshot-desktop (else the baseline is the product). */
function baselineHookPresent(): boolean {
  try {
    return fs.readFileSync(path.join(ROOT, 'dist/agent.js'), 'utf8').includes('REMOTE_ASSIST_FRAME_SOURCE');
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  fs.mkdirSync(LOGS, { recursive: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const cpus = os.cpus();
  const results: Results = {
    date: new Date().toISOString(),
    machine: { cores: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown' },
    product: emptyFigures(),
    baseline: emptyFigures(),
    peer: emptyFigures(),
  };
  const notes: string[] = [`scrolling phase: ${SCROLL_CONTENT === 'alike' ? 'code whose lines repeat, without line numbers' : "the window's own source, numbered"} (--scroll-content=${SCROLL_CONTENT === 'alike' ? 'source' : 'alike'} for the other)`];
  const maxFps = productMaxFps();
  const hook = baselineHookPresent();
  const headers = ['product', hook ? 'baseline' : 'baseline (=product)', 'peer'];
  if (!hook) notes.push('baseline: the agent has no REMOTE_ASSIST_FRAME_SOURCE hook yet, so the baseline ran the product pipeline as it is');

  let peerWanted = ONLY.includes('peer');
  if (peerWanted && !peerInstalled()) {
    if (WITH_PEER) {
      say('installing the peer (bench/install-peer.sh)');
      try {
        execFileSync('bash', [path.join(ROOT, 'bench/install-peer.sh')], { stdio: 'inherit' });
      } catch (error) {
        notes.push(`peer: install failed: ${errorText(error)}`);
      }
    }
    if (!peerInstalled()) {
      console.log('peer: not measured (x11vnc/novnc not installed)');
      peerWanted = false;
    }
  }

  const stack = new Stack();
  const stopOnSignal = () => {
    void stack.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const rig = newRig();
    rig.display = await startXvfb(stack, SCREEN.width, SCREEN.height);
    rig.peerPort = await startPeerServer(stack);
    rig.pageUrl = await startPageServer(stack);
    const browser = await launchChromium(stack);
    const win = await HostWindow.start(stack, rig.display);
    others.xvfb = childrenNamed(process.pid, /^Xvfb$/);
    others.chromium = childrenNamed(process.pid, /chrom/i);
    say(`display ${rig.display} at ${SCREEN.width}x${SCREEN.height}; phases ${PHASE_S} s, ${CLICKS} clicks, maxFps ${maxFps}, scrolling ${SCROLL_CONTENT}${LONG ? `, long run ${LONG_MIN} min` : ''}`);

    const systems: { name: RunName; start: () => Promise<Running> }[] = [];
    const loopback = LINKS.length === 0;
    if (loopback && ONLY.includes('product')) systems.push({ name: 'product', start: () => startProduct('product', rig, browser, maxFps, undefined) });
    if (loopback && ONLY.includes('baseline')) systems.push({ name: 'baseline', start: () => startProduct('baseline', rig, browser, maxFps, 'screenshot-desktop') });
    if (loopback && EDITOR) systems.push({ name: 'editor', start: () => startProductInEditor(rig, browser, maxFps) });
    if (loopback && peerWanted) systems.push({ name: 'peer', start: () => startPeer(rig.display, browser) });

    for (const { name, start } of systems) {
      say(`${name}: starting`);
      rig.lines.length = 0;
      let sys: Running | undefined;
      try {
        sys = await start();
        await measure(name, win, rig.display, sys, name === 'editor' ? (results.product.editor = emptyFigures()) : results[name], notes);
      } catch (error) {
        notes.push(`${name}: stopped early: ${errorText(error)} (see out/bench/logs/)`);
        say(`${name}: ${errorText(error)}`);
      } finally {
        await sys?.stop().catch(() => undefined);
        if (name === 'product' || name === 'baseline') fs.writeFileSync(path.join(LOGS, `helper-${name}.log`), rig.lines.join('\n') + '\n');
        await win.mode('static').catch(() => undefined);
      }
    }
    if (!loopback) {
      await measureLinks({
        systems: (['product', 'peer'] as const).filter((n) => (n === 'peer' ? peerWanted : ONLY.includes(n))),
        phaseSeconds: PHASE_S,
        startProduct: (ice) => startProduct('product', rig, browser, maxFps, undefined, ice),
        startPeer: (proxy) => startPeer(rig.display, browser, proxy),
        waitForPicture: (sys) => waitForPicture(sys.view),
        resume: (sys, cut) => resumeAfterCut(win, sys, cut),
        phase: async (sys, mode, seconds) => {
          const p = await phase(win, sys, mode === 'scroll' ? SCROLL_MODE : mode, seconds);
          await win.mode('static');
          return p;
        },
        say,
      }, LINKS, results, notes);
      fs.writeFileSync(path.join(LOGS, 'helper-links.log'), rig.lines.join('\n') + '\n');
    }
  } finally {
    await stack.stop();
  }

  const file = path.join(RESULTS, 'latest.json');
  fs.writeFileSync(file, JSON.stringify(mergeResults(results, readEarlier(file), LINKS.length > 0), null, 2) + '\n');
  console.log('');
  console.log(`Remote Assist benchmark, ${results.date}`);
  console.log(`machine: ${results.machine.cores} cores, ${results.machine.cpuModel}; screen ${SCREEN.width}x${SCREEN.height}; helper view ${VIEWPORT.width}x${VIEWPORT.height}`);
  console.log('');
  console.log(LINKS.length > 0 ? linksTable(results, LINKS) : table(results, results.product.editor ? [headers[0]!, 'product in VS Code', ...headers.slice(1)] : headers));
  console.log('');
  for (const n of notes) console.log(`note: ${n}`);
  if (PROFILE) {
    console.log('');
    for (const name of fs.existsSync(PROFILES) ? fs.readdirSync(PROFILES) : []) {
      console.log(`where the host's time went (${name}; profiles in ${path.relative(ROOT, path.join(PROFILES, name))}):`);
      for (const line of summariseProfiles(path.join(PROFILES, name), startedAt)) console.log(`  ${line}`);
    }
  }
  console.log(`written: ${path.relative(ROOT, file)} (logs and fidelity images: out/bench/logs/)`);
}

/** The results file as it was, parsed; undefined when absent or unreadable (mergeResults checks its shape). */
function readEarlier(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[bench] the harness failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
