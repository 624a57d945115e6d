/**
 * screenshot-desktop behind `FrameSource`: the first design's whole JPEG pictures (~100 ms each), kept as the
 * benchmark's baseline and as the fallback where raw grabs fail. Agent process only: screenshot-desktop is
 * loaded lazily, after the display check.
 */

import { imageSize, type EncodedFrame } from '../shared/frames';
import type { Logger } from '../shared/log';
import { CAPTURE_TIMEOUT_MS, LAYOUT_TTL_MS, describeArea, errorText, sameArea, withTimeout, type FrameSource, type ScreenArea } from './frameSource';


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
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, after the display check; it has no types
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

function isSize(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0;
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
