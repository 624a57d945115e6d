/**
 * The helper's picture and the host's screen, side by side, for tests over real parts: the panel's canvas read in
 * Chromium, the X server's screen read with ImageMagick's `import`, both as RGB, and what differs between them.
 */

import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';

/** The helper's whole picture, RGB, read from its canvas. */
export async function helperPicture(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(() => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let out = '';
    const rgb = new Uint8Array((d.length / 4) * 3);
    for (let i = 0, j = 0; i < d.length; i += 4, j += 3) {
      rgb[j] = d[i]!;
      rgb[j + 1] = d[i + 1]!;
      rgb[j + 2] = d[i + 2]!;
    }
    for (let i = 0; i < rgb.length; i += 0x8000) out += String.fromCharCode(...rgb.subarray(i, i + 0x8000));
    return btoa(out);
  });
  return Buffer.from(b64, 'base64');
}

/** The host's screen on `display` as the X server has it, RGB. */
export function hostPicture(display: string): Buffer {
  return execFileSync('import', ['-window', 'root', '-depth', '8', 'rgb:-'], { env: { ...process.env, DISPLAY: display }, maxBuffer: 64 * 1024 * 1024, timeout: 10_000 });
}

/** Pixels of two RGB pictures of a `width` wide screen that differ (those one picture lacks too), and the first. */
export function differences(a: Buffer, b: Buffer, width: number): { count: number; first?: string } {
  let count = 0;
  let first: string | undefined;
  const pixels = Math.max(a.length, b.length) / 3;
  for (let p = 0; p < pixels; p++) {
    const i = p * 3;
    if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) continue;
    count++;
    first ??= `(${p % width},${Math.floor(p / width)}): host ${[...a.subarray(i, i + 3)]} helper ${[...b.subarray(i, i + 3)]}`;
  }
  return { count, ...(first ? { first } : {}) };
}

/** When (the page's Date.now(), the same clock as ours) the helper's picture first shows `rgb` at (x, y); undefined after `timeoutMs`. */
export function shownAt(page: Page, x: number, y: number, rgb: readonly number[], timeoutMs: number): Promise<number | undefined> {
  return page.evaluate(([px, py, want, timeout]) => new Promise<number | undefined>((resolve) => {
    const canvas = document.querySelector('#screen') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const until = Date.now() + (timeout as number);
    const look = (): void => {
      const d = ctx.getImageData(px as number, py as number, 1, 1).data;
      if ((want as number[]).every((v, i) => Math.abs(v - d[i]!) <= 40)) return resolve(Date.now());
      if (Date.now() > until) return resolve(undefined);
      requestAnimationFrame(look);
    };
    look();
  }), [x, y, rgb, timeoutMs] as const);
}

/** The value at quantile `p` (0..1) of ascending `sorted`. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
