/**
 * Screen capture, behind `FrameSource` so that a faster source (nut-js `screen.grab()` plus an encoder,
 * ~7 ms a grab instead of ~100 ms) can take the place of screenshot-desktop without the agent changing.
 *
 * Runs in the agent process only: screenshot-desktop is loaded lazily, after the display check.
 */

import { imageSize, type EncodedFrame } from '../shared/frames';
import type { Logger } from '../shared/log';

/** A rectangle of the desktop, in the pixels the input is injected in (X11: the root window). */
export interface ScreenArea {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface FrameSource {
  /** For the log. */
  readonly name: string;
  /** Captures the screen now. Rejects, never hangs, when the capture fails or takes too long. */
  capture(): Promise<EncodedFrame>;
  /**
   * The part of the desktop the frames show, so that input lands where the helper points; undefined when
   * they show the whole main screen as nut-js measures it (Windows and macOS: the main display is at 0,0).
   */
  area(): Promise<ScreenArea | undefined>;
  dispose(): void;
}

export const CAPTURE_TIMEOUT_MS = 5000;
/** How long the monitor layout (one `xrandr` run, ~30 ms) is trusted before it is read again. */
const LAYOUT_TTL_MS = 2000;

/** The slice of screenshot-desktop's untyped API that we use. */
interface ScreenshotDesktop {
  (options: { format: 'jpg'; screen?: string | number }): Promise<Uint8Array>;
  listDisplays(): Promise<readonly ListedDisplay[]>;
}
export interface ListedDisplay {
  readonly id: string | number;
  readonly primary?: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly offsetX?: number;
  readonly offsetY?: number;
}
export interface LinuxOutput {
  readonly id: string | number;
  readonly area: ScreenArea;
}

/**
 * screenshot-desktop, as JPEG: portable, and ~100 ms a frame at 1080p. On Linux it runs `xrandr` and
 * ImageMagick's `import` for every frame.
 *
 * On Linux it captures one monitor (the primary, else the first) while nut-js drives the whole X screen, so
 * this source picks the monitor itself, tells screenshot-desktop which, and reports where it lies. Reading
 * the layout ourselves has a second use: screenshot-desktop never settles its promise when `xrandr` fails
 * (its rejection is left unhandled), whereas our own `listDisplays()` call rejects with xrandr's error.
 */
export class ScreenshotDesktopSource implements FrameSource {
  readonly name = 'screenshot-desktop (jpg)';
  private readonly shot: ScreenshotDesktop;
  private layout: { readonly at: number; readonly output: LinuxOutput } | undefined;
  private disposed = false;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs = CAPTURE_TIMEOUT_MS,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.shot = require('screenshot-desktop') as ScreenshotDesktop;
  }

  capture(): Promise<EncodedFrame> {
    if (this.disposed) return Promise.reject(new Error('The screen capture was stopped.'));
    return withTimeout(this.captureNow(), this.timeoutMs, `The screen capture took more than ${this.timeoutMs / 1000} s and was given up.`);
  }

  async area(): Promise<ScreenArea | undefined> {
    if (this.platform !== 'linux') return undefined;
    return (await this.linuxOutput()).area;
  }

  dispose(): void {
    this.disposed = true;
  }

  private async captureNow(): Promise<EncodedFrame> {
    const screen = this.platform === 'linux' ? (await this.linuxOutput()).id : undefined;
    let data: Uint8Array;
    try {
      data = await this.shot(screen === undefined ? { format: 'jpg' } : { format: 'jpg', screen });
    } catch (error) {
      throw new Error(explainCaptureError(error, this.platform));
    }
    const size = imageSize(data);
    if (size?.format !== 'jpeg') throw new Error(`screenshot-desktop returned ${data.length} bytes that are not a JPEG.`);
    return { format: 'jpeg', width: size.width, height: size.height, data };
  }

  private async linuxOutput(): Promise<LinuxOutput> {
    const now = Date.now();
    if (this.layout && now - this.layout.at < LAYOUT_TTL_MS) return this.layout.output;
    let displays: readonly ListedDisplay[];
    try {
      displays = await withTimeout(this.shot.listDisplays(), this.timeoutMs, 'xrandr did not answer.');
    } catch (error) {
      this.layout = undefined;
      throw new Error(`Cannot read the monitor layout: ${explainCaptureError(error, this.platform)}`);
    }
    const output = pickLinuxOutput(displays);
    if (!output) throw new Error('xrandr lists no connected monitor with a resolution.');
    if (this.layout?.output.id !== output.id || !sameArea(this.layout.output.area, output.area)) {
      this.log.info(`capturing monitor ${String(output.id)} at ${describeArea(output.area)} (${displays.length} listed)`);
    }
    this.layout = { at: now, output };
    return output;
  }
}

/** screenshot-desktop's own choice on Linux (the primary, else `default`, else the first), with its place. */
export function pickLinuxOutput(displays: readonly ListedDisplay[]): LinuxOutput | undefined {
  const usable = displays.filter((d) => isSize(d.width) && isSize(d.height));
  const chosen = usable.find((d) => d.primary === true || d.id === 'default') ?? usable[0];
  if (!chosen) return undefined;
  return {
    id: chosen.id,
    area: { x: chosen.offsetX ?? 0, y: chosen.offsetY ?? 0, width: chosen.width!, height: chosen.height! },
  };
}

export function describeArea(area: ScreenArea): string {
  return `${area.width}x${area.height}+${area.x}+${area.y}`;
}

function sameArea(a: ScreenArea, b: ScreenArea): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

function isSize(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0;
}

/** Settles with `promise`, or rejects with `message` after `ms`. The work itself cannot be cancelled. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The tools screenshot-desktop runs on Linux, and the Debian/Ubuntu package each comes in. */
const LINUX_TOOLS: readonly (readonly [tool: string, pkg: string])[] = [['xrandr', 'x11-xserver-utils'], ['import', 'imagemagick']];

/** A missing tool says which package to install; anything else keeps its own words. */
export function explainCaptureError(error: unknown, platform: NodeJS.Platform): string {
  const text = errorText(error);
  if (platform === 'linux') {
    for (const [tool, pkg] of LINUX_TOOLS) {
      if (text.includes(`spawn ${tool} ENOENT`) || text.includes(`${tool}: not found`) || text.includes(`${tool}: command not found`)) {
        return `\`${tool}\` is not installed; the screen is captured with it. Install the package ${pkg} (e.g. sudo apt install ${pkg}).`;
      }
    }
  }
  return text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}

/**
 * Skips the expensive capture while the screen stands still: a raw grab of the same area (a few ms) is compared
 * with the one taken before the last real capture, and when nothing changed the last frame is returned again
 * (the host session then sends nothing). The grab comes before the capture, so a change during a capture is seen
 * by the next grab. When grabbing fails, every call captures.
 */
export class ChangeGatedSource implements FrameSource {
  readonly name: string;
  private last: { frame: EncodedFrame; pixels: Uint8Array | undefined } | undefined;

  constructor(
    private readonly inner: FrameSource,
    private readonly grab: (area: ScreenArea | undefined) => Promise<Uint8Array>,
  ) {
    this.name = `${inner.name}, skipped while the screen is still`;
  }

  async capture(): Promise<EncodedFrame> {
    let pixels: Uint8Array | undefined;
    try {
      pixels = await this.grab(await this.inner.area());
    } catch {
      pixels = undefined;
    }
    const last = this.last;
    if (pixels && last?.pixels && Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).equals(last.pixels)) return last.frame;
    const frame = await this.inner.capture();
    this.last = { frame, pixels };
    return frame;
  }

  area(): Promise<ScreenArea | undefined> {
    return this.inner.area();
  }

  dispose(): void {
    this.last = undefined;
    this.inner.dispose();
  }
}

