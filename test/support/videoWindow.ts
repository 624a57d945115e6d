/**
 * A "video" on the test's X display: a window of its own (override-redirect, at a fixed place) whose every pixel
 * changes with every frame, put with PutImage over the `x11` package's connection (pure JavaScript, the agent's own
 * dependency), about 30 frames a second until `stop()`; the last frame then stays on the screen.
 */

import type { Stack } from './env';

interface XClient {
  AllocID(): number;
  CreateWindow(id: number, parent: number, x: number, y: number, width: number, height: number, border: number, depth: number, cls: number, visual: number, values: Record<string, unknown>): void;
  CreateGC(id: number, drawable: number, values: Record<string, unknown>): void;
  MapWindow(id: number): void;
  PutImage(format: number, drawable: number, gc: number, width: number, height: number, x: number, y: number, leftPad: number, depth: number, data: Buffer): void;
  GetGeometry(drawable: number, cb: (err: Error | null) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  terminate(): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly screen: readonly { readonly root: number; readonly root_depth: number }[];
}

export interface VideoWindow {
  /** Frames put so far. */
  readonly frames: number;
  /** No more frames: the last one stays. */
  stop(): void;
}

/** An override-redirect window at `rect` on `display`, over the `x11` package's connection; the stack closes it. */
async function openWindow(stack: Stack, display: string, rect: { x: number; y: number; width: number; height: number }): Promise<{ client: XClient; win: number; gc: number; depth: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped package
  const x11 = require('x11') as { createClient(options: { display: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
  const d = await new Promise<XDisplay>((resolve, reject) => {
    const c = x11.createClient({ display }, (err, dpy) => (err ? reject(err) : resolve(dpy)));
    c.on('error', (e) => reject(e));
  });
  const { client } = d;
  const screen = d.screen[0]!;
  const win = client.AllocID();
  client.CreateWindow(win, screen.root, rect.x, rect.y, rect.width, rect.height, 0, 0, 1, 0, { overrideRedirect: 1, backgroundPixel: 0 });
  const gc = client.AllocID();
  client.CreateGC(gc, win, {});
  client.MapWindow(win);
  await new Promise<void>((resolve, reject) => client.GetGeometry(win, (err) => (err ? reject(err) : resolve())));
  stack.add(() => client.terminate());
  return { client, win, gc, depth: screen.root_depth };
}

/** A small window of one colour, repainted on demand (a keystroke's change, whose arrival the test times). */
export interface ColourBlock {
  /** Paints the whole block in `rgb`; the request is on its way to the X server when this returns. */
  paint(rgb: readonly [number, number, number]): void;
}

export async function colourBlock(stack: Stack, display: string, rect: { x: number; y: number; width: number; height: number }): Promise<ColourBlock> {
  const { client, win, gc, depth } = await openWindow(stack, display, rect);
  const pixels = Buffer.alloc(rect.width * rect.height * 4);
  return {
    paint: ([r, g, b]) => {
      for (let i = 0; i < pixels.length; i += 4) {
        pixels[i] = b;
        pixels[i + 1] = g;
        pixels[i + 2] = r;
      }
      client.PutImage(2, win, gc, rect.width, rect.height, 0, 0, 0, depth, pixels);
    },
  };
}

/** A window of detailed still content (a page of text, a picture) that changes wholly on demand. */
export interface DetailWindow {
  /** Paints new content, different for each `seed`; the requests are on their way to the X server when this returns. */
  show(seed: number): void;
}

/**
 * Opens a window at `rect` on `display` showing "text": rows of glyph-sized marks in many colours on a light
 * ground, different for every seed, which PNG shrinks only to about half a byte a pixel (a page of a document or of
 * code, a photograph's worth of detail). The stack closes it.
 */
export async function detailWindow(stack: Stack, display: string, rect: { x: number; y: number; width: number; height: number }): Promise<DetailWindow> {
  const { client, win, gc, depth } = await openWindow(stack, display, rect);
  const { width, height } = rect;
  const pixels = Buffer.alloc(width * height * 4);
  const band = Math.max(1, Math.floor(200_000 / (width * 4)));
  return {
    show: (seed) => {
      let s = (seed * 2654435761) >>> 0 || 1;
      const rnd = (): number => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
      pixels.fill(0xf4);
      for (let y0 = 2; y0 + 12 <= height; y0 += 16) {
        let x = 4 + Math.floor(rnd() * 8);
        while (x + 8 <= width) {
          // A word: a few glyphs of one colour, each a 6x11 cell of random marks.
          const colour = [Math.floor(rnd() * 200), Math.floor(rnd() * 200), Math.floor(rnd() * 200)];
          const glyphs = 2 + Math.floor(rnd() * 8);
          for (let g = 0; g < glyphs && x + 7 <= width; g++, x += 7) {
            for (let dy = 0; dy < 11; dy++) {
              for (let dx = 0; dx < 6; dx++) {
                if (rnd() < 0.55) continue;
                const i = ((y0 + dy) * width + x + dx) * 4;
                pixels[i] = colour[2]!;
                pixels[i + 1] = colour[1]!;
                pixels[i + 2] = colour[0]!;
              }
            }
          }
          x += 7;
        }
      }
      for (let y = 0; y < height; y += band) {
        const rows = Math.min(band, height - y);
        client.PutImage(2, win, gc, width, rows, 0, y, 0, depth, pixels.subarray(y * width * 4, (y + rows) * width * 4));
      }
    },
  };
}

/** Opens the window at `rect` on `display` and starts playing; the stack closes it. */
export async function playVideo(stack: Stack, display: string, rect: { x: number; y: number; width: number; height: number }, fps = 30): Promise<VideoWindow> {
  const { client, win, gc, depth } = await openWindow(stack, display, rect);
  const { width, height } = rect;
  const frame = Buffer.alloc(width * height * 4);
  // PutImage requests stay under the core protocol's 256 KiB: bands of rows.
  const band = Math.max(1, Math.floor(200_000 / (width * 4)));
  let n = 0;
  const put = (): void => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        // Smooth moving shading, each channel a step further every frame (every pixel changes, nothing just moves),
        // and a fine grain that changes too, as a camera's: what PNG cannot shrink and a lossy codec drops.
        const grain = (Math.imul((x * 73856093) ^ (y * 19349663) ^ (n * 83492791), 0x9e3779b1) >>> 24) % 8;
        frame[i] = (Math.round(96 + 80 * Math.sin(x / 23 + n / 5)) + n * 7 + grain) & 0xff;
        frame[i + 1] = (Math.round(128 + 90 * Math.cos(y / 17 - n / 7)) + n * 11 + grain) & 0xff;
        frame[i + 2] = ((x + y) / 3 + n * 13 + grain) & 0xff;
      }
    }
    for (let y = 0; y < height; y += band) {
      const rows = Math.min(band, height - y);
      client.PutImage(2, win, gc, width, rows, 0, y, 0, depth, frame.subarray(y * width * 4, (y + rows) * width * 4));
    }
    n++;
  };
  put();
  const timer = setInterval(put, 1000 / fps);
  const video = {
    get frames() {
      return n;
    },
    stop: () => clearInterval(timer),
  };
  stack.add(() => clearInterval(timer));
  return video;
}
