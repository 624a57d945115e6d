/**
 * The helper's whole picture against the host's, pixel for pixel (integration tests): the panel's canvas read in
 * Chromium, the X server's root window read with ImageMagick's `import`, both as RGB.
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

/** The host's screen as the X server has it, RGB. */
export function hostPicture(display: string): Buffer {
  return execFileSync('import', ['-window', 'root', '-depth', '8', 'rgb:-'], { env: { ...process.env, DISPLAY: display }, maxBuffer: 64 * 1024 * 1024, timeout: 10_000 });
}

/** Pixels that differ between two RGB pictures `width` wide, and the first of them. */
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
