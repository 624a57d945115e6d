/**
 * A screen update: what changed on the host's screen since the last update, as the helper must apply it to
 * the picture it already has (VNC's framebuffer update, with its CopyRect). It travels as a frame of format
 * `update` (see frames.ts). Updates are deltas, so none may be skipped: the host keeps at most a couple in
 * flight and folds everything that changed meanwhile into the next one.
 *
 * Payload, little-endian:
 *
 *   0  u8   version (1)
 *   1  u8   flags: bit 0 = full (a key update: it paints every pixel, the helper may start from it)
 *   2  u16  number of operations
 *   then the operations, in the order they are applied:
 *     u8 1 (copy):  u16 x, y, width, height, i16 dx, dy   move that rectangle of the picture by (dx, dy)
 *     u8 2 (image): u16 x, y, width, height, u32 length, then `length` bytes of PNG, painted at (x, y)
 *     u8 3 (pointer): u16 x, y (0xffff, 0xffff: off this screen), width, height (0, 0: the shape is unchanged),
 *                     then, with a shape: u16 hotX, hotY, u32 length, `length` bytes of PNG with alpha
 *     u8 4 (lossy): u16 x, y, width, height, u32 length, then `length` bytes of WebP, painted at (x, y): a simple
 *                   lossy WebP (one `VP8 ` key frame, no alpha, no animation) of the rectangle's size. For content
 *                   that changes every frame (video, animation: see src/agent/video.ts); the picture there is
 *                   approximate until an `image` of the same pixels follows once the content settles.
 *
 * The pointer is not in the captured pixels (X, like most systems, draws it apart); the helper draws it over the
 * picture, and while controlling, uses its shape for its own pointer, which moves at once.
 *
 * Pure module: Uint8Array and DataView only. The parser treats its input as hostile: every rectangle must lie
 * inside the screen, every image's declared size must match its PNG header; `decodedPixels` against
 * `pixelBudget` bounds what the images of one update may cost to decode.
 */

import { imageSize } from './frames';

export const UPDATE_VERSION = 1;
const FLAG_FULL = 1;
const OP_COPY = 1;
const OP_IMAGE = 2;
const OP_POINTER = 3;
const OP_LOSSY = 4;
const OFF_SCREEN = 0xffff;
/**
 * The widest and tallest screen accepted (8K): a host claiming more would make the helper allocate a huge canvas.
 * `viewGranted` has the same limit (protocol.ts), and so does every frame.
 */
export const MAX_SCREEN_SIDE = 8192;
export const MAX_SCREEN_PIXELS = MAX_SCREEN_SIDE * MAX_SCREEN_SIDE;
/** The largest pointer shape accepted, either way. */
export const MAX_POINTER_SIZE = 256;
/** More operations than this in one update is refused (a 4K screen in 16 px tiles stays under it). */
export const MAX_OPS = 40_000;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type UpdateOp =
  /** Move the rectangle of the current picture by (dx, dy); the destination stays on the screen. */
  | { readonly kind: 'copy'; readonly rect: Rect; readonly dx: number; readonly dy: number }
  /** Paint a PNG whose size is the rectangle's at the rectangle's corner. */
  | { readonly kind: 'image'; readonly rect: Rect; readonly png: Uint8Array }
  /** Paint a lossy WebP whose size is the rectangle's at the rectangle's corner (content that changes every frame). */
  | { readonly kind: 'lossy'; readonly rect: Rect; readonly webp: Uint8Array }
  /** Where the pointer is (undefined: off this screen), and its shape when that changed. */
  | { readonly kind: 'pointer'; readonly at: { readonly x: number; readonly y: number } | undefined; readonly shape?: PointerShape };

export interface PointerShape {
  readonly width: number;
  readonly height: number;
  /** The hot spot: the pixel of the shape that is at the pointer's position. */
  readonly hotX: number;
  readonly hotY: number;
  /** PNG with alpha, `width` x `height`. */
  readonly png: Uint8Array;
}

export interface ScreenUpdate {
  /** Paints every pixel of the screen: a helper may start from it. */
  readonly full: boolean;
  readonly ops: readonly UpdateOp[];
}

export function encodeUpdate(update: ScreenUpdate): Uint8Array {
  let size = 4;
  for (const op of update.ops) size += op.kind === 'copy' ? 13 : op.kind === 'pointer' ? 9 + (op.shape ? 8 + op.shape.png.length : 0) : 13 + picture(op).length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, UPDATE_VERSION);
  view.setUint8(1, update.full ? FLAG_FULL : 0);
  view.setUint16(2, update.ops.length, true);
  let at = 4;
  for (const op of update.ops) {
    if (op.kind === 'pointer') {
      view.setUint8(at, OP_POINTER);
      view.setUint16(at + 1, op.at?.x ?? OFF_SCREEN, true);
      view.setUint16(at + 3, op.at?.y ?? OFF_SCREEN, true);
      view.setUint16(at + 5, op.shape?.width ?? 0, true);
      view.setUint16(at + 7, op.shape?.height ?? 0, true);
      at += 9;
      if (op.shape) {
        view.setUint16(at, op.shape.hotX, true);
        view.setUint16(at + 2, op.shape.hotY, true);
        view.setUint32(at + 4, op.shape.png.length, true);
        out.set(op.shape.png, at + 8);
        at += 8 + op.shape.png.length;
      }
      continue;
    }
    view.setUint8(at, op.kind === 'copy' ? OP_COPY : op.kind === 'image' ? OP_IMAGE : OP_LOSSY);
    view.setUint16(at + 1, op.rect.x, true);
    view.setUint16(at + 3, op.rect.y, true);
    view.setUint16(at + 5, op.rect.width, true);
    view.setUint16(at + 7, op.rect.height, true);
    if (op.kind === 'copy') {
      view.setInt16(at + 9, op.dx, true);
      view.setInt16(at + 11, op.dy, true);
      at += 13;
    } else {
      const bytes = picture(op);
      view.setUint32(at + 9, bytes.length, true);
      out.set(bytes, at + 13);
      at += 13 + bytes.length;
    }
  }
  return out;
}

/** Reads an update for a screen of `width` x `height`; undefined when anything in it is malformed or out of bounds. */
export function parseUpdate(data: Uint8Array, width: number, height: number): ScreenUpdate | undefined {
  if (data.length < 4 || !isScreenSize(width, height)) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== UPDATE_VERSION) return undefined;
  const full = (view.getUint8(1) & FLAG_FULL) !== 0;
  const count = view.getUint16(2, true);
  if (count > MAX_OPS) return undefined;
  const ops: UpdateOp[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 9 > data.length) return undefined;
    const kind = view.getUint8(at);
    if (kind === OP_POINTER) {
      const x = view.getUint16(at + 1, true);
      const y = view.getUint16(at + 3, true);
      const w = view.getUint16(at + 5, true);
      const h = view.getUint16(at + 7, true);
      const off = x === OFF_SCREEN && y === OFF_SCREEN;
      if (!off && (x >= width || y >= height)) return undefined;
      at += 9;
      let shape: PointerShape | undefined;
      if (w !== 0 || h !== 0) {
        if (w === 0 || h === 0 || w > MAX_POINTER_SIZE || h > MAX_POINTER_SIZE || at + 8 > data.length) return undefined;
        const hotX = view.getUint16(at, true);
        const hotY = view.getUint16(at + 2, true);
        const length = view.getUint32(at + 4, true);
        if (hotX >= w || hotY >= h || at + 8 + length > data.length) return undefined;
        const png = data.subarray(at + 8, at + 8 + length);
        const size = imageSize(png);
        if (size?.format !== 'png' || size.width !== w || size.height !== h) return undefined;
        shape = { width: w, height: h, hotX, hotY, png };
        at += 8 + length;
      }
      ops.push({ kind: 'pointer', at: off ? undefined : { x, y }, ...(shape ? { shape } : {}) });
      continue;
    }
    if (at + 13 > data.length) return undefined;
    const rect = { x: view.getUint16(at + 1, true), y: view.getUint16(at + 3, true), width: view.getUint16(at + 5, true), height: view.getUint16(at + 7, true) };
    if (!inside(rect, width, height)) return undefined;
    if (kind === OP_COPY) {
      const dx = view.getInt16(at + 9, true);
      const dy = view.getInt16(at + 11, true);
      if (!inside({ ...rect, x: rect.x + dx, y: rect.y + dy }, width, height)) return undefined;
      ops.push({ kind: 'copy', rect, dx, dy });
      at += 13;
    } else if (kind === OP_IMAGE || kind === OP_LOSSY) {
      const length = view.getUint32(at + 9, true);
      if (at + 13 + length > data.length) return undefined;
      const bytes = data.subarray(at + 13, at + 13 + length);
      // The picture's own header must give its rectangle's size, in the format its operation names.
      const size = imageSize(bytes);
      if (size?.format !== (kind === OP_IMAGE ? 'png' : 'webp') || size.width !== rect.width || size.height !== rect.height) return undefined;
      ops.push(kind === OP_IMAGE ? { kind: 'image', rect, png: bytes } : { kind: 'lossy', rect, webp: bytes });
      at += 13 + length;
    } else {
      return undefined;
    }
  }
  if (at !== data.length) return undefined;
  return { full, ops };
}

/** The encoded picture an image or lossy operation paints. */
function picture(op: Extract<UpdateOp, { kind: 'image' | 'lossy' }>): Uint8Array {
  return op.kind === 'image' ? op.png : op.webp;
}

/** Whether a screen of `width` x `height` is one the helper will show: 1 to 8K pixels on each side. */
export function isScreenSize(width: number, height: number): boolean {
  return Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= MAX_SCREEN_SIDE && height <= MAX_SCREEN_SIDE;
}

/**
 * The pixels an update's pictures decode to (its images and pointer shapes; copies decode nothing). The parser
 * checks each PNG header against its rectangle, but a few KB of PNG can declare a whole 8K screen, and an
 * update may hold thousands of them: this is what decoding it would cost.
 */
export function decodedPixels(update: ScreenUpdate): number {
  let pixels = 0;
  for (const op of update.ops) {
    if (op.kind === 'image' || op.kind === 'lossy') pixels += op.rect.width * op.rect.height;
    else if (op.kind === 'pointer' && op.shape) pixels += op.shape.width * op.shape.height;
  }
  return pixels;
}

/**
 * The most an update for a `width` x `height` screen may decode to: twice the screen (a host paints each pixel
 * once; overlapping rectangles get the other half), plus one pointer shape.
 */
export function pixelBudget(width: number, height: number): number {
  return 2 * width * height + MAX_POINTER_SIZE * MAX_POINTER_SIZE;
}

/** The smallest rectangle holding all of `rects`. */
export function bounds(rects: readonly Rect[]): Rect {
  if (rects.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** `r` cut to the screen, or undefined when nothing of it is on it. */
export function clip(r: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, r.x);
  const y0 = Math.max(0, r.y);
  const x1 = Math.min(width, r.x + r.width);
  const y1 = Math.min(height, r.y + r.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}

/** Whether `a` and `b` share a pixel. */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(r: Rect, width: number, height: number): boolean {
  return r.width > 0 && r.height > 0 && r.x >= 0 && r.y >= 0 && r.x + r.width <= width && r.y + r.height <= height;
}
