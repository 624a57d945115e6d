/**
 * The helper's panel (webview): the `media` connection's bytes into frames the display may show. Chunks are put
 * back together (frames.ts), and every whole frame is checked before anything decodes it, because a few KB from
 * the host can declare gigabytes of pixels:
 *
 * - its screen is at most 8K on each side (as `viewGranted`'s);
 * - a whole picture's own header gives the size its frame declares;
 * - a screen update decodes to at most `pixelBudget` pixels (about twice its screen);
 * - frames handed on and not yet acknowledged stay few (the host keeps a couple in flight), so the display's
 *   queue of waiting updates stays short.
 *
 * A frame that breaks one of these is the host's protocol error (`refuse`): the session ends. An update that does
 * not parse is handed on as such (the display asks for the whole screen again), as is a picture whose size cannot
 * be read (skipped undecoded).
 *
 * No DOM: Blob and ArrayBuffer only.
 */

import { FrameAssembler, MAX_FRAME_BYTES, imageSize, type FrameFormat, type ReceivedFrame } from '../shared/frames';
import { decodedPixels, isScreenSize, parseUpdate, pixelBudget, type ScreenUpdate } from '../shared/screenUpdate';
import type { LogLevel } from './bridge';

/** A checked frame, as the display gets it. */
export type ScreenFrame =
  /** A whole picture whose header gives its frame's size (`data` undefined: the size could not be read; skip it). */
  | { readonly kind: 'picture'; readonly id: number; readonly format: Exclude<FrameFormat, 'update'>; readonly width: number; readonly height: number; readonly data: Uint8Array | undefined }
  /** A screen update within its pixel budget (`update` undefined: it did not parse, the picture is lost). */
  | { readonly kind: 'update'; readonly id: number; readonly width: number; readonly height: number; readonly update: ScreenUpdate | undefined };

export interface MediaEvents {
  /** A checked frame; it counts as in flight until `acknowledged(id)`. */
  frame(frame: ScreenFrame): void;
  /** The host sent what no host following the protocol sends: end the session. */
  refuse(detail: string): void;
  log(level: LogLevel, message: string): void;
}

/**
 * Frames handed on and not yet acknowledged, at most. The host waits for acknowledgements with two in flight and
 * stops waiting after 3 s without one, so a conforming host gets here only after the panel stalled for about
 * 20 s; a host that ignores acknowledgements gets here at once.
 */
export const MAX_FRAMES_IN_FLIGHT = 16;
/** Bytes of frames handed on and not yet acknowledged, at most (two of the largest frames). */
export const MAX_BYTES_IN_FLIGHT = 2 * MAX_FRAME_BYTES;

export class MediaReceiver {
  private assembler = new FrameAssembler();
  private readonly inFlight: { id: number; bytes: number }[] = [];
  private bytesInFlight = 0;
  /** Set while Blob messages are being read, so that later chunks wait their turn. */
  private queue: Promise<void> | undefined;
  private stopped = false;
  /**
   * The last screen update handed on from this media connection (the display applies every one, in order), or
   * undefined after a whole picture (which may be skipped) or a new connection. A resume tells the host.
   */
  lastUpdate: number | undefined;

  constructor(private readonly events: MediaEvents) {}

  /** One message from the media connection. */
  push(data: unknown): void {
    if (this.stopped) return;
    if (data instanceof Blob || this.queue) {
      // 'raw' gives ArrayBuffers in Chromium; a Blob would mean another binaryType. Reading one is
      // asynchronous, so chunks queue behind it to stay in order.
      const next = (this.queue ?? Promise.resolve())
        .then(async () => this.onBytes(data instanceof Blob ? await data.arrayBuffer() : data))
        .catch((error: unknown) => this.events.log('warn', `reading a media chunk: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          if (this.queue === next) this.queue = undefined;
        });
      this.queue = next;
      return;
    }
    this.onBytes(data);
  }

  /** The display is done with frame `id` (drawn, skipped, or dropped before viewing); false if it is not this connection's. */
  acknowledged(id: number): boolean {
    const at = this.inFlight.findIndex((f) => f.id === id);
    if (at < 0) return false;
    this.bytesInFlight -= this.inFlight[at]!.bytes;
    this.inFlight.splice(at, 1);
    return true;
  }

  /**
   * A new media connection after a resume: a frame cut off by the cut is dropped, and what was in flight is
   * forgotten (the host starts again with a whole screen).
   */
  reset(): void {
    this.assembler = new FrameAssembler();
    this.inFlight.length = 0;
    this.bytesInFlight = 0;
    this.queue = undefined;
    this.lastUpdate = undefined;
  }

  /** Nothing more is handed on (the session is over). */
  stop(): void {
    this.stopped = true;
  }

  private onBytes(data: unknown): void {
    if (this.stopped) return;
    let bytes: ArrayBuffer | Uint8Array;
    if (data instanceof ArrayBuffer) bytes = data;
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.events.log('warn', `unexpected media message (${typeof data})`);
      return;
    }
    const frame = this.assembler.push(bytes);
    if (!frame) return;
    if (this.inFlight.length >= MAX_FRAMES_IN_FLIGHT || this.bytesInFlight + frame.data.length > MAX_BYTES_IN_FLIGHT) {
      return this.refuse(`frame ${frame.id} with ${this.inFlight.length} frames (${this.bytesInFlight} bytes) not yet acknowledged`);
    }
    const checked = checkFrame(frame);
    if (typeof checked === 'string') return this.refuse(checked);
    this.inFlight.push({ id: frame.id, bytes: frame.data.length });
    this.bytesInFlight += frame.data.length;
    this.lastUpdate = checked.kind === 'update' && checked.update ? frame.id : undefined;
    this.events.frame(checked);
  }

  private refuse(detail: string): void {
    this.stopped = true;
    this.events.refuse(detail);
  }
}

/** A frame as the display may take it, or why no host should have sent it. */
export function checkFrame(frame: ReceivedFrame): ScreenFrame | string {
  const { id, width, height, data } = frame;
  if (!isScreenSize(width, height)) return `frame ${id} is for a ${width}x${height} screen`;
  if (frame.format === 'update') {
    const update = parseUpdate(data, width, height);
    if (update && decodedPixels(update) > pixelBudget(width, height)) {
      return `update ${id} decodes to ${decodedPixels(update)} pixels on a ${width}x${height} screen`;
    }
    return { kind: 'update', id, width, height, update };
  }
  const size = imageSize(data);
  if (size && size.format === frame.format && (size.width !== width || size.height !== height)) {
    return `picture ${id} is ${size.width}x${size.height}, its frame says ${width}x${height}`;
  }
  return { kind: 'picture', id, format: frame.format, width, height, data: size?.format === frame.format ? data : undefined };
}
