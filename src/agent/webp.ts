/**
 * Lossy pictures for content that changes every frame (video.ts): WebP (VP8), encoded by libwebp compiled to
 * WebAssembly (`@jsquash/webp`, Squoosh's build, with SIMD). WebAssembly runs inside V8's heap, so nothing here
 * wraps outside memory (Electron's memory cage), and it runs in the agent's process only. The panel decodes with
 * the browser's own WebP decoder (createImageBitmap), off its main thread.
 *
 * Chosen by measurement on the 2-core machine, a 640x360 frame of video-like content (median of 60): libwebp
 * method 0 ~6.6 ms at quality 70 (~19 KB); mozjpeg (`@jsquash/jpeg`) at its fastest settings ~12-16 ms (~19 KB);
 * jpeg-js ~30 ms (~37 KB). sharp is native and wraps external memory (PLATFORM-FACTS.md).
 *
 * The module is compiled once, on first use, from the bytes bundled into dist/agent.js (esbuild's binary loader):
 * no file to locate at run time, nothing fetched. Encoding is synchronous.
 */

import encoderFactory from '@jsquash/webp/codec/enc/webp_enc_simd.js';
import wasmBytes from '@jsquash/webp/codec/enc/webp_enc_simd.wasm';
import type { Rect } from '../shared/screenUpdate';
import type { Pixels } from './png';

/** libwebp's WebPConfig, as the Squoosh binding takes it. */
const OPTIONS = {
  quality: 70,
  target_size: 0,
  target_PSNR: 0,
  // 0: the fastest (no RD optimisation); 4 (the default) costs ~4x the time for ~10 % fewer bytes.
  method: 0,
  sns_strength: 50,
  filter_strength: 60,
  filter_sharpness: 0,
  filter_type: 1,
  partitions: 0,
  segments: 4,
  pass: 1,
  show_compressed: 0,
  preprocessing: 0,
  autofilter: 0,
  partition_limit: 0,
  alpha_compression: 1,
  alpha_filtering: 1,
  alpha_quality: 100,
  lossless: 0,
  exact: 0,
  image_hint: 0,
  emulate_jpeg_size: 0,
  thread_level: 0,
  low_memory: 0,
  near_lossless: 100,
  use_delta_palette: 0,
  use_sharp_yuv: 0,
};

/** What this file uses of WebAssembly (Node's own; the Node side's type library has no DOM). */
interface WasmInstance {
  readonly exports: object;
}
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => WasmInstance;
};

interface WebPModule {
  encode(data: Uint8Array, width: number, height: number, options: typeof OPTIONS): Uint8Array | null;
}
type Factory = (options: { noInitialRun: boolean; locateFile: (file: string) => string; instantiateWasm: (imports: object, done: (instance: WasmInstance) => void) => object }) => Promise<WebPModule>;

/** Encodes a rectangle of captured pixels as lossy WebP; `quality` 0-100. */
export type LossyEncoder = (pixels: Pixels, rect: Rect, quality: number) => Uint8Array;

let loading: Promise<LossyEncoder> | undefined;

/**
 * The WebP encoder, once its module is compiled and instantiated (~20 ms, once). Rejects where WebAssembly with
 * SIMD is missing (every Node and Electron VS Code runs on has it): the capture then stays lossless.
 */
export function loadWebpEncoder(): Promise<LossyEncoder> {
  loading ??= (async () => {
    const compiled = await WebAssembly.compile(wasmBytes);
    const module = await (encoderFactory as unknown as Factory)({
      noInitialRun: true,
      // Without it the glue resolves the .wasm file's URL against import.meta.url, which a CommonJS bundle lacks;
      // the bytes are handed over below, so the name is never fetched.
      locateFile: (file) => file,
      instantiateWasm: (imports, done) => {
        const instance = new WebAssembly.Instance(compiled, imports);
        done(instance);
        return instance.exports;
      },
    });
    return (pixels, rect, quality) => encodeWith(module, pixels, rect, quality);
  })();
  return loading;
}

function encodeWith(module: WebPModule, pixels: Pixels, rect: Rect, quality: number): Uint8Array {
  const { x, y, width, height } = rect;
  const rgba = new Uint8Array(width * height * 4);
  const src = pixels.data;
  const stride = pixels.width * 4;
  for (let row = 0; row < height; row++) {
    let s = (y + row) * stride + x * 4;
    let d = row * width * 4;
    for (let i = 0; i < width; i++, s += 4, d += 4) {
      // Blue first in the capture; alpha is 0 from nut-js and must be opaque, or libwebp writes an alpha channel.
      rgba[d] = src[s + 2]!;
      rgba[d + 1] = src[s + 1]!;
      rgba[d + 2] = src[s]!;
      rgba[d + 3] = 255;
    }
  }
  const out = module.encode(rgba, width, height, { ...OPTIONS, quality: Math.max(0, Math.min(100, Math.round(quality))) });
  if (!out) throw new Error(`WebP could not encode ${width}x${height}`);
  return out;
}
