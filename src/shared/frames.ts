/**
 * Screen frames on the media connection. A frame is an encoded image (JPEG or PNG), or a screen update (the
 * changes since the last one, see screenUpdate.ts), cut in chunks that fit
 * every data channel (Chromium's limit is 256 KiB a message; we stay far below), each with a 16-byte header:
 *
 *   0  u8   magic 0x52 ('R')
 *   1  u8   format (1 = JPEG, 2 = PNG, 3 = update)
 *   2  u16  chunk index
 *   4  u16  chunk count
 *   6  u16  reserved
 *   8  u32  frame id
 *   12 u16  width of the full screen in pixels
 *   14 u16  height
 *
 * All little-endian. Pure module: Uint8Array and DataView only.
 */

export const CHUNK_PAYLOAD = 60 * 1024;
const HEADER = 16;
const MAGIC = 0x52;
/** A frame larger than this is refused on both sides (a 4K PNG stays under it). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export type FrameFormat = 'jpeg' | 'png' | 'update';

export interface EncodedFrame {
  readonly format: FrameFormat;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface ReceivedFrame extends EncodedFrame {
  readonly id: number;
}

const formatCode: Record<FrameFormat, number> = { jpeg: 1, png: 2, update: 3 };

export function chunkFrame(id: number, frame: EncodedFrame): Uint8Array[] {
  const count = Math.max(1, Math.ceil(frame.data.length / CHUNK_PAYLOAD));
  if (count > 0xffff) throw new RangeError('frame too large');
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = frame.data.subarray(i * CHUNK_PAYLOAD, (i + 1) * CHUNK_PAYLOAD);
    const out = new Uint8Array(HEADER + part.length);
    const view = new DataView(out.buffer);
    view.setUint8(0, MAGIC);
    view.setUint8(1, formatCode[frame.format]);
    view.setUint16(2, i, true);
    view.setUint16(4, count, true);
    view.setUint32(8, id >>> 0, true);
    view.setUint16(12, frame.width, true);
    view.setUint16(14, frame.height, true);
    out.set(part, HEADER);
    chunks.push(out);
  }
  return chunks;
}

/**
 * Puts chunks back together. Chunks of one frame arrive in order (the channel is ordered); a chunk of a new
 * frame drops whatever was left of an older one. Malformed chunks are counted and dropped.
 */
export class FrameAssembler {
  private current: { id: number; format: FrameFormat; width: number; height: number; count: number; parts: Uint8Array[]; size: number } | undefined;
  malformed = 0;

  /** Feeds one message; returns a whole frame when this chunk completes one. */
  push(message: ArrayBuffer | Uint8Array): ReceivedFrame | undefined {
    const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
    if (bytes.length < HEADER) return this.reject();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fmt = view.getUint8(1);
    const format: FrameFormat | undefined = fmt === 1 ? 'jpeg' : fmt === 2 ? 'png' : fmt === 3 ? 'update' : undefined;
    const index = view.getUint16(2, true);
    const count = view.getUint16(4, true);
    const id = view.getUint32(8, true);
    const width = view.getUint16(12, true);
    const height = view.getUint16(14, true);
    if (view.getUint8(0) !== MAGIC || !format || count === 0 || index >= count || width === 0 || height === 0) return this.reject();
    if (index === 0) {
      this.current = { id, format, width, height, count, parts: [], size: 0 };
    } else if (!this.current || this.current.id !== id || this.current.parts.length !== index || this.current.count !== count) {
      this.current = undefined;
      return this.reject();
    }
    const cur = this.current!;
    const payload = bytes.subarray(HEADER);
    cur.size += payload.length;
    if (cur.size > MAX_FRAME_BYTES) {
      this.current = undefined;
      return this.reject();
    }
    cur.parts.push(payload);
    if (cur.parts.length < cur.count) return undefined;
    this.current = undefined;
    const data = new Uint8Array(cur.size);
    let offset = 0;
    for (const p of cur.parts) {
      data.set(p, offset);
      offset += p.length;
    }
    return { id: cur.id, format: cur.format, width: cur.width, height: cur.height, data };
  }

  private reject(): undefined {
    this.malformed++;
    return undefined;
  }
}

/**
 * Reads width and height from a JPEG's SOF marker, from a PNG's IHDR, or from a simple lossy WebP's VP8 key frame
 * header (webpSize).
 */
export function imageSize(data: Uint8Array): { width: number; height: number; format: 'jpeg' | 'png' | 'webp' } | undefined {
  if (data.length > 24 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (data.length >= 4 && data[0] === 0x52 && data[1] === 0x49 && data[2] === 0x46 && data[3] === 0x46) {
    const size = webpSize(data);
    return size && { format: 'webp', ...size };
  }
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) return undefined;
    const marker = data[i + 1]!;
    const length = (data[i + 2]! << 8) | data[i + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: (data[i + 5]! << 8) | data[i + 6]!, width: (data[i + 7]! << 8) | data[i + 8]! };
    }
    i += 2 + length;
  }
  return undefined;
}

const fourCc = (data: Uint8Array, at: number) => String.fromCharCode(data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!);

/**
 * The size of a simple lossy WebP: `RIFF` (its length the file's), `WEBP`, one `VP8 ` chunk that fills the rest,
 * holding a key frame (start code 9d 01 2a) whose 14-bit width and height carry no upscaling. Anything else (VP8L,
 * VP8X with alpha or animation, extra chunks, a frame longer than its chunk) is undefined: no host of ours sends it.
 */
export function webpSize(data: Uint8Array): { width: number; height: number } | undefined {
  if (data.length < 30 || fourCc(data, 0) !== 'RIFF' || fourCc(data, 8) !== 'WEBP' || fourCc(data, 12) !== 'VP8 ') return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const riff = view.getUint32(4, true);
  const chunk = view.getUint32(16, true);
  // The chunk is padded to an even length; the RIFF length counts everything after its own 8 bytes.
  if (riff !== data.length - 8 || 20 + chunk + (chunk & 1) !== data.length) return undefined;
  const tag = data[20]! | (data[21]! << 8) | (data[22]! << 16);
  const keyFrame = (tag & 1) === 0;
  const firstPartition = tag >>> 5;
  if (!keyFrame || firstPartition + 10 > chunk || data[23] !== 0x9d || data[24] !== 0x01 || data[25] !== 0x2a) return undefined;
  const w = view.getUint16(26, true);
  const h = view.getUint16(28, true);
  if (w >> 14 !== 0 || h >> 14 !== 0) return undefined;
  const width = w & 0x3fff;
  const height = h & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : undefined;
}
