/**
 * The host agent's process (bundled to dist/agent.js; `agentClient.ts` forks it with
 * `serialization: 'advanced'`). It owns nut-js and the screen capture, so that their native crashes end
 * this process and never the extension host.
 *
 * Start-up: check the display (before nut-js is loaded: without one, nut-js segfaults), load nut-js,
 * then `ready`. From then on it answers the parent's requests (see contract.ts) until the parent
 * disconnects (or dies, which closes the channel the same way): then it releases every key and button it
 * holds and exits.
 */

import { isAgentRequest, type AgentMessage, type AgentRequest, type LogLevel, type MonitorReading } from './contract';
import type { CaptureRequest, FrameSource } from './frameSource';
import { ScreenshotDesktopSource } from './screenshotDesktopSource';
import { TileSource } from './tileSource';
import { loadNativeKernels, type PixelKernels } from './nativeKernels';
import { loadWebpEncoder, type LossyEncoder } from './webp';
import { DamageWatcher } from './damage';
import { MonitorLayout } from './monitors';
import { checkDisplay, waylandSessionWarning } from './display';
import { NutInput } from './input';
import { HostKeys } from './hostKeys';
import { LaserPointer, openLaserSurface } from './laser';
import { platformWarnings, type MacProbe } from './platform';
import { InputBlockWatch, PowerShellForegroundProbe } from './windowsInput';
import type { Logger } from '../shared/log';
import { assertNever } from '../shared/protocol';

/** How long the agent tries to release held input on its way out before it exits anyway. */
const RELEASE_ON_EXIT_MS = 1000;

function send(message: AgentMessage, then?: () => void): void {
  if (!process.send || !process.connected) {
    then?.();
    return;
  }
  process.send(message, undefined, {}, () => then?.());
}

const line = (level: LogLevel) => (message: string): void => send({ type: 'log', level, message });
const log: Logger = {
  trace: line('trace'),
  debug: line('debug'),
  info: line('info'),
  warn: line('warn'),
  error: (message) => send({ type: 'log', level: 'error', message: message instanceof Error ? (message.stack ?? message.message) : message }),
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Tells the parent why the agent cannot work, then exits (after the message is written). */
function fail(message: string): void {
  send({ type: 'startFailed', message }, () => process.exit(1));
}

class Agent {
  private stopping = false;

  constructor(
    private readonly input: NutInput,
    private readonly source: FrameSource,
    private readonly laser: LaserPointer,
    /** Also ended on the way out (the X connections of the monitor layout and of the host's keys, the Windows input check). */
    private readonly owned: readonly { dispose(): void }[] = [],
    /** Where the host can choose a monitor (X11 with the tile source); undefined: the whole main screen, no choice. */
    private readonly monitors?: MonitorLayout,
  ) {
    monitors?.onChange((reading, lost) => send({ type: 'monitorsChanged', ...wire(reading), ...(lost !== undefined ? { lost } : {}) }));
  }

  handle(request: AgentRequest): void {
    switch (request.type) {
      case 'input':
        this.input.apply(request.event);
        if (request.event.type === 'pointerMove' || request.event.type === 'pointerButton') this.source.pointerMayMove?.();
        return;
      case 'capture':
        this.capture(request.id, {
          ...(request.full !== undefined ? { full: request.full } : {}),
          ...(request.waitMs !== undefined ? { waitMs: request.waitMs } : {}),
          ...(request.lossyBps !== undefined ? { lossyBps: request.lossyBps } : {}),
          ...(request.repaint !== undefined ? { repaint: request.repaint } : {}),
          ...(request.losslessBytes !== undefined ? { losslessBytes: request.losslessBytes } : {}),
        });
        return;
      case 'screenSize':
        this.screenSize(request.id);
        return;
      case 'prepareInput':
        this.input.prepare();
        return;
      case 'releaseAll':
        void this.input.releaseAll().then(() => send({ type: 'released', id: request.id }));
        return;
      case 'laser':
        this.laser.point(request.at);
        return;
      case 'monitors':
        this.answerMonitors(request.id, () => this.monitors?.list());
        return;
      case 'shareMonitor':
        this.answerMonitors(request.id, async () => {
          if (!this.monitors) throw new Error('This host offers no choice of monitor: the whole screen is shared.');
          const reading = await this.monitors.select(request.name);
          // The next capture reads the new place; input follows once that frame is out (capture below).
          this.source.relayout?.();
          return reading;
        });
        return;
      default:
        assertNever(request);
    }
  }

  /** Releases what is held, then exits; at most RELEASE_ON_EXIT_MS, in case nut-js hangs. */
  stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    log.debug(`stopping: ${reason}`);
    const exit = (): void => {
      this.source.dispose();
      this.laser.dispose();
      for (const o of this.owned) o.dispose();
      process.exit(0);
    };
    setTimeout(exit, RELEASE_ON_EXIT_MS).unref();
    void this.input.dispose().then(exit);
  }

  private capture(id: number, request: CaptureRequest): void {
    this.source.capture(request).then(
      async (frame) => {
        if (!frame) {
          send({ type: 'unchanged', id });
          return;
        }
        // The frame's place on the desktop may have changed (monitors); input follows what the helper sees.
        this.input.setArea(await this.source.area().catch(() => undefined));
        send({ type: 'frame', id, frame });
      },
      (error: unknown) => send({ type: 'requestFailed', id, message: errorText(error) }),
    );
  }

  private answerMonitors(id: number, read: () => Promise<MonitorReading | undefined> | undefined): void {
    Promise.resolve(read()).then(
      (reading) => send({ type: 'monitors', id, ...wire(reading ?? { monitors: [], shared: undefined }) }),
      (error: unknown) => send({ type: 'requestFailed', id, message: errorText(error) }),
    );
  }

  private screenSize(id: number): void {
    void (async () => {
      try {
        await this.input.refreshScreenSize();
        try {
          this.input.setArea(await this.source.area());
        } catch (error) {
          // The monitor layout is unreadable for now: keep the last one rather than fail the question.
          log.warn(`screen size: ${errorText(error)}`);
        }
        send({ type: 'screenSize', id, ...this.input.drivenSize() });
      } catch (error) {
        send({ type: 'requestFailed', id, message: errorText(error) });
      }
    })();
  }
}

/** A reading as it crosses the IPC channel: `shared` left out when the whole screen is. */
function wire(reading: MonitorReading): { monitors: MonitorReading['monitors']; shared?: string } {
  return { monitors: reading.monitors, ...(reading.shared !== undefined ? { shared: reading.shared } : {}) };
}

/**
 * The product's source, changed tiles from raw grabs, told where the screen changed by X DAMAGE on Linux; the
 * whole JPEG pictures of screenshot-desktop when grabbing does not work here. On Linux the monitor comes from
 * RandR over an X connection (monitors.ts), not from screenshot-desktop's `xrandr`, which a fresh Debian lacks.
 */
async function tileSource(input: NutInput, screenshots: ScreenshotDesktopSource, monitors: MonitorLayout | undefined): Promise<FrameSource> {
  const areaOf = monitors ? () => monitors.area() : () => Promise.resolve(undefined);
  try {
    const probe = await input.grab(await areaOf());
    if (probe.data.length < probe.width * probe.height * 4) throw new Error(`${probe.data.length} bytes for ${probe.width}x${probe.height}`);
  } catch (error) {
    log.warn(`grabbing the screen failed (${errorText(error)}); capturing whole pictures with screenshot-desktop instead`);
    monitors?.dispose();
    return screenshots;
  }
  let watcher: DamageWatcher | undefined;
  if (process.platform === 'linux') {
    try {
      watcher = await DamageWatcher.start(log);
    } catch (error) {
      log.warn(`the X server does not report changes (${errorText(error)}); the screen is polled instead`);
    }
  }
  const lossy = await lossyEncoder();
  const kernels = nativeKernels();
  return new TileSource({
    log,
    grab: (area) => input.grab(area),
    grabInto: (area, into, x, y) => input.grabInto(area, into, x, y),
    areaOf,
    // Small parts over the watcher's connection are cheaper than XGetImage's, not than MIT-SHM's (nativeScreen.ts),
    // which also answers without a turn of the event loop.
    ...(watcher ? { watcher, pointer: watcher.pointer, ...(input.grabber === 'MIT-SHM' ? {} : { grabSmall: watcher.grab }) } : {}),
    grabber: input.grabber,
    ...(lossy ? { lossy } : {}),
    ...(kernels ? { kernels } : {}),
  });
}

/** The native passes over the pixels (nativeKernels.ts): Linux, where dist/xshm.node is built; else the JavaScript's. */
function nativeKernels(): PixelKernels | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return loadNativeKernels();
  } catch (error) {
    log.warn(`the passes over the pixels run in JavaScript, not natively: ${errorText(error)}`);
    return undefined;
  }
}

/**
 * The WebP encoder for content that changes every frame (video.ts); undefined keeps every pixel lossless: where
 * WebAssembly cannot load it, or with REMOTE_ASSIST_LOSSY=off in the agent's environment (tests and the bench
 * compare with it).
 */
async function lossyEncoder(): Promise<LossyEncoder | undefined> {
  if (process.env['REMOTE_ASSIST_LOSSY'] === 'off') return undefined;
  try {
    return await loadWebpEncoder();
  } catch (error) {
    log.warn(`the WebP encoder did not load (${errorText(error)}); video goes lossless`);
    return undefined;
  }
}

/**
 * The host's own key and button presses pause remote input as their mouse does (hostKeys.ts). X11 only; without
 * XInput 2 it is said once, and only the mouse is watched.
 */
async function watchHostKeys(input: NutInput): Promise<HostKeys | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return await HostKeys.start(log, (press) => input.hostPressed(press.kind === 'key' ? `key ${press.detail}` : `button ${press.detail}`));
  } catch (error) {
    log.warn(`the host's own key presses do not pause remote input, only their mouse does: ${errorText(error)}`);
    return undefined;
  }
}

/**
 * macOS's permissions are seen by trying: a grab of the screen and a one-pixel move of the pointer, read back
 * (platform.ts). Moving the pointer loads nut-js there at start (input.ts loads it at the first input elsewhere).
 */
function macProbe(input: NutInput): MacProbe {
  const nut = input.nut;
  return {
    grab: () => input.grab(undefined),
    pointer: async () => {
      const p = await nut.mouse.getPosition();
      return { x: p.x, y: p.y };
    },
    movePointer: async (to) => {
      await nut.mouse.setPosition(new nut.Point(to.x, to.y));
    },
  };
}

async function main(): Promise<void> {
  if (!process.send) {
    // Nobody to tell but the terminal: this file is only meant to be forked.
    process.stderr.write('The Remote Assist host agent must be started by the extension (child_process.fork).\n');
    process.exit(2);
  }
  // screenshot-desktop leaves a rejection unhandled when xrandr fails; by default that would end the process.
  process.on('unhandledRejection', (reason) => log.warn(`unhandled rejection: ${errorText(reason)}`));

  const display = await checkDisplay();
  if (!display.ok) {
    fail(display.message);
    return;
  }

  let input: NutInput;
  let source: FrameSource;
  let monitors: MonitorLayout | undefined;
  const owned: { dispose(): void }[] = [];
  try {
    // Windows refuses input to elevated windows and the secure desktop without saying so: look, and tell.
    const blocked = process.platform === 'win32' ? new InputBlockWatch(new PowerShellForegroundProbe(log), (reason) => {
      log.warn(reason ? `the system refuses the helper's input (${reason})` : "the system takes the helper's input again");
      send({ type: 'inputBlocked', reason: reason ?? null });
    }) : undefined;
    if (blocked) owned.push(blocked);
    input = await NutInput.create(log, { onPause: (paused) => send({ type: 'inputPause', paused }), ...(blocked ? { onInjected: (ok: boolean) => blocked.injected(ok) } : {}) });
    const screenshots = new ScreenshotDesktopSource(log);
    // REMOTE_ASSIST_FRAME_SOURCE=screenshot-desktop keeps the first design's pipeline (the benchmark's baseline).
    if (process.env['REMOTE_ASSIST_FRAME_SOURCE'] === 'screenshot-desktop') {
      source = screenshots;
    } else {
      monitors = process.platform === 'linux' ? new MonitorLayout(log) : undefined;
      source = await tileSource(input, screenshots, monitors);
      // screenshot-desktop's fallback reads its own layout (and the one above is closed): no choice of monitor there.
      if (!(source instanceof TileSource)) monitors = undefined;
    }
    input.setArea(await source.area());
  } catch (error) {
    fail(`The screen cannot be captured or controlled here: ${errorText(error)}`);
    return;
  }

  const hostKeys = await watchHostKeys(input);
  // Mapped as input maps its points (the area the frames show), read when each point comes.
  const laser = new LaserPointer({
    log,
    open: openLaserSurface(log),
    toDesktop: (at) => input.desktopPoint(at.x, at.y),
    unavailable: (message) => send({ type: 'laserUnavailable', message }),
  });
  const agent = new Agent(input, source, laser, [...owned, ...(monitors ? [monitors] : []), ...(hostKeys ? [hostKeys] : [])], monitors);
  process.on('message', (message: unknown) => {
    if (isAgentRequest(message)) agent.handle(message);
    else log.warn(`ignored a malformed request: ${JSON.stringify(message)?.slice(0, 200)}`);
  });
  process.on('disconnect', () => agent.stop('the extension disconnected'));
  process.on('SIGTERM', () => agent.stop('SIGTERM'));
  process.on('SIGINT', () => agent.stop('SIGINT'));

  const size = input.drivenSize();
  const wayland = process.platform === 'win32' || process.platform === 'darwin' ? undefined : waylandSessionWarning(process.env);
  const warnings = wayland === undefined ? [] : [wayland];
  try {
    const mac = process.platform === 'darwin' ? macProbe(input) : undefined;
    warnings.push(...(await platformWarnings(process.platform, { screenWidth: size.width, ...(mac ? { mac } : {}) })));
  } catch (error) {
    log.warn(`the platform check failed: ${errorText(error)}`);
  }
  log.info(`ready: ${size.width}x${size.height}, capture with ${source.name}, pid ${process.pid}`);
  send({ type: 'ready', ...size, ...(warnings.length > 0 ? { warnings } : {}) });
}

main().catch((error: unknown) => fail(`The host agent failed to start: ${errorText(error)}`));
