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

/** Reads width and height from a JPEG's SOF marker, or from a PNG's IHDR. */
export function imageSize(data: Uint8Array): { width: number; height: number; format: 'jpeg' | 'png' } | undefined {
  if (data.length > 24 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
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
