/**
 * The helper's panel (webview): the host's screen on a canvas (as noVNC's display). The canvas holds the picture
 * at its own size; CSS scales it to the panel with `object-fit: contain` (input.ts maps pointer positions through
 * the same letterbox).
 *
 * Frames arrive checked (mediaReceiver.ts: sizes, pixel budget, frames in flight). Whole pictures never queue:
 * while one decodes, only the newest waiting one is kept. Screen updates (deltas, see screenUpdate.ts) are all
 * applied, in order, and decoded one update at a time, so that at most one update's pictures are decoded at
 * once. Every frame is handed back through `frameDone`, in order, once drawn or once skipped.
 */

import type { ScreenUpdate } from '../shared/screenUpdate';
import type { LogLevel } from './bridge';
import type { ScreenFrame } from './mediaReceiver';
import { RemotePointer } from './pointer';

export interface DisplayEvents {
  /** The display is done with frame `id` (drawn or skipped). */
  frameDone(id: number): void;
  /** The first picture is on the canvas. */
  firstFrame(): void;
  /** The picture is lost (an update did not decode): the host should send the whole screen again. */
  lostPicture(): void;
  log(level: LogLevel, message: string): void;
}

type PictureFrame = Extract<ScreenFrame, { kind: 'picture' }>;
type UpdateFrame = Extract<ScreenFrame, { kind: 'update' }>;

interface DecodedUpdate {
  readonly update: ScreenUpdate;
  /** The decoded image of each image operation (undefined for copies). */
  readonly bitmaps: readonly (ImageBitmap | undefined)[];
  readonly failed: boolean;
}

export class Display {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly pointer: RemotePointer | undefined;
  private disposed = false;
  /** The host's screen in pixels (what normalised coordinates refer to). */
  private screen = { width: 0, height: 0 };
  /** A picture or an update is being decoded. */
  private busy = false;
  private pending: PictureFrame | undefined;
  /** Screen updates waiting, in order, not yet decoded (mediaReceiver.ts bounds how many). */
  private readonly updates: UpdateFrame[] = [];
  /** A full update was applied: deltas have a picture to apply to. */
  private hasKey = false;
  /** The host was asked for the whole screen and has not sent it yet. */
  private refreshAsked = false;
  private skipped: number[] = [];
  private drawn = 0;
  private decodeErrors = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: DisplayEvents,
    /** A canvas over `canvas` (same box, no pointer events) where the host's pointer is drawn. */
    pointerOverlay?: HTMLCanvasElement,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.pointer = pointerOverlay ? new RemotePointer(pointerOverlay, canvas) : undefined;
  }

  /** The host's screen size (from `viewGranted`, then from the frames), 0 x 0 before it is known. */
  get screenSize(): { readonly width: number; readonly height: number } {
    return this.screen;
  }

  /** The host's screen size, from `viewGranted`; frames may update it. */
  setScreenSize(width: number, height: number): void {
    this.screen = { width, height };
    if (this.drawn === 0) this.resize(width, height);
  }

  /** While controlling, the host's pointer is the helper's own (see pointer.ts). */
  setControlling(on: boolean): void {
    this.pointer?.setControlling(on);
  }

  /**
   * Shows a frame. A whole picture is drawn at once if the decoder is free, else kept as the one waiting
   * picture (replacing an older one). A screen update is never skipped: it is a delta on the picture before it,
   * so updates are applied in order.
   */
  present(frame: ScreenFrame): void {
    if (this.disposed) {
      this.events.frameDone(frame.id);
      return;
    }
    if (frame.kind === 'update') {
      this.updates.push(frame);
      if (!this.busy) void this.drain();
      return;
    }
    if (this.busy) {
      if (this.pending) this.skipped.push(this.pending.id);
      this.pending = frame;
      return;
    }
    void this.decodePicture(frame);
  }

  dispose(): void {
    this.disposed = true;
    this.pointer?.setControlling(false);
    this.pointer?.dispose();
  }

  private async decodePicture(frame: PictureFrame): Promise<void> {
    this.busy = true;
    try {
      // A picture whose size could not be read from its header is not given to the decoder at all.
      if (!frame.data) throw new Error('no readable size in its header');
      const bitmap = await createImageBitmap(new Blob([frame.data as Uint8Array<ArrayBuffer>], { type: frame.format === 'png' ? 'image/png' : 'image/jpeg' }));
      try {
        if (!this.disposed) this.draw(bitmap, frame);
      } finally {
        bitmap.close();
      }
    } catch (error) {
      // A frame that does not decode is skipped; the next one replaces it.
      if (this.decodeErrors++ < 5) this.events.log('warn', `[display] frame ${frame.id} did not decode: ${String(error)}`);
    }
    this.busy = false;
    this.events.frameDone(frame.id);
    for (const id of this.skipped.splice(0)) this.events.frameDone(id);
    const next = this.pending;
    this.pending = undefined;
    if (next) void this.decodePicture(next);
    else if (this.updates.length > 0) void this.drain();
  }

  /** Decodes the pictures of one update (the receiver has held their pixels to the budget). */
  private async decodeUpdate(update: ScreenUpdate): Promise<DecodedUpdate> {
    const png = (bytes: Uint8Array) => createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    const images = update.ops.map((op) => (op.kind === 'image' ? png(op.png) : op.kind === 'pointer' && op.shape ? png(op.shape.png) : undefined));
    const settled = await Promise.allSettled(images);
    return {
      update,
      bitmaps: settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)),
      // A pointer shape that does not decode only leaves the old shape.
      failed: settled.some((r, i) => update.ops[i]!.kind === 'image' && r.status === 'rejected'),
    };
  }

  /** Decodes and applies the waiting updates, one at a time, in order. */
  private async drain(): Promise<void> {
    this.busy = true;
    while (this.updates.length > 0 && !this.pending) {
      const frame = this.updates.shift()!;
      const decoded = frame.update && !this.disposed ? await this.decodeUpdate(frame.update) : undefined;
      try {
        if (this.disposed) {
          // The panel is going away: nothing to draw, nothing to ask for.
        } else if (!decoded || decoded.failed) {
          // The picture is now wrong until the next full update: stop drawing deltas and ask for one.
          if (this.decodeErrors++ < 5) this.events.log('warn', `[display] update ${frame.id} is malformed or did not decode`);
          this.losePicture();
        } else {
          this.apply(frame, decoded);
        }
      } finally {
        // The pointer keeps its shape's bitmap; the rest are drawn and done.
        decoded?.bitmaps.forEach((b, i) => {
          if (decoded.update.ops[i]!.kind !== 'pointer' || decoded.failed || this.disposed) b?.close();
        });
      }
      this.events.frameDone(frame.id);
    }
    this.busy = false;
    if (this.pending) {
      const next = this.pending;
      this.pending = undefined;
      void this.decodePicture(next);
    }
  }

  private losePicture(): void {
    this.hasKey = false;
    if (this.refreshAsked || this.disposed) return;
    this.refreshAsked = true;
    this.events.lostPicture();
  }

  private apply(frame: UpdateFrame, { update, bitmaps }: DecodedUpdate): void {
    if (update.full) {
      this.hasKey = true;
      this.refreshAsked = false;
      this.resize(frame.width, frame.height);
      this.pointer?.resize(frame.width, frame.height);
    } else if (!this.hasKey || this.canvas.width !== frame.width || this.canvas.height !== frame.height) {
      this.losePicture(); // a delta on a picture we do not have
      return;
    }
    this.screen = { width: frame.width, height: frame.height };
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    update.ops.forEach((op, i) => {
      if (op.kind === 'pointer') {
        if (this.pointer) this.pointer.update(op.at, op.shape, bitmaps[i]);
        else bitmaps[i]?.close();
        return;
      }
      const { x, y, width, height } = op.rect;
      if (op.kind === 'copy') ctx.drawImage(this.canvas, x, y, width, height, x + op.dx, y + op.dy, width, height);
      else ctx.drawImage(bitmaps[i]!, x, y);
    });
    this.counted(frame.id);
  }

  private draw(bitmap: ImageBitmap, frame: PictureFrame): void {
    // The header was checked against the frame; a decoder that disagrees does not get to size the canvas.
    if (bitmap.width !== frame.width || bitmap.height !== frame.height) {
      throw new Error(`decoded to ${bitmap.width}x${bitmap.height}, its frame says ${frame.width}x${frame.height}`);
    }
    this.screen = { width: frame.width, height: frame.height };
    // The canvas holds the picture pixel for pixel; the browser scales it to the panel.
    this.resize(bitmap.width, bitmap.height);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = 'high';
    this.ctx.drawImage(bitmap, 0, 0);
    this.counted(frame.id);
  }

  private counted(id: number): void {
    this.drawn++;
    this.canvas.dataset['frames'] = String(this.drawn);
    this.canvas.dataset['lastFrame'] = String(id);
    if (this.drawn === 1) this.events.firstFrame();
  }

  private resize(width: number, height: number): void {
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
  }
}
